"""Handoff rules: open, claim, release, reply, note and close, and the times they record.

A conversation has at most one open handoff (waiting or active). Every function
works inside the caller's transaction and never commits. Times come from the
caller (`now`), so tests drive them with their own clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import median

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from jiesu.conversations import ConversationId
from jiesu.handoff.models import Handoff, HandoffNote, HandoffReason, HandoffStatus
from jiesu.inbox import InboundMessage
from jiesu.labels import duration_text, labels, minute_text
from jiesu.tickets.workflow import resident_actor

OPEN_STATUSES = (HandoffStatus.WAITING, HandoffStatus.ACTIVE)
# A resident writing while nobody has answered yet is told so again after this long.
ACKNOWLEDGE_EVERY = timedelta(minutes=10)
# How far back the expected wait looks at first responses.
WAIT_WINDOW = timedelta(days=7)


class HandoffError(ValueError):
    """A handoff action refused, with a message for the staff member in Chinese."""


def current(session: Session, sender_id: str) -> Handoff | None:
    """The open handoff of conversation `sender_id`, if a person has it or is awaited."""
    return session.scalars(
        select(Handoff)
        .where(Handoff.sender_id == sender_id, Handoff.status.in_(OPEN_STATUSES))
        .order_by(Handoff.id.desc())
        .limit(1)
    ).first()


def open_handoff(
    session: Session,
    sender_id: str,
    reason: HandoffReason,
    *,
    now: datetime,
    staff: str | None = None,
) -> tuple[Handoff, bool]:
    """Hand conversation `sender_id` to people; returns the handoff and whether it is new.

    A staff member taking a conversation over (`staff`) has it claimed at once.
    """
    existing = current(session, sender_id)
    if existing is not None:
        return existing, False
    handoff = Handoff(sender_id=sender_id, reason=reason.value, created_at=now)
    if staff is not None:
        handoff.status = HandoffStatus.ACTIVE
        handoff.claimed_by = staff
        handoff.claimed_at = now
    session.add(handoff)
    session.flush()
    return handoff, True


def get(session: Session, handoff_id: int) -> Handoff:
    """The handoff `handoff_id`; `HandoffError` if there is none."""
    handoff = session.get(Handoff, handoff_id)
    if handoff is None:
        raise HandoffError("该会话不存在。")
    return handoff


def _require_open(handoff: Handoff) -> None:
    if handoff.status == HandoffStatus.CLOSED:
        raise HandoffError("该会话已交还智能助手，不能再操作。")


def claim(handoff: Handoff, staff: str, *, now: datetime) -> None:
    """`staff` takes the handoff; someone else's claim is not taken silently."""
    _require_open(handoff)
    if handoff.claimed_by not in (None, staff):
        raise HandoffError(f"该会话已由 {handoff.claimed_by} 接待。")
    if handoff.claimed_by is None:
        handoff.claimed_by = staff
        handoff.claimed_at = now
    handoff.status = HandoffStatus.ACTIVE


def release(handoff: Handoff, staff: str) -> None:
    """`staff` gives the handoff back to the waiting queue for a colleague."""
    _require_open(handoff)
    if handoff.claimed_by != staff:
        raise HandoffError("只能释放自己接待的会话。")
    handoff.claimed_by = None
    handoff.status = HandoffStatus.WAITING


def record_staff_reply(handoff: Handoff, staff: str, *, now: datetime) -> None:
    """Note a reply by `staff` (claiming the handoff if nobody had): the first sets the
    first-response time."""
    claim(handoff, staff, now=now)
    if handoff.first_response_at is None:
        handoff.first_response_at = now


def record_resident_message(handoff: Handoff, *, now: datetime) -> bool:
    """Note a resident's message; returns whether to tell them a person will answer.

    They are told while nobody has answered yet, at most every `ACKNOWLEDGE_EVERY`.
    """
    handoff.last_resident_at = now
    if handoff.first_response_at is not None:
        return False
    last = handoff.acknowledged_at
    if last is not None and now - last < ACKNOWLEDGE_EVERY:
        return False
    handoff.acknowledged_at = now
    return True


def close(handoff: Handoff, staff: str, *, now: datetime) -> None:
    """Hand the conversation back to the assistant."""
    _require_open(handoff)
    handoff.status = HandoffStatus.CLOSED
    handoff.closed_at = now
    handoff.closed_by = staff


def add_note(session: Session, handoff: Handoff, staff: str, text: str, *, now: datetime) -> None:
    """A private note for colleagues; never shown to the resident."""
    cleaned = text.strip()
    if not cleaned:
        raise HandoffError("请填写备注内容。")
    session.add(HandoffNote(handoff_id=handoff.id, author=staff, text=cleaned, created_at=now))


def notes_of(session: Session, handoff: Handoff) -> list[HandoffNote]:
    """The private notes on `handoff`, oldest first."""
    return list(
        session.scalars(
            select(HandoffNote)
            .where(HandoffNote.handoff_id == handoff.id)
            .order_by(HandoffNote.created_at, HandoffNote.id)
        )
    )


