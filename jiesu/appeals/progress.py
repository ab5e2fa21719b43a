"""Answering a resident who asks where their tickets are (query_ticket)."""

from __future__ import annotations

from typing import Final

from sqlalchemy.orm import Session

from jiesu.appeals.wording import status_message
from jiesu.tickets.models import StatusEvent, Ticket
from jiesu.tickets.service import get_by_number, history, list_tickets, merged_into
from jiesu.tickets.workflow import Status, is_staff
from jiesu.vocabulary import wording

# Notes written with these changes are meant for the resident (progress, the answer);
# notes on returns and merges are between staff.
_RESIDENT_NOTES: Final = frozenset({Status.IN_PROGRESS, Status.REPLIED, Status.CLOSED})
RECENT: Final = 3


def latest_progress(events: list[StatusEvent]) -> str | None:
    """The newest note a staff member wrote for the resident, if any."""
    return next(
        (e.note for e in reversed(events)
         if e.note and is_staff(e.actor) and e.to_status in _RESIDENT_NOTES),
        None,
    )


def _describe(session: Session, ticket: Ticket) -> str:
    lead = merged_into(session, ticket)
    return status_message(ticket, latest_progress(history(session, ticket)),
                          lead.number if lead is not None else None)


def status_reply(session: Session, sender_id: str, number: str | None) -> str:
    """The status of ticket `number`, or of this resident's latest tickets."""
    if number:
        ticket = get_by_number(session, number.strip())
        if ticket is None:
            return wording("status", "not_found", number=number)
        return _describe(session, ticket)
    tickets = list_tickets(session, sender_id=sender_id, limit=RECENT)
    if not tickets:
        return wording("status", "none")
    return "\n\n".join([wording("status", "yours"), *(_describe(session, t) for t in tickets)])
