"""Erasing residents' personal data: on request (forget) and after the retention period
(purge). What statistics need survives; the resident's words and contact details do not."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import String, create_engine, func, select, text, update
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from jiesu.cli import app as cli
from jiesu.config import get_settings
from jiesu.conversations import ConversationId
from jiesu.db import Base, session_scope
from jiesu.faq.models import FaqFeedback, FaqUnanswered
from jiesu.handoff.models import Handoff, HandoffNote, HandoffReason
from jiesu.handoff.service import add_note, close, open_handoff
from jiesu.inbox import InboundMessage, InboundStatus
from jiesu.models import utcnow
from jiesu.outbox import SENT, OutboxMessage, enqueue, notify
from jiesu.privacy import (
    EXPIRED,
    FORGOTTEN,
    Erased,
    TrackerStoreError,
    erase_transcripts,
    forget_resident,
    purge_expired,
)
from jiesu.tickets import AppealType, create_ticket, notices
from jiesu.tickets.attachments import attachment_path, store_attachment
from jiesu.tickets.models import Attachment, RoutingFeedback, StatusEvent, Ticket
from jiesu.tickets.service import change_status
from jiesu.tickets.workflow import Status

ALICE, BOB = "telegram:111", "telegram:222"
KEPT = (
    "number",
    "appeal_type",
    "status",
    "category",
    "department",
    "grid",
    "channel",
    "created_at",
    "updated_at",
    "reply_due_at",
)


@pytest.fixture(autouse=True)
def _attachments_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("JIESU_ATTACHMENTS_DIR", str(tmp_path / "attachments"))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@dataclass(frozen=True)
class Resident:
    sender_id: str
    ticket_id: int
    photo: Path


def _resident(session: Session, sender_id: str, days_ago: int) -> Resident:
    """A resident with everything jiesu keeps about one: a ticket with a photo, messages,
    a queued reply, a handoff note, FAQ questions and a routing correction."""
    when = utcnow() - timedelta(days=days_ago)
    conversation = ConversationId.parse(sender_id)
    channel, chat_id = conversation.channel, conversation.chat_id
    ticket, _ = create_ticket(
        session,
        channel=channel,
        source_message_id=f"{chat_id}-1",
        sender_id=sender_id,
        appeal_type=AppealType.COMPLAIN,
        description=f"{sender_id} 家楼下的路灯坏了",
        address="建设路18号",
        happened="昨天晚上",
        phone="13812345678",
        category="市政设施",
        department="城管局",
        grid="G001",
        reply_due_at=when + timedelta(days=5),
        actor=f"resident:{sender_id}",
        now=when,
    )
    photo = store_attachment(
        session,
        channel=channel,
        source_message_id=f"{chat_id}-2",
        sender_id=sender_id,
        data=b"\xff\xd8photo",
        suffix=".jpg",
        content_type="image/jpeg",
        now=when,
    )
    photo.ticket_id = ticket.id
    session.add(
        InboundMessage(
            channel=channel,
            external_id=f"{chat_id}-1",
            chat_id=chat_id,
            text="我的电话是13812345678",
            status=InboundStatus.ANSWERED,
            replies=[{"text": "已记录 13812345678"}],
            received_at=when,
        )
    )
    enqueue(session, channel, chat_id, "您的工单已办结")
    handoff, _ = open_handoff(session, sender_id, HandoffReason.REQUESTED, now=when)
    add_note(session, handoff, "staff1", "居民住 3 单元 502", now=when)
    session.add_all(
        [
            FaqUnanswered(
                sender_id=sender_id, question="我家孩子上学的事", best_score=0.1, created_at=when
            ),
            FaqFeedback(
                entry_id="e1",
                sender_id=sender_id,
                helpful=False,
                question="低保怎么办",
                created_at=when,
            ),
            RoutingFeedback(
                ticket_id=ticket.id,
                text=ticket.description,
                category="市政设施",
                actor="staff:disp",
            ),
        ]
    )
    session.flush()
    return Resident(sender_id, ticket.id, attachment_path(photo))


def _statistics(session: Session, ticket_id: int) -> tuple[object, ...]:
    ticket = session.get_one(Ticket, ticket_id)
    events = session.scalars(
        select(StatusEvent.to_status).where(StatusEvent.ticket_id == ticket_id)
    ).all()
    return (*(getattr(ticket, name) for name in KEPT), tuple(events))


def _personal(session: Session, resident: Resident) -> dict[str, object]:
    """Every piece of the resident's personal data jiesu held, as now stored."""
    chat_id = ConversationId.parse(resident.sender_id).chat_id
    ticket = session.get_one(Ticket, resident.ticket_id)
    session.refresh(ticket)
    return {
        "ticket": (
            ticket.description,
            ticket.address,
            ticket.happened,
            ticket.phone,
            ticket.query_code,
        ),
        "photo": (
            resident.photo.exists(),
            session.scalars(
                select(Attachment.id).where(Attachment.sender_id == resident.sender_id)
            ).all(),
        ),
        "messages": session.execute(
            select(InboundMessage.text, InboundMessage.replies).where(
                InboundMessage.chat_id == chat_id
            )
        ).all(),
        "outbox": session.scalars(
            select(OutboxMessage.text).where(OutboxMessage.chat_id == chat_id)
        ).all(),
        "notes": _notes(session, resident.sender_id),
        "unanswered": session.scalars(
            select(FaqUnanswered.question).where(FaqUnanswered.sender_id == resident.sender_id)
        ).all(),
        "feedback": session.scalars(
            select(FaqFeedback.question).where(FaqFeedback.sender_id == resident.sender_id)
        ).all(),
        "routing": session.scalars(
            select(RoutingFeedback.text).where(RoutingFeedback.ticket_id == resident.ticket_id)
        ).all(),
    }


