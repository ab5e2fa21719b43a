"""Named workflow scenarios, run through the real service on a fresh migrated database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from jiesu.db import session_scope
from jiesu.tickets import (
    ALLOWED_TRANSITIONS,
    SYSTEM_ACTOR,
    IllegalTransitionError,
    NoteRequiredError,
    Status,
    Ticket,
    change_status,
    get_by_number,
    history,
    is_final,
    is_open,
    merge,
    reopen,
    resident_actor,
    staff_actor,
    status_label,
)
from tests.factories import file_ticket, move_to, path_to

SENDER = "telegram:42"
RESIDENT = resident_actor(SENDER)
DISPATCHER = staff_actor("dispatcher")
DEPARTMENT = staff_actor("street-office")
T0 = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)


def _file(session: Session, message_id: str = "m1") -> Ticket:
    """The resident's complaint of message `message_id`, filed at T0."""
    return file_ticket(
        session,
        "小区门口的路灯坏了一个星期，晚上很黑。",
        T0,
        channel="telegram",
        sender_id=SENDER,
        source_message_id=message_id,
        actor=RESIDENT,
    )


def _trail(session: Session, ticket: Ticket) -> list[tuple[Status | None, Status, str, str | None]]:
    return [(e.from_status, e.to_status, e.actor, e.note) for e in history(session, ticket)]


def test_happy_path_from_received_to_closed_keeps_the_whole_audit_trail(
    database_url: str,
) -> None:
    steps = [
        (Status.DISPATCHED, DISPATCHER, None),
        (Status.IN_PROGRESS, DEPARTMENT, None),
        (Status.REPLIED, DEPARTMENT, "路灯已更换"),
        (Status.CLOSED, SYSTEM_ACTOR, None),
    ]
    with session_scope(database_url) as session:
        ticket = _file(session)
        for hour, (status, actor, note) in enumerate(steps, start=1):
            when = T0 + timedelta(hours=hour)
            change_status(session, ticket, status, actor=actor, note=note, now=when)
        number = ticket.number

    with session_scope(database_url) as session:
        stored = get_by_number(session, number)
        assert stored is not None
        assert stored.status is Status.CLOSED
        assert not is_open(stored.status)
        assert stored.updated_at == T0 + timedelta(hours=4)
        assert _trail(session, stored) == [
            (None, Status.RECEIVED, RESIDENT, None),
            (Status.RECEIVED, Status.DISPATCHED, DISPATCHER, None),
            (Status.DISPATCHED, Status.IN_PROGRESS, DEPARTMENT, None),
            (Status.IN_PROGRESS, Status.REPLIED, DEPARTMENT, "路灯已更换"),
            (Status.REPLIED, Status.CLOSED, SYSTEM_ACTOR, None),
        ]
        assert [e.created_at for e in history(session, stored)] == [
            T0 + timedelta(hours=hour) for hour in range(5)
        ]


def test_a_returned_ticket_is_dispatched_again(database_url: str) -> None:
    with session_scope(database_url) as session:
        ticket = _file(session)
        change_status(session, ticket, Status.DISPATCHED, actor=DISPATCHER)
        change_status(session, ticket, Status.RETURNED, actor=DEPARTMENT, note="不属于本街道辖区")
        assert is_open(ticket.status)
        change_status(session, ticket, Status.DISPATCHED, actor=DISPATCHER)
        change_status(session, ticket, Status.IN_PROGRESS, actor=DEPARTMENT)
        assert [e.to_status for e in history(session, ticket)] == [
            Status.RECEIVED,
            Status.DISPATCHED,
            Status.RETURNED,
            Status.DISPATCHED,
            Status.IN_PROGRESS,
        ]


def test_a_department_may_return_a_ticket_it_already_started(database_url: str) -> None:
    with session_scope(database_url) as session:
        ticket = _file(session)
        move_to(session, ticket, Status.IN_PROGRESS, actor=DISPATCHER)
        change_status(session, ticket, Status.RETURNED, actor=DEPARTMENT, note="需要区级部门处理")
        assert ticket.status is Status.RETURNED


def test_an_unsatisfied_resident_reopens_after_the_reply_with_a_reason(database_url: str) -> None:
    with session_scope(database_url) as session:
        ticket = _file(session)
        move_to(session, ticket, Status.REPLIED, actor=DISPATCHER)
        event = reopen(session, ticket, actor=RESIDENT, reason="路灯还是不亮")
        assert (event.from_status, event.to_status, event.note) == (
            Status.REPLIED,
            Status.REOPENED,
            "路灯还是不亮",
        )
        change_status(session, ticket, Status.IN_PROGRESS, actor=DEPARTMENT)
        change_status(session, ticket, Status.REPLIED, actor=DEPARTMENT, note="已再次维修")
        change_status(session, ticket, Status.CLOSED, actor=RESIDENT)
        assert ticket.status is Status.CLOSED


def test_a_closed_ticket_can_be_reopened(database_url: str) -> None:
    with session_scope(database_url) as session:
        ticket = _file(session)
        move_to(session, ticket, Status.CLOSED, actor=DISPATCHER)
        reopen(session, ticket, actor=RESIDENT, reason="问题又出现了")
        assert ticket.status is Status.REOPENED
        assert is_open(ticket.status)


