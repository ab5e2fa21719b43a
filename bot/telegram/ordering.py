"""Telegram updates handled as soon as they arrive, each chat's turns in arrival order.

python-telegram-bot confirms fetched updates to Telegram with its next poll (a webhook
call, when it returns), so an update still waiting in the application's queue when the
process dies is never delivered again. Handled one at a time, a resident's next message
waits there, unrecorded, for as long as the turn before it takes (anyone's turn). Here
every update is handled at once, so the gateway records it within moments; only its turn
waits for the chat's previous update to be done (`previous_update`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from contextvars import ContextVar
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

_previous: ContextVar[asyncio.Future[None] | None] = ContextVar("previous_update", default=None)


def previous_update() -> asyncio.Future[None] | None:
    """Done when the previous update of the chat whose update is being handled is; None if
    there is none in progress (or the update was not handled through `ChatOrder`)."""
    return _previous.get()


class ChatOrder(BaseUpdateProcessor):
    """Handles updates concurrently, chaining those of one chat (see `previous_update`).

    The application starts each update's task in arrival order, and nothing here awaits
    before the chain is extended, so the chain follows arrival order.
    """

    def __init__(self, max_concurrent_updates: int = 256) -> None:
        super().__init__(max_concurrent_updates)
        self._latest: dict[int, asyncio.Future[None]] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Handle `update`, recording it as its chat's latest while it is in progress."""
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is None:
            await coroutine
            return
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        _previous.set(self._latest.get(chat.id))  # this task's own context
        self._latest[chat.id] = done
        try:
            await coroutine
        finally:
            done.set_result(None)
            if self._latest.get(chat.id) is done:
                del self._latest[chat.id]

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""
