"""Residents' personal data as staff see it: masked, or shown in full and logged."""

from __future__ import annotations

from sqlalchemy.orm import Session

from jiesu.staff.models import PersonalDataView, StaffUser
from jiesu.staff.permissions import mask_phone, may_see_phone
from jiesu.tickets.models import Ticket
from jiesu.tickets.workflow import staff_actor


def phone_for(session: Session, user: StaffUser, ticket: Ticket) -> str | None:
    """The phone of `ticket` as `user` may see it; a full number shown is logged."""
    if ticket.phone is None:
        return None
    if not may_see_phone(user, ticket):
        return mask_phone(ticket.phone)
    session.add(
        PersonalDataView(actor=staff_actor(user.username), ticket_id=ticket.id, field="phone")
    )
    session.flush()
    return ticket.phone
