"""Answering a resident who asks where their tickets are (query_ticket).

A conversation sees its own tickets in full. Another conversation asking by number is
treated as a stranger (`jiesu.tickets.lookup`): it must prove it knows the ticket and then
reads only the status and the deadline; every refusal reads the same, so a number tells
nothing about whether the ticket exists, what kind it is, or why it was refused.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

from sqlalchemy.orm import Session

from jiesu.appeals.wording import status_message, verified_status_message
from jiesu.models import utcnow
from jiesu.tickets import lookup
from jiesu.tickets.models import StatusEvent, Ticket
from jiesu.tickets.service import get_by_number, history, merged_into, tickets_for_sender
from jiesu.tickets.workflow import Status, is_staff
from jiesu.vocabulary import wording

# Notes written with these changes are meant for the resident (progress, the answer);
# notes on returns and merges are between staff.
_RESIDENT_NOTES: Final = frozenset({Status.IN_PROGRESS, Status.REPLIED, Status.CLOSED})
RECENT: Final = 3


def latest_progress(events: list[StatusEvent]) -> str | None:
    """The newest note a staff member wrote for the resident, if any."""
    return next(
        (
            e.note
            for e in reversed(events)
            if e.note and is_staff(e.actor) and e.to_status in _RESIDENT_NOTES
        ),
        None,
    )


def _describe(session: Session, ticket: Ticket) -> str:
    lead = merged_into(session, ticket)
    return status_message(
        ticket, latest_progress(history(session, ticket)), lead.number if lead is not None else None
    )


def status_reply(
    session: Session,
    sender_id: str,
    number: str | None,
    message: str = "",
    *,
    now: datetime | None = None,
) -> str:
    """The status of ticket `number`, or of this resident's latest tickets; `message`,
    the resident's words, may prove a ticket of another conversation is theirs."""
    if number:
        number = number.strip()
        ticket = get_by_number(session, number)
        if ticket is not None and ticket.sender_id == sender_id:
            return _describe(session, ticket)
        return _stranger_reply(session, sender_id, number, ticket, message, now or utcnow())
    tickets = tickets_for_sender(session, sender_id, limit=RECENT)
    if not tickets:
        return wording("status", "none")
    return "\n\n".join([wording("status", "yours"), *(_describe(session, t) for t in tickets)])


def _stranger_reply(
    session: Session,
    sender_id: str,
    number: str,
    ticket: Ticket | None,
    message: str,
    now: datetime,
) -> str:
    if lookup.conversation_blocked(session, sender_id, now=now):
        return wording("status", "too_many")
    if not lookup.offers_proof(message):
        return wording("status", "verify", number=number)
    if ticket is None or not lookup.reveals(session, ticket, message, now=now):
        lookup.record_failure(session, sender_id, ticket, now=now)
        return wording("status", "not_verified", number=number)
    return verified_status_message(ticket)
