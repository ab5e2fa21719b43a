"""Re-dispatch, co-handling departments, category changes with routing feedback, and the
notices residents get, through the staff actions and the ticket core."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from jiesu.conversations import ConversationId
from jiesu.db import session_scope
from jiesu.outbox import OutboxMessage
from jiesu.staff.permissions import Action, allowed_actions, can_view, may_act
from jiesu.staff.queries import visible_ticket, visible_tickets
from jiesu.staff.roles import Role
from jiesu.staff.work import ActionError, perform
from jiesu.tickets import Status, Ticket, change_status
from jiesu.tickets.assignment import (
    AssignmentError,
    add_co_handler,
    change_category,
    changes,
    filed_route,
    redispatch,
    routing_feedback,
)
from jiesu.tickets.models import ChangeKind
from jiesu.tickets.service import notes
from tests.factories import file_ticket, staff

LATER = datetime.now(UTC) + timedelta(days=3)


@pytest.fixture
def session(database_url: str) -> Iterator[Session]:
    with session_scope(database_url) as session:
        yield session


def _ticket(session: Session, **fields: Any) -> Ticket:
    """A classified Telegram complaint with the hotline, due LATER (`fields` override)."""
    values: dict[str, Any] = {
        "category": "城乡建设",
        "subcategory": "物业管理",
        "department": "hotline",
        "reply_due_at": LATER,
        **fields,
    }
    return file_ticket(session, "楼道灯坏了", channel="telegram", **values)


def _sent(session: Session, ticket: Ticket) -> list[str]:
    chat_id = ConversationId.parse(ticket.sender_id).chat_id
    query = select(OutboxMessage).where(OutboxMessage.chat_id == chat_id).order_by(OutboxMessage.id)
    return [message.text for message in session.scalars(query)]


def test_dispatch_and_redispatch_record_the_department_and_tell_the_resident(
    session: Session,
) -> None:
    ticket = _ticket(session)
    dispatcher = staff(session, Role.DISPATCHER, name="d")
    perform(session, dispatcher, ticket, Action.DISPATCH, department="housing")
    with pytest.raises(ActionError, match="原因"):
        perform(session, dispatcher, ticket, Action.REDISPATCH, department="ecology")
    with pytest.raises(ActionError, match="其他承办单位"):
        perform(session, dispatcher, ticket, Action.REDISPATCH, department="housing", note="错")
    perform(
        session,
        dispatcher,
        ticket,
        Action.REDISPATCH,
        department="ecology",
        note="属于生态环境职责",
    )
    assert (ticket.status, ticket.department) == (Status.DISPATCHED, "ecology")
    moves = [(c.kind, c.old_value, c.new_value, c.actor, c.note) for c in changes(session, ticket)]
    assert moves == [
        (ChangeKind.DEPARTMENT, "hotline", "housing", "staff:d", None),
        (ChangeKind.DEPARTMENT, "housing", "ecology", "staff:d", "属于生态环境职责"),
    ]
    first, second = _sent(session, ticket)
    assert first.startswith(f"工单 {ticket.number}：") and "示例市住房和城乡建设局" in first
    assert "将于" in first and "改由示例市生态环境局办理" in second


def test_only_dispatched_or_reopened_tickets_can_be_redispatched(session: Session) -> None:
    ticket = _ticket(session, department="housing")
    with pytest.raises(AssignmentError, match="改派"):
        redispatch(session, ticket, "ecology", actor="staff:d", reason="错派")
    for status in (Status.DISPATCHED, Status.IN_PROGRESS, Status.REPLIED, Status.REOPENED):
        change_status(session, ticket, status, actor="system", note="重办")
    redispatch(session, ticket, "ecology", actor="staff:d", reason="错派")
    assert (ticket.status, ticket.department) == (Status.REOPENED, "ecology")


def test_a_co_handling_department_sees_the_ticket_and_adds_notes_only(session: Session) -> None:
    ticket = _ticket(session, department="housing")
    other = _ticket(session, department="housing")
    dispatcher = staff(session, Role.DISPATCHER, name="d")
    lead = staff(session, Role.HANDLER, name="lead", department="housing")
    helper = staff(session, Role.HANDLER, name="help", department="urban-management")
    stranger = staff(session, Role.HANDLER, name="far", department="ecology")
    with pytest.raises(ActionError, match="无权"):
        perform(session, lead, ticket, Action.CO_HANDLE, department="urban-management")
    perform(session, dispatcher, ticket, Action.DISPATCH, department="housing")
    perform(session, lead, ticket, Action.CO_HANDLE, department="urban-management")
    with pytest.raises(AssignmentError, match="已是协办单位"):
        add_co_handler(session, ticket, "urban-management", actor="staff:d")
    with pytest.raises(AssignmentError, match="主办单位"):
        add_co_handler(session, ticket, "housing", actor="staff:d")
    assert ticket.co_departments == ["urban-management"]
    assert can_view(helper, ticket) and not can_view(stranger, ticket)
    assert visible_tickets(session, helper) == [ticket]
    assert visible_ticket(session, helper, other.number) is None
    assert allowed_actions(helper, ticket) == [Action.NOTE]
    perform(session, lead, ticket, Action.ACCEPT)
    assert not may_act(helper, ticket, Action.REPLY)
    perform(session, helper, ticket, Action.NOTE, note="已安排城管队员到场")
    assert [n.actor for n in notes(session, ticket)] == ["staff:help"]
    kinds = [(c.kind, c.new_value, c.actor) for c in changes(session, ticket)]
    assert (ChangeKind.CO_HANDLER_ADDED, "urban-management", "staff:lead") in kinds


def test_a_co_handler_made_lead_stops_co_handling(session: Session) -> None:
    ticket = _ticket(session, department="housing")
    change_status(session, ticket, Status.DISPATCHED, actor="system")
    add_co_handler(session, ticket, "ecology", actor="staff:d")
    redispatch(session, ticket, "ecology", actor="staff:d", reason="生态局主办")
    assert (ticket.department, ticket.co_departments) == ("ecology", [])
    assert ChangeKind.CO_HANDLER_REMOVED in [c.kind for c in changes(session, ticket)]


def test_a_category_change_stores_routing_feedback_with_the_routers_choice(
    session: Session,
) -> None:
    ticket = _ticket(session)
    dispatcher = staff(session, Role.DISPATCHER, name="d")
    perform(session, dispatcher, ticket, Action.DISPATCH, department="housing")
    with pytest.raises(ActionError, match="没有名为"):
        perform(session, dispatcher, ticket, Action.RECATEGORIZE, category="不存在")
    with pytest.raises(ActionError, match="下没有"):
        perform(session, dispatcher, ticket, Action.RECATEGORIZE, category="环境保护/物业管理")
    perform(session, dispatcher, ticket, Action.RECATEGORIZE, category="环境保护/噪声污染")
    perform(session, dispatcher, ticket, Action.RECATEGORIZE, category="环境保护")
    assert (ticket.category, ticket.subcategory) == ("环境保护", None)
    assert ticket.department == "housing"  # re-dispatching is a decision of its own
    assert filed_route(session, ticket) == ("城乡建设", "物业管理", "hotline")
    rows = [
        (
            f.text,
            f.routed_category,
            f.routed_subcategory,
            f.routed_department,
            f.category,
            f.subcategory,
            f.actor,
        )
        for f in routing_feedback(session)
    ]
    assert rows == [
        (ticket.description, "城乡建设", "物业管理", "hotline", "环境保护", "噪声污染", "staff:d"),
        (ticket.description, "城乡建设", "物业管理", "hotline", "环境保护", None, "staff:d"),
    ]
    assert routing_feedback(session, since=LATER) == []
    audit = [
        (c.old_value, c.new_value)
        for c in changes(session, ticket)
        if c.kind is ChangeKind.CATEGORY
    ]
    assert audit == [("城乡建设/物业管理", "环境保护/噪声污染"), ("环境保护/噪声污染", "环境保护")]
    with pytest.raises(AssignmentError, match="没有变化"):
        change_category(session, ticket, "环境保护", None, actor="staff:d")
    assert len(_sent(session, ticket)) == 1  # the dispatch notice; none for the category


def test_notes_answers_and_merges_reach_the_resident_only_when_meant_to(
    session: Session,
) -> None:
    ticket = _ticket(session, department="housing")
    lead_ticket = _ticket(session, department="housing")
    dispatcher = staff(session, Role.DISPATCHER, name="d")
    handler = staff(session, Role.HANDLER, name="h", department="housing")
    change_status(session, ticket, Status.DISPATCHED, actor="system")
    perform(session, handler, ticket, Action.ACCEPT)
    perform(session, handler, ticket, Action.NOTE, note="内部：等物业回复")
    assert _sent(session, ticket) == []
    perform(session, handler, ticket, Action.NOTE, note="维修师傅明天上门", tell_resident=True)
    perform(session, handler, ticket, Action.REPLY, note="灯已修好，请您确认。")
    assert _sent(session, ticket) == [
        f"工单 {ticket.number} 有新进展：维修师傅明天上门",
        f"工单 {ticket.number} 已答复：\n灯已修好，请您确认。",
    ]
    assert [n.told_resident for n in notes(session, ticket)] == [False, True]
    duplicate = _ticket(session, department="housing")
    perform(session, dispatcher, duplicate, Action.MERGE, into=lead_ticket.number, note="重复")
    (merged,) = _sent(session, duplicate)
    assert merged.startswith(f"工单 {duplicate.number}：") and lead_ticket.number in merged


def test_a_ticket_without_a_conversation_gets_no_notice(session: Session) -> None:
    ticket = _ticket(session, sender_id="phone-call")
    dispatcher = staff(session, Role.DISPATCHER, name="d")
    perform(session, dispatcher, ticket, Action.DISPATCH, department="housing")
    assert session.scalars(select(OutboxMessage)).all() == []
