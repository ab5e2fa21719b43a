"""The gateway against the real Rasa server: dedupe, bad input, Rasa down."""

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
from tests.servers import RasaStack, free_port

pytestmark = pytest.mark.servers


@pytest.fixture
async def gateway(rasa_stack: RasaStack, database_url: str) -> AsyncIterator[Gateway]:
    rasa = RasaClient(rasa_stack.rasa_url, 30.0)
    yield Gateway(rasa, database_url, max_chars=4000)
    await rasa.aclose()


def _incoming(text: str, chat_id: str | None = None, message_id: str | None = None) -> Incoming:
    return Incoming(
        channel="test",
        chat_id=chat_id or uuid.uuid4().hex,
        message_id=message_id or uuid.uuid4().hex,
        text=text,
    )


def _user_turns(stack: RasaStack, sender_id: str) -> int:
    events = stack.tracker(sender_id)["events"]
    assert isinstance(events, list)
    return sum(1 for event in events if event["event"] == "user")


async def test_message_reaches_rasa_under_channel_and_chat_id(
    gateway: Gateway, rasa_stack: RasaStack
) -> None:
    message = _incoming("你好")
    replies = await gateway.handle(message)
    assert "个人信息告知" in replies[0]["text"]
    assert "recipient_id" not in replies[0]
    assert _user_turns(rasa_stack, ConversationId.build("test", message.chat_id)) == 1


async def test_a_redelivered_message_is_answered_once_from_the_record(
    gateway: Gateway, rasa_stack: RasaStack
) -> None:
    message = _incoming("你是机器人吗")
    first = await gateway.handle(message)
    again = await gateway.handle(message)
    assert again == first
    assert _user_turns(rasa_stack, message.sender_id) == 1


async def test_the_same_message_id_in_another_conversation_is_not_a_duplicate(
    gateway: Gateway, rasa_stack: RasaStack
) -> None:
    """Web chat message ids are chosen by the browser: another conversation's must not
    fetch its replies."""
    shared = uuid.uuid4().hex
    first = await gateway.handle(_incoming("你是机器人吗", message_id=shared))
    other = _incoming("你好", message_id=shared)
    second = await gateway.handle(other)
    assert second != first and "个人信息告知" in second[0]["text"]
    assert _user_turns(rasa_stack, other.sender_id) == 1
    assert not gateway.was_handled("test", uuid.uuid4().hex, shared)
    assert gateway.was_handled("test", other.chat_id, shared)


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
async def test_empty_message_gets_a_clear_reply_without_asking_rasa(
    gateway: Gateway, rasa_stack: RasaStack, text: str
) -> None:
    message = _incoming(text)
    [reply] = await gateway.handle(message)
    assert "空消息" in reply["text"]
    assert _user_turns(rasa_stack, message.sender_id) == 0


async def test_oversized_message_is_kept_and_the_resident_asked_to_split_it(
    gateway: Gateway, database_url: str
) -> None:
    message = _incoming("物业不作为" * 2000)
    [reply] = await gateway.handle(message)
    assert "10000 字" in reply["text"]
    with session_scope(database_url) as session:
        stored = session.scalars(select(InboundMessage)).one()
        assert stored.text == message.text


@pytest.mark.parametrize(
    "text",
    [
        "😡😡😡",
        "'; DROP TABLE inbound_messages; --",
        "{{7*7}}<script>alert(1)</script>",
        "\u202e\u0000控制字符\u0007",
        "路燈壞了 WiFi 也没有",
    ],
)
async def test_hostile_or_odd_text_gets_an_answer(gateway: Gateway, text: str) -> None:
    replies = await gateway.handle(_incoming(text))
    assert replies and all(reply.get("text") for reply in replies)


async def test_rasa_down_keeps_the_message_and_a_retry_is_answered_later(
    rasa_stack: RasaStack, database_url: str
) -> None:
    message = _incoming("你好")
    dead = RasaClient(f"http://127.0.0.1:{free_port()}", 2.0)
    [busy] = await Gateway(dead, database_url, 4000).handle(message)
    await dead.aclose()
    assert "繁忙" in busy["text"]
    with session_scope(database_url) as session:
        assert session.scalars(select(InboundMessage.status)).one() == InboundStatus.FAILED

    live = RasaClient(rasa_stack.rasa_url, 30.0)
    replies = await Gateway(live, database_url, 4000).handle(message)
    await live.aclose()
    assert "个人信息告知" in replies[0]["text"]
    with session_scope(database_url) as session:
        assert session.scalars(select(InboundMessage.status)).one() == InboundStatus.ANSWERED


async def test_hints_for_another_channel_are_dropped(gateway: Gateway) -> None:
    """The appeal form's share-location hint is for Telegram; the web gets only the question."""
    replies = await gateway.handle(_incoming("楼下饭店油烟太大，熏得没法开窗"))
    assert any("位置" in reply.get("text", "") for reply in replies)
    assert all("custom" not in reply and reply for reply in replies)


async def test_a_buttons_label_typed_does_what_the_button_does(gateway: Gateway) -> None:
    """ "修改地点" typed under the summary asks for the place again, as the button does
    (its payload carries an entity no message can)."""
    chat_id = uuid.uuid4().hex
    await gateway.handle(_incoming("建设路18号的路灯坏了", chat_id))
    summary = await gateway.handle(_incoming("13800000004", chat_id))
    assert any(b["title"] == "修改地点" for r in summary for b in r.get("buttons", []))
    replies = await gateway.handle(_incoming("修改地点", chat_id))
    assert "具体在什么位置" in replies[-1]["text"]
