"""The Telegram adapter offline: python-telegram-bot's own pattern (no updater, a fake Bot API)."""

from __future__ import annotations

import itertools
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update
from starlette.testclient import TestClient
from telegram import Update
from telegram.ext import Application, ApplicationBuilder

from bot.gateway import Gateway
from bot.telegram.callbacks import MAX_CALLBACK_BYTES, CallbackStore
from bot.telegram.channel import MENU, TelegramChannel
from bot.telegram.webhook import SECRET_HEADER, webhook_app
from jiesu.config import get_settings
from jiesu.conversations import ConversationId
from jiesu.db import session_scope
from jiesu.inbox import InboundMessage, InboundStatus
from jiesu.models import utcnow
from jiesu.tickets.models import Attachment
from jiesu.vocabulary import wording
from tests.rasa_stand_in import RasaStandIn
from tests.telegram.fake_api import FakeBotApi

CHAT = 4242
_update_ids = itertools.count(1000)


class FakeRasa(RasaStandIn):
    """Stands in for the Rasa client: records messages, answers with `replies`."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, str, dict[str, Any]]] = []
        self.replies: list[dict[str, Any]] = [{"text": "好的"}]

    async def send(
        self, sender_id: str, text: str, metadata: dict[str, Any]
    ) -> list[dict[str, Any]]:
        self.messages.append((sender_id, text, metadata))
        return self.replies


@pytest.fixture
def rasa() -> FakeRasa:
    return FakeRasa()


@pytest.fixture
def api() -> FakeBotApi:
    return FakeBotApi()


@pytest.fixture
def channel(rasa: FakeRasa, database_url: str) -> TelegramChannel:
    gateway = Gateway(rasa, database_url, max_chars=4000)
    return TelegramChannel(gateway, CallbackStore(database_url), database_url)


@pytest.fixture
async def app(api: FakeBotApi, channel: TelegramChannel) -> AsyncIterator[Application]:
    application = ApplicationBuilder().token("1:test").request(api).updater(None).build()
    channel.install(application)
    async with application:
        yield application


def _user() -> dict[str, Any]:
    return {"id": CHAT, "is_bot": False, "first_name": "居民"}


def _message(text: str | None = None, **fields: Any) -> dict[str, Any]:
    message = {
        "message_id": 7,
        "date": 1_800_000_000,
        "from": _user(),
        "chat": {"id": CHAT, "type": "private"},
        **fields,
    }
    if text is not None:
        message["text"] = text
        if text.startswith("/"):
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text)}]
    return message


def text_update(text: str, update_id: int | None = None) -> dict[str, Any]:
    return {"update_id": update_id or next(_update_ids), "message": _message(text)}


def button_update(data: str) -> dict[str, Any]:
    return {
        "update_id": next(_update_ids),
        "callback_query": {
            "id": "cb1",
            "from": _user(),
            "chat_instance": "ci",
            "data": data,
            "message": _message("请确认"),
        },
    }


async def process(app: Application, payload: dict[str, Any]) -> None:
    await app.process_update(Update.de_json(payload, app.bot))


async def test_text_reaches_rasa_as_the_chat_and_buttons_come_back_inline(
    app: Application, api: FakeBotApi, rasa: FakeRasa
) -> None:
    button = {"title": "匿名提交", "payload": "/deny"}
    rasa.replies = [{"text": "请问您的电话？", "buttons": [button]}]
    await process(app, text_update("建设路18号的路灯坏了好几天了", update_id=77))
    sender, text, metadata = rasa.messages[0]
    assert (sender, text) == (
        ConversationId.build("telegram", str(CHAT)),
        "建设路18号的路灯坏了好几天了",
    )
    assert metadata["message_id"] == "1:77"  # the bot's id, then the update's
    [sent] = api.sent()
    assert sent["text"] == "请问您的电话？"
    assert sent["reply_markup"] == {
        "inline_keyboard": [[{"text": "匿名提交", "callback_data": "/deny"}]]
    }


@pytest.mark.parametrize("chat_type", ["group", "supergroup", "channel"])
async def test_only_private_chats_are_answered(
    app: Application, api: FakeBotApi, rasa: FakeRasa, chat_type: str
) -> None:
    """A group would be one conversation shared by its members: its tickets, status and
    handoff replies visible to all of them. Nothing there is read or answered."""
    group = {"id": -100123, "type": chat_type, "title": "小区业主群"}
    for payload in (text_update("查一下我的工单"), text_update("/start"), button_update("/affirm")):
        message = payload.get("message") or payload["callback_query"]["message"]
        message["chat"] = group
        await process(app, payload)
    photo = [{"file_id": "p", "file_unique_id": "p", "width": 1, "height": 1}]
    message = _message(photo=photo, chat=group)
    await process(app, {"update_id": next(_update_ids), "message": message})
    assert rasa.messages == []
    assert api.sent() == []


async def test_another_bot_on_the_same_database_is_not_taken_for_a_redelivery(
    app: Application, api: FakeBotApi, rasa: FakeRasa, channel: TelegramChannel
) -> None:
    await process(app, text_update("你好", update_id=5))
    other = ApplicationBuilder().token("2:other").request(api).updater(None).build()
    channel.install(other)
    async with other:
        await process(other, text_update("你好", update_id=5))
    assert len(rasa.messages) == 2


async def test_a_redelivered_update_is_not_answered_twice(
    app: Application, api: FakeBotApi, rasa: FakeRasa
) -> None:
    update = text_update("你好")
    await process(app, update)
    await process(app, update)
    assert len(rasa.messages) == 1
    assert len(api.sent()) == 1


async def test_a_button_press_is_answered_and_its_payload_sent_as_the_resident(
    app: Application, api: FakeBotApi, rasa: FakeRasa
) -> None:
    await process(app, button_update("/affirm"))
    assert api.sent("answerCallbackQuery") == [{"callback_query_id": "cb1"}]
    assert rasa.messages[0][:2] == (ConversationId.build("telegram", str(CHAT)), "/affirm")


async def test_a_payload_too_long_for_callback_data_travels_under_a_stored_key(
    app: Application, api: FakeBotApi, rasa: FakeRasa, database_url: str
) -> None:
    payload = '/inform{"address":"示例市建设路18号东门口往北第三盏路灯"}'
    assert len(payload.encode()) > MAX_CALLBACK_BYTES
    rasa.replies = [{"text": "请选择", "buttons": [{"title": "这个地址", "payload": payload}]}]
    await process(app, text_update("地址"))
    data = api.sent()[0]["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    assert len(data.encode()) <= MAX_CALLBACK_BYTES
    assert CallbackStore(database_url).decode(data) == payload  # a restart still knows it
    await process(app, button_update(data))
    assert rasa.messages[-1][1] == payload


async def test_an_unknown_key_asks_the_resident_to_type(
    app: Application, api: FakeBotApi, rasa: FakeRasa
) -> None:
    await process(app, button_update("#k:0000"))
    assert api.sent()[-1]["text"] == wording("telegram", "expired_button")
    assert rasa.messages == []


@pytest.mark.parametrize(
    ("command", "message"),
    [
        ("/start", "/greet"),
        ("/status", "/query_ticket"),
        ("/human", "/request_human"),
        ("/cancel", "/cancel"),
    ],
)
async def test_commands_speak_to_the_assistant(
    app: Application, rasa: FakeRasa, command: str, message: str
) -> None:
    await process(app, text_update(command))
    assert rasa.messages[0][1] == message


async def test_help_is_answered_without_the_assistant(
    app: Application, api: FakeBotApi, rasa: FakeRasa
) -> None:
    await process(app, text_update("/help"))
    assert api.sent()[0]["text"] == wording("telegram", "help")
    assert rasa.messages == []


@pytest.mark.parametrize(
    "kind",
    [
        {"voice": {"file_id": "v", "file_unique_id": "v", "duration": 3}},
        {
            "sticker": {
                "file_id": "s",
                "file_unique_id": "s",
                "width": 1,
                "height": 1,
                "is_animated": False,
                "is_video": False,
                "type": "regular",
            }
        },
        {"document": {"file_id": "d", "file_unique_id": "d"}},
    ],
)
async def test_unsupported_media_get_a_polite_reply(
    app: Application, api: FakeBotApi, rasa: FakeRasa, kind: dict[str, Any]
) -> None:
    await process(app, {"update_id": next(_update_ids), "message": _message(**kind)})
    assert api.sent()[0]["text"] == wording("telegram", "unsupported")
    assert rasa.messages == []


async def test_the_command_menu_is_registered_and_a_failure_is_tolerated(
    app: Application, api: FakeBotApi, channel: TelegramChannel
) -> None:
    await channel.register_commands(app)
    [call] = api.sent("setMyCommands")
    assert [command["command"] for command in call["commands"]] == list(MENU)
    api.errors["setMyCommands"] = (400, "Bad Request: not supported", {})
    await channel.register_commands(app)


async def test_a_shared_location_reaches_rasa_as_the_address(
    app: Application, rasa: FakeRasa
) -> None:
    location = {"latitude": 31.2304161, "longitude": 121.4737012}
    await process(app, {"update_id": next(_update_ids), "message": _message(location=location)})
    [(_, text, _)] = rasa.messages
    assert text == '/inform{"address":"定位（纬度 31.230416，经度 121.473701）"}'


async def test_only_the_residents_own_contact_is_taken_as_their_phone(
    app: Application, api: FakeBotApi, rasa: FakeRasa
) -> None:
    someone_else = {"phone_number": "+8613900001111", "first_name": "张三", "user_id": 99}
    await process(app, {"update_id": next(_update_ids), "message": _message(contact=someone_else)})
    assert rasa.messages == []
    assert api.sent()[0]["text"] == wording("telegram", "contact_not_own")
    own = {"phone_number": "+8613812345678", "first_name": "居民", "user_id": CHAT}
    await process(app, {"update_id": next(_update_ids), "message": _message(contact=own)})
    assert [text for _, text, _ in rasa.messages] == ["+8613812345678"]


async def test_a_share_hint_becomes_a_one_tap_reply_keyboard(
    app: Application, api: FakeBotApi, rasa: FakeRasa
) -> None:
    rasa.replies = [
        {"text": "请问具体在什么位置？"},
        {"custom": {"telegram": {"share": "location"}}},
    ]
    await process(app, text_update("我要投诉"))
    question, hint = api.sent()
    assert question["text"] == "请问具体在什么位置？"
    assert hint["text"] == wording("telegram", "share_location_hint")
    [[button]] = hint["reply_markup"]["keyboard"]
    assert button["request_location"] is True


async def test_a_photo_is_kept_once_and_its_caption_goes_on_as_words(
    app: Application,
    api: FakeBotApi,
    rasa: FakeRasa,
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("JIESU_ATTACHMENTS_DIR", str(tmp_path))
    get_settings.cache_clear()
    sizes = [
        {"file_id": f"p{n}", "file_unique_id": f"p{n}", "width": n, "height": n} for n in (90, 800)
    ]
    update = {
        "update_id": next(_update_ids),
        "message": _message(photo=sizes, caption="路灯杆被撞歪了"),
    }
    await process(app, update)
    await process(app, update)  # re-delivered
    get_settings.cache_clear()
    assert api.sent("getFile")[0]["file_id"] == "p800"
    assert api.sent()[0]["text"] == wording("telegram", "photo_received")
    assert [text for _, text, _ in rasa.messages] == ["路灯杆被撞歪了"]
    with session_scope(database_url) as session:
        [photo] = session.scalars(select(Attachment)).all()
        assert (
            photo.sender_id == ConversationId.build("telegram", str(CHAT))
            and photo.ticket_id is None
        )
    assert (tmp_path / photo.file_name).read_bytes() == api.file_bytes


def test_webhook_mode_registers_the_secret_and_refuses_calls_without_it(
    api: FakeBotApi, rasa: FakeRasa, channel: TelegramChannel
) -> None:
    application = ApplicationBuilder().token("1:test").request(api).updater(None).build()
    channel.install(application)
    web = webhook_app(application, url="https://jiesu.example/telegram", secret="s3cret")
    with TestClient(web) as client:
        [registered] = api.sent("setWebhook")
        assert registered["url"] == "https://jiesu.example/telegram"
        assert registered["secret_token"] == "s3cret"
        update = text_update("你好")
        assert client.post("/telegram", json=update).status_code == 403
        assert (
            client.post("/telegram", json=update, headers={SECRET_HEADER: "wrong"}).status_code
            == 403
        )
        assert (
            client.post("/telegram", json=update, headers={SECRET_HEADER: "s3cret"}).status_code
            == 200
        )
        for _ in range(50):  # the update is handled from the queue, after the response
            if rasa.messages:
                break
            time.sleep(0.05)
    assert [text for _, text, _ in rasa.messages] == ["你好"]


def test_webhook_mode_needs_a_secret(api: FakeBotApi) -> None:
    application = ApplicationBuilder().token("1:test").request(api).updater(None).build()
    with pytest.raises(ValueError, match="secret"):
        webhook_app(application, url="https://jiesu.example/telegram", secret="")


def _abandon(database_url: str, claimed_ago: timedelta) -> None:
    """Leave every message as a process that died mid-turn would: taken, never finished."""
    with session_scope(database_url) as session:
        session.execute(
            update(InboundMessage).values(
                status=InboundStatus.RECEIVED, replies=None, claimed_at=utcnow() - claimed_ago
            )
        )


@pytest.mark.parametrize(
    ("claimed_ago", "answers"),
    [(timedelta(hours=1), 2), (timedelta(seconds=1), 1)],
    ids=["its turn died", "still being answered"],
)
async def test_a_redelivered_update_is_answered_again_only_if_its_turn_died(
    app: Application,
    api: FakeBotApi,
    rasa: FakeRasa,
    database_url: str,
    claimed_ago: timedelta,
    answers: int,
) -> None:
    """An adapter killed mid-turn left the update taken (past the claim lease); Telegram
    delivers it again. One still within the lease is another process's turn."""
    payload = text_update("你好")
    await process(app, payload)
    _abandon(database_url, claimed_ago)
    await process(app, payload)
    assert len(rasa.messages) == answers
    assert len(api.sent()) == answers
