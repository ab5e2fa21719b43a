"""Looking a ticket up by its number (query_ticket): a conversation sees its own tickets in
full; any other must prove it knows the ticket (its 查询码, or the last four digits of its
phone) and then sees only the status and the deadline; reports are never shown to another
conversation, and failed look-ups are limited."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from jiesu.appeals.progress import status_reply
from jiesu.appeals.wording import filed_message
from jiesu.config import get_settings
from jiesu.db import session_scope
from jiesu.tickets import AppealType, Status, Ticket, change_status, create_ticket, staff_actor
from jiesu.tickets.attachments import store_attachment
from jiesu.tickets.lookup import (
    CONVERSATION_FAILURES,
    QUERY_CODE_ALPHABET,
    QUERY_CODE_LENGTH,
    TICKET_FAILURES,
)
from jiesu.vocabulary import wording

T0 = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)
OWNER = "telegram:4242"
STRANGER = "web:stranger"
PHONE = "13812345678"
NOTE = "已安排维修班组，预计周二前修复"


def _file(
    database_url: str, appeal_type: AppealType = AppealType.COMPLAIN, message_id: str = "m1"
) -> tuple[str, str]:
    """A dispatched ticket of OWNER with a note for the resident: its number and 查询码."""
    with session_scope(database_url) as session:
        ticket, _ = create_ticket(
            session,
            channel="telegram",
            source_message_id=message_id,
            sender_id=OWNER,
            appeal_type=appeal_type,
            description="建设路18号的路灯坏了",
            address="建设路18号",
            phone=PHONE,
            department="urban-management",
            reply_due_at=T0 + timedelta(days=7),
            actor="resident:" + OWNER,
            now=T0,
        )
        change_status(session, ticket, Status.DISPATCHED, actor=staff_actor("d"), now=T0)
        change_status(
            session, ticket, Status.IN_PROGRESS, actor=staff_actor("h"), note=NOTE, now=T0
        )
        assert ticket.query_code is not None
        return ticket.number, ticket.query_code


def _ask(database_url: str, sender_id: str, number: str, message: str, now: datetime = T0) -> str:
    with session_scope(database_url) as session:
        return status_reply(session, sender_id, number, message, now=now)


def _reveals_nothing(reply: str) -> None:
    for secret in (NOTE, "城市管理", "投诉", "正在办理", "答复期限", "建设路", "5678"):
        assert secret not in reply, (secret, reply)


def test_tickets_get_a_query_code_told_in_the_filing_message(database_url: str) -> None:
    number, code = _file(database_url)
    assert len(code) == QUERY_CODE_LENGTH and set(code) <= set(QUERY_CODE_ALPHABET)
    with session_scope(database_url) as session:
        ticket = session.query(Ticket).filter_by(number=number).one()
        assert code in filed_message(ticket)
        other, _ = create_ticket(
            session,
            channel="web",
            source_message_id="m2",
            sender_id=OWNER,
            appeal_type=AppealType.REPORT,
            description="有人倒垃圾",
            actor="resident:x",
        )
        assert other.query_code is not None and other.query_code != code
        # a report's code would never be accepted, so it is not told either
        assert other.query_code not in filed_message(other)
        assert "本对话" in filed_message(other)


def test_the_own_conversation_sees_everything(database_url: str) -> None:
    number, _ = _file(database_url)
    reply = _ask(database_url, OWNER, number, f"查一下{number}")
    assert NOTE in reply and "答复期限" in reply and "投诉" in reply


def test_another_conversation_is_asked_to_prove_it_knows_the_ticket(database_url: str) -> None:
    number, _ = _file(database_url)
    reply = _ask(database_url, STRANGER, number, f"查一下{number}")
    _reveals_nothing(reply)
    assert "查询码" in reply and "后四位" in reply
    # an unknown number gets the same answer: numbers do not tell which tickets exist
    assert _ask(database_url, STRANGER, "20261128-0999", "查一下20261128-0999") == reply.replace(
        number, "20261128-0999"
    )


def test_the_query_code_or_the_phone_shows_status_and_deadline_only(database_url: str) -> None:
    number, code = _file(database_url)
    for message in (
        f"{number} 查询码 {code.lower()}",
        f"{number}查询码：{code}",
        f"工单{number}，手机尾号5678",
        f"{number} {PHONE}",
    ):
        reply = _ask(database_url, STRANGER, number, message)
        assert number in reply and "正在办理" in reply and "答复期限" in reply, message
        for secret in (NOTE, "城市管理", "投诉", PHONE, "建设路"):
            assert secret not in reply, (secret, message)


def test_a_wrong_proof_reveals_nothing(database_url: str) -> None:
    number, code = _file(database_url)
    wrong_code = "".join(
        QUERY_CODE_ALPHABET[(QUERY_CODE_ALPHABET.index(c) + 1) % len(QUERY_CODE_ALPHABET)]
        for c in code
    )
    for message in (f"{number} {wrong_code}", f"{number} 尾号1234", f"{number} 13900001111"):
        reply = _ask(database_url, STRANGER, number, message)
        _reveals_nothing(reply)
        assert reply == wording("status", "not_verified", number=number)


def test_a_report_is_never_shown_to_another_conversation(database_url: str) -> None:
    number, code = _file(database_url, AppealType.REPORT)
    for message in (f"{number} {code}", f"{number} 5678"):
        reply = _ask(database_url, STRANGER, number, message)
        _reveals_nothing(reply)
        assert reply == wording("status", "not_verified", number=number)
    assert NOTE in _ask(database_url, OWNER, number, number)


def test_failed_look_ups_are_limited_per_conversation(database_url: str) -> None:
    number, code = _file(database_url)
    for guess in range(CONVERSATION_FAILURES):
        _ask(database_url, STRANGER, number, f"{number} {guess:04d}")
    blocked = _ask(database_url, STRANGER, number, f"{number} {code}")
    _reveals_nothing(blocked)
    assert blocked == wording("status", "too_many")
    # another conversation may still try, and the owner is never limited
    assert "正在办理" in _ask(database_url, "web:someone", number, f"{number} {code}")
    assert NOTE in _ask(database_url, OWNER, number, number)
    # the limit lifts after an hour
    later = T0 + timedelta(hours=1, minutes=1)
    assert "正在办理" in _ask(database_url, STRANGER, number, f"{number} {code}", now=later)


def test_failed_look_ups_are_limited_per_ticket(database_url: str) -> None:
    """Many conversations guessing the last four digits of one ticket's phone lock it."""
    number, code = _file(database_url)
    for guess in range(TICKET_FAILURES):
        _ask(database_url, f"web:guesser-{guess}", number, f"{number} {guess:04d}")
    locked = _ask(database_url, "web:fresh", number, f"{number} {code}")
    _reveals_nothing(locked)
    assert NOTE in _ask(database_url, OWNER, number, number)
    later = T0 + timedelta(days=1, minutes=1)
    assert "正在办理" in _ask(database_url, "web:fresh", number, f"{number} {code}", now=later)


