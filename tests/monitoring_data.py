"""Tickets and staff for the monitoring tests (dashboard, hot issues, exports)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.orm import Session

from jiesu.staff.accounts import create_user
from jiesu.staff.models import StaffUser
from jiesu.staff.roles import Role
from jiesu.tickets import AppealType, Ticket, create_ticket

PASSWORD = "monitor-pass-1"


def file_ticket(
    session: Session, description: str, when: datetime, *,
    appeal_type: AppealType = AppealType.COMPLAIN, **fields: object,
) -> Ticket:
    """A ticket filed at `when`; `fields` are create_ticket's (category, department, …)."""
    key = uuid.uuid4().hex
    ticket, _ = create_ticket(
        session, channel="web", source_message_id=key, sender_id=f"web:{key}",
        appeal_type=appeal_type, description=description, actor="system", now=when,
        **fields,  # type: ignore[arg-type]
    )
    return ticket


def staff(session: Session, role: Role, **binding: object) -> StaffUser:
    """A new staff account of `role` with a unique name and `PASSWORD`."""
    name = f"{role.value}-{uuid.uuid4().hex[:8]}"
    return create_user(session, name, PASSWORD, role, **binding)  # type: ignore[arg-type]
