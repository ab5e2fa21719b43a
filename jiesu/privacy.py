"""Residents' personal data: erasing one resident's on request (`jiesu residents forget`)
and everyone's once the retention period is over (`jiesu residents purge`).

Erasing keeps what statistics and the audit trail need: a ticket keeps its number,
type, category, department, grid, status, dates, status events and changes; only the
resident's words and contact details go (description, address, time, phone, photos), and
its 查询码, so that nobody can look it up any more.
Messages keep their row (dedupe, counts) without their text; outbox messages, FAQ
questions and photos are deleted. The conversation id itself, which names the resident's
chat, is replaced everywhere by a random one: on request (forget), and once the
conversation is over (purge). The
conversation's transcript lives in Rasa's
tracker store, whose rows are deleted directly: Rasa's HTTP API can only append to
an SQL tracker store (its "replace events" keeps every stored event).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import ColumnElement, delete, func, inspect, make_url, select, text, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from jiesu.conversations import ConversationId
from jiesu.db import Base, get_engine
from jiesu.faq.models import FaqFeedback, FaqUnanswered
from jiesu.handoff.models import Handoff, HandoffNote
from jiesu.handoff.service import OPEN_STATUSES
from jiesu.inbox import InboundMessage
from jiesu.loop.models import Survey, SurveyAnswer
from jiesu.outbox import PENDING, PSEUDONYM_CHANNEL, OutboxMessage
from jiesu.tickets.attachments import attachment_path
from jiesu.tickets.models import Attachment, RoutingFeedback, Ticket
from jiesu.tickets.workflow import FINISHED, resident_actor

FORGOTTEN = "（居民已要求删除个人信息）"
EXPIRED = "（已超过保存期限，个人信息已删除）"
_PLACEHOLDERS = (FORGOTTEN, EXPIRED)


class TrackerStoreError(RuntimeError):
    """Rasa's tracker store cannot be read: erasing would leave every transcript behind."""


@dataclass
class Erased:
    """How many records lost their personal data."""

    tickets: int = 0
    photos: int = 0
    messages: int = 0
    outbox: int = 0
    notes: int = 0
    questions: int = 0
    transcripts: int = 0
    conversations: int = 0  # conversation ids replaced by a random one


def forget_resident(session: Session, sender_id: str) -> Erased:
    """Erase the personal data of the resident of conversation `sender_id`
    ("<channel>:<chat id>") from the app database; the transcript is `erase_transcripts`'."""
    conversation = ConversationId.parse(sender_id)
    tickets = session.scalars(select(Ticket.id).where(Ticket.sender_id == sender_id)).all()
    erased = Erased(tickets=_erase_tickets(session, tickets, FORGOTTEN))
    erased.photos = _delete_photos(session, Attachment.sender_id == sender_id)
    erased.messages = _erase_messages(
        session,
        (InboundMessage.channel == conversation.channel)
        & (InboundMessage.chat_id == conversation.chat_id),
        FORGOTTEN,
    )
    erased.outbox = _count(
        session.execute(
            delete(OutboxMessage).where(
                OutboxMessage.channel == conversation.channel,
                OutboxMessage.chat_id == conversation.chat_id,
            )
        )
    )
    handoffs = select(Handoff.id).where(Handoff.sender_id == sender_id)
    erased.notes = _erase_notes(session, HandoffNote.handoff_id.in_(handoffs), FORGOTTEN)
    erased.questions = _erase_questions(
        session, FaqUnanswered.sender_id == sender_id, FaqFeedback.sender_id == sender_id
    )
    erased.conversations = int(_pseudonymise(session, sender_id) > 0)
    return erased


