"""Assessing a resident's appeal and filing it as a ticket (接诉即应, 智能分拨, 精准派单)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from jiesu.city import City, current_city
from jiesu.city.locate import Location
from jiesu.db import in_transaction
from jiesu.deadlines import Urgency, due_dates
from jiesu.models import utcnow
from jiesu.routing import Route, route
from jiesu.tickets.attachments import attach_pending
from jiesu.tickets.models import AppealType, Ticket
from jiesu.tickets.service import change_status, create_ticket
from jiesu.tickets.workflow import SYSTEM_ACTOR, Status, resident_actor


@dataclass(frozen=True)
class Draft:
    """An appeal as the resident described it, before it is filed."""

    appeal_type: AppealType
    description: str
    address: str | None = None
    happened: str | None = None
    phone: str | None = None

    @property
    def anonymous(self) -> bool:
        """Whether the resident left no way to contact them."""
        return self.phone is None


@dataclass(frozen=True)
class Assessment:
    """Where a draft goes: its category and department, and the grid of its address."""

    route: Route
    location: Location | None

    @property
    def grid_id(self) -> str | None:
        """The grid the address lies in, if the city files locate it that far."""
        if self.location is None or self.location.grid is None:
            return None
        return self.location.grid.grid.id

    @property
    def place(self) -> str | None:
        """The community and grid (or just the street) the address lies in, for people."""
        if self.location is None:
            return None
        if self.location.grid is not None:
            located = self.location.grid
            return f"{located.street.name}{located.community.name}·{located.grid.name}"
        return self.location.street.name if self.location.street is not None else None


def assess(draft: Draft, city: City | None = None) -> Assessment:
    """Route the description and locate the address (or the description, if no address)."""
    city = city or current_city()
    where = draft.address or draft.description
    location = city.locate(where)
    return Assessment(route=route(draft.description), location=location)


def file_appeal(
    session: Session,
    draft: Draft,
    assessment: Assessment,
    *,
    sender_id: str,
    source_message_id: str,
    now: datetime | None = None,
) -> tuple[Ticket, bool]:
    """File `draft` as a ticket, once per resident message; dispatch it if routing is sure.

    Returns the ticket and whether this call filed it. Photos the resident sent
    before confirming are attached to it. A confidently routed
    ticket is dispatched to its department at once; otherwise it stays received
    in the dispatchers' queue. Deadlines follow the city's rules either way.
    """
    city = current_city()
    when = now or utcnow()
    chosen = assessment.route
    deadlines = due_dates(
        received_at=when,
        urgency=Urgency.NORMAL,
        category=chosen.category or "",
        subcategory=chosen.subcategory,
        complex_=False,
        rules=city.deadline_rules,
    )
    channel = sender_id.split(":", 1)[0]
    # An unsure route keeps its guessed category for the dispatcher, not a department.
    department = (city.dispatch_center if chosen.needs_dispatcher or chosen.category is None
                  else city.department_for(chosen.category, chosen.subcategory))
    ticket, created = create_ticket(
        session,
        channel=channel,
        source_message_id=source_message_id,
        sender_id=sender_id,
        appeal_type=draft.appeal_type,
        description=draft.description,
        address=draft.address,
        happened=draft.happened,
        phone=draft.phone,
        anonymous=draft.anonymous,
        category=chosen.category,
        subcategory=chosen.subcategory,
        department=department.id,
        grid=assessment.grid_id,
        urgency=Urgency.NORMAL,
        dispatch_due_at=deadlines.dispatch_due_at,
        reply_due_at=deadlines.reply_due_at,
        actor=resident_actor(sender_id),
        now=when,
    )
    if created:
        attach_pending(session, ticket, now=when)
    if created and not chosen.needs_dispatcher:
        change_status(
            session, ticket, Status.DISPATCHED, actor=SYSTEM_ACTOR,
            note=f"智能分拨：{department.name}（置信度 {chosen.confidence:.2f}）", now=when,
        )
    return ticket, created


def file_appeal_retrying(
    draft: Draft,
    assessment: Assessment,
    *,
    sender_id: str,
    source_message_id: str,
    database_url: str | None = None,
) -> tuple[Ticket, bool]:
    """`file_appeal` in a transaction of its own, tried again (a few times, shortly apart)
    while the database is locked or briefly unreachable; raises SQLAlchemy's error if it
    stays so. Filing is idempotent per resident message, so a retry never files twice."""
    return in_transaction(
        lambda session: file_appeal(
            session, draft, assessment, sender_id=sender_id, source_message_id=source_message_id
        ),
        database_url,
    )
