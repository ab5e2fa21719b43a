"""Notices to a ticket's resident, queued in the outbox. The one place that decides them.

Residents hear of what changes things for them: where their appeal went and by
when it will be answered (dispatch, re-dispatch), progress staff chose to share,
the answer itself, and a merge into another ticket. Filing needs no notice (the
filing reply says it all); returns, category changes and co-handlers are
between staff. The wording is in `vocabulary.yml` under `notices`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from jiesu.conversations import ConversationId
from jiesu.labels import department_name, moment_text
from jiesu.models import utcnow
from jiesu.outbox import OutboxMessage, notify
from jiesu.tickets.models import Ticket
from jiesu.vocabulary import wording


def _send(session: Session, ticket: Ticket, key: str, **values: object) -> OutboxMessage | None:
    """Queue notice `key` for the resident; None if the ticket has no conversation to reach
    (filed by staff, or its resident forgotten)."""
    if ConversationId.of(ticket.sender_id) is None:
        return None
    return notify(
        session, ticket.sender_id, wording("notices", key, number=ticket.number, **values)
    )


def dispatched(
    session: Session, ticket: Ticket, *, again: bool = False, now: datetime | None = None
) -> OutboxMessage | None:
    """Tell the resident which department handles the ticket and the reply deadline.

    `again` is a re-dispatch (改派) to another department. A deadline already
    past is not quoted.
    """
    key = "redispatched" if again else "dispatched"
    department = department_name(ticket.department)
    due = ticket.reply_due_at
    if due is None or due <= (now or utcnow()):
        return _send(session, ticket, f"{key}_no_deadline", department=department)
    return _send(session, ticket, key, department=department, reply_due=moment_text(due))


def progress(session: Session, ticket: Ticket, note: str) -> OutboxMessage | None:
    """Share a progress note staff chose to tell the resident (同时告知居民)."""
    return _send(session, ticket, "progress", note=note)


def answered(session: Session, ticket: Ticket, answer: str) -> OutboxMessage | None:
    """Send the department's answer (答复) itself."""
    return _send(session, ticket, "answered", answer=answer)


def merged(session: Session, ticket: Ticket, lead: Ticket) -> OutboxMessage | None:
    """Tell the resident their ticket now follows `lead`, and its number."""
    return _send(session, ticket, "merged", lead=lead.number)
