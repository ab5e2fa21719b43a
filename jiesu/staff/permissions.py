"""Who may see which ticket, its resident's phone, and which actions, by role and workflow.

The console asks these functions and nothing else; templates and routes hold no rules.
"""

from __future__ import annotations

from enum import StrEnum

from jiesu.staff.models import StaffUser
from jiesu.staff.roles import SEE_ALL, Role
from jiesu.tickets.assignment import REDISPATCHABLE
from jiesu.tickets.models import Ticket
from jiesu.tickets.workflow import DISPATCH_QUEUE, WORKING, Status, can_transition, is_open


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


ACTION_LABELS: dict[Action, str] = {
    Action.DISPATCH: "派单",
    Action.REDISPATCH: "改派",
    Action.ACCEPT: "签收办理",
    Action.RETURN: "退单",
    Action.NOTE: "添加办理进展",
    Action.REPLY: "答复",
    Action.CO_HANDLE: "增加协办单位",
    Action.RECATEGORIZE: "改分类",
    Action.CLOSE: "办结",
    Action.MERGE: "合并到其他工单",
}

# The status each action moves the ticket to; the others change no status.
ACTION_TARGETS: dict[Action, Status] = {
    Action.DISPATCH: Status.DISPATCHED,
    Action.ACCEPT: Status.IN_PROGRESS,
    Action.RETURN: Status.RETURNED,
    Action.REPLY: Status.REPLIED,
    Action.CLOSE: Status.CLOSED,
    Action.MERGE: Status.MERGED,
}

_DISPATCH_DESK = frozenset({Role.ADMIN, Role.DISPATCHER})
_DESK_ACTIONS = frozenset({Action.DISPATCH, Action.REDISPATCH, Action.CLOSE, Action.MERGE})
# The dispatch desk and the lead department's handler both may do these.
_SHARED_ACTIONS = frozenset({Action.CO_HANDLE, Action.RECATEGORIZE})


def handles(user: StaffUser, ticket: Ticket) -> bool:
    """Whether `user` is a handler of the department the ticket is with (the lead)."""
    return user.role is Role.HANDLER and ticket.department == user.department


def co_handles(user: StaffUser, ticket: Ticket) -> bool:
    """Whether `user` is a handler of one of the ticket's co-handling departments (协办)."""
    return (
        user.role is Role.HANDLER
        and user.department is not None
        and user.department in ticket.co_departments
    )


def can_view(user: StaffUser, ticket: Ticket) -> bool:
    """Whether `user` may open `ticket` at all (the console answers 404 otherwise)."""
    if user.role in SEE_ALL:
        return True
    if user.role is Role.GRID_WORKER:
        return ticket.grid is not None and ticket.grid in user.grids
    return handles(user, ticket) or co_handles(user, ticket)


def _role_allows(user: StaffUser, ticket: Ticket, action: Action) -> bool:
    if action in _DESK_ACTIONS:
        return user.role in _DISPATCH_DESK
    if action in _SHARED_ACTIONS:
        holds = handles(user, ticket) and ticket.status in WORKING
        return user.role in _DISPATCH_DESK or holds
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
    return user.role in _DISPATCH_DESK or handles(user, ticket)


def mask_phone(phone: str) -> str:
    """`phone` with all but its first 3 and last 4 digits hidden: 138****5678."""
    if len(phone) <= 7:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]