def _notes(session: Session, sender_id: str) -> list[str]:
    return list(
        session.scalars(
            select(HandoffNote.text)
            .join(Handoff, Handoff.id == HandoffNote.handoff_id)
            .where(Handoff.sender_id == sender_id)
        )
    )


def _erased(placeholder: str) -> dict[str, object]:
    return {
        "ticket": (placeholder, None, None, None, None),
        "photo": (False, []),
        "messages": [(placeholder, None)],
        "outbox": [],
        "notes": [placeholder],
        "unanswered": [],
        "feedback": [None],
        "routing": [placeholder],
    }


def test_forget_erases_one_resident_and_keeps_the_statistics(database_url: str) -> None:
    with session_scope(database_url) as session:
        alice, bob = _resident(session, ALICE, 3), _resident(session, BOB, 3)
    with session_scope(database_url) as session:
        statistics = _statistics(session, alice.ticket_id)
        bob_before = _personal(session, bob)
        assert alice.photo.exists()

    with session_scope(database_url) as session:
        erased = forget_resident(session, ALICE)
    assert (
        erased.tickets,
        erased.photos,
        erased.messages,
        erased.outbox,
        erased.notes,
        erased.questions,
        erased.conversations,
    ) == (1, 1, 1, 1, 1, 1, 1)

    with session_scope(database_url) as session:
        pseudonym = session.get_one(Ticket, alice.ticket_id).sender_id
        assert pseudonym.startswith("forgotten:")
        assert _personal(session, replace(alice, sender_id=pseudonym)) == _erased(FORGOTTEN)
        assert _statistics(session, alice.ticket_id) == statistics
        assert _personal(session, bob) == bob_before
        assert _traces(session, ALICE) == []
        assert _traces(session, BOB) != []
    with session_scope(database_url) as session:
        again = forget_resident(session, ALICE)
    assert (again.photos, again.messages, again.outbox, again.notes) == (0, 0, 0, 0)


