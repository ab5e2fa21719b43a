"""Configuration: one `Settings` object read from the environment and `.env`.

Every setting has a documented default that runs on one machine with SQLite;
PostgreSQL and other hosts are selected by changing these variables only.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Settings for the app environment (web app, gateway, actions, CLI)."""

    model_config = SettingsConfigDict(
        env_prefix="JIESU_", env_file=PROJECT_ROOT / ".env", extra="ignore"
    )

    database_url: str = Field(
        default=f"sqlite:///{PROJECT_ROOT / 'var' / 'jiesu.db'}",
        description="SQLAlchemy URL of the app database.",
    )
    rasa_url: str = Field(
        default="http://127.0.0.1:5005", description="Base URL of the Rasa server."
    )
    rasa_token: str = Field(default="", description="Token of the Rasa HTTP API.")
    rasa_timeout_seconds: float = Field(
        default=30.0, description="How long the gateway waits for Rasa to answer."
    )
    action_server_url: str = Field(
        default="http://127.0.0.1:5055", description="Base URL of the action server."
    )
    web_host: str = Field(default="127.0.0.1", description="Interface the web app binds.")
    web_port: int = Field(default=8000, description="Port of the web app.")
    secret_key: str = Field(default="", description="Key that signs cookies.")
    max_message_chars: int = Field(
        default=4000, description="Longest resident message passed to the assistant."
    )
    city_dir: Path = Field(
        default=PROJECT_ROOT / "data" / "city",
        description="Folder of the city's categories, departments, areas and deadlines.",
    )
    attachments_dir: Path = Field(
        default=PROJECT_ROOT / "var" / "attachments",
        description="Folder where residents' photos are kept (ticket attachments).",
    )
    timezone: str = Field(
        default="Asia/Shanghai",
        description="Local time zone of the city (ticket numbers, working days).",
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process-wide settings (read once)."""
    return Settings()


def local_timezone() -> ZoneInfo:
    """Return the city's local time zone (the `timezone` setting)."""
    return ZoneInfo(get_settings().timezone)
