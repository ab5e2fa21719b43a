"""The outbox: messages to residents outside a reply (staff replies, status notices, surveys).

Core code enqueues; each channel's sender claims due rows, sends them and marks
the result. A claim leases the row for a while, so a sender that dies mid-send
leaves it to be retried rather than lost.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import JSON, CursorResult, Integer, String, Text, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from jiesu.conversations import ConversationId
from jiesu.db import Base, UtcDateTime
from jiesu.models import utcnow

PENDING, SENT, FAILED, UNREACHABLE = "pending", "sent", "failed", "unreachable"
EXPIRED = "expired"  # not delivered within `outbox_expiry_days`: given up
# What will never reach the resident; `last_error` says why.
UNDELIVERED = (UNREACHABLE, FAILED, EXPIRED)
MAX_ATTEMPTS = 6
LEASE = timedelta(seconds=60)
# The channel of the random conversation ids that replace forgotten or expired ones
# (`jiesu.privacy`): nobody is behind them.
PSEUDONYM_CHANNEL = "forgotten"


class OutboxMessage(Base):
    """One message waiting to be (or already) sent to a resident on a channel."""

    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    chat_id: Mapped[str] = mapped_column(String(128))
    text: Mapped[str] = mapped_column(Text)
    buttons: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, default=None)
    status: Mapped[str] = mapped_column(String(16), default=PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)


def enqueue(
    session: Session,
    channel: str,
    chat_id: str,
    text: str,
    buttons: list[dict[str, Any]] | None = None,
) -> OutboxMessage:
    """Queue `text` (with optional buttons: title, payload) for the resident's chat."""
    message = OutboxMessage(channel=channel, chat_id=chat_id, text=text, buttons=buttons)
    session.add(message)
    session.flush()
    return message


def claim_due(session: Session, channel: str, limit: int) -> list[OutboxMessage]:
    """Lease up to `limit` due pending messages of `channel`, oldest first."""
    now = utcnow()
    due = session.scalars(
        select(OutboxMessage)
        .where(
            OutboxMessage.channel == channel,
            OutboxMessage.status == PENDING,
            OutboxMessage.next_attempt_at <= now,
        )
        .order_by(OutboxMessage.id)
        .limit(limit)
    ).all()
    claimed = []
    for message in due:
        leased: CursorResult[Any] = session.execute(  # type: ignore[assignment]
            update(OutboxMessage)
            .where(
                OutboxMessage.id == message.id,
                OutboxMessage.next_attempt_at == message.next_attempt_at,
            )
            .values(next_attempt_at=now + LEASE)
        )
        if leased.rowcount:
            claimed.append(message)
    session.flush()
    return claimed


def mark_sent(session: Session, message_id: int) -> None:
    """Record a successful send."""
    message = session.get_one(OutboxMessage, message_id)
    message.status = SENT
    message.attempts += 1
    message.sent_at = utcnow()


def mark_unreachable(session: Session, message_id: int, error: str) -> None:
    """The resident cannot be reached (e.g. blocked the bot): never retried."""
    message = session.get_one(OutboxMessage, message_id)
    message.status = UNREACHABLE
    message.attempts += 1
    message.last_error = error


def postpone(session: Session, message_id: int, delay: timedelta) -> None:
    """Try again after `delay` without counting an attempt (rate limits)."""
    message = session.get_one(OutboxMessage, message_id)
    message.next_attempt_at = utcnow() + delay


def mark_failed_attempt(session: Session, message_id: int, error: str) -> None:
    """Count a failed attempt; retry with exponential backoff, give up after MAX_ATTEMPTS."""
    message = session.get_one(OutboxMessage, message_id)
    message.attempts += 1
    message.last_error = error
    if message.attempts >= MAX_ATTEMPTS:
        message.status = FAILED
    else:
        message.next_attempt_at = utcnow() + timedelta(seconds=2**message.attempts)


def notify(
    session: Session,
    sender_id: str,
    text: str,
    buttons: list[dict[str, Any]] | None = None,
) -> OutboxMessage | None:
    """Queue `text` for the resident of the conversation `sender_id` ("<channel>:<chat id>");
    nothing (None) for a forgotten or expired conversation, which nobody reads."""
    conversation = ConversationId.parse(sender_id)
    if not conversation.chat_id:
        raise ValueError(f"not a conversation id: {sender_id!r}")
    if conversation.channel == PSEUDONYM_CHANNEL:
        return None
    return enqueue(session, conversation.channel, conversation.chat_id, text, buttons)


def expire_undelivered(session: Session, before: datetime) -> int:
    """Give up the messages queued before `before` and still not delivered (a web chat never
    opened again): they stop waiting, and the retention purge erases them with the rest."""
    expired: CursorResult[Any] = session.execute(  # type: ignore[assignment]
        update(OutboxMessage)
        .where(OutboxMessage.status == PENDING, OutboxMessage.created_at < before)
        .values(status=EXPIRED)
    )
    return expired.rowcount


def fetch_for_chat(
    session: Session, channel: str, chat_id: str, *, after: int | None, limit: int = 50
) -> list[OutboxMessage]:
    """Messages for a chat that fetches its own (the web page), marked sent as they go.

    With `after` (the last id the chat has), everything newer comes again until the
    chat moves past it, so a lost response loses nothing; without it, what is pending.
    """
    query = select(OutboxMessage).where(
        OutboxMessage.channel == channel, OutboxMessage.chat_id == chat_id
    )
    if after is None:
        query = query.where(OutboxMessage.status == PENDING)
    else:
        query = query.where(OutboxMessage.id > after, OutboxMessage.status != EXPIRED)
    messages = list(session.scalars(query.order_by(OutboxMessage.id).limit(limit)))
    now = utcnow()
    for message in messages:
        if message.status == PENDING:
            message.status = SENT
            message.attempts += 1
            message.sent_at = now
    return messages


def undelivered(
    session: Session, since: datetime, channel: str | None = None, limit: int = 500
) -> list[OutboxMessage]:
    """Messages queued since `since` (on `channel`, or any) that will not be delivered,
    newest first, with the reason in `last_error`: for staff to reach the resident
    another way."""
    query = select(OutboxMessage).where(
        OutboxMessage.status.in_(UNDELIVERED), OutboxMessage.created_at >= since
    )
    if channel is not None:
        query = query.where(OutboxMessage.channel == channel)
    return list(session.scalars(query.order_by(OutboxMessage.id.desc()).limit(limit)))