def _pseudonymise(session: Session, sender_id: str) -> int:
    """Replace the conversation id wherever it is stored (every `sender_id` column, audit
    actors naming the resident, messages' channel and chat id) with a fresh random one: the
    rows of one resident stay together for statistics, with no way back to their chat.
    Returns how many rows named the conversation (0: an id jiesu never saw)."""
    pseudonym = ConversationId.build(PSEUDONYM_CHANNEL, secrets.token_hex(8))
    found = 0
    for table in Base.metadata.sorted_tables:
        # Not a change of the record: columns stamped on update (updated_at) keep their value.
        unchanged = {column.name: column for column in table.c if column.onupdate is not None}
        if "sender_id" in table.c:
            found += _count(
                session.execute(
                    update(table)
                    .where(table.c.sender_id == sender_id)
                    .values(sender_id=pseudonym, **unchanged)
                )
            )
        if "actor" in table.c:
            found += _count(
                session.execute(
                    update(table)
                    .where(table.c.actor == resident_actor(sender_id))
                    .values(actor=resident_actor(pseudonym), **unchanged)
                )
            )
    conversation = ConversationId.parse(sender_id)
    # The channel too, so that pseudonymised messages are told apart (`_over_conversations`).
    found += _count(
        session.execute(
            update(InboundMessage)
            .where(
                InboundMessage.channel == conversation.channel,
                InboundMessage.chat_id == conversation.chat_id,
            )
            .values(channel=PSEUDONYM_CHANNEL, chat_id=pseudonym.chat_id)
        )
    )
    return found


def purge_expired(
    session: Session,
    now: datetime,
    retention_days: int,
    *,
    tracker_store_url: str | None = None,
) -> Erased:
    """Erase the personal data of finished tickets and of messages, notes and questions
    older than `retention_days` (tickets count from their last change), pseudonymise the
    conversations over as long, and, given Rasa's tracker store, erase the transcripts'
    events as old. Idempotent: what was erased is skipped. Raises `TrackerStoreError`,
    before erasing anything, if the tracker store given cannot be read."""
    if tracker_store_url is not None:
        check_tracker_store(tracker_store_url)
    before = now - timedelta(days=retention_days)
    tickets = session.scalars(
        select(Ticket.id).where(
            Ticket.status.in_(FINISHED),
            Ticket.updated_at < before,
            Ticket.description.not_in(_PLACEHOLDERS),
        )
    ).all()
    erased = Erased(tickets=_erase_tickets(session, tickets, EXPIRED))
    erased.photos = _delete_photos(
        session, Attachment.ticket_id.in_(tickets) | (Attachment.created_at < before)
    )
    erased.messages = _erase_messages(session, InboundMessage.received_at < before, EXPIRED)
    erased.outbox = _count(
        session.execute(
            delete(OutboxMessage).where(
                OutboxMessage.created_at < before,
                OutboxMessage.status != PENDING,
            )
        )
    )
    erased.notes = _erase_notes(session, HandoffNote.created_at < before, EXPIRED)
    erased.questions = _erase_questions(
        session, FaqUnanswered.created_at < before, FaqFeedback.created_at < before
    )
    over = _over_conversations(session, before)
    for sender_id in over:
        _pseudonymise(session, sender_id)
    erased.conversations = len(over)
    if tracker_store_url is not None:
        erased.transcripts = erase_transcripts(tracker_store_url, before=before)
    return erased


def _over_conversations(session: Session, before: datetime) -> list[str]:
    """The conversations over: the resident silent since `before`, no ticket of theirs
    unfinished, no handoff open, nothing sent to them since nor waiting to be sent, and
    not pseudonymised yet."""
    sender_id = ConversationId.sql(InboundMessage.channel, InboundMessage.chat_id)
    unfinished = select(Ticket.sender_id).where(Ticket.status.not_in(FINISHED))
    handed = select(Handoff.sender_id).where(Handoff.status.in_(OPEN_STATUSES))
    told = select(ConversationId.sql(OutboxMessage.channel, OutboxMessage.chat_id)).where(
        (OutboxMessage.created_at >= before) | (OutboxMessage.status == PENDING)
    )
    return list(
        session.scalars(
            select(sender_id)
            .where(
                InboundMessage.channel != PSEUDONYM_CHANNEL,
                sender_id.not_in(unfinished),
                sender_id.not_in(handed),
                sender_id.not_in(told),
            )
            .group_by(InboundMessage.channel, InboundMessage.chat_id)
            .having(func.max(InboundMessage.received_at) < before)
        )
    )


