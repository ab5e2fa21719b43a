"""Human handoff through the gateway against the real Rasa and action servers.

The resident asks for a person; Rasa pauses; what they write next is kept in the
tracker for staff without the assistant answering; staff replies reach the outbox
and the transcript; handing back lets the assistant answer again.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from bot.gateway import Gateway, Incoming
from bot.rasa_client import RasaClient
from jiesu.conversations import ConversationId
from jiesu.db import session_scope
from jiesu.handoff import service
from jiesu.handoff.desk import HandoffDesk
from jiesu.handoff.models import HandoffReason, HandoffStatus
from jiesu.handoff.transcript import RESIDENT, STAFF, SYSTEM, transcript
from jiesu.outbox import OutboxMessage
from tests.resident import text_of
from tests.servers import RasaStack

pytestmark = pytest.mark.servers


@pytest.fixture
async def rasa(rasa_stack: RasaStack) -> AsyncIterator[RasaClient]:
    client = RasaClient(rasa_stack.rasa_url, 30.0, rasa_stack.token)
    yield client
    await client.aclose()


class WebResident:
    """A resident on the web channel, talking through the gateway."""

    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway
        self.chat_id = uuid.uuid4().hex
        self.sender_id = ConversationId.build("web", self.chat_id)

    async def says(self, text: str) -> str:
        replies = await self.gateway.handle(
            Incoming(channel="web", chat_id=self.chat_id, message_id=uuid.uuid4().hex, text=text)
        )
        return text_of(replies)


def _outbox(stack: RasaStack, chat_id: str) -> list[str]:
    with session_scope(stack.database_url) as session:
        rows = session.scalars(
            select(OutboxMessage).where(OutboxMessage.chat_id == chat_id).order_by(OutboxMessage.id)
        )
        return [row.text for row in rows]


async def test_asking_for_a_person_pauses_the_assistant_until_staff_hand_back(
    rasa_stack: RasaStack, rasa: RasaClient
) -> None:
    gateway = Gateway(rasa, rasa_stack.database_url, max_chars=4000)
    desk = HandoffDesk(rasa, rasa_stack.database_url)
    resident = WebResident(gateway)

    assert "分钟内回复" in await resident.says("我要转人工")
    with session_scope(rasa_stack.database_url) as session:
        handoff = service.current(session, resident.sender_id)
        assert handoff is not None and handoff.reason == HandoffReason.REQUESTED
        handoff_id = handoff.id
    assert rasa_stack.tracker(resident.sender_id)["paused"]

    assert "工作人员都能看到" in await resident.says("小区门口的垃圾三天没人收了")
    assert await resident.says("你好？") == ""  # acknowledged once, not on every message
    await desk.reply(handoff_id, "alice", "您好，请问是哪个小区？")
    assert await resident.says("幸福里小区") == ""

    lines = transcript(await rasa.events(resident.sender_id))
    said = [(line.speaker, line.text) for line in lines if line.speaker in (RESIDENT, STAFF)]
    assert said[-4:] == [
        (RESIDENT, "小区门口的垃圾三天没人收了"),
        (RESIDENT, "你好？"),
        (STAFF, "您好，请问是哪个小区？"),
        (RESIDENT, "幸福里小区"),
    ]
    assert _outbox(rasa_stack, resident.chat_id) == ["您好，请问是哪个小区？"]

    await desk.hand_back(handoff_id, "alice")
    assert "智能助手继续为您服务" in _outbox(rasa_stack, resident.chat_id)[-1]
    assert not rasa_stack.tracker(resident.sender_id)["paused"]
    assert "不是真人" in await resident.says("你是机器人吗")
    with session_scope(rasa_stack.database_url) as session:
        closed = service.get(session, handoff_id)
        assert closed.status == HandoffStatus.CLOSED and closed.closed_by == "alice"
        assert closed.first_response_at is not None


async def test_staff_can_take_over_a_live_conversation(
    rasa_stack: RasaStack, rasa: RasaClient
) -> None:
    gateway = Gateway(rasa, rasa_stack.database_url, max_chars=4000)
    desk = HandoffDesk(rasa, rasa_stack.database_url)
    resident = WebResident(gateway)
    assert await resident.says("你好")

    handoff_id = await desk.take_over(resident.sender_id, "bob")
    assert await desk.take_over(resident.sender_id, "carol") == handoff_id
    assert "工作人员已加入对话" in _outbox(rasa_stack, resident.chat_id)[-1]
    assert await resident.says("你是机器人吗") == ""  # a person has it now; no bot answer
    with session_scope(rasa_stack.database_url) as session:
        handoff = service.get(session, handoff_id)
        assert handoff.claimed_by == "bob" and handoff.reason == HandoffReason.TAKEN_OVER


async def test_when_the_fallback_gives_up_the_conversation_goes_to_a_person(
    rasa_stack: RasaStack, rasa: RasaClient
) -> None:
    gateway = Gateway(rasa, rasa_stack.database_url, max_chars=4000)
    resident = WebResident(gateway)
    await resident.says("/nlu_fallback")
    await resident.says("/out_of_scope")
    await resident.says("/nlu_fallback")
    assert "已为您转接人工服务" in await resident.says("/out_of_scope")
    with session_scope(rasa_stack.database_url) as session:
        handoff = service.current(session, resident.sender_id)
        assert handoff is not None and handoff.reason == HandoffReason.FALLBACK


async def test_a_resident_ending_the_chat_closes_the_handoff_and_rasa_keeps_the_note(
    rasa_stack: RasaStack, rasa: RasaClient
) -> None:
    gateway = Gateway(rasa, rasa_stack.database_url, max_chars=4000)
    desk = HandoffDesk(rasa, rasa_stack.database_url)
    resident = WebResident(gateway)
    assert "分钟内回复" in await resident.says("我要转人工")
    await desk.resident_ended(resident.sender_id)
    lines = transcript(await rasa.events(resident.sender_id))
    assert (lines[-1].speaker, lines[-1].text) == (SYSTEM, "居民已结束对话")
    with session_scope(rasa_stack.database_url) as session:
        assert service.current(session, resident.sender_id) is None
