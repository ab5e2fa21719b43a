"""FAQ tables: knowledge-base entries (the run-time source of truth), answer
feedback and questions the base could not answer, both kept for staff."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, Float, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from jiesu.db import Base, UtcDateTime
from jiesu.models import utcnow


class FaqEntry(Base):
    """One policy question with its answer (the fields of `jiesu.faq.entries.FaqItem`).
    `updated_at` changes on every edit, which is how a running process notices that its
    search index is stale."""

    __tablename__ = "faq_entries"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    question: Mapped[str] = mapped_column(Text)
    alternatives: Mapped[list[str]] = mapped_column(JSON, default=list)
    answer: Mapped[str] = mapped_column(Text)
    department: Mapped[str] = mapped_column(String(128))
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    source: Mapped[str] = mapped_column(String(255))
    reviewed: Mapped[date | None] = mapped_column(Date, default=None)
    conditions: Mapped[str] = mapped_column(Text, default="", server_default="")
    valid_from: Mapped[date | None] = mapped_column(Date, default=None)
    valid_until: Mapped[date | None] = mapped_column(Date, default=None)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(
        UtcDateTime, default=utcnow, onupdate=utcnow, index=True
    )


class FaqFeedback(Base):
    """A resident's answer to "这个回答有帮助吗？" for one entry."""

    __tablename__ = "faq_feedback"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[str] = mapped_column(String(64), index=True)
    sender_id: Mapped[str] = mapped_column(String(161))
    helpful: Mapped[bool] = mapped_column(Boolean)
    question: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class FaqUnanswered(Base):
    """A question below the confidence threshold, with the closest candidates."""

    __tablename__ = "faq_unanswered"

    id: Mapped[int] = mapped_column(primary_key=True)
    sender_id: Mapped[str] = mapped_column(String(161))
    question: Mapped[str] = mapped_column(Text)
    best_score: Mapped[float] = mapped_column(Float)
    candidate_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)
