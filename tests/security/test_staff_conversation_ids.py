"""Staff pages never show a resident's whole conversation id (it is the bearer secret of
the web chat): the handoff inbox, its take-over form and the ticket pages show a short
masked form, and the take-over form carries an opaque reference instead."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
from starlette.testclient import TestClient

from jiesu.conversations import ConversationId
from jiesu.db import session_scope
from jiesu.handoff import service
from jiesu.handoff.models import HandoffReason
from jiesu.inbox import InboundMessage, InboundStatus
from jiesu.models import utcnow
from jiesu.staff.roles import Role
from jiesu.tickets import AppealType, create_ticket
from jiesu.tickets.workflow import resident_actor
from tests.security.console import csrf_token, log_in, web_app


@pytest.fixture
def console(database_url: str) -> Iterator[TestClient]:
    with web_app(database_url) as client:
        log_in(client, database_url, Role.DISPATCHER)
        yield client


def _said(database_url: str, chat_id: str, text: str, minutes_ago: float = 0) -> None:
    with session_scope(database_url) as session:
        session.add(
            InboundMessage(
                channel="web",
                external_id=uuid.uuid4().hex,
                chat_id=chat_id,
                text=text,
                status=InboundStatus.ANSWERED,
                received_at=utcnow() - timedelta(minutes=minutes_ago),
            )
        )


def test_the_inbox_and_the_take_over_form_show_no_whole_id(
    console: TestClient, database_url: str
) -> None:
    live, waiting = uuid.uuid4().hex, uuid.uuid4().hex
    _said(database_url, live, "请问公租房怎么申请")
    with session_scope(database_url) as session:
        handoff, _ = service.open_handoff(
            session, ConversationId.build("web", waiting), HandoffReason.REQUESTED, now=utcnow()
        )
        handoff_id = handoff.id
    for path in (
        "/handoffs",
        "/handoffs?part=lists",
        f"/handoffs/{handoff_id}",
        "/exports/handoffs.csv",
    ):
        page = console.get(path)
        assert page.status_code == 200, path
        assert live not in page.text and waiting not in page.text, path
    inbox = console.get("/handoffs").text
    assert f"…{live[-4:]}" in inbox and f"…{waiting[-4:]}" in inbox


def test_take_over_takes_a_reference_not_a_conversation_id(
    console: TestClient, database_url: str
) -> None:
    live, old = uuid.uuid4().hex, uuid.uuid4().hex
    _said(database_url, live, "请问公租房怎么申请")
    _said(database_url, old, "三个小时前的话", minutes_ago=180)
    token = csrf_token(console.get("/handoffs").text)

    def take_over(**fields: str) -> int:
        return console.post("/handoffs/take-over", data={"csrf_token": token, **fields}).status_code

    assert take_over(sender_id=ConversationId.build("web", live)) == 404  # a whole id is not taken
    with session_scope(database_url) as session:
        old_ref = session.query(InboundMessage.id).filter_by(chat_id=old).scalar()
    assert take_over(ref=str(old_ref)) == 404  # not a live conversation
    assert take_over(ref="not-a-number") == 404
    # The list's own reference reaches the desk, which needs the assistant (down here).
    lists = console.get("/handoffs?part=lists").text
    assert 'name="ref"' in lists and 'name="sender_id"' not in lists
    with session_scope(database_url) as session:
        ref = session.query(InboundMessage.id).filter_by(chat_id=live).scalar()
    assert f'value="{ref}"' in lists
    assert take_over(ref=str(ref)) == 503


def test_ticket_pages_show_the_filing_resident_masked(
    console: TestClient, database_url: str
) -> None:
    chat = uuid.uuid4().hex
    with session_scope(database_url) as session:
        ticket, _ = create_ticket(
            session,
            channel="web",
            source_message_id=uuid.uuid4().hex,
            sender_id=ConversationId.build("web", chat),
            appeal_type=AppealType.COMPLAIN,
            description="路灯坏了",
            address="建设路18号",
            phone="13812345678",
            actor=resident_actor(ConversationId.build("web", chat)),
        )
        number = ticket.number
    for path in (f"/tickets/{number}", "/tickets", "/exports/tickets.csv"):
        page = console.get(path)
        assert page.status_code == 200, path
        assert chat not in page.text, path
    assert f"…{chat[-4:]}" in console.get(f"/tickets/{number}").text