def _traces(session: Session, sender_id: str) -> list[str]:
    """Where the conversation id of `sender_id` (or its bare chat id, in a chat_id column)
    is still stored, in any text column of any table."""
    chat_id = ConversationId.parse(sender_id).chat_id
    found = []
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            if not isinstance(column.type, String):
                continue
            hit = column.contains(sender_id)
            if column.name == "chat_id":
                hit = hit | (column == chat_id)
            if session.scalar(select(func.count()).select_from(table).where(hit)):
                found.append(f"{table.name}.{column.name}")
    return found


def test_purge_erases_finished_tickets_and_old_messages_only(database_url: str) -> None:
    with session_scope(database_url) as session:
        old, recent = _resident(session, ALICE, 400), _resident(session, BOB, 3)
        open_ticket, _ = create_ticket(
            session,
            channel="telegram",
            source_message_id="x",
            sender_id="telegram:333",
            appeal_type=AppealType.COMPLAIN,
            description="还在办理的投诉",
            phone="13900000000",
            actor="system",
            now=utcnow() - timedelta(days=400),
        )
        for ticket_id in (old.ticket_id, recent.ticket_id):
            change_status(
                session,
                session.get_one(Ticket, ticket_id),
                Status.CLOSED,
                actor="staff:x",
                note="已答复",
                now=utcnow() - timedelta(days=399),
            )
        session.execute(
            update(OutboxMessage).values(status=SENT, created_at=utcnow() - timedelta(days=400))
        )
        session.execute(
            update(OutboxMessage).where(OutboxMessage.chat_id == "222").values(created_at=utcnow())
        )
        session.execute(
            update(Ticket).where(Ticket.id == recent.ticket_id).values(updated_at=utcnow())
        )
    with session_scope(database_url) as session:
        statistics = _statistics(session, old.ticket_id)
        recent_before = _personal(session, recent)

    with session_scope(database_url) as session:
        purge_expired(session, utcnow(), retention_days=365)

    with session_scope(database_url) as session:
        assert _personal(session, old) == _erased(EXPIRED)
        assert _statistics(session, old.ticket_id) == statistics
        assert _personal(session, recent) == recent_before
        still_open = session.get_one(Ticket, open_ticket.id)
        assert (still_open.description, still_open.phone) == ("还在办理的投诉", "13900000000")


def _over(session: Session, sender_id: str) -> Resident:
    """A resident whose conversation is over: silent for 400 days, their ticket closed, the
    handoff handed back and the queued reply sent long ago."""
    resident = _resident(session, sender_id, 400)
    when = utcnow() - timedelta(days=399)
    change_status(
        session,
        session.get_one(Ticket, resident.ticket_id),
        Status.CLOSED,
        actor="staff:x",
        note="已答复",
        now=when,
    )
    close(
        session.scalars(select(Handoff).where(Handoff.sender_id == sender_id)).one(),
        "staff1",
        now=when,
    )
    chat_id = ConversationId.parse(sender_id).chat_id
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.chat_id == chat_id)
        .values(status=SENT, created_at=when)
    )
    return resident


def _pseudonyms(session: Session, resident: Resident) -> set[str]:
    """The conversation ids of the resident's ticket and messages, as now stored."""
    ticket = session.get_one(Ticket, resident.ticket_id)
    # Messages are told by their external id, which `_resident` makes "<chat id>-<n>".
    messages = session.execute(
        select(InboundMessage.channel, InboundMessage.chat_id).where(
            InboundMessage.external_id.startswith(
                ConversationId.parse(resident.sender_id).chat_id + "-"
            )
        )
    )
    return {
        ticket.sender_id,
        *(ConversationId.build(channel, chat_id) for channel, chat_id in messages),
    }


def test_purge_pseudonymises_conversations_that_are_over(database_url: str) -> None:
    with session_scope(database_url) as session:
        alice = _over(session, ALICE)
        statistics = _statistics(session, alice.ticket_id)

    with session_scope(database_url) as session:
        erased = purge_expired(session, utcnow(), retention_days=365)
    assert erased.conversations == 1

    with session_scope(database_url) as session:
        assert _traces(session, ALICE) == []
        (pseudonym,) = _pseudonyms(session, alice)  # its rows stay together
        assert pseudonym.startswith("forgotten:")
        assert session.scalars(select(Handoff.sender_id)).all() == [pseudonym]
        assert _statistics(session, alice.ticket_id) == statistics