def test_another_conversations_message_id_files_its_own_ticket(database_url: str) -> None:
    """Filing is idempotent per message of one conversation: a web chat message id (chosen
    by the browser) that another conversation used does not return that one's ticket."""
    number, code = _file(database_url)
    with session_scope(database_url) as session:
        other, created = create_ticket(
            session,
            channel="telegram",
            source_message_id="m1",
            sender_id=STRANGER,
            appeal_type=AppealType.COMPLAIN,
            description="我的诉求",
            actor="resident:x",
        )
        assert created and (other.number, other.query_code) != (number, code)
        again, created = create_ticket(
            session,
            channel="telegram",
            source_message_id="m1",
            sender_id=STRANGER,
            appeal_type=AppealType.COMPLAIN,
            description="我的诉求",
            actor="resident:x",
        )
        assert not created and again.id == other.id


def test_another_conversations_message_id_keeps_its_own_photo(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JIESU_ATTACHMENTS_DIR", str(tmp_path / "attachments"))
    get_settings.cache_clear()
    try:
        with session_scope(database_url) as session:
            photos = [
                store_attachment(
                    session,
                    channel="web",
                    source_message_id="p1",
                    sender_id=sender,
                    data=b"\xff\xd8" + sender.encode(),
                    suffix=".jpg",
                    content_type="image/jpeg",
                )
                for sender in (OWNER, STRANGER, STRANGER)
            ]
            assert photos[0].id != photos[1].id == photos[2].id
            assert photos[1].sender_id == STRANGER
    finally:
        get_settings.cache_clear()
