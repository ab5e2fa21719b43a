"""The action server killed in the middle of an appeal: a polite reply, the form kept,
and once it is back, the appeal filed exactly once."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from bot.gateway import Gateway, Incoming
from bot.rasa_client import RasaClient
from jiesu.conversations import ConversationId
from jiesu.db import session_scope
from jiesu.inbox import InboundMessage, InboundStatus
from jiesu.outbox import OutboxMessage
from jiesu.tickets import Ticket
from jiesu.vocabulary import gateway_text
from tests.faults.conftest import FaultStack

pytestmark = pytest.mark.servers


@pytest.fixture
async def gateway(fault_stack: FaultStack) -> AsyncIterator[Gateway]:
    rasa = RasaClient(fault_stack.rasa.rasa_url, 30.0)
    yield Gateway(rasa, fault_stack.rasa.database_url, max_chars=4000)
    await rasa.aclose()


async def test_confirming_while_the_action_server_is_down_files_once_when_it_is_back(
    fault_stack: FaultStack, gateway: Gateway
) -> None:
    chat_id = uuid.uuid4().hex
    database_url = fault_stack.rasa.database_url

    async def says(text: str) -> str:
        incoming = Incoming("web", chat_id, uuid.uuid4().hex, text)
        return "\n".join(reply.get("text", "") for reply in await gateway.handle(incoming))

    def tickets() -> list[Ticket]:
        with session_scope(database_url) as session:
            return list(
                session.scalars(
                    select(Ticket).where(Ticket.sender_id == ConversationId.build("web", chat_id))
                )
            )

    assert "电话" in await says("建设路18号的路灯坏了好几天了，晚上特别黑")
    assert "建设路18号" in await says("13812345678")

    fault_stack.actions.kill()
    try:
        assert await says("确认提交") == gateway_text("busy")
        tracker = fault_stack.rasa.tracker(ConversationId.build("web", chat_id))
    finally:
        fault_stack.actions.start()
    assert tickets() == []
    slots, active_loop = tracker["slots"], tracker["active_loop"]
    assert isinstance(slots, dict) and isinstance(active_loop, dict)
    assert active_loop.get("name") == "appeal_form"
    assert slots["requested_slot"] == "appeal_confirmed" and slots["appeal_phone"]

    # The resident writes again: the kept confirmation is answered first (through the
    # outbox), then the new message.
    await says("确认提交")
    [ticket] = tickets()
    with session_scope(database_url) as session:
        notices = session.scalars(
            select(OutboxMessage.text).where(OutboxMessage.chat_id == chat_id)
        ).all()
        statuses = session.scalars(
            select(InboundMessage.status).where(InboundMessage.chat_id == chat_id)
        ).all()
    assert any(ticket.number in notice for notice in notices)
    assert set(statuses) == {InboundStatus.ANSWERED}
