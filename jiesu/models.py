"""App database tables. Later features add their tables here or in sibling modules."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from jiesu.db import Base, UtcDateTime


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


class InboundMessage(Base):
    """One resident message as a channel delivered it, recorded before anything else.

    The unique (channel, chat_id, external_id) triple is what makes a re-delivered or
    retried message a no-op: the second arrival finds the first and its replies. The chat
    is part of it: a web chat's message ids are chosen by the browser, and must not reach
    another conversation's replies.
    """

    __tablename__ = "inbound_messages"
    __table_args__ = (
        UniqueConstraint("channel", "chat_id", "external_id", name="uq_inbound_chat_msg"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    external_id: Mapped[str] = mapped_column(String(128))
    chat_id: Mapped[str] = mapped_column(String(128), index=True)
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="received", index=True)
    replies: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, default=None)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    # When the message was last taken to be answered: a "received" message taken long
    # ago belongs to a process that died (see bot/gateway.py).
    claimed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)


class EndedChat(Base):
    """A web chat the resident ended (结束对话): its cookie, even a copy, no longer counts.
    Kept only while such a cookie could still be young enough to be accepted."""

    __tablename__ = "ended_chats"

    chat_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    ended_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
