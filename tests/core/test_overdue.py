"""One meaning of overdue: the deadline that runs for a ticket's status has passed from its
due time on (`now >= due`, as jiesu.deadlines documents), in Python and in SQL alike."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from jiesu.db import session_scope
from jiesu.migrate import upgrade
from jiesu.tickets import Status, Ticket
from jiesu.tickets.workflow import DeadlineKind
from tests.factories import file_ticket, move_to
from tests.servers import postgres_database

T0 = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
DISPATCH_DUE = T0 + timedelta(hours=2)
REPLY_DUE = T0 + timedelta(days=3)
TICK = timedelta(microseconds=1)

# (status, moment, the deadline that runs, overdue at that moment)
CASES = [
    (Status.RECEIVED, DISPATCH_DUE - TICK, DeadlineKind.DISPATCH, False),
    (Status.RECEIVED, DISPATCH_DUE, DeadlineKind.DISPATCH, True),  # exactly at the deadline
    (Status.RETURNED, DISPATCH_DUE, DeadlineKind.DISPATCH, True),
    (Status.DISPATCHED, DISPATCH_DUE, DeadlineKind.REPLY, False),  # the dispatch clock stopped
    (Status.DISPATCHED, REPLY_DUE - TICK, DeadlineKind.REPLY, False),
    (Status.DISPATCHED, REPLY_DUE, DeadlineKind.REPLY, True),
    (Status.IN_PROGRESS, REPLY_DUE, DeadlineKind.REPLY, True),
    (Status.REPLIED, REPLY_DUE + timedelta(days=30), None, False),  # paused: the resident's turn
    (Status.REOPENED, REPLY_DUE, DeadlineKind.REPLY, True),  # the reply clock runs again
    (Status.REOPENED, REPLY_DUE - TICK, DeadlineKind.REPLY, False),
    (Status.CLOSED, REPLY_DUE + timedelta(days=30), None, False),
    (Status.MERGED, REPLY_DUE + timedelta(days=30), None, False),
]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def migrated(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A migrated database of each dialect for the module (PostgreSQL skipped where none
    runs)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('overdue') / 'jiesu.db'}"
        upgrade(url)
        yield url
        return
    with postgres_database() as url:
        upgrade(url)
        yield url


@pytest.fixture
def session(migrated: str) -> Iterator[Session]:
    """A transaction rolled back after the test, so each sees only its own ticket."""
    with session_scope(migrated) as session:
        yield session
        session.rollback()


def _overdue_in_sql(session: Session, ticket: Ticket, now: datetime) -> bool:
    session.flush()
    found = session.scalars(select(Ticket.id).where(Ticket.is_overdue(now)))
    return ticket.id in set(found)


@pytest.mark.parametrize(("status", "now", "runs", "overdue"), CASES)
def test_python_and_sql_agree_on_the_boundaries(
    session: Session, status: Status, now: datetime, runs: DeadlineKind | None, overdue: bool
) -> None:
    ticket = file_ticket(
        session, "路灯坏了", T0, dispatch_due_at=DISPATCH_DUE, reply_due_at=REPLY_DUE
    )
    move_to(session, ticket, status, now=T0)
    running = ticket.running_deadline()
    assert (running[0] if running else None) is runs
    assert ticket.is_overdue(now) is overdue
    assert _overdue_in_sql(session, ticket, now) is overdue


@pytest.mark.parametrize("status", [Status.RECEIVED, Status.IN_PROGRESS])
def test_a_ticket_without_the_running_deadline_is_never_overdue(
    session: Session, status: Status
) -> None:
    ticket = move_to(session, file_ticket(session, "路灯坏了", T0), status, now=T0)
    late = T0 + timedelta(days=365)
    assert ticket.running_deadline() is None
    assert not ticket.is_overdue(late)
    assert not _overdue_in_sql(session, ticket, late)
