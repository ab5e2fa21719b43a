"""Reply rounds and 重办: the periods a resident is owed an answer in, and reopening a ticket.

Round 1 runs from filing to the ticket's first reply deadline; each reopening
starts a new round with a new deadline from the city's rules, counted from the
moment it was reopened. The ticket's `reply_due_at` shows the running round's
deadline; the rounds keep every one of them for the response rate.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from jiesu.city import current_city
from jiesu.deadlines import due_dates
from jiesu.labels import department_name
from jiesu.loop.models import ReplyRound
from jiesu.tickets.models import Ticket
from jiesu.tickets.service import change_status, reopen
from jiesu.tickets.workflow import SYSTEM_ACTOR, Status
from jiesu.vocabulary import wording


def latest_round(session: Session, ticket_id: int) -> ReplyRound | None:
    """The running (newest) reply round of a ticket, if any was recorded."""
    return session.scalars(
        select(ReplyRound)
        .where(ReplyRound.ticket_id == ticket_id)
        .order_by(ReplyRound.round.desc())
        .limit(1)
    ).first()


def record_first_round(session: Session, ticket: Ticket) -> ReplyRound | None:
    """Record round 1 from the ticket's filing deadline, unless it is recorded or there is none."""
    if ticket.reply_due_at is None or latest_round(session, ticket.id) is not None:
        return None
    first = ReplyRound(
        ticket_id=ticket.id, round=1, started_at=ticket.created_at, due_at=ticket.reply_due_at
    )
    session.add(first)
    session.flush()
    return first


def record_first_rounds(session: Session) -> int:
    """Record round 1 of every ticket with a reply deadline that has none yet; how many."""
    unrecorded = session.scalars(
        select(Ticket).where(
            Ticket.reply_due_at.is_not(None),
            Ticket.status != Status.MERGED,
            ~exists().where(ReplyRound.ticket_id == Ticket.id),
        )
    ).all()
    for ticket in unrecorded:
        record_first_round(session, ticket)
    return len(unrecorded)


def reopen_for_rework(
    session: Session, ticket: Ticket, *, actor: str, reason: str, now: datetime
) -> datetime:
    """Reopen `ticket` (重办) for `reason`, back to its department with a new reply deadline.

    Returns the new deadline. A ticket without a department stays reopened for a
    dispatcher to send on.
    """
    record_first_round(session, ticket)
    reopen(session, ticket, actor=actor, reason=reason, now=now)
    due = due_dates(
        received_at=now,
        urgency=ticket.urgency,
        category=ticket.category or "",
        subcategory=ticket.subcategory,
        complex_=False,
        rules=current_city().deadline_rules,
    ).reply_due_at
    ticket.reply_due_at = due
    previous = latest_round(session, ticket.id)
    session.add(
        ReplyRound(
            ticket_id=ticket.id,
            round=(previous.round if previous is not None else 0) + 1,
            started_at=now,
            due_at=due,
        )
    )
    if ticket.department is not None:
        note = wording(
            "followup", "notes", "redispatched", department=department_name(ticket.department)
        )
        change_status(session, ticket, Status.DISPATCHED, actor=SYSTEM_ACTOR, note=note, now=now)
    session.flush()
    return due
