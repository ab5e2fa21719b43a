"""The follow-up (回访) over the real Rasa REST webhook: the survey the scheduler sends, its
buttons pressed, a reason typed and the ticket reopened; typed answers that close it."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from jiesu.conversations import ConversationId
from jiesu.db import session_scope
from jiesu.models import utcnow
from jiesu.outbox import OutboxMessage
from jiesu.scheduler import sweep
from jiesu.tickets import (
    SYSTEM_ACTOR,
    AppealType,
    Status,
    Ticket,
    change_status,
    create_ticket,
    get_by_number,
    history,
    staff_actor,
)
from jiesu.vocabulary import wording
from tests.resident import Resident, payloads_of, text_of

pytestmark = pytest.mark.servers
REASON = "灯泡换了第二天又不亮了，晚上楼道还是一片漆黑"


def _answered_ticket(resident: Resident) -> tuple[str, dict[str, str]]:
    """A ticket of this resident, answered by its department, and the survey the scheduler
    sent: the ticket number and the survey's buttons by title."""
    now = utcnow()
    handler = staff_actor("handler")
    with session_scope(resident.stack.database_url) as session:
        ticket, _ = create_ticket(
            session,
            channel="test",
            source_message_id=uuid.uuid4().hex,
            sender_id=resident.sender_id,
            appeal_type=AppealType.COMPLAIN,
            description="幸福里小区3号楼楼道灯坏了",
            department="housing",
            reply_due_at=now + timedelta(days=7),
            actor=SYSTEM_ACTOR,
            now=now,
        )
        change_status(session, ticket, Status.DISPATCHED, actor=SYSTEM_ACTOR)
        change_status(session, ticket, Status.IN_PROGRESS, actor=handler)
        change_status(session, ticket, Status.REPLIED, actor=handler, note="物业已更换灯泡")
        sweep(session, utcnow())
        [survey] = session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.chat_id == ConversationId.parse(resident.sender_id).chat_id
            )
        )
        assert survey.text == wording("followup", "ask_solved_first", number=ticket.number)
        buttons = {button["title"]: button["payload"] for button in survey.buttons or []}
        return ticket.number, buttons


def _ticket(resident: Resident, number: str) -> tuple[Ticket, list[str | None]]:
    with session_scope(resident.stack.database_url) as session:
        ticket = get_by_number(session, number)
        assert ticket is not None
        return ticket, [e.note for e in history(session, ticket)]


def test_survey_buttons_and_a_reason_reopen_the_ticket(resident: Resident) -> None:
    number, buttons = _answered_ticket(resident)
    assert list(buttons) == ["已解决", "未解决"]
    asked = resident.says(buttons["未解决"])
    assert wording("followup", "ask_satisfaction", number=number) in text_of(asked)
    satisfaction = dict(zip(["满意", "基本满意", "不满意"], payloads_of(asked), strict=True))
    assert text_of(resident.says(satisfaction["不满意"])) == wording("followup", "ask_reason")

    told = text_of(resident.says(REASON))
    assert f"工单 {number} 已转回" in told and "再次答复您" in told
    ticket, notes = _ticket(resident, number)
    assert ticket.status is Status.DISPATCHED and ticket.department == "housing"
    assert f"居民回访：未解决，不满意。原因：{REASON}" in notes
    assert resident.slot("followup_reason") is None

    again = text_of(resident.says(satisfaction["满意"]))  # an old button: nothing changes
    assert again == wording("followup", "already_done", number=number)


def test_typed_answers_close_the_ticket(resident: Resident) -> None:
    number, _ = _answered_ticket(resident)
    asked = resident.says("已经解决了")
    assert wording("followup", "ask_satisfaction", number=number) in text_of(asked)
    closed = resident.says("很满意")
    assert text_of(closed) == wording("followup", "closed", number=number)
    ticket, notes = _ticket(resident, number)
    assert ticket.status is Status.CLOSED
    assert notes[-1] == "居民回访：已解决，满意。"
