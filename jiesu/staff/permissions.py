"""Who may see which ticket, its resident's phone, and which actions, by role and workflow.

The console asks these functions and nothing else; templates and routes hold no rules.
"""

from __future__ import annotations

from enum import StrEnum

from jiesu.staff.models import StaffUser
from jiesu.staff.roles import SEE_ALL, Role
from jiesu.tickets.models import Ticket
from jiesu.tickets.workflow import Status, can_transition


class Action(StrEnum):
    """What staff can do to a ticket from its page."""

    DISPATCH = "dispatch"
    ACCEPT = "accept"
    RETURN = "return"
    NOTE = "note"
    REPLY = "reply"
    CLOSE = "close"
    MERGE = "merge"


ACTION_LABELS: dict[Action, str] = {
    Action.DISPATCH: "派单",
    Action.ACCEPT: "签收办理",
    Action.RETURN: "退单",
    Action.NOTE: "添加办理进展",
    Action.REPLY: "答复",
    Action.CLOSE: "办结",
    Action.MERGE: "合并到其他工单",
}

# The status each action moves the ticket to; a progress note moves nothing.
ACTION_TARGETS: dict[Action, Status] = {
    Action.DISPATCH: Status.DISPATCHED,
    Action.ACCEPT: Status.IN_PROGRESS,
    Action.RETURN: Status.RETURNED,
    Action.REPLY: Status.REPLIED,
    Action.CLOSE: Status.CLOSED,
    Action.MERGE: Status.MERGED,
}

_DISPATCH_DESK = frozenset({Role.ADMIN, Role.DISPATCHER})
_DESK_ACTIONS = frozenset({Action.DISPATCH, Action.CLOSE, Action.MERGE})
_HANDLER_ACTIONS = frozenset({Action.ACCEPT, Action.RETURN, Action.NOTE, Action.REPLY})
# A handler records progress while the ticket is with the department.
_NOTE_STATUSES = frozenset({Status.DISPATCHED, Status.IN_PROGRESS, Status.REOPENED})
# The statuses of the dispatchers' queue (派单队列).
DISPATCH_QUEUE = (Status.RECEIVED, Status.RETURNED)


def handles(user: StaffUser, ticket: Ticket) -> bool:
    """Whether `user` is a handler of the department the ticket is with."""
    return user.role is Role.HANDLER and ticket.department == user.department


def can_view(user: StaffUser, ticket: Ticket) -> bool:
    """Whether `user` may open `ticket` at all (the console answers 404 otherwise)."""
    if user.role in SEE_ALL:
        return True
    if user.role is Role.GRID_WORKER:
        return ticket.grid is not None and ticket.grid in user.grids
    return handles(user, ticket)


def may_act(user: StaffUser, ticket: Ticket, action: Action) -> bool:
    """Whether `user`'s role and the ticket's status allow `action` now."""
    if not can_view(user, ticket):
        return False
    if action in _DESK_ACTIONS:
        allowed_role = user.role in _DISPATCH_DESK
    else:
        allowed_role = action in _HANDLER_ACTIONS and handles(user, ticket)
    if not allowed_role:
        return False
    if action is Action.NOTE:
        return ticket.status in _NOTE_STATUSES
    return can_transition(ticket.status, ACTION_TARGETS[action])


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
