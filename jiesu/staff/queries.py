"""Ticket lists as a staff member may see them, with the console's filters and search."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import ColumnElement, Select, and_, false, or_, select, true
from sqlalchemy.orm import Session

from jiesu.config import local_timezone
from jiesu.models import utcnow
from jiesu.staff.models import StaffUser
from jiesu.staff.permissions import DISPATCH_QUEUE, can_view
from jiesu.staff.roles import SEE_ALL, Role
from jiesu.tickets.models import AppealType, CoHandler, Ticket
from jiesu.tickets.service import get_by_number
from jiesu.tickets.workflow import Status

# Statuses in which the reply deadline still runs.
_AWAITING_REPLY = (Status.DISPATCHED, Status.IN_PROGRESS, Status.REOPENED)


@dataclass(frozen=True)
class TicketFilter:
    """The list page's filters; None or empty means "any"."""

    statuses: tuple[Status, ...] = ()
    category: str | None = None
    department: str | None = None
    grid: str | None = None
    appeal_type: AppealType | None = None
    overdue: bool = False
    created_from: date | None = None
    created_to: date | None = None
    text: str | None = None


def _scope(user: StaffUser) -> ColumnElement[bool]:
    """The tickets `user`'s role lets them see (the SQL twin of `permissions.can_view`)."""
    if user.role in SEE_ALL:
        return true()
    if user.role is Role.GRID_WORKER:
        return Ticket.grid.in_(user.grids) if user.grids else false()
    co_handled = select(CoHandler.ticket_id).where(CoHandler.department == user.department)
    return or_(Ticket.department == user.department, Ticket.id.in_(co_handled))


def _overdue(now: datetime) -> ColumnElement[bool]:
    return or_(
        and_(Ticket.status.in_(DISPATCH_QUEUE), Ticket.dispatch_due_at < now),
        and_(Ticket.status.in_(_AWAITING_REPLY), Ticket.reply_due_at < now),
    )


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=local_timezone())


def _filtered(query: Select[Ticket], wanted: TicketFilter, now: datetime) -> Select[Ticket]:
    if wanted.statuses:
        query = query.where(Ticket.status.in_(wanted.statuses))
    for column, value in (
        (Ticket.category, wanted.category),
        (Ticket.department, wanted.department),
        (Ticket.grid, wanted.grid),
    ):
        if value:
            query = query.where(column == value)
    if wanted.appeal_type is not None:
        query = query.where(Ticket.appeal_type == wanted.appeal_type)
    if wanted.overdue:
        query = query.where(_overdue(now))
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
    return query


def visible_tickets(
    session: Session,
    user: StaffUser,
    wanted: TicketFilter = TicketFilter(),
    *,
    limit: int = 200,
    now: datetime | None = None,
) -> list[Ticket]:
    """The tickets `user` may see that match `wanted`, newest first."""
    query = select(Ticket).where(_scope(user))
    query = _filtered(query, wanted, now or utcnow())
    query = query.order_by(Ticket.created_at.desc(), Ticket.id.desc()).limit(limit)
    return list(session.scalars(query))


def is_overdue(ticket: Ticket, now: datetime | None = None) -> bool:
    """Whether the deadline that currently runs for `ticket` has passed."""
    moment = now or utcnow()
    if ticket.status in DISPATCH_QUEUE:
        due = ticket.dispatch_due_at
    elif ticket.status in _AWAITING_REPLY:
        due = ticket.reply_due_at
    else:
        return False
    return due is not None and due < moment


def visible_ticket(session: Session, user: StaffUser, number: str) -> Ticket | None:
    """Ticket `number` if it exists and `user` may see it; None either way otherwise."""
    ticket = get_by_number(session, number)
    return ticket if ticket is not None and can_view(user, ticket) else None
