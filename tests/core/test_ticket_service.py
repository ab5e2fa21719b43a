"""Ticket service: idempotent filing, daily numbers, concurrency on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from jiesu.db import get_engine, session_scope
from jiesu.migrate import upgrade
from jiesu.tickets import (
    AppealType,
    IllegalTransitionError,
    Status,
    StatusEvent,
    Ticket,
    change_status,
    create_ticket,
    get_by_number,
    history,
    resident_actor,
    staff_actor,
    tickets_for_sender,
)
from tests.core.test_migrations import postgres_url  # noqa: F401  (a fixture)

THREADS = 8
Result = TypeVar("Result")
DISPATCHER = staff_actor("dispatcher")
T0 = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)


def _file(
    session: Session,
    message_id: str,
    *,
    now: datetime = T0,
    channel: str = "telegram",
    sender_id: str = "telegram:42",
) -> tuple[Ticket, bool]:
    return create_ticket(
        session,
        channel=channel,
        source_message_id=message_id,
        sender_id=sender_id,
        appeal_type=AppealType.SEEK_HELP,
        description="楼上漏水，家里天花板在滴水。",
        address="幸福小区3号楼2单元501",
        actor=resident_actor(sender_id),
        now=now,
    )


def _count(session: Session, model: type[Ticket] | type[StatusEvent]) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def _at_once(work: Callable[[int], Result]) -> list[Result]:
    """Run `work(i)` for each thread index, all threads released at the same moment."""
    barrier = threading.Barrier(THREADS)

    def run(index: int) -> Result:
        barrier.wait()
        return work(index)

    with ThreadPoolExecutor(THREADS) as pool:
        return list(pool.map(run, range(THREADS)))


@pytest.fixture(params=["sqlite", "postgresql"])
def any_database_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh migrated database: the SQLite file, then a throwaway PostgreSQL database."""
    if request.param == "sqlite":
        yield request.getfixturevalue("database_url")
        return
    url: str = request.getfixturevalue("postgres_url")
    upgrade(url)
    yield url
    get_engine(url).dispose()


def test_the_same_message_filed_twice_makes_one_ticket(database_url: str) -> None:
    with session_scope(database_url) as session:
        first, created = _file(session, "m1")
        assert created
    with session_scope(database_url) as session:
        again, created = _file(session, "m1", now=T0 + timedelta(minutes=5))
        assert not created
        assert again.id == first.id
        assert again.number == first.number
        assert _count(session, Ticket) == 1
        assert _count(session, StatusEvent) == 1


def test_the_same_message_id_on_another_channel_is_another_ticket(database_url: str) -> None:
    with session_scope(database_url) as session:
        _, created_here = _file(session, "m1", channel="telegram")
        _, created_there = _file(session, "m1", channel="web", sender_id="web:abc")
        assert created_here and created_there
        assert _count(session, Ticket) == 2


def test_filing_is_undone_with_the_callers_transaction(database_url: str) -> None:
    with pytest.raises(RuntimeError), session_scope(database_url) as session:
        _file(session, "m1")
        raise RuntimeError("the caller fails after filing")
    with session_scope(database_url) as session:
        assert _count(session, Ticket) == 0
        assert _file(session, "m1")[0].number == "20261128-0001"


def test_a_new_ticket_is_received_with_its_first_event(database_url: str) -> None:
    with session_scope(database_url) as session:
        ticket, _ = _file(session, "m1")
        assert ticket.status is Status.RECEIVED
        assert ticket.urgency == "normal"
        assert not ticket.anonymous
        [event] = history(session, ticket)
        assert (event.from_status, event.to_status, event.actor, event.created_at) == (
            None,
            Status.RECEIVED,
            "resident:telegram:42",
            T0,
        )


