"""Telegram settings, read from the environment and `.env` (prefix TELEGRAM_)."""

from __future__ import annotations

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

    @property
    def bot_url(self) -> str:
        """The base URL python-telegram-bot prefixes to `<token>/<method>`."""
        return f"{self.api_base_url.rstrip('/')}/bot"

    @property
    def file_url(self) -> str:
        """The base URL of file downloads."""
        return f"{self.api_base_url.rstrip('/')}/file/bot"
