"""Deadline alerts for staff: a reminder before a deadline, an escalation (督办) once it passes.

Which deadline runs, and when a ticket is overdue, is the workflow's rule
(`jiesu.tickets.workflow.Deadlined`): the dispatch deadline while the ticket is in
the dispatchers' queue, the reply deadline while a department works on it. A
reminder goes to whoever must act (the department, or the dispatch desk) once
the `reminder_fraction` setting of the time allowed has gone; an escalation
goes to supervisors as well and marks the ticket 督办. Each is raised once per
deadline: a new deadline (重办) can raise them again.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from jiesu.labels import department_name, grid_label, label, minute_text
from jiesu.loop.models import AlertKind, StaffAlert
from jiesu.loop.rework import latest_round
from jiesu.staff.models import StaffUser
from jiesu.staff.permissions import Scope, can_view, scope_of
from jiesu.tickets.models import Ticket
from jiesu.tickets.workflow import AWAITING_STAFF, DeadlineKind


@dataclass(frozen=True)
class AlertView:
    """An alert with the ticket it is about, for the console."""

    alert: StaffAlert
    ticket: Ticket


def _reminder_due(
    session: Session,
    ticket: Ticket,
    kind: DeadlineKind,
    due: datetime,
    fraction: float,
    now: datetime,
) -> bool:
    """Whether `fraction` of the time allowed for `due` has gone by `now`.

    The time began at filing, or at the 重办 that set `due`; filing is tried
    first, as the later start can only put the moment later.
    """

    def gone(start: datetime) -> bool:
        return now >= start + (due - start) * fraction

    if not gone(ticket.created_at):
        return False
    running = latest_round(session, ticket.id) if kind is DeadlineKind.REPLY else None
    return running is None or running.due_at != due or gone(running.started_at)


def raise_alerts(session: Session, now: datetime, reminder_fraction: float) -> int:
    """Raise the reminders and escalations due at `now` that were not raised yet; how many."""
    tickets = session.scalars(select(Ticket).where(Ticket.status.in_(AWAITING_STAFF))).all()
    raised = {
        (a.ticket_id, a.kind, a.deadline, a.due_at)
        for a in session.scalars(
            select(StaffAlert).where(StaffAlert.ticket_id.in_([t.id for t in tickets]))
        )
    }
    count = 0
    for ticket in tickets:
        running = ticket.running_deadline()
        if running is None:
            continue
        deadline, due = running
        if ticket.is_overdue(now):
            kind = AlertKind.ESCALATION
        elif _reminder_due(session, ticket, deadline, due, reminder_fraction, now):
            kind = AlertKind.REMINDER
        else:
            continue
        if (ticket.id, kind, deadline, due) in raised:
            continue
        department = ticket.department if deadline is DeadlineKind.REPLY else None
        session.add(
            StaffAlert(
                ticket_id=ticket.id,
                kind=kind,
                deadline=deadline,
                department=department,
                due_at=due,
                created_at=now,
            )
        )
        count += 1
    session.flush()
    return count


def _may_see(user: StaffUser, alert: StaffAlert, ticket: Ticket) -> bool:
    sees = scope_of(user)
    if sees is Scope.ALL:
        return True
    if sees is Scope.DEPARTMENT:
        return alert.department is not None and alert.department == user.department
    return can_view(user, ticket)


def alerts_for(session: Session, user: StaffUser, *, limit: int = 200) -> list[AlertView]:
    """The newest alerts `user` should see: handlers their department's, supervisors,
    dispatchers and admins all, grid workers those of tickets they may view."""
    query = (
        select(StaffAlert, Ticket)
        .join(Ticket, Ticket.id == StaffAlert.ticket_id)
        .order_by(StaffAlert.created_at.desc(), StaffAlert.id.desc())
    )
    if scope_of(user) is Scope.DEPARTMENT:
        query = query.where(StaffAlert.department == user.department)
    rows = session.execute(query).all()
    seen = [AlertView(alert, ticket) for alert, ticket in rows if _may_see(user, alert, ticket)]
    return seen[:limit]


@dataclass(frozen=True)
class AlertRow:
    """An alert in the words the 督办提醒 page and its export show."""

    escalation: bool
    kind: str
    deadline: str
    number: str
    description: str
    department: str
    due: str
    raised: str


def _row(alert: StaffAlert, ticket: Ticket) -> AlertRow:
    return AlertRow(
        escalation=alert.kind == AlertKind.ESCALATION,
        kind=label("alerts", AlertKind(alert.kind).value),
        deadline=label("deadlines", DeadlineKind(alert.deadline).value),
        number=ticket.number,
        description=ticket.description,
        department=department_name(alert.department),
        due=minute_text(alert.due_at),
        raised=minute_text(alert.created_at),
    )


def alert_rows(session: Session, user: StaffUser) -> list[AlertRow]:
    """`alerts_for(user)` as rows: labels, the responsible party's name, local times."""
    return [_row(view.alert, view.ticket) for view in alerts_for(session, user)]


def is_supervised(session: Session, ticket_ids: Collection[int]) -> set[int]:
    """Which of `ticket_ids` are 督办 tickets: escalated at least once."""
    if not ticket_ids:
        return set()
    return set(
        session.scalars(
            select(StaffAlert.ticket_id).where(
                StaffAlert.ticket_id.in_(ticket_ids), StaffAlert.kind == AlertKind.ESCALATION
            )
        )
    )


def overdue_counts(
    session: Session, now: datetime, by: Literal["department", "grid"]
) -> dict[str | None, int]:
    """How many open tickets are overdue at `now`, per department or per grid id (None: none)."""
    key = Ticket.department if by == "department" else Ticket.grid
    counted = session.execute(
        select(key, func.count()).where(Ticket.is_overdue(now)).group_by(key)
    ).all()
    return {value: count for value, count in counted}


def overdue_by_name(
    session: Session, now: datetime, by: Literal["department", "grid"]
) -> list[tuple[str, int]]:
    """`overdue_counts` under the names staff read (a department's, or 街道·网格 with
    未定位 for none), most overdue first."""

    def name(key: str | None) -> str:
        return department_name(key) if by == "department" else grid_label(key)

    named = ((name(key), count) for key, count in overdue_counts(session, now, by).items())
    return sorted(named, key=lambda pair: (-pair[1], pair[0]))
