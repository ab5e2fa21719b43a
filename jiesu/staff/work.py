"""Staff actions on tickets: the permission check, then the ticket core does the work.

Each function works inside the caller's transaction; a refused or illegal action
raises `ActionError` with a message for the staff member, in Chinese.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from jiesu.staff.models import StaffUser
from jiesu.staff.permissions import ACTION_TARGETS, Action, may_act
from jiesu.tickets import notices
from jiesu.tickets.assignment import (
    AssignmentError,
    add_co_handler,
    assign_department,
    change_category,
    check_department,
    redispatch,
)
from jiesu.tickets.models import Ticket, TicketNote
from jiesu.tickets.service import change_status, get_by_number, merge
from jiesu.tickets.workflow import (
    IllegalTransitionError,
    NoteRequiredError,
    is_open,
    staff_actor,
)


class ActionError(ValueError):
    """An action refused: not allowed for this role or status, or missing what it needs."""


@dataclass(frozen=True)
class _Filled:
    """What the staff member filled in for an action; each action reads what it needs.

    `note` is the reason (退单、改派、合并), the reply (答复), the resolution (办结) or the
    progress; `department` where DISPATCH, REDISPATCH or CO_HANDLE send it; `into` the
    number MERGE merges into; `category` is "分类" or "分类/子类"; `tell_resident`
    also sends a progress note to the resident.
    """

    note: str | None = None
    department: str | None = None
    into: str | None = None
    category: str | None = None
    tell_resident: bool = False


def _text(value: str | None, missing: str) -> str:
    cleaned = (value or "").strip()
    if not cleaned:
        raise ActionError(missing)
    return cleaned


def _note(session: Session, ticket: Ticket, actor: str, asked: _Filled) -> None:
    text = _text(asked.note, "请填写办理进展。")
    session.add(
        TicketNote(ticket_id=ticket.id, actor=actor, text=text, told_resident=asked.tell_resident)
    )
    if asked.tell_resident:
        notices.progress(session, ticket, text)


def _dispatch(session: Session, ticket: Ticket, actor: str, asked: _Filled) -> None:
    chosen = check_department(asked.department)
    change_status(session, ticket, ACTION_TARGETS[Action.DISPATCH], actor=actor, note=asked.note)
    assign_department(session, ticket, chosen, actor=actor)
    notices.dispatched(session, ticket)


def _redispatch(session: Session, ticket: Ticket, actor: str, asked: _Filled) -> None:
    redispatch(session, ticket, asked.department or "", actor=actor, reason=asked.note)
    notices.dispatched(session, ticket, again=True)


def _co_handle(session: Session, ticket: Ticket, actor: str, asked: _Filled) -> None:
    add_co_handler(session, ticket, asked.department or "", actor=actor)


def _recategorize(session: Session, ticket: Ticket, actor: str, asked: _Filled) -> None:
    category, _, subcategory = (asked.category or "").partition("/")
    change_category(session, ticket, category, subcategory or None, actor=actor)


def _merge(session: Session, ticket: Ticket, actor: str, asked: _Filled) -> None:
    target = get_by_number(session, _text(asked.into, "请填写要合并到的工单编号。"))
    if target is None:
        raise ActionError(f"工单 {asked.into} 不存在。")
    if target.id == ticket.id or not is_open(target.status):
        raise ActionError("只能合并到另一张未办结、未合并的工单。")
    merge(session, ticket, into=target, actor=actor, note=_text(asked.note, "请填写合并原因。"))
    notices.merged(session, ticket, target)


def _reply(session: Session, ticket: Ticket, actor: str, asked: _Filled) -> None:
    text = _text(asked.note, "请填写答复内容。")
    change_status(session, ticket, ACTION_TARGETS[Action.REPLY], actor=actor, note=text)
    notices.answered(session, ticket, text)


_Step = Callable[[Session, Ticket, str, _Filled], None]

_STEPS: dict[Action, _Step] = {
    Action.NOTE: _note,
    Action.DISPATCH: _dispatch,
    Action.REDISPATCH: _redispatch,
    Action.CO_HANDLE: _co_handle,
    Action.RECATEGORIZE: _recategorize,
    Action.MERGE: _merge,
    Action.REPLY: _reply,
}


def _move(session: Session, ticket: Ticket, action: Action, actor: str, note: str | None) -> None:
    change_status(session, ticket, ACTION_TARGETS[action], actor=actor, note=note)


def perform(
    session: Session,
    user: StaffUser,
    ticket: Ticket,
    action: Action,
    *,
    note: str | None = None,
    department: str | None = None,
    into: str | None = None,
    category: str | None = None,
    tell_resident: bool = False,
) -> None:
    """Do `action` on `ticket` as `user` (the fields are those of `_Filled`), and queue the
    resident's notice if the action calls for one (`jiesu.tickets.notices`)."""
    if not may_act(user, ticket, action):
        raise ActionError("您无权对该工单执行此操作，或工单当前状态不允许。")
    actor = staff_actor(user.username)
    asked = _Filled(note, department, into, category, tell_resident)
    try:
        step = _STEPS.get(action)
        if step is None:
            _move(session, ticket, action, actor, asked.note)
        else:
            step(session, ticket, actor, asked)
    except AssignmentError as refused:
        raise ActionError(str(refused)) from None
    except NoteRequiredError:
        raise ActionError("此操作需要填写原因或说明。") from None
    except IllegalTransitionError:
        raise ActionError("工单当前状态不允许此操作，请刷新页面后重试。") from None
    session.flush()
