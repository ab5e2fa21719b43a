"""The outbox sender: delivers queued messages to Telegram residents within Telegram's limits.

About 30 messages a second overall and one a second per chat. A `RetryAfter`
pauses sending for as long as Telegram asks; a resident who blocked the bot
(`Forbidden`) is marked unreachable and never retried.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import warnings
from collections.abc import Callable
from datetime import timedelta
from typing import Concatenate, ParamSpec, TypeVar

from sqlalchemy.orm import Session
from telegram import Bot
from telegram.error import Forbidden, RetryAfter, TelegramError
from telegram.warnings import PTBDeprecationWarning

from bot.telegram.callbacks import CallbackStore
from bot.telegram.replies import send_reply
from jiesu import outbox
from jiesu.db import session_scope

log = logging.getLogger(__name__)

CHANNEL = "telegram"

P = ParamSpec("P")
T = TypeVar("T")


class OutboxSender:
    """Sends due outbox rows of the Telegram channel."""

    def __init__(
        self,
        bot: Bot,
        database_url: str | None,
        callbacks: CallbackStore,
        *,
        per_second: float = 30.0,
        per_chat_seconds: float = 1.0,
        batch: int = 30,
    ) -> None:
        self._bot = bot
        self._database_url = database_url
        self._callbacks = callbacks
        self._spacing = 1.0 / per_second
        self._per_chat = per_chat_seconds
        self._batch = batch
        self._last_send = 0.0
        self._paused_until = 0.0
        self._last_to_chat: dict[str, float] = {}

    async def run(self, stop: asyncio.Event, idle_seconds: float) -> None:
        """Send until `stop` is set, looking again every `idle_seconds` when nothing is due."""
        while not stop.is_set():
            try:
                handled = await self.send_due()
            except Exception:
                log.exception("outbox pass failed")
                handled = 0
            if not handled:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), idle_seconds)

    async def send_due(self) -> int:
        """One pass over the due messages; returns how many were taken."""
        if time.monotonic() < self._paused_until:
            return 0
        claimed = await asyncio.to_thread(self._db, outbox.claim_due, CHANNEL, self._batch)
        self._forget_quiet_chats()
        for position, message in enumerate(claimed):
            wait = self._per_chat - (time.monotonic() - self._last_to_chat.get(message.chat_id, 0))
            if wait > 0:
                await asyncio.to_thread(self._db, outbox.postpone, message.id, _delay(wait))
                continue
            await asyncio.sleep(max(0.0, self._spacing - (time.monotonic() - self._last_send)))
            try:
                await self._send(message)
            except RetryAfter as error:
                pause = _seconds(error)
                log.warning("Telegram asks to wait %.0f s", pause)
                self._paused_until = time.monotonic() + pause
                for later in claimed[position:]:
                    await asyncio.to_thread(self._db, outbox.postpone, later.id, _delay(pause))
                break
            except Forbidden as error:
                log.info("chat %s unreachable: %s", message.chat_id, error)
                await asyncio.to_thread(self._db, outbox.mark_unreachable, message.id, str(error))
            except TelegramError as error:
                log.warning("sending outbox message %s failed: %s", message.id, error)
                await asyncio.to_thread(
                    self._db, outbox.mark_failed_attempt, message.id, str(error)
                )
            else:
                await asyncio.to_thread(self._db, outbox.mark_sent, message.id)
        return len(claimed)

    async def _send(self, message: outbox.OutboxMessage) -> None:
        self._last_send = self._last_to_chat[message.chat_id] = time.monotonic()
        reply = {"text": message.text, "buttons": message.buttons or []}
        await send_reply(self._bot, message.chat_id, reply, self._callbacks)

    def _forget_quiet_chats(self) -> None:
        now = time.monotonic()
        self._last_to_chat = {
            chat: at for chat, at in self._last_to_chat.items() if now - at < self._per_chat
        }

    def _db(
        self, operation: Callable[Concatenate[Session, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        with session_scope(self._database_url) as session:
            return operation(session, *args, **kwargs)


def _seconds(error: RetryAfter) -> float:
    """How long `error` asks to wait (an int today, a timedelta in a later version)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def _delay(seconds: float) -> timedelta:
    return timedelta(seconds=seconds)