def expected_wait_minutes(session: Session, *, now: datetime, default: int) -> int:
    """Roughly how long a resident waits for a first reply: the median of the last
    week's first responses, rounded up to 5 minutes, or `default` without history."""
    rows = session.execute(
        select(Handoff.created_at, Handoff.first_response_at).where(
            Handoff.first_response_at.is_not(None), Handoff.created_at >= now - WAIT_WINDOW
        )
    ).all()
    if not rows:
        return default
    typical = median(
        (answered - opened).total_seconds() for opened, answered in rows if answered is not None
    )
    return max(5, 5 * -(-int(typical) // 300))


@dataclass(frozen=True)
class Timing:
    """How long the resident waited for a person, and for the first reply (seconds)."""

    waiting_seconds: int | None
    first_response_seconds: int | None


def timing(handoff: Handoff, *, now: datetime) -> Timing:
    """`handoff`'s waiting time (until claimed, or still running) and first-response time."""
    until = handoff.claimed_at or handoff.closed_at or now
    waiting = int((until - handoff.created_at).total_seconds())
    first = handoff.first_response_at
    return Timing(
        waiting_seconds=waiting,
        first_response_seconds=(
            int((first - handoff.created_at).total_seconds()) if first is not None else None
        ),
    )


def inbox(session: Session, *, closed_since: datetime) -> list[Handoff]:
    """Open handoffs (waiting first, oldest first) and those closed since `closed_since`."""
    open_ones = session.scalars(
        select(Handoff)
        .where(Handoff.status.in_(OPEN_STATUSES))
        .order_by(Handoff.status.desc(), Handoff.created_at)
    ).all()
    closed = session.scalars(
        select(Handoff)
        .where(Handoff.status == HandoffStatus.CLOSED, Handoff.closed_at >= closed_since)
        .order_by(Handoff.closed_at.desc())
    ).all()
    return [*open_ones, *closed]


SHOWN_ID_CHARS = 4
_RESIDENT_ACTOR = resident_actor("")


def conversation_label(sender_id: str) -> str:
    """The channel and the chat id's last 4 characters (网页 · …a1b2): enough to tell the
    conversations on one page apart, never the id, which is a web chat's bearer secret."""
    conversation = ConversationId.of(sender_id)
    if conversation is None:  # a sender id Rasa was given directly (its shell, a load test)
        return f"{sender_id} · …"
    named = labels("channels").get(conversation.channel, conversation.channel)
    return f"{named} · …{conversation.chat_id[-SHOWN_ID_CHARS:]}"


def actor_label(actor: str) -> str:
    """An audit actor as staff pages show it: a resident by their masked conversation
    (居民（网页 · …a1b2）), anyone else as recorded."""
    if actor.startswith(_RESIDENT_ACTOR):
        return f"居民（{conversation_label(actor.removeprefix(_RESIDENT_ACTOR))}）"
    return actor


@dataclass(frozen=True)
class HandoffRow:
    """A handoff in the words the console and its export show (no transcript)."""

    id: int
    conversation: str
    reason: str
    status: str
    status_label: str
    claimed_by: str | None
    created_at: str
    last_resident_at: str
    waiting: str
    first_response: str


def handoff_row(handoff: Handoff, *, now: datetime) -> HandoffRow:
    """`handoff` as a row, its waiting time counted up to `now` while nobody has it."""
    times = timing(handoff, now=now)
    return HandoffRow(
        id=handoff.id,
        conversation=conversation_label(handoff.sender_id),
        reason=labels("handoff_reasons").get(handoff.reason, handoff.reason),
        status=handoff.status,
        status_label=labels("handoff_statuses").get(handoff.status, handoff.status),
        claimed_by=handoff.claimed_by,
        created_at=minute_text(handoff.created_at),
        last_resident_at=minute_text(handoff.last_resident_at),
        waiting=duration_text(times.waiting_seconds),
        first_response=duration_text(times.first_response_seconds),
    )


def inbox_rows(session: Session, *, now: datetime, closed_since: datetime) -> list[HandoffRow]:
    """`inbox` as rows."""
    return [handoff_row(h, now=now) for h in inbox(session, closed_since=closed_since)]


@dataclass(frozen=True)
class LiveConversation:
    """A conversation the assistant is holding, which staff may take over."""

    sender_id: str
    last_at: datetime
    last_text: str
    messages: int
    ref: int  # its latest message's id: what a form names it by, instead of the sender id


def live_conversations(
    session: Session, *, since: datetime, limit: int = 50
) -> list[LiveConversation]:
    """Conversations with resident messages since `since` and no open handoff, latest first."""
    sender = ConversationId.sql(InboundMessage.channel, InboundMessage.chat_id)
    latest = (
        select(
            sender.label("sender_id"),
            func.max(InboundMessage.id).label("last_id"),
            func.count().label("messages"),
        )
        .where(InboundMessage.received_at >= since)
        .group_by(InboundMessage.channel, InboundMessage.chat_id)
        .subquery()
    )
    handed = select(Handoff.sender_id).where(Handoff.status.in_(OPEN_STATUSES))
    rows = session.execute(
        select(
            latest.c.sender_id,
            latest.c.messages,
            InboundMessage.received_at,
            InboundMessage.text,
            InboundMessage.id,
        )
        .join(InboundMessage, InboundMessage.id == latest.c.last_id)
        .where(latest.c.sender_id.not_in(handed))
        .order_by(InboundMessage.received_at.desc())
        .limit(limit)
    ).all()
    return [
        LiveConversation(
            sender_id=row[0], messages=row[1], last_at=row[2], last_text=row[3], ref=row[4]
        )
        for row in rows
    ]


def live_sender(session: Session, ref: int, *, since: datetime) -> str | None:
    """The sender id of the conversation whose message `ref` is, if that message came
    since `since` (a conversation the inbox lists as live); None otherwise."""
    message = session.get(InboundMessage, ref)
    if message is None or message.received_at < since:
        return None
    return ConversationId.build(message.channel, message.chat_id)
