"""`jiesu residents forget` after a real conversation: the ticket keeps its statistics,
and neither the app database nor Rasa's transcript keeps what the resident said."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from bot.gateway import Gateway, Incoming
from bot.rasa_client import RasaClient
from jiesu.cli import app
from jiesu.config import get_settings
from jiesu.conversations import ConversationId
from jiesu.db import session_scope
from jiesu.inbox import InboundMessage
from jiesu.privacy import FORGOTTEN
from jiesu.tickets.models import Ticket
from tests.servers import RasaStack

pytestmark = pytest.mark.servers

PHONE = "13812345678"
WORDS = "建设路18号的路灯坏了好几天了，晚上特别黑"


@pytest.fixture
async def gateway(rasa_stack: RasaStack) -> AsyncIterator[Gateway]:
    rasa = RasaClient(rasa_stack.rasa_url, 30.0)
    yield Gateway(rasa, rasa_stack.database_url, max_chars=4000)
    await rasa.aclose()


async def test_forget_leaves_no_words_in_the_database_or_the_transcript(
    gateway: Gateway, rasa_stack: RasaStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    chat_id = uuid.uuid4().hex
    sender_id = ConversationId.build("test", chat_id)
    for text in (WORDS, PHONE, "确认提交"):
        await gateway.handle(Incoming("test", chat_id, uuid.uuid4().hex, text))
    with session_scope(rasa_stack.database_url) as session:
        ticket = session.scalars(select(Ticket).where(Ticket.sender_id == sender_id)).one()
        ticket_id, number = ticket.id, ticket.number
        grid, department = ticket.grid, ticket.department
    assert PHONE in json.dumps(rasa_stack.tracker(sender_id), ensure_ascii=False)

    monkeypatch.setenv("JIESU_DATABASE_URL", rasa_stack.database_url)
    monkeypatch.setenv("JIESU_TRACKER_STORE_URL", f"sqlite:///{rasa_stack.tracker_db}")
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["residents", "forget", sender_id])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "对话记录 1 段" in result.output

    tracker = rasa_stack.tracker(sender_id)
    assert isinstance(tracker["events"], list)
    assert not [event for event in tracker["events"] if event["event"] == "user"]
    dumped = json.dumps(tracker, ensure_ascii=False)
    assert PHONE not in dumped and "路灯" not in dumped
    with session_scope(rasa_stack.database_url) as session:
        ticket = session.get_one(Ticket, ticket_id)
        assert (ticket.number, ticket.grid, ticket.department) == (number, grid, department)
        assert (ticket.description, ticket.phone, ticket.address) == (FORGOTTEN, None, None)
        assert ticket.sender_id.startswith("forgotten:")  # the chat is no longer named
        texts = session.scalars(
            select(InboundMessage.text).where(
                InboundMessage.chat_id == ConversationId.parse(ticket.sender_id).chat_id
            )
        ).all()
        assert texts == [FORGOTTEN] * 3
        assert not session.scalars(
            select(InboundMessage).where(InboundMessage.chat_id == chat_id)
        ).all()

    replies = await gateway.handle(Incoming("test", chat_id, uuid.uuid4().hex, "你好"))
    assert "个人信息告知" in replies[0]["text"]  # the conversation starts afresh