def test_times_are_stored_in_utc_and_read_back_aware(database_url: str) -> None:
    shanghai_morning = datetime(2026, 11, 28, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
    with session_scope(database_url) as session:
        number = _file(session, "m1", now=shanghai_morning)[0].number
    with session_scope(database_url) as session:
        ticket = get_by_number(session, number)
        assert ticket is not None
        assert ticket.created_at == shanghai_morning
        assert ticket.created_at.utcoffset() == timedelta(0)


def test_numbers_are_sequential_within_a_day(database_url: str) -> None:
    with session_scope(database_url) as session:
        numbers = [_file(session, f"m{i}", now=T0 + timedelta(hours=i))[0].number for i in range(3)]
    assert numbers == ["20261128-0001", "20261128-0002", "20261128-0003"]


def test_numbering_restarts_at_local_midnight_in_shanghai(database_url: str) -> None:
    before = datetime(2026, 11, 28, 15, 59, tzinfo=UTC)  # 23:59 in Shanghai
    after = datetime(2026, 11, 28, 16, 0, tzinfo=UTC)  # 00:00 on the 29th in Shanghai
    with session_scope(database_url) as session:
        numbers = [
            _file(session, "m1", now=before)[0].number,
            _file(session, "m2", now=after)[0].number,
            _file(session, "m3", now=after)[0].number,
        ]
    assert numbers == ["20261128-0001", "20261129-0001", "20261129-0002"]


def test_numbers_sort_in_the_order_tickets_were_filed(database_url: str) -> None:
    moments = [T0 + timedelta(days=day, minutes=minute) for day in range(3) for minute in range(12)]
    with session_scope(database_url) as session:
        numbers = [_file(session, f"m{i}", now=when)[0].number for i, when in enumerate(moments)]
    assert len(set(numbers)) == len(numbers)
    assert sorted(numbers) == numbers


def test_lookups_by_number_and_by_sender(database_url: str) -> None:
    with session_scope(database_url) as session:
        older, _ = _file(session, "m1")
        newer, _ = _file(session, "m2", now=T0 + timedelta(hours=1))
        _file(session, "m3", sender_id="telegram:7")
        assert get_by_number(session, newer.number) is newer
        assert get_by_number(session, "19990101-0001") is None
        assert tickets_for_sender(session, "telegram:42") == [newer, older]
        assert tickets_for_sender(session, "telegram:99") == []


def test_a_status_change_keeps_unsaved_edits_of_the_ticket(database_url: str) -> None:
    with session_scope(database_url) as session:
        ticket, _ = _file(session, "m1")
        ticket.department = "water"
        change_status(session, ticket, Status.DISPATCHED, actor=DISPATCHER)
        number = ticket.number
    with session_scope(database_url) as session:
        stored = get_by_number(session, number)
        assert stored is not None
        assert (stored.department, stored.status) == ("water", Status.DISPATCHED)


def test_a_status_change_validates_against_the_stored_status_not_a_stale_copy(
    database_url: str,
) -> None:
    with session_scope(database_url) as session:
        number = _file(session, "m1")[0].number
    with session_scope(database_url) as stale_session:
        stale = get_by_number(stale_session, number)
        assert stale is not None
        with session_scope(database_url) as other:
            fresh = get_by_number(other, number)
            assert fresh is not None
            change_status(other, fresh, Status.DISPATCHED, actor=DISPATCHER)
        assert stale.status is Status.RECEIVED
        with pytest.raises(IllegalTransitionError, match="from dispatched to dispatched"):
            change_status(stale_session, stale, Status.DISPATCHED, actor=DISPATCHER)


def test_concurrent_filings_get_distinct_sequential_numbers(any_database_url: str) -> None:
    def file(index: int) -> str:
        with session_scope(any_database_url) as session:
            return _file(session, f"m{index}")[0].number

    numbers = _at_once(file)
    assert sorted(numbers) == [f"20261128-{value:04d}" for value in range(1, THREADS + 1)]


def test_concurrent_filings_of_one_message_make_one_ticket(any_database_url: str) -> None:
    def file(_index: int) -> tuple[int, bool]:
        with session_scope(any_database_url) as session:
            ticket, created = _file(session, "m1")
            return ticket.id, created

    results = _at_once(file)
    assert len({ticket_id for ticket_id, _ in results}) == 1
    assert [created for _, created in results].count(True) == 1
    with session_scope(any_database_url) as session:
        assert _count(session, Ticket) == 1
        assert _count(session, StatusEvent) == 1


def test_concurrent_identical_status_changes_let_exactly_one_through(
    any_database_url: str,
) -> None:
    with session_scope(any_database_url) as session:
        number = _file(session, "m1")[0].number

    def dispatch(index: int) -> bool:
        try:
            with session_scope(any_database_url) as session:
                ticket = get_by_number(session, number)
                assert ticket is not None
                change_status(session, ticket, Status.DISPATCHED, actor=staff_actor(f"s{index}"))
        except IllegalTransitionError:
            return False
        return True

    assert _at_once(dispatch).count(True) == 1
    with session_scope(any_database_url) as session:
        ticket = get_by_number(session, number)
        assert ticket is not None
        assert [event.to_status for event in history(session, ticket)] == [
            Status.RECEIVED,
            Status.DISPATCHED,
        ]
