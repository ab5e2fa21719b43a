"""The closed loop's scheduler on deadlines, with a controllable clock: a reminder once,
an escalation once with its 督办 mark, overdue counters, a survey nobody answers, and
the retention purge once a day."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session

from jiesu.config import get_settings
from jiesu.conversations import ConversationId
from jiesu.db import session_scope
from jiesu.loop.alerts import is_supervised, overdue_counts
from jiesu.loop.followup import answer_survey
from jiesu.loop.models import (
    AlertKind,
    Answer,
    RetentionPurge,
    StaffAlert,
    SurveyAnswer,
)
from jiesu.loop.rates import ALL, rates_by
from jiesu.outbox import EXPIRED as EXPIRED_MESSAGE
from jiesu.outbox import PENDING, OutboxMessage, enqueue, fetch_for_chat
from jiesu.privacy import EXPIRED
from jiesu.scheduler import sweep
from jiesu.tickets import (
    SYSTEM_ACTOR,
    AppealType,
    Status,
    Ticket,
    change_status,
    history,
    staff_actor,
)
from jiesu.tickets.workflow import DeadlineKind
from jiesu.vocabulary import wording
from tests.factories import dispatched_ticket, file_ticket

T0 = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)  # Tuesday 09:00 in Shanghai
HANDLER = staff_actor("handler")


@dataclass
class Clock:
    """The time the scheduler and the services are told it is."""

    now: datetime = T0

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


def reply(session: Session, ticket: Ticket, now: datetime, answer: str = "灯已修好") -> None:
    """The department accepts and answers."""
    change_status(session, ticket, Status.IN_PROGRESS, actor=HANDLER, now=now)
    change_status(session, ticket, Status.REPLIED, actor=HANDLER, note=answer, now=now)


def outbox_texts(session: Session, sender_id: str) -> list[str]:
    """What the resident of `sender_id` was sent, oldest first."""
    chat_id = ConversationId.parse(sender_id).chat_id
    return list(
        session.scalars(
            select(OutboxMessage.text)
            .where(OutboxMessage.chat_id == chat_id)
            .order_by(OutboxMessage.id)
        )
    )


def _alerts(session: Session, ticket: Ticket) -> list[tuple[str, str]]:
    return [
        (a.kind, a.deadline)
        for a in session.scalars(
            select(StaffAlert).where(StaffAlert.ticket_id == ticket.id).order_by(StaffAlert.id)
        )
    ]


def test_a_reminder_once_then_an_escalation_once_with_the_supervision_mark(
    database_url: str,
) -> None:
    clock = Clock()
    with session_scope(database_url) as session:
        ticket = dispatched_ticket(session, clock.now)
        other = dispatched_ticket(
            session, clock.now, reply_in=timedelta(days=30), department="ecology"
        )
        sweep(session, clock.advance(days=7))  # 70% of the time allowed: nothing yet
        assert _alerts(session, ticket) == []
        sweep(session, clock.advance(days=1, hours=1))  # past 80%
        sweep(session, clock.advance(hours=1))  # a second sweep (or a restart) repeats nothing
        reminder = (AlertKind.REMINDER, DeadlineKind.REPLY)
        assert _alerts(session, ticket) == [reminder]
        [alert] = session.scalars(select(StaffAlert).where(StaffAlert.ticket_id == ticket.id))
        assert alert.department == "housing"
        assert is_supervised(session, [ticket.id, other.id]) == set()

        sweep(session, clock.advance(days=2))  # past the deadline
        sweep(session, clock.advance(minutes=1))
        assert _alerts(session, ticket) == [reminder, (AlertKind.ESCALATION, DeadlineKind.REPLY)]
        assert _alerts(session, other) == []
        assert is_supervised(session, [ticket.id, other.id]) == {ticket.id}
        assert overdue_counts(session, clock.now, "department") == {"housing": 1}
        assert overdue_counts(session, clock.now, "grid") == {"g-1": 1}

        reply(session, ticket, clock.now)  # answered late: no longer overdue, still 督办
        assert overdue_counts(session, clock.now, "department") == {}
        assert is_supervised(session, [ticket.id]) == {ticket.id}


def test_an_undispatched_ticket_escalates_to_the_dispatch_desk(database_url: str) -> None:
    clock = Clock()
    with session_scope(database_url) as session:
        ticket = file_ticket(
            session,
            "家里老人摔倒了需要帮忙",
            clock.now,
            appeal_type=AppealType.SEEK_HELP,
            dispatch_due_at=clock.now + timedelta(hours=24),
            reply_due_at=clock.now + timedelta(days=7),
        )
        sweep(session, clock.advance(hours=25))
        [alert] = session.scalars(select(StaffAlert).where(StaffAlert.ticket_id == ticket.id))
        assert (alert.kind, alert.deadline, alert.department) == (
            AlertKind.ESCALATION,
            DeadlineKind.DISPATCH,
            None,
        )


def test_a_survey_nobody_answers_counts_as_no_response_and_the_system_closes(
    database_url: str,
) -> None:
    clock = Clock()
    with session_scope(database_url) as session:
        ticket = dispatched_ticket(session, clock.now)
        reply(session, ticket, clock.advance(days=2))
        sweep(session, clock.advance(minutes=1))
        sweep(session, clock.advance(minutes=1))  # asked once
        asked = wording("followup", "ask_solved_first", number=ticket.number)
        assert outbox_texts(session, ticket.sender_id) == [asked]

        sweep(session, clock.advance(hours=71))
        assert session.get_one(Ticket, ticket.id).status is Status.REPLIED
        sweep(session, clock.advance(hours=2))  # past 72 hours
        sweep(session, clock.advance(hours=1))
        assert session.get_one(Ticket, ticket.id).status is Status.CLOSED
        closed = history(session, ticket)[-1]
        assert closed.actor == SYSTEM_ACTOR and closed.note and "未获居民答复" in closed.note
        assert outbox_texts(session, ticket.sender_id) == [
            asked,
            wording("followup", "closed_no_response", number=ticket.number),
        ]
        answers = session.scalars(select(SurveyAnswer.answer)).all()
        assert answers == [Answer.NO_RESPONSE, Answer.NO_RESPONSE]

        [rates] = rates_by(session, start=T0, end=clock.now + timedelta(days=30)).items()
        assert rates[0] == ALL
        figures = rates[1]
        assert (figures.due, figures.responded) == (1, 1)
        assert (figures.surveyed, figures.solved, figures.satisfied, figures.no_response) == (
            1,
            0,
            0,
            1,
        )
        assert (figures.solve_rate, figures.satisfaction_rate) == (0.0, 0.0)


def test_unsolved_then_silence_reopens_with_a_new_deadline(database_url: str) -> None:
    clock = Clock()
    with session_scope(database_url) as session:
        ticket = dispatched_ticket(session, clock.now)
        reply(session, ticket, clock.advance(days=1))
        sweep(session, clock.advance(minutes=1))
        step = answer_survey(
            session,
            ticket.sender_id,
            number=ticket.number,
            answers=[Answer.UNSOLVED],
            text=None,
            now=clock.now,
        )
        assert step.buttons and not step.needs_reason
        first_due = ticket.reply_due_at
        sweep(session, clock.advance(hours=73))
        reopened = session.get_one(Ticket, ticket.id)
        assert reopened.status is Status.DISPATCHED and reopened.department == "housing"
        assert reopened.reply_due_at is not None and first_due is not None
        assert reopened.reply_due_at > first_due
        notes = [e.note for e in history(session, ticket) if e.to_status is Status.REOPENED]
        assert notes == ["居民回访：未解决，未答复，未说明原因。"]


@pytest.fixture
def retention_days(monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    monkeypatch.setenv("JIESU_RETENTION_DAYS", "365")
    get_settings.cache_clear()
    yield 365
    get_settings.cache_clear()


def tracker_store(path: Path, last_events: dict[str, datetime]) -> str:
    """A tracker store with the columns of Rasa's that the purge relies on: one event per
    conversation, at the given time."""
    url = f"sqlite:///{path}"
    with create_engine(url).begin() as connection:
        connection.execute(
            text(
                "CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id TEXT, "
                "type_name TEXT, timestamp FLOAT, data TEXT)"
            )
        )
        for sender, at in last_events.items():
            connection.execute(
                text("INSERT INTO events (sender_id, timestamp) VALUES (:s, :t)"),
                {"s": sender, "t": at.timestamp()},
            )
    return url


def closed_ticket(session: Session, closed_at: datetime) -> Ticket:
    """A complaint with the resident's phone, answered and closed by its resident at
    `closed_at`."""
    ticket = dispatched_ticket(
        session,
        closed_at - timedelta(days=3),
        phone="13812345678",
        category=None,
        grid=None,
        dispatch_due_at=None,
        reply_due_at=closed_at,
    )
    reply(session, ticket, closed_at - timedelta(days=1))
    change_status(
        session, ticket, Status.CLOSED, actor=f"resident:{ticket.sender_id}", now=closed_at
    )
    return ticket


def _transcripts(url: str) -> list[str]:
    with create_engine(url).connect() as connection:
        return list(connection.scalars(text("SELECT sender_id FROM events ORDER BY sender_id")))


def test_the_retention_purge_runs_once_a_day_and_erases_only_what_expired(
    database_url: str, tmp_path: Path, retention_days: int
) -> None:
    clock = Clock()
    expired_at = clock.now - timedelta(days=retention_days + 5)
    with session_scope(database_url) as session:
        old = closed_ticket(session, expired_at)
        recent = closed_ticket(session, clock.now - timedelta(days=3))
    tracker = tracker_store(
        tmp_path / "tracker.db",
        {old.sender_id: expired_at, recent.sender_id: clock.now - timedelta(days=3)},
    )

    with session_scope(database_url) as session:  # each sweep as its own (restarted) process
        report = sweep(session, clock.now, tracker_store_url=tracker)
    assert report.purged is not None
    assert (report.purged.tickets, report.purged.transcripts) == (1, 1)
    with session_scope(database_url) as session:
        erased = session.get_one(Ticket, old.id)
        assert (erased.description, erased.address, erased.phone) == (EXPIRED, None, None)
        assert erased.number == old.number and erased.status is Status.CLOSED
        kept = session.get_one(Ticket, recent.id)
        assert (kept.description, kept.phone) == ("小区楼道灯坏了一个月", "13812345678")
    assert _transcripts(tracker) == [recent.sender_id]

    # Later the same day another ticket has expired: it waits for tomorrow's purge.
    with session_scope(database_url) as session:
        late = closed_ticket(session, expired_at)
    with session_scope(database_url) as session:
        again = sweep(session, clock.advance(hours=10), tracker_store_url=tracker)
    assert again.purged is None
    with session_scope(database_url) as session:
        assert session.get_one(Ticket, late.id).phone == "13812345678"
        assert len(session.scalars(select(RetentionPurge)).all()) == 1

    with session_scope(database_url) as session:
        tomorrow = sweep(session, clock.advance(hours=14), tracker_store_url=tracker)
    assert tomorrow.purged is not None and tomorrow.purged.tickets == 1
    with session_scope(database_url) as session:
        assert session.get_one(Ticket, late.id).phone is None
        purges = session.scalars(select(RetentionPurge).order_by(RetentionPurge.day)).all()
    assert [(p.day.isoformat(), p.tickets, p.transcripts) for p in purges] == [
        ("2026-12-01", 1, 1),
        ("2026-12-02", 1, 0),
    ]


def test_a_purge_that_cannot_reach_the_tracker_store_waits_and_lets_the_sweep_go_on(
    database_url: str, tmp_path: Path, retention_days: int, caplog: pytest.LogCaptureFixture
) -> None:
    clock = Clock()
    expired_at = clock.now - timedelta(days=retention_days + 5)
    with session_scope(database_url) as session:
        old = closed_ticket(session, expired_at)
    missing = f"sqlite:///{tmp_path / 'no-tracker.db'}"
    with session_scope(database_url) as session:
        report = sweep(session, clock.now, tracker_store_url=missing)
    assert report.purged is None
    assert "JIESU_TRACKER_STORE_URL" in caplog.text
    with session_scope(database_url) as session:
        assert session.get_one(Ticket, old.id).phone == "13812345678"  # nothing half-done
        assert session.scalars(select(RetentionPurge)).all() == []

    tracker = tracker_store(tmp_path / "tracker.db", {old.sender_id: expired_at})
    with session_scope(database_url) as session:
        later = sweep(session, clock.advance(minutes=1), tracker_store_url=tracker)
    assert later.purged is not None and (later.purged.tickets, later.purged.transcripts) == (1, 1)


def test_messages_never_delivered_expire_and_stop_holding_the_conversation(
    database_url: str,
) -> None:
    clock = Clock()
    with session_scope(database_url) as session:
        stale = enqueue(session, "web", "never-polled", "工单 20261101-0001 已答复")
        stale.created_at = clock.now - timedelta(days=get_settings().outbox_expiry_days + 1)
        fresh = enqueue(session, "web", "never-polled", "工单 20261101-0002 已答复")
    with session_scope(database_url) as session:
        report = sweep(session, clock.now)
    assert report.outbox_expired == 1
    with session_scope(database_url) as session:
        assert session.get_one(OutboxMessage, stale.id).status == EXPIRED_MESSAGE
        assert session.get_one(OutboxMessage, fresh.id).status == PENDING
        fetched = fetch_for_chat(session, "web", "never-polled", after=0)
    assert [message.id for message in fetched] == [fresh.id]
