"""Telegram updates handled concurrently: each recorded as it arrives (a fetched update is
confirmed to Telegram, so one waiting unrecorded behind a slow turn dies with the process),
one chat's turns still in arrival order (a button press acknowledged slowly included),
other chats not held up by a slow one."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select
from telegram import Update
from telegram.ext import ApplicationBuilder
from telegram.request import RequestData

from bot.gateway import Gateway
from bot.telegram.callbacks import CallbackStore
from bot.telegram.channel import TelegramChannel
from bot.telegram.ordering import ChatOrder
from jiesu.db import session_scope
from jiesu.inbox import InboundMessage
from tests.rasa_stand_in import RasaStandIn
from tests.telegram.fake_api import FakeBotApi

PRESS_DELAY = 5.0


class HeldRasa(RasaStandIn):
    """Stands in for the Rasa client: holds its answer to `held` until released."""

    def __init__(self, held: str) -> None:
        self.held = held
        self.release = asyncio.Event()
        self.arrived = asyncio.Event()  # set at the first message
        self.messages: list[tuple[str, str]] = []

    async def send(
        self, sender_id: str, text: str, metadata: dict[str, Any]
    ) -> list[dict[str, Any]]:
        self.messages.append((sender_id, text))
        self.arrived.set()
        if text == self.held:
            await self.release.wait()
        return [{"text": f"答复：{text}"}]


class SlowButtonAnswers(FakeBotApi):
    """Acknowledging a pressed button takes a moment, as over the network, so a message
    sent just after the press reaches the handlers first: here, until a message has
    reached Rasa (at most `PRESS_DELAY`, so a message held behind the press shows)."""

    def __init__(self, reached_rasa: asyncio.Event) -> None:
        super().__init__()
        self.reached_rasa = reached_rasa

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        *timeouts: Any,
        **named_timeouts: Any,
    ) -> tuple[int, bytes]:
        if url.endswith("/answerCallbackQuery"):
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.reached_rasa.wait(), PRESS_DELAY)
        return await super().do_request(url, method, request_data, *timeouts, **named_timeouts)


def _message(update_id: int, chat: int, text: str) -> dict[str, Any]:
    return {
        "message_id": update_id,
        "date": 1_800_000_000,
        "from": {"id": chat, "is_bot": False, "first_name": "居民"},
        "chat": {"id": chat, "type": "private"},
        "text": text,
    }


def _text(update_id: int, chat: int, text: str) -> dict[str, Any]:
    return {"update_id": update_id, "message": _message(update_id, chat, text)}


def _press(update_id: int, chat: int, payload: str) -> dict[str, Any]:
    message = _message(update_id, chat, "请确认")
    return {
        "update_id": update_id,
        "callback_query": {
            "id": str(update_id),
            "from": message["from"],
            "chat_instance": "ci",
            "data": payload,
            "message": message,
        },
    }


async def _until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 5
    while not condition() and time.monotonic() < deadline:
        await asyncio.sleep(0.02)


async def test_a_chats_next_message_is_recorded_at_once_and_answered_after_the_first(
    database_url: str,
) -> None:
    rasa = HeldRasa("第一句")
    gateway = Gateway(rasa, database_url, max_chars=4000)
    channel = TelegramChannel(gateway, CallbackStore(database_url), database_url)
    api = SlowButtonAnswers(rasa.arrived)
    application = (
        ApplicationBuilder()
        .token("1:test")
        .request(api)
        .updater(None)
        .concurrent_updates(ChatOrder())
        .build()
    )
    channel.install(application)

    def recorded() -> int:
        with session_scope(database_url) as session:
            return session.scalar(select(func.count()).select_from(InboundMessage)) or 0

    async with application:
        await application.start()
        try:
            for update in (
                _press(1, 4242, "第一句"),
                _text(2, 4242, "第二句"),
                _text(3, 5151, "别人的"),
            ):
                await application.update_queue.put(Update.de_json(update, application.bot))
            await _until(lambda: recorded() == 3 and len(rasa.messages) == 2)
            # Both of 4242's messages are recorded; its second waits for the first's turn,
            # and 5151 is answered meanwhile.
            assert recorded() == 3
            assert rasa.messages == [("telegram:5151", "别人的"), ("telegram:4242", "第一句")]
            rasa.release.set()
            await _until(lambda: len(api.sent()) == 3)
        finally:
            rasa.release.set()  # a failed check must not leave the stop waiting on the turn
            await application.stop()
    assert rasa.messages[2] == ("telegram:4242", "第二句")
    assert [(sent["chat_id"], sent["text"]) for sent in api.sent()] == [
        (5151, "答复：别人的"),
        (4242, "答复：第一句"),
        (4242, "答复：第二句"),
    ]
