"""Assemble and run the Telegram adapter: handlers, command menu and outbox sender."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from telegram import Update
from telegram.ext import ApplicationBuilder

from bot.gateway import Gateway
from bot.rasa_client import RasaClient
from bot.telegram.callbacks import CallbackStore
from bot.telegram.channel import AnyApplication, TelegramChannel
from bot.telegram.config import TelegramSettings
from bot.telegram.emulator import EmulatorRequest
from bot.telegram.ordering import ChatOrder
from bot.telegram.sender import OutboxSender
from jiesu.config import Settings

log = logging.getLogger(__name__)


class TelegramAdapter:
    """One bot: the resident conversation and the outbox sender, sharing one Bot API client."""

    def __init__(self, settings: Settings, telegram: TelegramSettings) -> None:
        self._settings = settings
        self._telegram = telegram
        self._rasa = RasaClient.from_settings(settings)
        self._callbacks = CallbackStore(settings.database_url)
        gateway = Gateway(self._rasa, settings.database_url, settings.max_message_chars)
        self.channel = TelegramChannel(gateway, self._callbacks, settings.database_url)
        self._stop = asyncio.Event()
        self._sender_task: asyncio.Task[None] | None = None

    def builder(self) -> ApplicationBuilder:
        """An application builder aimed at the configured Bot API, with our lifecycle hooks."""
        builder = (
            ApplicationBuilder()
            .token(self._telegram.bot_token)
            .base_url(self._telegram.bot_url)
            .base_file_url(self._telegram.file_url)
            .post_init(self.start)
            .post_stop(self.stop)
            .post_shutdown(self.close)
            .concurrent_updates(ChatOrder())
        )
        if self._telegram.emulator:
            builder = builder.request(EmulatorRequest()).get_updates_request(EmulatorRequest())
        return builder

    def build(self, builder: ApplicationBuilder | None = None) -> AnyApplication:
        """The application with the resident handlers installed."""
        application = (builder or self.builder()).build()
        self.channel.install(application)
        return application

    async def start(self, application: AnyApplication) -> None:
        """Publish the command menu and start draining the outbox."""
        await self.channel.register_commands(application)
        sender = OutboxSender(application.bot, self._settings.database_url, self._callbacks)
        self._stop.clear()
        self._sender_task = asyncio.create_task(
            sender.run(self._stop, self._telegram.outbox_interval)
        )

    async def stop(self, _application: AnyApplication) -> None:
        """Let the outbox sender finish its current message and stop."""
        self._stop.set()
        if self._sender_task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._sender_task
            self._sender_task = None

    async def close(self, _application: AnyApplication) -> None:
        """Release the Rasa client."""
        await self._rasa.aclose()

    def run_polling(self) -> None:
        """Serve residents by long polling until interrupted."""
        log.info("Telegram adapter polling %s", self._telegram.api_base_url)
        self.build().run_polling(
            poll_interval=self._telegram.poll_interval, allowed_updates=Update.ALL_TYPES
        )

    def run_webhook(self) -> None:
        """Serve residents from Telegram's webhook calls until interrupted (see webhook.py)."""
        import uvicorn

        from bot.telegram.webhook import webhook_app

        application = self.builder().updater(None).build()
        self.channel.install(application)
        web = webhook_app(
            application,
            url=self._telegram.webhook_url,
            secret=self._telegram.webhook_secret,
            on_start=self.start,
            on_stop=self._stop_and_close,
        )
        log.info(
            "Telegram adapter waiting for webhook calls on %s:%d",
            self._telegram.webhook_host,
            self._telegram.webhook_port,
        )
        uvicorn.run(
            web,
            host=self._telegram.webhook_host,
            port=self._telegram.webhook_port,
            log_level="warning",
        )

    async def _stop_and_close(self, application: AnyApplication) -> None:
        await self.stop(application)
        await self.close(application)
