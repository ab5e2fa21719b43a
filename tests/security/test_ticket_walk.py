"""The abuse test: a fresh web chat conversation walking the day's ticket numbers, and
guessing the phone digits of one, learns nothing about any other resident's ticket
(bounded, against the web app on 127.0.0.1 only)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from jiesu.conversations import ConversationId
from jiesu.db import session_scope
from jiesu.labels import department_name
from jiesu.tickets import (
    AppealType,
    Status,
    StatusEvent,
    Ticket,
    change_status,
    create_ticket,
    staff_actor,
)
from jiesu.tickets.lookup import CONVERSATION_FAILURES
from jiesu.vocabulary import wording
from tests.resident import Resident, text_of
from tests.servers import RasaStack
from tests.web_resident import WebResident

pytestmark = pytest.mark.servers

WALKED = 8  # numbers walked, within the per-conversation message limit


def _file_others(database_url: str) -> list[str]:
    """Tickets of two other residents, one a report, both with a note for the resident."""
    numbers = []
    with session_scope(database_url) as session:
        for n, (appeal_type, sender) in enumerate(
            [(AppealType.COMPLAIN, "telegram:1001"), (AppealType.REPORT, "web:other-one")]
        ):
            ticket, _ = create_ticket(
                session,
                channel=ConversationId.parse(sender).channel,
                source_message_id=f"walk-{n}",
                sender_id=sender,
                appeal_type=appeal_type,
                description=f"别人的诉求内容{n}",
                address=f"幸福路{n}号",
                phone=f"1391234567{n}",
                department="urban-management",
                actor="resident:" + sender,
            )
            change_status(session, ticket, Status.DISPATCHED, actor=staff_actor("d"))
            change_status(
                session,
                ticket,
                Status.IN_PROGRESS,
                actor=staff_actor("h"),
                note=f"给居民的进展说明{n}",
            )
            numbers.append(ticket.number)
    return numbers


def _secrets(database_url: str, own: str) -> set[str]:
    """Everything a reply must not show about tickets of other conversations."""
    found = {wording("status", "labels", status.value) for status in Status}
    with session_scope(database_url) as session:
        for ticket in session.scalars(select(Ticket).where(Ticket.sender_id != own)):
            found |= {
                value
                for value in (ticket.description, ticket.address, ticket.phone, ticket.query_code)
                if value
            }
            found.add(department_name(ticket.department))
            found |= {
                note
                for note in session.scalars(
                    select(StatusEvent.note).where(StatusEvent.ticket_id == ticket.id)
                )
                if note
            }
    return found


def test_walking_ticket_numbers_yields_no_other_residents_data(
    rasa_stack: RasaStack, web_url: str
) -> None:
    assert web_url.startswith("http://127.0.0.1:")
    first, report = _file_others(rasa_stack.database_url)
    day, _, last = report.partition("-")
    resident = WebResident(web_url)  # a fresh conversation, kept by its cookie
    says = resident.says

    replies = {}
    for n in range(max(1, int(last) - WALKED + 1), int(last) + 1):
        number = f"{day}-{n:04d}"
        replies[number] = says(f"查一下{number}")
        assert replies[number] == wording("status", "verify", number=number)
    for guess in range(CONVERSATION_FAILURES):
        replies[f"guess {guess}"] = says(f"查一下{first}，手机尾号{guess:04d}")
        assert replies[f"guess {guess}"] == wording("status", "not_verified", number=first)
    replies["report"] = says(f"查一下{report}，手机尾号{report[-4:]}")
    assert replies["report"] == wording("status", "too_many")

    own = resident.chat_id(rasa_stack.database_url)
    secrets = _secrets(rasa_stack.database_url, ConversationId.build("web", own))
    leaks = {
        (key, secret) for key, reply in replies.items() for secret in secrets if secret in reply
    }
    assert not leaks


def test_the_query_code_told_at_filing_shows_the_status_in_another_conversation(
    rasa_stack: RasaStack,
) -> None:
    owner, other = Resident(rasa_stack, "web"), Resident(rasa_stack, "telegram")
    owner.says("建设路18号的路灯坏了好几天了，晚上特别黑")
    owner.says("13812345678")
    filed = text_of(owner.says("确认提交"))
    found = re.search(r"工单号 (\d{8}-\d{4}).*查询码 ([0-9A-Z]{6})", filed)
    assert found, filed
    number, code = found.groups()

    asked = text_of(other.says(f"查一下{number}"))
    assert asked == wording("status", "verify", number=number)
    shown = text_of(other.says(f"{number} 查询码 {code}"))
    assert shown.startswith(f"工单 {number}：") and "承办单位：" not in shown
    assert "路灯" not in shown and "13812345678" not in shown
    assert "承办单位：" in text_of(owner.says(f"查一下{number}"))  # its own: in full