def _writes_again(session: Session, sender_id: str) -> None:
    conversation = ConversationId.parse(sender_id)
    channel, chat_id = conversation.channel, conversation.chat_id
    session.add(
        InboundMessage(
            channel=channel,
            external_id=f"{chat_id}-3",
            chat_id=chat_id,
            text="还有一件事",
            status=InboundStatus.ANSWERED,
            received_at=utcnow(),
        )
    )


def _has_an_unfinished_ticket(session: Session, sender_id: str) -> None:
    create_ticket(
        session,
        channel="telegram",
        source_message_id="y",
        sender_id=sender_id,
        appeal_type=AppealType.COMPLAIN,
        description="还在办理的投诉",
        actor="system",
        now=utcnow() - timedelta(days=400),
    )


def _has_an_open_handoff(session: Session, sender_id: str) -> None:
    open_handoff(session, sender_id, HandoffReason.REQUESTED, now=utcnow() - timedelta(days=400))


def _was_sent_a_notice(session: Session, sender_id: str) -> None:
    notify(session, sender_id, "您的工单已办结，请评价。")


@pytest.mark.parametrize(
    "still_going",
    [_writes_again, _has_an_unfinished_ticket, _has_an_open_handoff, _was_sent_a_notice],
)
def test_purge_keeps_the_id_of_a_conversation_still_going(
    database_url: str, still_going: Callable[[Session, str], None]
) -> None:
    with session_scope(database_url) as session:
        _over(session, ALICE)  # the one conversation over
        bob = _over(session, BOB)
        still_going(session, BOB)

    with session_scope(database_url) as session:
        erased = purge_expired(session, utcnow(), retention_days=365)
    assert erased.conversations == 1

    with session_scope(database_url) as session:
        assert _traces(session, ALICE) == []
        assert _pseudonyms(session, bob) == {BOB}


def test_purging_again_pseudonymises_nothing(database_url: str) -> None:
    with session_scope(database_url) as session:
        alice = _over(session, ALICE)
    with session_scope(database_url) as session:
        purge_expired(session, utcnow(), retention_days=365)
    with session_scope(database_url) as session:
        pseudonyms = _pseudonyms(session, alice)

    with session_scope(database_url) as session:
        again = purge_expired(session, utcnow(), retention_days=365)
    assert again.conversations == 0
    with session_scope(database_url) as session:
        assert _pseudonyms(session, alice) == pseudonyms


def test_transcripts_are_erased_by_conversation_or_by_age(tmp_path: Path) -> None:
    """Against a table with the columns of Rasa's SQL tracker store that this relies on."""
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    now = utcnow()
    with create_engine(url).begin() as connection:
        connection.execute(
            text(
                "CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id TEXT, "
                "type_name TEXT, timestamp FLOAT, data TEXT)"
            )
        )
        rows = [
            ("a", now - timedelta(days=400)),
            ("a", now - timedelta(days=1)),
            ("b", now - timedelta(days=400)),
            ("c", now),
        ]
        for sender, at in rows:
            connection.execute(
                text("INSERT INTO events (sender_id, timestamp) VALUES (:s, :t)"),
                {"s": sender, "t": at.timestamp()},
            )

    # by age, each event by its own: a conversation still going loses its old events too
    assert erase_transcripts(url, before=now - timedelta(days=365)) == 2  # a and b
    assert erase_transcripts(url, sender_id="c") == 1
    with create_engine(url).connect() as connection:
        left = connection.execute(text("SELECT sender_id, timestamp FROM events")).all()
    assert left == [("a", (now - timedelta(days=1)).timestamp())]


