"""Handoff rules (open, claim, release, acknowledgements, times) and the transcript reader."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from jiesu.db import session_scope
from jiesu.handoff import service
from jiesu.handoff.models import HandoffReason, HandoffStatus
from jiesu.handoff.transcript import ASSISTANT, RESIDENT, STAFF, SYSTEM, transcript
from jiesu.inbox import InboundMessage

T0 = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)


def test_a_conversation_has_one_open_handoff_and_can_have_a_new_one_after_closing(
    database_url: str,
) -> None:
    with session_scope(database_url) as session:
        first, new = service.open_handoff(session, "web:a", HandoffReason.REQUESTED, now=T0)
        again, new_again = service.open_handoff(session, "web:a", HandoffReason.FALLBACK, now=T0)
        assert new and not new_again and again.id == first.id
        service.close(first, "alice", now=T0 + timedelta(minutes=5))
        assert service.current(session, "web:a") is None
        later, new_later = service.open_handoff(session, "web:a", HandoffReason.REQUESTED, now=T0)
        assert new_later and later.id != first.id


def test_claims_are_not_taken_silently_and_only_the_holder_releases(database_url: str) -> None:
    with session_scope(database_url) as session:
        handoff, _ = service.open_handoff(session, "web:b", HandoffReason.REQUESTED, now=T0)
        service.claim(handoff, "alice", now=T0 + timedelta(minutes=2))
        assert handoff.status == HandoffStatus.ACTIVE
        with pytest.raises(service.HandoffError, match="alice"):
            service.claim(handoff, "bob", now=T0)
        with pytest.raises(service.HandoffError):
            service.release(handoff, "bob")
        service.release(handoff, "alice")
        assert handoff.status == HandoffStatus.WAITING and handoff.claimed_by is None
        service.close(handoff, "bob", now=T0)
        with pytest.raises(service.HandoffError):
            service.claim(handoff, "bob", now=T0)


def test_waiting_and_first_response_times(database_url: str) -> None:
    with session_scope(database_url) as session:
        handoff, _ = service.open_handoff(session, "web:c", HandoffReason.FALLBACK, now=T0)
        still = service.timing(handoff, now=T0 + timedelta(minutes=3))
        assert still == service.Timing(waiting_seconds=180, first_response_seconds=None)
        service.record_staff_reply(handoff, "alice", now=T0 + timedelta(minutes=4))
        service.record_staff_reply(handoff, "alice", now=T0 + timedelta(minutes=9))
        done = service.timing(handoff, now=T0 + timedelta(hours=1))
        assert done == service.Timing(waiting_seconds=240, first_response_seconds=240)
        assert handoff.claimed_by == "alice"


def test_residents_are_acknowledged_until_someone_answers_but_not_on_every_message(
    database_url: str,
) -> None:
    with session_scope(database_url) as session:
        handoff, _ = service.open_handoff(session, "web:d", HandoffReason.REQUESTED, now=T0)
        acks = [
            service.record_resident_message(handoff, now=T0 + timedelta(minutes=m))
            for m in (1, 2, 12)
        ]
        assert acks == [True, False, True]
        service.record_staff_reply(handoff, "alice", now=T0 + timedelta(minutes=13))
        assert not service.record_resident_message(handoff, now=T0 + timedelta(minutes=30))
        assert handoff.last_resident_at == T0 + timedelta(minutes=30)


def test_expected_wait_is_the_recent_median_rounded_up_to_five_minutes(database_url: str) -> None:
    with session_scope(database_url) as session:
        assert service.expected_wait_minutes(session, now=T0, default=10) == 10
        for index, minutes in enumerate((3, 7, 12)):
            handoff, _ = service.open_handoff(
                session, f"web:e{index}", HandoffReason.REQUESTED, now=T0
            )
            service.record_staff_reply(handoff, "alice", now=T0 + timedelta(minutes=minutes))
        session.flush()
        assert service.expected_wait_minutes(session, now=T0, default=30) == 10
        later = T0 + timedelta(days=8)
        assert service.expected_wait_minutes(session, now=later, default=15) == 15


def test_live_conversations_leave_out_those_already_with_a_person(database_url: str) -> None:
    with session_scope(database_url) as session:
        for chat, text in (("1", "你好"), ("1", "路灯坏了"), ("2", "转人工"), ("3", "以前的")):
            session.add(
                InboundMessage(
                    channel="web",
                    external_id=f"{chat}-{text}",
                    chat_id=chat,
                    text=text,
                    received_at=T0 - (timedelta(days=1) if chat == "3" else timedelta(0)),
                )
            )
        service.open_handoff(session, "web:2", HandoffReason.REQUESTED, now=T0)
        session.flush()
        live = service.live_conversations(session, since=T0 - timedelta(hours=2))
    assert [(c.sender_id, c.last_text, c.messages) for c in live] == [("web:1", "路灯坏了", 2)]


def test_transcript_shows_everyone_and_button_presses_as_choices() -> None:
    events = [
        {"event": "action", "name": "action_session_start", "timestamp": 1.0},
        {"event": "user", "text": "我要找人工", "timestamp": 2.0},
        {
            "event": "bot",
            "text": "好的",
            "timestamp": 3.0,
            "data": {"buttons": [{"title": "转人工", "payload": "/request_human"}]},
        },
        {"event": "user", "text": "/request_human", "timestamp": 4.0},
        {"event": "pause", "timestamp": 5.0},
        {"event": "bot", "text": "您好", "timestamp": 6.0, "metadata": {"staff": "alice"}},
        {"event": "resume", "timestamp": 7.0},
    ]
    lines = transcript(events)
    assert [(line.speaker, line.text) for line in lines] == [
        (RESIDENT, "我要找人工"),
        (ASSISTANT, "好的"),
        (RESIDENT, "（点选：转人工客服）"),
        (SYSTEM, "转人工（智能助手暂停）"),
        (STAFF, "您好"),
        (SYSTEM, "交还智能助手"),
    ]
    assert lines[1].choices == ("转人工",) and lines[4].author == "alice"
    assert [line.event_id for line in transcript(events, after=4)] == [5, 6]


def test_a_conversation_is_labelled_by_its_channel_and_the_end_of_its_chat_id() -> None:
    assert service.conversation_label("web:0123456789abcdef") == "网页 · …cdef"
    assert service.conversation_label("default") == "default · …"  # Rasa's shell
