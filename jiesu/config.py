"""Configuration: one `Settings` object read from the environment and `.env`.

Every setting has a documented default that runs on one machine with SQLite;
PostgreSQL and other hosts are selected by changing these variables only.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import Field, model_validator
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
    tracker_store_url: str = Field(
        default=f"sqlite:///{PROJECT_ROOT / 'var' / 'tracker.db'}",
        description="SQLAlchemy URL of Rasa's SQL tracker store (the transcripts), as in "
        "endpoints.yml; `jiesu residents` erases transcripts there.",
    )
    action_server_url: str = Field(
        default="http://127.0.0.1:5055", description="Base URL of the action server."
    )
    web_host: str = Field(default="127.0.0.1", description="Interface the web app binds.")
    web_port: int = Field(default=8000, description="Port of the web app.")
    forwarded_allow_ips: str = Field(
        default="127.0.0.1,::1",
        description="Reverse proxies (addresses or networks, comma-separated) whose "
        "X-Forwarded-For names the client: the address the per-address limit counts.",
    )
    secret_key: str = Field(default="", description="Key that signs cookies.")
    max_message_chars: int = Field(
        default=4000, description="Longest resident message passed to the assistant."
    )
    rate_limit_messages: int = Field(
        default=20,
        gt=0,
        description="Messages one conversation may send per `rate_limit_seconds` before the "
        "gateway asks it to slow down (the rest are kept, not passed to the assistant).",
    )
    rate_limit_seconds: float = Field(
        default=60.0, gt=0, description="Window of the per-conversation rate limit."
    )
    address_rate_limit_messages: int = Field(
        default=120,
        gt=0,
        description="Messages one client address may post to the web chat API per "
        "`address_rate_limit_seconds`; further ones get a 429 and are not recorded (a client "
        "choosing its own conversation ids escapes the per-conversation limit). Counted per "
        "web app process.",
    )
    address_rate_limit_seconds: float = Field(
        default=60.0, gt=0, description="Window of the per-address rate limit."
    )
    chat_idle_hours: float = Field(
        default=24.0,
        gt=0,
        description="Hours after a web chat's last message at which its conversation ends: "
        "the browser's cookie no longer reads it and its next message starts a new one.",
    )
    retry_max_age_minutes: float = Field(
        default=30.0,
        gt=0,
        description="Messages that found the assistant down are answered once it is back if "
        "they are younger than this; older ones are given up and the resident asked to resend.",
    )
    retry_interval_seconds: float = Field(
        default=15.0,
        gt=0,
        description="How often the web app retries messages that found the assistant down.",
    )
    claim_lease_seconds: float = Field(
        default=120.0,
        gt=0,
        description="A message taken to be answered this long ago without an answer belongs "
        "to a process that died, and is answered again; keep it above `rasa_timeout_seconds`.",
    )
    sqlite_busy_timeout_ms: int = Field(
        default=5000,
        ge=0,
        description="How long a SQLite connection waits for a lock before the write fails "
        "(and is retried where the write is idempotent, e.g. filing a ticket).",
    )
    max_request_bytes: int = Field(
        default=1_000_000,
        gt=0,
        description="Largest request body the web app and the Telegram webhook accept "
        "(413 above it).",
    )
    retention_days: int = Field(
        default=365,
        gt=0,
        description="Days after which the scheduler's daily purge (or `jiesu residents "
        "purge`) removes personal data from closed tickets and old messages.",
    )
    city_dir: Path = Field(
        default=PROJECT_ROOT / "data" / "city",
        description="Folder of the city's categories, departments, areas and deadlines.",
    )
    attachments_dir: Path = Field(
        default=PROJECT_ROOT / "var" / "attachments",
        description="Folder where residents' photos are kept (ticket attachments).",
    )
    handoff_expected_minutes: int = Field(
        default=10,
        description="First-reply time promised on handoff until a week of real ones exists.",
    )
    timezone: str = Field(
        default="Asia/Shanghai",
        description="Local time zone of the city (ticket numbers, working days).",
    )
    sweep_interval_seconds: float = Field(
        default=60.0, gt=0, description="How often `jiesu scheduler` checks deadlines and surveys."
    )
    reminder_fraction: float = Field(
        default=0.8,
        gt=0,
        lt=1,
        description="Share of a deadline's time after which its department is reminded.",
    )
    survey_timeout_hours: float = Field(
        default=72.0,
        gt=0,
        description="Hours a follow-up waits for the resident before it counts as no response.",
    )
    outbox_expiry_days: float = Field(
        default=30.0,
        gt=0,
        description="Days a message for a resident (a notice, a staff reply) waits to be "
        "delivered before it is given up, e.g. for a web chat never opened again.",
    )

    @model_validator(mode="after")
    def _lease_outlasts_a_turn(self) -> Settings:
        """A lease shorter than a turn would have a live turn answered twice."""
        if self.claim_lease_seconds <= self.rasa_timeout_seconds:
            raise ValueError("JIESU_CLAIM_LEASE_SECONDS must be above JIESU_RASA_TIMEOUT_SECONDS")
        return self


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process-wide settings (read once)."""
    return Settings()


def local_timezone() -> ZoneInfo:
    """Return the city's local time zone (the `timezone` setting)."""
    return ZoneInfo(get_settings().timezone)
