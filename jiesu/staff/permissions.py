"""The permissions policy: what each role may do (its capabilities) and which tickets it
sees (its scope), in one table; and, from it, who may see which ticket, its resident's
phone, and which actions, by role and workflow.

The console asks these functions and nothing else; templates and routes hold no rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Final

from jiesu.labels import label
from jiesu.staff.models import StaffUser
from jiesu.staff.roles import Role
from jiesu.tickets.assignment import REDISPATCHABLE
from jiesu.tickets.models import Ticket
from jiesu.tickets.workflow import DISPATCH_QUEUE, WORKING, Status, can_transition, is_open


class Capability(StrEnum):
    """Something a role may do, whatever the ticket."""

    DISPATCH = "dispatch"  # the dispatch desk: 派单、改派、办结、合并, every resident's phone
    HANDLE = "handle"  # work on the tickets of one's own department (签收、退单、答复…)
    READ_HANDOFFS = "read_handoffs"  # open the handoff inbox and read transcripts
    ANSWER_HANDOFFS = "answer_handoffs"  # take over, reply, note, claim and hand back
    READ_FAQ_GAPS = "read_faq_gaps"  # residents' unanswered questions (问答缺口)
    EDIT_FAQ = "edit_faq"  # add knowledge-base entries
    MANAGE_USERS = "manage_users"  # staff accounts (用户管理)
    READ_UNDELIVERED = "read_undelivered"  # messages to residents that will not arrive, and why


class Scope(StrEnum):
    """Which tickets (and their alerts and figures) a role sees."""

    ALL = "all"
    DEPARTMENT = "department"  # its department's tickets, as lead or co-handler (协办)
    GRIDS = "grids"  # the tickets of its grids, read-only


@dataclass(frozen=True)
class Grant:
    """What a role sees and what it may do."""

    scope: Scope
    capabilities: frozenset[Capability]


_DESK = frozenset(
    {
        Capability.DISPATCH,
        Capability.READ_HANDOFFS,
        Capability.ANSWER_HANDOFFS,
        Capability.READ_FAQ_GAPS,
        Capability.EDIT_FAQ,
        Capability.READ_UNDELIVERED,
    }
)

# The one table of who sees and may do what. Handling is a handler's alone: it follows
# from belonging to the ticket's department, which no other role has. The FAQ gaps are
# residents' own words, which belong to no department or grid, so (as with tickets) the
# roles that see every ticket read them and the others read none.
POLICY: Final[Mapping[Role, Grant]] = MappingProxyType(
    {
        Role.ADMIN: Grant(Scope.ALL, _DESK | {Capability.MANAGE_USERS}),
        Role.DISPATCHER: Grant(Scope.ALL, _DESK),
        # Supervisors (督办) read everything and change nothing.
        Role.SUPERVISOR: Grant(
            Scope.ALL,
            frozenset(
                {
                    Capability.READ_HANDOFFS,
                    Capability.READ_FAQ_GAPS,
                    Capability.READ_UNDELIVERED,
                }
            ),
        ),
        Role.HANDLER: Grant(Scope.DEPARTMENT, frozenset({Capability.HANDLE})),
        Role.GRID_WORKER: Grant(Scope.GRIDS, frozenset()),
    }
)


def can(user: StaffUser, capability: Capability) -> bool:
    """Whether `user`'s role has `capability`."""
    return capability in POLICY[user.role].capabilities


def scope_of(user: StaffUser) -> Scope:
    """Which tickets `user`'s role sees."""
    return POLICY[user.role].scope


class Action(StrEnum):
    """What staff can do to a ticket from its page."""

    DISPATCH = "dispatch"
    REDISPATCH = "redispatch"
    ACCEPT = "accept"
    RETURN = "return"
    NOTE = "note"
    REPLY = "reply"
    CO_HANDLE = "co_handle"
    RECATEGORIZE = "recategorize"
    CLOSE = "close"
    MERGE = "merge"


def action_label(action: Action) -> str:
    """What the ticket page's form for `action` is called (`jiesu/labels.yml`)."""
    return label("actions", action.value)


# The status each action moves the ticket to; the others change no status.
ACTION_TARGETS: dict[Action, Status] = {
    Action.DISPATCH: Status.DISPATCHED,
    Action.ACCEPT: Status.IN_PROGRESS,
    Action.RETURN: Status.RETURNED,
    Action.REPLY: Status.REPLIED,
    Action.CLOSE: Status.CLOSED,
    Action.MERGE: Status.MERGED,
}

_DESK_ACTIONS = frozenset({Action.DISPATCH, Action.REDISPATCH, Action.CLOSE, Action.MERGE})
# The dispatch desk and the lead department's handler both may do these.
_SHARED_ACTIONS = frozenset({Action.CO_HANDLE, Action.RECATEGORIZE})


def handles(user: StaffUser, ticket: Ticket) -> bool:
    """Whether `user` is a handler of the department the ticket is with (the lead)."""
    return can(user, Capability.HANDLE) and ticket.department == user.department


def co_handles(user: StaffUser, ticket: Ticket) -> bool:
    """Whether `user` is a handler of one of the ticket's co-handling departments (协办)."""
    return (
        can(user, Capability.HANDLE)
        and user.department is not None
        and user.department in ticket.co_departments
    )


def can_view(user: StaffUser, ticket: Ticket) -> bool:
    """Whether `user` may open `ticket` at all (the console answers 404 otherwise)."""
    scope = scope_of(user)
    if scope is Scope.ALL:
        return True
    if scope is Scope.GRIDS:
        return ticket.grid is not None and ticket.grid in user.grids
    return ticket.department == user.department or (
        user.department is not None and user.department in ticket.co_departments
    )


def _role_allows(user: StaffUser, ticket: Ticket, action: Action) -> bool:
    desk = can(user, Capability.DISPATCH)
    if action in _DESK_ACTIONS:
        return desk
    if action in _SHARED_ACTIONS:
        return desk or (handles(user, ticket) and ticket.status in WORKING)
    if action is Action.NOTE:
        return handles(user, ticket) or co_handles(user, ticket)
    return handles(user, ticket)


def _status_allows(status: Status, action: Action) -> bool:
    if action in (Action.NOTE, Action.CO_HANDLE):  # while a department works on it
        return status in WORKING
    if action is Action.REDISPATCH:
        return status in REDISPATCHABLE
    if action is Action.RECATEGORIZE:
        return is_open(status)
    if action is Action.DISPATCH and status not in DISPATCH_QUEUE:  # else it is 改派
        return False
    return can_transition(status, ACTION_TARGETS[action])


def may_act(user: StaffUser, ticket: Ticket, action: Action) -> bool:
    """Whether `user`'s role and the ticket's status allow `action` now."""
    return (
        can_view(user, ticket)
        and _role_allows(user, ticket, action)
        and _status_allows(ticket.status, action)
    )


def allowed_actions(user: StaffUser, ticket: Ticket) -> list[Action]:
    """The actions to offer `user` on `ticket`, in the order of `Action`."""
    return [action for action in Action if may_act(user, ticket, action)]


def may_see_phone(user: StaffUser, ticket: Ticket) -> bool:
    """Whether `user` needs the resident's full phone number (else it is masked)."""
    return can(user, Capability.DISPATCH) or handles(user, ticket)


def mask_phone(phone: str) -> str:
    """`phone` with all but its first 3 and last 4 digits hidden: 138****5678."""
    if len(phone) <= 7:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]