def _broken_tracker_store(tmp_path: Path, kind: str) -> str:
    """A tracker store URL that erasing cannot use: what a misconfigured deployment has."""
    if kind == "no such file":
        return f"sqlite:///{tmp_path / 'none.db'}"
    if kind == "no events table":
        url = f"sqlite:///{tmp_path / 'empty.db'}"
        with create_engine(url).begin() as connection:
            connection.execute(text("CREATE TABLE other (id INTEGER PRIMARY KEY)"))
        return url
    return "postgresql+psycopg://rasa:secret@127.0.0.1:1/rasa"  # nothing listens there


BROKEN = ["no such file", "no events table", "unreachable"]


@pytest.mark.parametrize("kind", BROKEN)
def test_erasing_transcripts_fails_loudly_without_the_tracker_store(
    tmp_path: Path, kind: str
) -> None:
    url = _broken_tracker_store(tmp_path, kind)
    with pytest.raises(TrackerStoreError) as raised:
        erase_transcripts(url, sender_id="a")
    assert "secret" not in str(raised.value)
    with pytest.raises(TrackerStoreError):
        erase_transcripts(url, before=utcnow())
    assert not (tmp_path / "none.db").exists()  # looking created no empty SQLite file


@pytest.mark.parametrize("kind", BROKEN)
@pytest.mark.parametrize("command", [["forget", ALICE], ["purge"]])
def test_residents_commands_erase_nothing_and_fail_without_the_tracker_store(
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    kind: str,
    command: list[str],
) -> None:
    with session_scope(database_url) as session:
        alice = _resident(session, ALICE, 400)
        ticket = session.get_one(Ticket, alice.ticket_id)
        change_status(
            session,
            ticket,
            Status.CLOSED,
            actor="staff:x",
            note="已答复",
            now=utcnow() - timedelta(days=399),
        )
        before = _personal(session, alice)
    monkeypatch.setenv("JIESU_DATABASE_URL", database_url)
    monkeypatch.setenv("JIESU_TRACKER_STORE_URL", _broken_tracker_store(tmp_path, kind))
    get_settings.cache_clear()
    result = CliRunner().invoke(cli, ["residents", *command])
    assert result.exit_code == 1, result.output
    assert "JIESU_TRACKER_STORE_URL" in result.output and "secret" not in result.output
    with session_scope(database_url) as session:
        assert _personal(session, alice) == before


def test_nothing_is_queued_for_a_forgotten_conversation(database_url: str) -> None:
    with session_scope(database_url) as session:
        alice = _resident(session, ALICE, 3)
    with session_scope(database_url) as session:
        forget_resident(session, ALICE)
    with session_scope(database_url) as session:
        ticket = session.get_one(Ticket, alice.ticket_id)
        assert notices.progress(session, ticket, "已安排维修") is None
        assert notify(session, ticket.sender_id, "您好") is None
        assert session.scalars(select(OutboxMessage)).all() == []


def test_forget_reports_what_it_found_and_nothing_for_an_unknown_id(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with session_scope(database_url) as session:
        _resident(session, ALICE, 3)
    with session_scope(database_url) as session:
        assert forget_resident(session, "telegram:999") == Erased()
    tracker = f"sqlite:///{tmp_path / 'tracker.db'}"
    with create_engine(tracker).begin() as connection:
        connection.execute(
            text(
                "CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id TEXT, "
                "type_name TEXT, timestamp FLOAT, data TEXT)"
            )
        )
    monkeypatch.setenv("JIESU_DATABASE_URL", database_url)
    monkeypatch.setenv("JIESU_TRACKER_STORE_URL", tracker)
    get_settings.cache_clear()
    unknown = CliRunner().invoke(cli, ["residents", "forget", "telegram:999"])
    assert unknown.exit_code == 0, unknown.output
    assert "没有找到" in unknown.output
    malformed = CliRunner().invoke(cli, ["residents", "forget", "4242"])
    assert malformed.exit_code == 2 and "不是对话编号" in malformed.output
    known = CliRunner().invoke(cli, ["residents", "forget", ALICE])
    assert "工单 1 件" in known.output and "会话编号 1 个" in known.output
