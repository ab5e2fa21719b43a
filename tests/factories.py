"""Shared test factories: tickets filed and moved through the real services, staff accounts.

Tests import these instead of writing their own ticket helper. The `*_in` ones open their
own session on a running stack's database (the browser tests).
"""

from __future__ import annotations

import uuid
from collections import deque
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy.orm import Session

from jiesu.conversations import ConversationId
from jiesu.db import session_scope
from jiesu.staff.accounts import create_user
from jiesu.staff.models import StaffUser
from jiesu.staff.roles import Role
from jiesu.tickets import (
    ALLOWED_TRANSITIONS,
    SYSTEM_ACTOR,
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
    description: str = "小区楼道灯坏了一个月",
    when: datetime | None = None,
    *,
    channel: str = "web",
    appeal_type: AppealType = AppealType.COMPLAIN,
    **fields: Any,
) -> Ticket:
    """A ticket filed at `when` (now by default) from a new conversation of `channel`;
    `fields` are create_ticket's (category, department, reply_due_at, sender_id, actor, …)."""
    key = uuid.uuid4().hex
    values: dict[str, Any] = {
        "source_message_id": key,
        "sender_id": ConversationId.build(channel, key),
        "actor": SYSTEM_ACTOR,
        **fields,
    }
    ticket, _ = create_ticket(
        session,
        channel=channel,
        appeal_type=appeal_type,
        description=description,
        now=when,
        **values,
    )
    return ticket


def dispatched_ticket(
    session: Session,
    when: datetime,
    *,
    reply_in: timedelta = timedelta(days=10),
    **fields: Any,
) -> Ticket:
    """A complaint filed at `when` with 24 hours to dispatch and `reply_in` to reply,
    dispatched at once (to housing, in grid g-1, unless `fields` say otherwise)."""
    values: dict[str, Any] = {
        "address": "建设路18号",
        "category": "城乡建设",
        "department": "housing",
        "grid": "g-1",
        "dispatch_due_at": when + timedelta(hours=24),
        "reply_due_at": when + reply_in,
        **fields,
    }
    ticket = file_ticket(session, "小区楼道灯坏了一个月", when, **values)
    change_status(session, ticket, Status.DISPATCHED, actor=SYSTEM_ACTOR, now=when)
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


def staff(session: Session, role: Role, *, name: str | None = None, **binding: Any) -> StaffUser:
    """A new staff account of `role` with `PASSWORD`, named `name` or uniquely
    (`binding`: department or grids)."""
    name = name or f"{role.value}-{uuid.uuid4().hex[:8]}"
    return create_user(session, name, PASSWORD, role, **binding)


class Stack(Protocol):
    """A running app (tests.servers' RasaStack, WebApp) and its database."""

    @property
    def database_url(self) -> str: ...


def staff_in(stack: Stack, role: Role, **binding: Any) -> str:
    """A new staff account of `role` with `PASSWORD` in `stack`'s database; its username."""
    with session_scope(stack.database_url) as session:
        return staff(session, role, **binding).username


def ticket_in(
    stack: Stack,
    description: str,
    department: str | None = None,
    *,
    now: datetime | None = None,
    **fields: Any,
) -> str:
    """A new web complaint with an address and a phone, filed `now` in `stack`'s database;
    its number."""
    values: dict[str, Any] = {"address": "建设路18号", "phone": "13812345678", **fields}
    with session_scope(stack.database_url) as session:
        return file_ticket(session, description, now, department=department, **values).number
