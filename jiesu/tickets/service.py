"""Ticket services: file a ticket, change its status, select tickets, read their history.

Every function works inside the caller's transaction and never commits, so a
status change and its audit event are saved together or not at all.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import ColumnElement, Select, or_, select, true, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from jiesu.config import local_timezone
from jiesu.models import utcnow
from jiesu.tickets.lookup import new_query_code
from jiesu.tickets.models import AppealType, StatusEvent, Ticket, TicketNote
from jiesu.tickets.numbering import allocate_number
from jiesu.tickets.workflow import Status, check_transition


def _by_message(
    session: Session, channel: str, sender_id: str, source_message_id: str
) -> Ticket | None:
    return session.scalars(
        select(Ticket).where(
            Ticket.channel == channel,
            Ticket.sender_id == sender_id,
            Ticket.source_message_id == source_message_id,
        )
    ).one_or_none()


def create_ticket(
    session: Session,
    *,
    channel: str,
    source_message_id: str,
    sender_id: str,
    appeal_type: AppealType,
    description: str,
    address: str | None = None,
    happened: str | None = None,
    phone: str | None = None,
    anonymous: bool = False,
    category: str | None = None,
    subcategory: str | None = None,
    department: str | None = None,
    grid: str | None = None,
    urgency: str = "normal",
    dispatch_due_at: datetime | None = None,
    reply_due_at: datetime | None = None,
    actor: str,
    now: datetime | None = None,
) -> tuple[Ticket, bool]:
    """File the ticket for one resident message, or return the one already filed for it.

    Returns the ticket and whether this call created it. The first status
    event (none → received) is written with it.
    """
    existing = _by_message(session, channel, sender_id, source_message_id)
    if existing is not None:
        return existing, False
    when = now or utcnow()
    # The number is taken before the savepoint: its write opens the transaction,
    # and pysqlite commits a transaction that a SAVEPOINT opened when it is released.
    number = allocate_number(session, now=when)
    ticket = Ticket(
        number=number,
        appeal_type=appeal_type,
        status=Status.RECEIVED,
        description=description,
        address=address,
        happened=happened,
        phone=phone,
        query_code=new_query_code(),
        anonymous=anonymous,
        channel=channel,
        sender_id=sender_id,
        source_message_id=source_message_id,
        category=category,
        subcategory=subcategory,
        department=department,
        grid=grid,
        urgency=urgency,
        dispatch_due_at=dispatch_due_at,
        reply_due_at=reply_due_at,
        created_at=when,
        updated_at=when,
    )
    try:
        with session.begin_nested():
            session.add(ticket)
    except IntegrityError:
        # A concurrent call filed the same message first; its number is skipped.
        existing = _by_message(session, channel, sender_id, source_message_id)
        if existing is None:
            raise
        return existing, False
    session.add(
        StatusEvent(
            ticket_id=ticket.id,
            from_status=None,
            to_status=Status.RECEIVED,
            actor=actor,
            created_at=when,
        )
    )
    session.flush()
    return ticket, True


def change_status(
    session: Session,
    ticket: Ticket,
    to: Status,
    *,
    actor: str,
    note: str | None = None,
    now: datetime | None = None,
) -> StatusEvent:
    """Move `ticket` to `to` if the workflow allows it, appending the audit event.

    The status is re-read under a row lock (PostgreSQL) and written only if it
    is still the one read, so a concurrent change is validated again instead
    of overwritten. SQLite has no row locks, but once the conditional UPDATE
    has run this transaction holds the database write lock, so a second pass
    reads a status nobody else can change and the loop ends.
    """
    when = now or utcnow()
    session.flush()  # the re-read below would otherwise drop unsaved edits of the ticket
    while True:
        session.refresh(ticket, with_for_update=True)
        current = ticket.status
        check_transition(ticket.number, current, to, actor=actor, note=note)
        moved = session.execute(
            update(Ticket)
            .where(Ticket.id == ticket.id, Ticket.status == current)
            .values(status=to, updated_at=when)
            .returning(Ticket.id)
            .execution_options(synchronize_session="evaluate")
        ).scalar_one_or_none()
        if moved is not None:
            break
    event = StatusEvent(
        ticket_id=ticket.id,
        from_status=current,
        to_status=to,
        actor=actor,
        note=note,
        created_at=when,
    )
    session.add(event)
    session.flush()
    return event


def reopen(
    session: Session, ticket: Ticket, *, actor: str, reason: str, now: datetime | None = None
) -> StatusEvent:
    """Reopen a replied or closed ticket (重办), e.g. when the resident is not satisfied."""
    return change_status(session, ticket, Status.REOPENED, actor=actor, note=reason, now=now)


def merge(
    session: Session,
    duplicate: Ticket,
    *,
    into: Ticket,
    actor: str,
    note: str,
    now: datetime | None = None,
) -> StatusEvent:
    """Merge `duplicate` into `into`, the ticket that carries on the work."""
    if into.id == duplicate.id:
        raise ValueError(f"ticket {duplicate.number} cannot be merged into itself")
    if into.status is Status.MERGED:
        raise ValueError(
            f"ticket {duplicate.number} cannot be merged into {into.number}, which is itself merged"
        )
    event = change_status(session, duplicate, Status.MERGED, actor=actor, note=note, now=now)
    duplicate.merged_into_id = into.id
    session.flush()
    return event


def get_by_number(session: Session, number: str) -> Ticket | None:
    """The ticket numbered `number`, if any."""
    return session.scalars(select(Ticket).where(Ticket.number == number)).one_or_none()


@dataclass(frozen=True)
class TicketFilter:
    """Which tickets a list shows (the console's filters, the CLI's options); None or
    empty means "any". Days are local calendar days, both ends included."""

    statuses: Collection[Status] = ()
    category: str | None = None
    department: str | None = None
    grid: str | None = None
    appeal_type: AppealType | None = None
    sender_id: str | None = None
    overdue: bool = False
    created_from: date | None = None
    created_to: date | None = None
    text: str | None = None


# No filter: every ticket (within the scope given).
ANY_TICKET = TicketFilter()


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=local_timezone())


def select_tickets(
    wanted: TicketFilter = ANY_TICKET,
    *,
    scope: ColumnElement[bool] | None = None,
    now: datetime | None = None,
) -> Select[Ticket]:
    """The tickets matching `wanted` within `scope` (who may see them: a staff member's
    `jiesu.staff.queries.scope`; None for all), newest first. `now` decides overdue."""
    query = select(Ticket).where(true() if scope is None else scope)
    if wanted.statuses:
        query = query.where(Ticket.status.in_(wanted.statuses))
    for column, value in (
        (Ticket.category, wanted.category),
        (Ticket.department, wanted.department),
        (Ticket.grid, wanted.grid),
        (Ticket.sender_id, wanted.sender_id),
    ):
        if value:
            query = query.where(column == value)
    if wanted.appeal_type is not None:
        query = query.where(Ticket.appeal_type == wanted.appeal_type)
    if wanted.overdue:
        query = query.where(Ticket.is_overdue(now or utcnow()))
    if wanted.created_from is not None:
        query = query.where(Ticket.created_at >= _local_midnight(wanted.created_from))
    if wanted.created_to is not None:
        end = _local_midnight(wanted.created_to + timedelta(days=1))
        query = query.where(Ticket.created_at < end)
    if wanted.text:
        words = wanted.text.strip()
        query = query.where(
            or_(
                Ticket.number.contains(words, autoescape=True),
                Ticket.description.contains(words, autoescape=True),
                Ticket.address.contains(words, autoescape=True),
            )
        )
    return query.order_by(Ticket.created_at.desc(), Ticket.id.desc())


def list_tickets(
    session: Session,
    wanted: TicketFilter = ANY_TICKET,
    *,
    scope: ColumnElement[bool] | None = None,
    limit: int | None = None,
    now: datetime | None = None,
) -> list[Ticket]:
    """`select_tickets`, at most `limit` of them."""
    return list(session.scalars(select_tickets(wanted, scope=scope, now=now).limit(limit)))


def tickets_for_sender(
    session: Session, sender_id: str, *, limit: int | None = None
) -> list[Ticket]:
    """The tickets filed from conversation `sender_id`, newest first."""
    return list_tickets(session, TicketFilter(sender_id=sender_id), limit=limit)


def merged_into(session: Session, ticket: Ticket) -> Ticket | None:
    """The ticket `ticket` was merged into, if it was."""
    if ticket.merged_into_id is None:
        return None
    return session.get(Ticket, ticket.merged_into_id)


def history(session: Session, ticket: Ticket) -> list[StatusEvent]:
    """The status events of `ticket`, oldest first."""
    return list(
        session.scalars(
            select(StatusEvent)
            .where(StatusEvent.ticket_id == ticket.id)
            .order_by(StatusEvent.created_at, StatusEvent.id)
        )
    )


def notes(session: Session, ticket: Ticket) -> list[TicketNote]:
    """The progress notes of `ticket`, oldest first."""
    return list(
        session.scalars(
            select(TicketNote)
            .where(TicketNote.ticket_id == ticket.id)
            .order_by(TicketNote.created_at, TicketNote.id)
        )
    )
