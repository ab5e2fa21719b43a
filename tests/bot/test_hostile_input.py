"""Hostile and odd input through every door a resident has: the web chat API, the gateway
and Telegram. Each gets a clear reply or a 4xx, and the next normal message still works."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, text, update
from starlette.testclient import TestClient
from telegram.ext import Application, ApplicationBuilder

from bot.gateway import Gateway, Incoming, RateLimit
from bot.rasa_client import RasaClient
from bot.telegram.callbacks import CallbackStore
from bot.telegram.channel import TelegramChannel
from bot.telegram.webhook import SECRET_HEADER, webhook_app
from console.app import create_app
from jiesu.config import Settings, get_settings
from jiesu.conversations import ConversationId
from jiesu.db import session_scope
from jiesu.inbox import InboundMessage, InboundStatus
from jiesu.models import utcnow
from jiesu.vocabulary import gateway_text, wording
from tests.bot.test_telegram import CHAT, FakeRasa, process, text_update
from tests.servers import RasaStack
from tests.telegram.fake_api import FakeBotApi

HOSTILE_TEXTS = [
    "😡😡😡🙏🏻👨‍👩‍👧",
    "\u202e路灯坏了\u202c \u200f",
    "'; DROP TABLE tickets;--",
    "{{7*7}} ${7*7} #{7*7} <%= 7*7 %>",
    "\x00\x07\x1b[31m控制字符\x7f",
    "<script>alert(1)</script><img src=x onerror=alert(1)>",
]
HUNDRED_KB = "物" * 100_000  # 100 000 characters: under the API's cap, over the gateway's


def _ids() -> dict[str, str]:
    return {"message_id": uuid.uuid4().hex}


def _texts(replies: list[dict[str, Any]]) -> str:
    return "\n".join(str(reply.get("text", "")) for reply in replies)


# --- the web chat API, in process, in front of the real Rasa stack -------------------------


@pytest.fixture
def chat(rasa_stack: RasaStack) -> Iterator[TestClient]:
    """The web app in front of Rasa, as one new browser (its conversation cookie kept)."""
    settings = Settings(
        database_url=rasa_stack.database_url,
        rasa_url=rasa_stack.rasa_url,
        rasa_token=rasa_stack.token,
        max_request_bytes=1_000_000,
    )
    with TestClient(create_app(settings)) as client:
        yield client


def _still_answers(chat: TestClient) -> None:
    chat.cookies.clear()  # a new resident, not one in the middle of what the test sent
    response = chat.post("/api/chat", json={**_ids(), "text": "您好"})
    assert response.status_code == 200
    assert wording("greeting", "again") in _texts(response.json()["replies"])


@pytest.mark.servers
@pytest.mark.parametrize("hostile", HOSTILE_TEXTS)
def test_web_chat_answers_hostile_text_as_text(
    chat: TestClient, rasa_stack: RasaStack, hostile: str
) -> None:
    response = chat.post("/api/chat", json={**_ids(), "text": hostile})
    assert response.status_code == 200
    replies = response.json()["replies"]
    assert replies and all(reply.get("text") for reply in replies)
    assert "49" not in _texts(replies)  # nothing evaluated the template syntax
    with session_scope(rasa_stack.database_url) as session:
        assert session.execute(text("SELECT count(*) FROM tickets")).scalar() is not None
    _still_answers(chat)


@pytest.mark.servers
@pytest.mark.parametrize("empty", ["", "   ", "\u202e\u200f\x00"])
def test_web_chat_answers_empty_text(chat: TestClient, empty: str) -> None:
    response = chat.post("/api/chat", json={**_ids(), "text": empty})
    assert response.status_code == 200
    assert _texts(response.json()["replies"]) == gateway_text("empty")


@pytest.mark.servers
def test_web_chat_refuses_100_kb_text_with_the_limit_stated(chat: TestClient) -> None:
    response = chat.post("/api/chat", json={**_ids(), "text": HUNDRED_KB})
    assert response.status_code == 200
    assert _texts(response.json()["replies"]) == gateway_text(
        "too_long", length=100_000, limit=4000
    )


_BODY = b'{"message_id": "abcdefgh2", "text": '


@pytest.mark.servers
@pytest.mark.parametrize(
    "body",
    [
        _BODY + b'"\xff\xfe\xc3\x28 invalid utf-8"}',
        b"\xff\xfe\x00\x01",
        _BODY + b'"unterminated',
        b'{"message_id": ',
        b"[]",
        b"null",
        _BODY + b"7}",
        _BODY + b'{"$gt": ""}}',
        _BODY + b"[" * 200_000 + b"]" * 200_000 + b"}",
        b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
    ],
    ids=[
        "invalid-utf8-in-string",
        "invalid-utf8",
        "unterminated",
        "truncated",
        "array",
        "null",
        "number-text",
        "object-text",
        "deep-array",
        "deep-object",
    ],
)
def test_web_chat_malformed_bodies_get_a_4xx(chat: TestClient, body: bytes) -> None:
    response = chat.post("/api/chat", content=body, headers={"Content-Type": "application/json"})
    assert 400 <= response.status_code < 500, response.text[:200]
    _still_answers(chat)


@pytest.mark.servers
def test_web_chat_refuses_an_oversized_body_in_chinese(chat: TestClient) -> None:
    body = _BODY + b'"' + b"x" * 1_200_000 + b'"}'
    response = chat.post("/api/chat", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.json()["detail"] == gateway_text("body_too_large")

    def streamed() -> Iterator[bytes]:  # chunked: no Content-Length to go by
        yield _BODY + b'"'
        for _ in range(30):
            yield b"x" * 50_000
        yield b'"}'

    response = chat.post(
        "/api/chat", content=streamed(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["detail"] == gateway_text("body_too_large")
    _still_answers(chat)


# --- the gateway with the real Rasa server: flooding -----------------------------------------


@pytest.fixture
async def rasa(rasa_stack: RasaStack) -> AsyncIterator[RasaClient]:
    client = RasaClient(rasa_stack.rasa_url, 30.0)
    yield client
    await client.aclose()


def _user_texts(stack: RasaStack, sender_id: str) -> list[str]:
    events = stack.tracker(sender_id)["events"]
    assert isinstance(events, list)
    return [event["text"] for event in events if event["event"] == "user"]


@pytest.mark.servers
async def test_hostile_text_is_kept_verbatim_and_reaches_rasa_without_controls(
    rasa: RasaClient, rasa_stack: RasaStack, database_url: str
) -> None:
    gateway = Gateway(rasa, database_url, max_chars=4000)
    chat_id = uuid.uuid4().hex
    for hostile in HOSTILE_TEXTS:
        await gateway.handle(Incoming("test", chat_id, uuid.uuid4().hex, hostile))
    sent = _user_texts(rasa_stack, ConversationId.build("test", chat_id))
    assert "'; DROP TABLE tickets;--" in sent
    assert not any(c in "".join(sent) for c in "\x00\x07\x1b\u202e\u202c")
    with session_scope(database_url) as session:
        stored = session.scalars(select(InboundMessage.text)).all()
    assert "'; DROP TABLE tickets;--" in stored


@pytest.mark.servers
async def test_a_flooding_conversation_is_asked_to_slow_down_and_nothing_is_lost(
    rasa: RasaClient, rasa_stack: RasaStack, database_url: str
) -> None:
    gateway = Gateway(rasa, database_url, max_chars=4000, rate_limit=RateLimit(3, 60.0))
    chat_id = uuid.uuid4().hex
    for n in range(3):
        replies = await gateway.handle(Incoming("test", chat_id, f"m{n}", "你好"))
        assert gateway_text("slow_down") not in _texts(replies)
    [limited] = await gateway.handle(Incoming("test", chat_id, "m3", "路灯坏了"))
    assert limited["text"] == gateway_text("slow_down")
    sent = _user_texts(rasa_stack, ConversationId.build("test", chat_id))
    assert len(sent) == 3  # Rasa was not asked
    other = await gateway.handle(Incoming("test", uuid.uuid4().hex, "m0", "你好"))
    assert gateway_text("slow_down") not in _texts(other)  # per conversation
    with session_scope(database_url) as session:
        kept = session.scalars(
            select(InboundMessage).where(InboundMessage.external_id == "m3")
        ).one()
        assert (kept.text, kept.status) == ("路灯坏了", InboundStatus.LIMITED)
        # once the window has passed, the resident is served again
        session.execute(update(InboundMessage).values(received_at=utcnow() - timedelta(hours=1)))
    replies = await gateway.handle(Incoming("test", chat_id, "m4", "你好"))
    assert gateway_text("slow_down") not in _texts(replies)
    assert len(_user_texts(rasa_stack, ConversationId.build("test", chat_id))) == 4


# --- Telegram, offline (a fake Bot API and a recording stand-in for Rasa) --------------------


@pytest.fixture
def fake_rasa() -> FakeRasa:
    return FakeRasa()


@pytest.fixture
def api() -> FakeBotApi:
    return FakeBotApi()


@pytest.fixture
async def bot(
    api: FakeBotApi, fake_rasa: FakeRasa, database_url: str
) -> AsyncIterator[Application]:
    gateway = Gateway(fake_rasa, database_url, max_chars=4000)
    channel = TelegramChannel(gateway, CallbackStore(database_url), database_url)
    application = ApplicationBuilder().token("1:test").request(api).updater(None).build()
    channel.install(application)
    async with application:
        yield application


async def test_telegram_hostile_text_reaches_rasa_cleaned_and_each_gets_a_reply(
    bot: Application, api: FakeBotApi, fake_rasa: FakeRasa
) -> None:
    for hostile in HOSTILE_TEXTS:
        await process(bot, text_update(hostile))
    assert len(api.sent()) == len(HOSTILE_TEXTS)
    sent = [message for _, message, _ in fake_rasa.messages]
    assert "'; DROP TABLE tickets;--" in sent
    assert not any(c in "".join(sent) for c in "\x00\x07\x1b\u202e\u202c")


@pytest.mark.parametrize(
    ("hostile", "reply"),
    [
        ("  \u202e\u200b\u200f ", gateway_text("empty")),
        (HUNDRED_KB, gateway_text("too_long", length=100_000, limit=4000)),
    ],
)
async def test_telegram_empty_and_oversized_text_are_answered_without_rasa(
    bot: Application, api: FakeBotApi, fake_rasa: FakeRasa, hostile: str, reply: str
) -> None:
    await process(bot, text_update(hostile))
    assert [message["text"] for message in api.sent()] == [reply]
    assert fake_rasa.messages == []


@pytest.fixture
def webhook(api: FakeBotApi, fake_rasa: FakeRasa, database_url: str) -> Iterator[TestClient]:
    """The webhook app as `jiesu telegram` serves it in webhook mode, in process."""
    gateway = Gateway(fake_rasa, database_url, max_chars=4000)
    channel = TelegramChannel(gateway, CallbackStore(database_url), database_url)
    application = ApplicationBuilder().token("1:test").request(api).updater(None).build()
    channel.install(application)
    web = webhook_app(application, url="https://jiesu.example/telegram", secret="s3cret")
    with TestClient(web, raise_server_exceptions=False) as client:
        yield client


def _webhook_still_handles_updates(webhook: TestClient, fake_rasa: FakeRasa) -> None:
    good = webhook.post("/telegram", json=text_update("你好"), headers={SECRET_HEADER: "s3cret"})
    assert good.status_code == 200
    for _ in range(50):  # the update is handled from the queue, after the response
        if fake_rasa.messages:
            break
        time.sleep(0.05)
    assert [(sender, message) for sender, message, _ in fake_rasa.messages] == [
        (ConversationId.build("telegram", str(CHAT)), "你好")
    ]


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"\xff\xfe\x00",
        b"[]",
        b"null",
        b"7",
        b"{}",
        b"[" * 100_000 + b"]" * 100_000,
        b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
    ],
    ids=[
        "text",
        "invalid-utf8",
        "array",
        "null",
        "number",
        "no-update-id",
        "deep-array",
        "deep-object",
    ],
)
def test_telegram_webhook_refuses_malformed_updates_and_stays_up(
    webhook: TestClient, fake_rasa: FakeRasa, body: bytes
) -> None:
    refused = webhook.post("/telegram", content=body, headers={SECRET_HEADER: "s3cret"})
    assert refused.status_code == 400
    _webhook_still_handles_updates(webhook, fake_rasa)


def test_telegram_webhook_refuses_an_oversized_body_and_stays_up(
    webhook: TestClient, fake_rasa: FakeRasa
) -> None:
    update = json.dumps(text_update("你好")).encode()
    limit = get_settings().max_request_bytes  # the web app's
    padding = b" " * limit  # still a valid update, only too large
    headers = {SECRET_HEADER: "s3cret", "Content-Type": "application/json"}
    refused = webhook.post("/telegram", content=update + padding, headers=headers)
    assert refused.status_code == 413

    def streamed() -> Iterator[bytes]:  # chunked: no Content-Length to go by
        yield update
        for _ in range(limit // 50_000 + 1):
            yield b" " * 50_000

    refused = webhook.post("/telegram", content=streamed(), headers=headers)
    assert refused.status_code == 413
    assert fake_rasa.messages == []
    _webhook_still_handles_updates(webhook, fake_rasa)


def test_the_api_length_cap_is_above_the_gateway_limit_and_below_the_body_limit() -> None:
    """The 100 KB case must reach the gateway's own reply, not a bare 413 or 422."""
    settings = Settings()
    assert settings.max_message_chars < len(HUNDRED_KB)
    assert len(HUNDRED_KB.encode()) < settings.max_request_bytes
