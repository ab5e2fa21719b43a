"""Assessing a resident's appeal and filing it as a ticket (接诉即应, 智能分拨, 精准派单)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from sqlalchemy.orm import Session

from jiesu.city import City, current_city
from jiesu.city.locate import Location
from jiesu.conversations import ConversationId
from jiesu.db import in_transaction
from jiesu.deadlines import Urgency, due_dates
from jiesu.models import utcnow
from jiesu.routing import Route, route
from jiesu.tickets.attachments import attach_pending
from jiesu.tickets.models import AppealType, Ticket
from jiesu.tickets.service import change_status, create_ticket, history
from jiesu.tickets.workflow import SYSTEM_ACTOR, Status, resident_actor

# The conversation slot keeping the assessment shown in the summary (domain.yml).
ASSESSMENT_SLOT: Final = "appeal_assessment"


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
    """Where a draft goes: its route (category, department, confidence, guesses) and the
    grid of its address, for the draft it was made for (`description`, `address`).

    Made once, when the summary is shown, and kept in the conversation (`as_dict`,
    `from_dict`), so the ticket filed is the one the resident confirmed.
    """

    route: Route
    grid_id: str | None
    place: str | None
    description: str
    address: str | None = None

    @classmethod
    def of(cls, draft: Draft, route: Route, location: Location | None) -> Assessment:
        """The assessment of `draft` from its route and the location of its address."""
        grid_id = place = None
        if location is not None and location.grid is not None:
            located = location.grid
            grid_id = located.grid.id
            place = f"{located.street.name}{located.community.name}·{located.grid.name}"
        elif location is not None and location.street is not None:
            place = location.street.name
        return cls(route, grid_id, place, draft.description, draft.address)

    def is_for(self, draft: Draft) -> bool:
        """Whether this assessment was made for `draft`'s description and address."""
        return (self.description, self.address) == (draft.description, draft.address)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready data, to keep in a slot."""
        return {
            "route": self.route.as_dict(),
            "grid_id": self.grid_id,
            "place": self.place,
            "description": self.description,
            "address": self.address,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Assessment:
        """The assessment `as_dict` gave; ValueError for anything else."""
        try:
            return cls(
                Route.from_dict(data["route"]),
                data["grid_id"],
                data["place"],
                data["description"],
                data["address"],
            )
        except (KeyError, TypeError) as error:
            raise ValueError(f"not a stored assessment: {error}") from None


def assess(draft: Draft, city: City | None = None) -> Assessment:
    """Route the description and locate the address (or the description, if no address)."""
    city = city or current_city()
    where = draft.address or draft.description
    return Assessment.of(draft, route(draft.description), city.locate(where))


def confirmed_assessment(draft: Draft, stored: object) -> Assessment:
    """The assessment shown in the summary the resident confirmed (`stored`, as
    `Assessment.as_dict` gave it) if it is for this draft; otherwise a new one."""
    if isinstance(stored, dict):
        try:
            shown = Assessment.from_dict(stored)
        except ValueError:
            return assess(draft)
        if shown.is_for(draft):
            return shown
    return assess(draft)


def guesses_note(chosen: Route) -> str:
    """For the dispatcher of an unsure route: the router's top guesses (Chinese)."""
    guesses = "；".join(
        f"{'/'.join(p for p in (g.category, g.subcategory) if p)} {g.confidence:.0%}"
        for g in chosen.guesses
    )
    return f"智能分拨待人工确认（置信度 {chosen.confidence:.2f}）：{guesses or '无候选'}"


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
    in the dispatchers' queue, its filing event noting the router's top three guesses.
    Deadlines follow the city's rules either way.
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
    conversation = ConversationId.of(sender_id)
    # A sender id that is no conversation id (Rasa's shell, a load test) is its own channel.
    channel = conversation.channel if conversation is not None else sender_id
    # An unsure route keeps its guessed category for the dispatcher, not a department.
    department = (
        city.dispatch_center
        if chosen.needs_dispatcher or chosen.category is None
        else city.department_for(chosen.category, chosen.subcategory)
    )
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
    if created and chosen.needs_dispatcher:
        # The dispatcher sees the router's guesses on the filing event of the ticket.
        history(session, ticket)[0].note = guesses_note(chosen)
    if created and not chosen.needs_dispatcher:
        change_status(
            session,
            ticket,
            Status.DISPATCHED,
            actor=SYSTEM_ACTOR,
            note=f"智能分拨：{department.name}（置信度 {chosen.confidence:.2f}）",
            now=when,
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
