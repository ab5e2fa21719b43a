"""The inbox: residents' messages as channels delivered them, the mirror of the outbox.

Every message is recorded before anything else (`claim`), so nothing is lost and a
re-delivered or retried one is found instead of answered twice. Its status says where
it is: being answered, answered, limited, waiting for an answer (failed, or taken by a
process that died), or given up. The gateway (bot/gateway.py) decides what happens;
the table's reads and writes are here, each in a short transaction of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    ColumnElement,
    CursorResult,
    String,
    Text,
    UniqueConstraint,
    and_,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from jiesu.conversations import ConversationId
from jiesu.db import Base, UtcDateTime, session_scope
from jiesu.models import utcnow
from jiesu.outbox import notify


class InboundStatus(StrEnum):
    """Where a resident's message is; the value is what the database stores."""

    RECEIVED = "received"  # being answered since `claimed_at`
    ANSWERED = "answered"  # its replies are stored (the assistant's, a person's, or ours)
    LIMITED = "limited"  # recorded, not passed on: the conversation sent too fast
    FAILED = "failed"  # the assistant could not answer: waiting to be tried again
    GIVEN_UP = "given_up"  # waited too long; the resident was asked to send it again


Replies = list[dict[str, Any]]


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
    status: Mapped[str] = mapped_column(String(16), default=InboundStatus.RECEIVED, index=True)
    replies: Mapped[Replies | None] = mapped_column(JSON, default=None)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    # When the message was last taken to be answered: a message `RECEIVED` long
    # ago belongs to a process that died (see bot/gateway.py).
    claimed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)


@dataclass
class Claim:
    """A message as `claim` found it: its row, whether this arrival recorded it, its status
    and the replies stored (for a duplicate)."""

    record_id: int
    is_new: bool
    status: InboundStatus
    replies: Replies | None


@dataclass(frozen=True)
class Waiting:
    """A message waiting for an answer, as the gateway needs it to try again."""

    record_id: int
    message_id: str
    text: str