def _count(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def _erase_tickets(session: Session, ids: Sequence[int], placeholder: str) -> int:
    """Replace the resident's words and contact details of tickets `ids`."""
    if not ids:
        return 0
    session.execute(
        update(Ticket)
        .where(Ticket.id.in_(ids))
        .values(
            description=placeholder,
            address=None,
            happened=None,
            phone=None,
            query_code=None,  # nobody looks the ticket up any more
            updated_at=Ticket.updated_at,  # erasing is no change of the appeal
        )
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(RoutingFeedback).where(RoutingFeedback.ticket_id.in_(ids)).values(text=placeholder)
    )
    surveys = select(Survey.id).where(Survey.ticket_id.in_(ids))
    session.execute(
        update(SurveyAnswer).where(SurveyAnswer.survey_id.in_(surveys)).values(text=None)
    )
    return len(ids)


def _delete_photos(session: Session, which: ColumnElement[bool]) -> int:
    photos = session.scalars(select(Attachment).where(which)).all()
    for photo in photos:
        attachment_path(photo).unlink(missing_ok=True)
        session.delete(photo)
    session.flush()
    return len(photos)


def _erase_messages(session: Session, which: ColumnElement[bool], placeholder: str) -> int:
    return _count(
        session.execute(
            update(InboundMessage)
            .where(which, InboundMessage.text.not_in(_PLACEHOLDERS))
            .values(text=placeholder, replies=None)
        )
    )


def _erase_notes(session: Session, which: ColumnElement[bool], placeholder: str) -> int:
    return _count(
        session.execute(
            update(HandoffNote)
            .where(which, HandoffNote.text.not_in(_PLACEHOLDERS))
            .values(text=placeholder)
            .execution_options(synchronize_session=False)
        )
    )


def _erase_questions(
    session: Session, unanswered: ColumnElement[bool], feedback: ColumnElement[bool]
) -> int:
    session.execute(update(FaqFeedback).where(feedback).values(question=None))
    return _count(session.execute(delete(FaqUnanswered).where(unanswered)))


def check_tracker_store(tracker_store_url: str) -> None:
    """Raise `TrackerStoreError` unless the URL reaches a database holding Rasa's events
    table. Looking never creates a SQLite file: a wrong path is an error, not an empty store."""
    url = make_url(tracker_store_url)
    if url.get_backend_name() == "sqlite" and not Path(url.database or "").is_file():
        raise _unreadable(tracker_store_url, "no such SQLite file")
    try:
        with get_engine(tracker_store_url).connect() as connection:
            found = inspect(connection).has_table("events")
    except SQLAlchemyError as error:
        raise _unreadable(tracker_store_url, type(error).__name__) from error
    if not found:
        raise _unreadable(tracker_store_url, "no events table (not Rasa's tracker store?)")


def _unreadable(tracker_store_url: str, reason: str) -> TrackerStoreError:
    shown = make_url(tracker_store_url).render_as_string(hide_password=True)
    return TrackerStoreError(f"{shown}: {reason}")


def erase_transcripts(
    tracker_store_url: str, *, sender_id: str | None = None, before: datetime | None = None
) -> int:
    """Delete from Rasa's SQL tracker store the conversation `sender_id`, or every event
    older than `before` (each by its own age: a conversation still going loses its old
    turns); returns how many conversations lost events. Raises `TrackerStoreError` if the
    tracker store cannot be read or written."""
    check_tracker_store(tracker_store_url)
    values: dict[str, object]
    if sender_id is not None:
        which, values = "sender_id = :sender", {"sender": sender_id}
    else:
        assert before is not None, "a sender or a date is needed"
        which, values = "timestamp < :before", {"before": before.timestamp()}
    try:
        with get_engine(tracker_store_url).begin() as connection:
            found = len(
                connection.scalars(
                    text(f"SELECT DISTINCT sender_id FROM events WHERE {which}"), values
                ).all()
            )
            connection.execute(text(f"DELETE FROM events WHERE {which}"), values)
    except SQLAlchemyError as error:
        raise _unreadable(tracker_store_url, type(error).__name__) from error
    return found
