"""Staff actions on tickets: the permission check, then the ticket core does the work.

Each function works inside the caller's transaction; a refused or illegal action
raises `ActionError` with a message for the staff member, in Chinese.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from jiesu.city import current_city
from jiesu.staff.models import StaffUser, TicketNote
from jiesu.staff.permissions import ACTION_TARGETS, Action, may_act
from jiesu.tickets.models import Ticket
from jiesu.tickets.service import change_status, get_by_number, merge
from jiesu.tickets.workflow import (
    IllegalTransitionError,
    NoteRequiredError,
    is_open,
    staff_actor,
)


class ActionError(ValueError):
    """An action refused: not allowed for this role or status, or missing what it needs."""


def _text(value: str | None, missing: str) -> str:
    cleaned = (value or "").strip()
    if not cleaned:
        raise ActionError(missing)
    return cleaned


def _department(department: str | None) -> str:
    chosen = _text(department, "请选择承办单位。")
    try:
        current_city().department(chosen)
    except KeyError:
        raise ActionError(f"没有编号为 {chosen} 的承办单位。") from None
    return chosen


def perform(
    session: Session,
    user: StaffUser,
    ticket: Ticket,
    action: Action,
    *,
    note: str | None = None,
    department: str | None = None,
    into: str | None = None,
) -> None:
    """Do `action` on `ticket` as `user`.

    `department` is where DISPATCH sends it; `into` the number MERGE merges into;
    `note` is the reason (退单、合并), the reply (答复), the resolution (办结) or the progress.
    """
    if not may_act(user, ticket, action):
        raise ActionError("您无权对该工单执行此操作，或工单当前状态不允许。")
    actor = staff_actor(user.username)
    try:
        if action is Action.NOTE:
            text = _text(note, "请填写办理进展。")
            session.add(TicketNote(ticket_id=ticket.id, actor=actor, text=text))
        elif action is Action.DISPATCH:
            chosen = _department(department)
            change_status(session, ticket, ACTION_TARGETS[action], actor=actor, note=note)
            ticket.department = chosen
        elif action is Action.MERGE:
            target = get_by_number(session, _text(into, "请填写要合并到的工单编号。"))
            if target is None:
                raise ActionError(f"工单 {into} 不存在。")
            if target.id == ticket.id or not is_open(target.status):
                raise ActionError("只能合并到另一张未办结、未合并的工单。")
            merge(session, ticket, into=target, actor=actor, note=_text(note, "请填写合并原因。"))
        elif action is Action.REPLY:
            text = _text(note, "请填写答复内容。")
            change_status(session, ticket, ACTION_TARGETS[action], actor=actor, note=text)
        else:
            change_status(session, ticket, ACTION_TARGETS[action], actor=actor, note=note)
    except NoteRequiredError:
        raise ActionError("此操作需要填写原因或说明。") from None
    except IllegalTransitionError:
        raise ActionError("工单当前状态不允许此操作，请刷新页面后重试。") from None
    session.flush()


def notes(session: Session, ticket: Ticket) -> list[TicketNote]:
    """The progress notes of `ticket`, oldest first."""
    return list(
        session.scalars(
            select(TicketNote)
            .where(TicketNote.ticket_id == ticket.id)
            .order_by(TicketNote.created_at, TicketNote.id)
        )
    )