class Inbox:
    """The inbound messages of the app database at `database_url`."""

    def __init__(self, database_url: str | None, claim_lease: timedelta) -> None:
        self._database_url = database_url
        self._claim_lease = claim_lease

    def claim(self, channel: str, chat_id: str, message_id: str, text: str) -> Claim:
        """Record a message, or find the one recorded for the same message of the chat."""
        try:
            with session_scope(self._database_url) as session:
                record = InboundMessage(
                    channel=channel,
                    external_id=message_id,
                    chat_id=chat_id,
                    text=text,
                    status=InboundStatus.RECEIVED,
                )
                session.add(record)
                session.flush()
                return Claim(record.id, True, InboundStatus.RECEIVED, None)
        except IntegrityError:
            with session_scope(self._database_url) as session:
                existing = session.scalars(
                    select(InboundMessage).where(
                        InboundMessage.channel == channel,
                        InboundMessage.chat_id == chat_id,
                        InboundMessage.external_id == message_id,
                    )
                ).one()
                return Claim(existing.id, False, InboundStatus(existing.status), existing.replies)

    def waiting(self) -> ColumnElement[bool]:
        """Messages waiting for an answer: those whose try found the assistant down, and
        those taken longer than the claim lease ago (their process died)."""
        abandoned = utcnow() - self._claim_lease
        return or_(
            InboundMessage.status == InboundStatus.FAILED,
            and_(
                InboundMessage.status == InboundStatus.RECEIVED,
                InboundMessage.claimed_at < abandoned,
            ),
        )

    def retake(self, record_id: int) -> bool:
        """Take a message waiting for an answer; only one of concurrent tries wins."""
        with session_scope(self._database_url) as session:
            taken: CursorResult[Any] = session.execute(  # type: ignore[assignment]
                update(InboundMessage)
                .where(InboundMessage.id == record_id, self.waiting())
                .values(status=InboundStatus.RECEIVED, claimed_at=utcnow())
            )
            return bool(taken.rowcount)

    def was_handled(self, channel: str, chat_id: str, message_id: str) -> bool:
        """Whether a chat's message was handled or is being handled: neither unknown,
        nor waiting for an answer."""
        with session_scope(self._database_url) as session:
            waiting = session.scalar(
                select(self.waiting()).where(
                    InboundMessage.channel == channel,
                    InboundMessage.chat_id == chat_id,
                    InboundMessage.external_id == message_id,
                )
            )
        return waiting is not None and not waiting

    def passed_on_since(self, channel: str, chat_id: str, since: datetime, record_id: int) -> int:
        """How many of the chat's messages from `since` on, other than `record_id`, were
        passed on (limited ones do not count, so a slower resident is served again)."""
        with session_scope(self._database_url) as session:
            recent = session.scalar(
                select(func.count()).where(
                    InboundMessage.channel == channel,
                    InboundMessage.chat_id == chat_id,
                    InboundMessage.received_at >= since,
                    InboundMessage.status != InboundStatus.LIMITED,
                    InboundMessage.id != record_id,
                )
            )
        return recent or 0

    def oldest_waiting(self, channel: str, chat_id: str, since: datetime) -> Waiting | None:
        """The chat's first message waiting for an answer received from `since` on."""
        with session_scope(self._database_url) as session:
            record = session.scalars(
                select(InboundMessage)
                .where(
                    InboundMessage.channel == channel,
                    InboundMessage.chat_id == chat_id,
                    self.waiting(),
                    InboundMessage.received_at >= since,
                )
                .order_by(InboundMessage.id)
                .limit(1)
            ).first()
            return None if record is None else Waiting(record.id, record.external_id, record.text)

    def waiting_conversations(self) -> list[tuple[str, str]]:
        """(channel, chat id) of conversations with messages waiting, the longest first."""
        with session_scope(self._database_url) as session:
            rows = session.execute(
                select(InboundMessage.channel, InboundMessage.chat_id)
                .where(self.waiting())
                .group_by(InboundMessage.channel, InboundMessage.chat_id)
                .order_by(func.min(InboundMessage.id))
            ).all()
        return [(channel, chat_id) for channel, chat_id in rows]

    def give_up_before(self, cutoff: datetime, text: str) -> int:
        """Give up waiting messages received before `cutoff`, telling each conversation
        `text` once through the outbox (the conditional update lets only one process send
        it). How many were given up."""
        total = 0
        with session_scope(self._database_url) as session:
            stale = session.execute(
                select(InboundMessage.channel, InboundMessage.chat_id)
                .where(self.waiting(), InboundMessage.received_at < cutoff)
                .distinct()
            ).all()
            for channel, chat_id in stale:
                given: CursorResult[Any] = session.execute(  # type: ignore[assignment]
                    update(InboundMessage)
                    .where(
                        InboundMessage.channel == channel,
                        InboundMessage.chat_id == chat_id,
                        self.waiting(),
                        InboundMessage.received_at < cutoff,
                    )
                    .values(
                        status=InboundStatus.GIVEN_UP,
                        replies=[{"text": text}],
                        answered_at=utcnow(),
                    )
                )
                if given.rowcount:
                    notify(session, ConversationId.build(channel, chat_id), text)
                    total += given.rowcount
        return total

    def finish(
        self, record_id: int, replies: Replies, status: InboundStatus, later: bool = False
    ) -> None:
        """Record the outcome; `later` (a retried message, its request long answered) sends
        the replies through the outbox, or keeps the first reply if it failed again."""
        with session_scope(self._database_url) as session:
            record = session.get_one(InboundMessage, record_id)
            record.status = status
            if later and status is InboundStatus.FAILED:
                return
            record.replies = replies
            record.answered_at = utcnow()
            if later:
                for reply in replies:
                    if reply.get("text"):
                        notify(
                            session,
                            ConversationId.build(record.channel, record.chat_id),
                            reply["text"],
                            reply.get("buttons") or None,
                        )
