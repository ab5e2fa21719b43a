"""Handoff tables: a conversation handed to a person (人工接管), and staff's private notes."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from jiesu.db import Base, UtcDateTime
from jiesu.models import utcnow


class HandoffReason(StrEnum):
    """Why the conversation reached a person."""

    REQUESTED = "requested"  # the resident asked (转人工)
    FALLBACK = "fallback"  # the assistant could not understand them
    TAKEN_OVER = "taken_over"  # a staff member took over a live conversation


class HandoffStatus(StrEnum):
    """Where the handoff is: waiting for a person, with one, or back with the assistant."""

    WAITING = "waiting"
    ACTIVE = "active"
    CLOSED = "closed"


class Handoff(Base):
    """One stretch of a conversation handled by people; at most one open per conversation."""

    __tablename__ = "handoffs"

    id: Mapped[int] = mapped_column(primary_key=True)
    sender_id: Mapped[str] = mapped_column(String(161), index=True)
    reason: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), index=True, default=HandoffStatus.WAITING)
    claimed_by: Mapped[str | None] = mapped_column(String(64), default=None)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    first_response_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    last_resident_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    closed_by: Mapped[str | None] = mapped_column(String(64), default=None)


class HandoffNote(Base):
    """A private note on a handoff, seen by staff only."""

    __tablename__ = "handoff_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    handoff_id: Mapped[int] = mapped_column(
        ForeignKey("handoffs.id", name="fk_handoff_notes_handoff_id_handoffs"), index=True
    )
    author: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
