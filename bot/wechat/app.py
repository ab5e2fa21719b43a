"""The WeChat channel as the web app runs it: the endpoint's handler and the outbox sender."""

from __future__ import annotations

import asyncio
import contextlib

from bot.gateway import Gateway
from bot.wechat.channel import WeChatChannel
from bot.wechat.client import Client
from bot.wechat.config import WeChatSettings
from bot.wechat.sender import OutboxSender


class WeChatService:
    """One official account: its channel (for `/wechat`) and its outbox sender."""

    def __init__(
        self, gateway: Gateway, settings: WeChatSettings, database_url: str | None
    ) -> None:
        self.settings = settings
        self.client = Client(settings, database_url)
        self.channel = WeChatChannel(gateway, settings, database_url, self._image)
        self.sender = OutboxSender(self.client, settings, database_url)
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def _image(self, media_id: str) -> bytes:
        response = self.client.call(lambda: self.client.media.download(media_id))
        data: bytes = response.content
        return data

    def start(self) -> None:
        """Start draining the outbox."""
        self._stop.clear()
        self._task = asyncio.create_task(self.sender.run(self._stop))

    async def stop(self) -> None:
        """Finish the slow turns under way, then stop the sender after its current message."""
        await self.channel.drain()
        self._stop.set()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
