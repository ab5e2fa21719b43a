"""Shared test factories: tickets filed and moved through the real services, staff accounts.

Tests import these instead of writing their own ticket helper.
"""

from __future__ import annotations

import uuid
from collections import deque
from datetime import datetime

from sqlalchemy.orm import Session

from jiesu.staff.accounts import create_user
from jiesu.staff.models import StaffUser
from jiesu.staff.roles import Role
from jiesu.tickets import (
    ALLOWED_TRANSITIONS,
    AppealType,
    Status,
    Ticket,
    change_status,
    create_ticket,
    staff_actor,
)

PASSWORD = "monitor-pass-1"
STAFF = staff_actor("factory")


def file_ticket(
    session: Session,
    description: str,
    when: datetime,
    *,
    appeal_type: AppealType = AppealType.COMPLAIN,
    **fields: object,
) -> Ticket:
    """A ticket filed at `when` from a new web conversation; `fields` are create_ticket's
    (category, department, reply_due_at, …)."""
    key = uuid.uuid4().hex
    ticket, _ = create_ticket(
        session,
        channel="web",
        source_message_id=key,
        sender_id=f"web:{key}",
        appeal_type=appeal_type,
        description=description,
        actor="system",
        now=when,
        **fields,  # type: ignore[arg-type]
    )
    return ticket


def path_to(target: Status) -> list[Status]:
    """The shortest list of statuses that leads a new ticket to `target` through the table."""
    previous: dict[Status, Status] = {}
    queue = deque([Status.RECEIVED])
    while queue:
        status = queue.popleft()
        for following in sorted(ALLOWED_TRANSITIONS[status]):
            if following not in previous and following is not Status.RECEIVED:
                previous[following] = status
                queue.append(following)
    path: list[Status] = []
    while target is not Status.RECEIVED:
        path.append(target)
        target = previous[target]
    return path[::-1]


def move_to(
    session: Session,
    ticket: Ticket,
    target: Status,
    *,
    actor: str = STAFF,
    now: datetime | None = None,
) -> Ticket:
    """`ticket` moved by `actor` along `path_to(target)`, each step with a note on record."""
    for step in path_to(target):
        change_status(session, ticket, step, actor=actor, note="reason on record", now=now)
    assert ticket.status is target
    return ticket


def staff(session: Session, role: Role, **binding: object) -> StaffUser:
    """A new staff account of `role` with a unique name and `PASSWORD`."""
    name = f"{role.value}-{uuid.uuid4().hex[:8]}"
    return create_user(session, name, PASSWORD, role, **binding)  # type: ignore[arg-type]