def test_an_enquiry_answered_at_once_is_closed_by_staff_with_a_note(database_url: str) -> None:
    with session_scope(database_url) as session:
        ticket = _file(session)
        change_status(session, ticket, Status.CLOSED, actor=DISPATCHER, note="已告知办理流程")
        assert _trail(session, ticket)[-1] == (
            Status.RECEIVED,
            Status.CLOSED,
            DISPATCHER,
            "已告知办理流程",
        )


def test_a_duplicate_is_merged_into_the_ticket_that_carries_the_work(database_url: str) -> None:
    with session_scope(database_url) as session:
        original = _file(session, "m1")
        duplicate = _file(session, "m2")
        change_status(session, original, Status.DISPATCHED, actor=DISPATCHER)
        merge(session, duplicate, into=original, actor=DISPATCHER, note=f"同 {original.number}")
        assert duplicate.status is Status.MERGED
        assert duplicate.merged_into_id == original.id
        assert is_final(duplicate.status)
        assert not is_open(duplicate.status)
        with pytest.raises(IllegalTransitionError):
            change_status(session, duplicate, Status.DISPATCHED, actor=DISPATCHER)


def test_a_ticket_cannot_be_merged_into_itself_or_into_a_merged_ticket(database_url: str) -> None:
    with session_scope(database_url) as session:
        first, second, third = _file(session, "m1"), _file(session, "m2"), _file(session, "m3")
        with pytest.raises(ValueError, match="itself"):
            merge(session, first, into=first, actor=DISPATCHER, note="dup")
        merge(session, second, into=first, actor=DISPATCHER, note="dup")
        with pytest.raises(ValueError, match="itself merged"):
            merge(session, third, into=second, actor=DISPATCHER, note="dup")
        assert third.status is Status.RECEIVED


ILLEGAL = [
    (source, target)
    for source in Status
    for target in Status
    if target not in ALLOWED_TRANSITIONS[source]
]


@pytest.mark.parametrize(("source", "target"), ILLEGAL, ids=[f"{s}->{t}" for s, t in ILLEGAL])
def test_every_edge_outside_the_table_is_refused(
    database_url: str, source: Status, target: Status
) -> None:
    with session_scope(database_url) as session:
        ticket = _file(session)
        move_to(session, ticket, source, actor=DISPATCHER)
        events = len(history(session, ticket))
        with pytest.raises(IllegalTransitionError) as raised:
            change_status(session, ticket, target, actor=DISPATCHER, note="reason on record")
        assert type(raised.value) is IllegalTransitionError
        assert str(raised.value) == (
            f"ticket {ticket.number}: changing status from {source} to {target} is not allowed"
        )
        assert ticket.status is source
        assert len(history(session, ticket)) == events


NOTED = [
    (Status.DISPATCHED, Status.RETURNED, DEPARTMENT),
    (Status.IN_PROGRESS, Status.RETURNED, DEPARTMENT),
    (Status.REPLIED, Status.REOPENED, RESIDENT),
    (Status.CLOSED, Status.REOPENED, RESIDENT),
    (Status.RECEIVED, Status.MERGED, DISPATCHER),
    (Status.RECEIVED, Status.CLOSED, DISPATCHER),
    (Status.REPLIED, Status.CLOSED, DEPARTMENT),
]


@pytest.mark.parametrize("note", [None, "", "  "])
@pytest.mark.parametrize(("source", "target", "actor"), NOTED)
def test_a_note_is_required_to_return_reopen_merge_or_close_as_staff(
    database_url: str, source: Status, target: Status, actor: str, note: str | None
) -> None:
    with session_scope(database_url) as session:
        ticket = _file(session)
        move_to(session, ticket, source, actor=DISPATCHER)
        with pytest.raises(NoteRequiredError, match=f"ticket {ticket.number}: .* requires a note"):
            change_status(session, ticket, target, actor=actor, note=note)
        assert ticket.status is source


@pytest.mark.parametrize("actor", [RESIDENT, SYSTEM_ACTOR])
def test_the_resident_or_the_system_closes_a_replied_ticket_without_a_note(
    database_url: str, actor: str
) -> None:
    with session_scope(database_url) as session:
        ticket = _file(session)
        move_to(session, ticket, Status.REPLIED, actor=DISPATCHER)
        change_status(session, ticket, Status.CLOSED, actor=actor)
        assert ticket.status is Status.CLOSED


def test_the_table_covers_every_status_and_only_merged_is_final() -> None:
    assert set(ALLOWED_TRANSITIONS) == set(Status)
    assert [status for status in Status if is_final(status)] == [Status.MERGED]
    assert [status for status in Status if not is_open(status)] == [Status.CLOSED, Status.MERGED]
    assert all(path_to(status) or status is Status.RECEIVED for status in Status)


def test_every_status_has_a_chinese_label() -> None:
    assert status_label(Status.RECEIVED) == "受理"
    assert status_label(Status.REOPENED) == "重办"
    assert all(status_label(status) for status in Status)
