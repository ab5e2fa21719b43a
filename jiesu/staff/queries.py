"""Ticket lists as a staff member may see them: the scope of their role, in SQL."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, false, or_, select, true
from sqlalchemy.orm import Session

from jiesu.staff.models import StaffUser
from jiesu.staff.permissions import Scope, can_view, scope_of
from jiesu.tickets.models import CoHandler, Ticket
from jiesu.tickets.service import ANY_TICKET, TicketFilter, get_by_number, list_tickets


def scope(user: StaffUser) -> ColumnElement[bool]:
    """The tickets `user`'s role lets them see (the SQL twin of `permissions.can_view`)."""
    sees = scope_of(user)
    if sees is Scope.ALL:
        return true()
    if sees is Scope.GRIDS:
        return Ticket.grid.in_(user.grids) if user.grids else false()
    co_handled = select(CoHandler.ticket_id).where(CoHandler.department == user.department)
    return or_(Ticket.department == user.department, Ticket.id.in_(co_handled))


def visible_tickets(
    session: Session,
    user: StaffUser,
    wanted: TicketFilter = ANY_TICKET,
    *,
    limit: int = 200,
    now: datetime | None = None,
) -> list[Ticket]:
    """The tickets `user` may see that match `wanted`, newest first."""
    return list_tickets(session, wanted, scope=scope(user), limit=limit, now=now)


def visible_ticket(session: Session, user: StaffUser, number: str) -> Ticket | None:
    """Ticket `number` if it exists and `user` may see it; None either way otherwise."""
    ticket = get_by_number(session, number)
    return ticket if ticket is not None and can_view(user, ticket) else None
