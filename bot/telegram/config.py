"""Telegram settings, read from the environment and `.env` (prefix TELEGRAM_)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from jiesu.config import PROJECT_ROOT


class TelegramSettings(BaseSettings):
    """How the adapter reaches the Bot API."""

    model_config = SettingsConfigDict(
        env_prefix="TELEGRAM_", env_file=PROJECT_ROOT / ".env", extra="ignore"
    )

    bot_token: str = Field(default="", description="The bot's token from BotFather.")
    api_base_url: str = Field(
        default="https://api.telegram.org",
        description="Bot API address (a local emulator in tests); `/bot<token>` is appended.",
    )
    poll_interval: float = Field(
        default=0.0, description="Seconds between getUpdates calls in polling mode."
    )
    outbox_interval: float = Field(
        default=1.0, description="Seconds between looks into the outbox when it is empty."
    )
    emulator: bool = Field(
        default=False,
        description="Talk to the telegram-test-api emulator (patches its answers; never in "
        "production).",
    )
    mode: Literal["polling", "webhook"] = Field(
        default="polling", description="polling (one machine) or webhook (production)."
    )
    webhook_url: str = Field(
        default="", description="Public HTTPS address Telegram posts updates to (webhook mode)."
    )
    webhook_secret: str = Field(
        default="", description="Secret token Telegram sends with every update (webhook mode)."
    )
    webhook_host: str = Field(default="127.0.0.1", description="Interface the webhook binds.")
    webhook_port: int = Field(default=8443, description="Port the webhook listens on.")

    @property
    def bot_url(self) -> str:
        """The base URL python-telegram-bot prefixes to `<token>/<method>`."""
        return f"{self.api_base_url.rstrip('/')}/bot"

    @property
    def file_url(self) -> str:
        """The base URL of file downloads."""
        return f"{self.api_base_url.rstrip('/')}/file/bot"
