"""The clock of the app's tables, and the web chats residents ended."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from jiesu.db import Base, UtcDateTime


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


class EndedChat(Base):
    """A web chat the resident ended (结束对话): its cookie, even a copy, no longer counts.
    Kept only while such a cookie could still be young enough to be accepted."""

    __tablename__ = "ended_chats"

    chat_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    ended_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
