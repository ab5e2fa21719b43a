"""The handoff desk keeps the event loop free: its database work runs in worker threads, in
short transactions, and no database connection is held while Rasa is awaited."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy.orm import Session
from sqlalchemy.pool import QueuePool

from jiesu.db import get_engine, session_scope
from jiesu.handoff import service
from jiesu.handoff.desk import RESIDENT_ENDED, HandoffDesk
from jiesu.handoff.models import Handoff, HandoffReason, HandoffStatus
from jiesu.handoff.transcript import transcript

SENDER = "web:resident-1"


class Tracker:
    """Rasa's HTTP API, checking that nobody holds a database connection while it answers."""

    def __init__(self, database_url: str) -> None:
        pool = get_engine(database_url).pool
        assert isinstance(pool, QueuePool)  # the default pool, which counts its connections
        self.pool = pool
        self.held: list[int] = []
        self.appended: list[dict[str, Any]] = []

    def _check(self) -> None:
        self.held.append(self.pool.checkedout())

    async def parse(self, text: str) -> dict[str, Any]:
        self._check()
        return {"text": text, "intent": {"name": "inform", "confidence": 1.0}}

    async def events(self, sender_id: str) -> list[dict[str, Any]]:
        self._check()
        return []

    async def append_events(self, sender_id: str, events: list[dict[str, Any]]) -> None:
        self._check()
        self.appended.extend(events)


@pytest.fixture
def loop_threads(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """For each look-up of the open handoff: whether it ran on the event loop's thread."""
    on_loop: list[bool] = []
    real = service.current
    loop_thread = threading.get_ident()

    def watched(session: Session, sender_id: str) -> Handoff | None:
        on_loop.append(threading.get_ident() == loop_thread)
        return real(session, sender_id)

    monkeypatch.setattr(service, "current", watched)
    return on_loop


async def test_the_desk_holds_no_connection_while_rasa_answers(
    database_url: str, loop_threads: list[bool]
) -> None:
    tracker = Tracker(database_url)
    desk = HandoffDesk(tracker, database_url)
    assert await desk.resident_wrote(SENDER, "你好", "m0", {}) is None  # the assistant's turn
    handoff_id = await desk.take_over(SENDER, "disp")
    assert await desk.resident_wrote(SENDER, "路灯坏了", "m1", {}) == []
    await desk.reply(handoff_id, "disp", "我们马上处理")
    await desk.hand_back(handoff_id, "disp")

    assert tracker.held and set(tracker.held) == {0}
    assert loop_threads and not any(loop_threads)
    assert [event["event"] for event in tracker.appended] == [
        "pause",
        "bot",
        "user",
        "bot",
        "active_loop",
        "resume",
        "bot",
        "action",
    ]
    with session_scope(database_url) as session:
        handoff = service.get(session, handoff_id)
        assert handoff.reason == HandoffReason.TAKEN_OVER
        assert handoff.closed_by == "disp" and handoff.last_resident_at is not None


async def test_a_refused_reply_reaches_neither_rasa_nor_the_resident(database_url: str) -> None:
    tracker = Tracker(database_url)
    desk = HandoffDesk(tracker, database_url)
    handoff_id = await desk.take_over(SENDER, "disp")
    appended = len(tracker.appended)
    with pytest.raises(service.HandoffError):
        await desk.reply(handoff_id, "someone-else", "我来回复")  # disp holds the conversation
    await desk.hand_back(handoff_id, "disp")
    with pytest.raises(service.HandoffError):
        await desk.hand_back(handoff_id, "disp")
    assert len(tracker.appended) == appended + 4  # the hand-back only


async def test_a_resident_ending_the_chat_closes_its_handoff_and_the_transcript_says_so(
    database_url: str,
) -> None:
    tracker = Tracker(database_url)
    desk = HandoffDesk(tracker, database_url)
    await desk.resident_ended(SENDER)  # no handoff: nothing to do
    assert tracker.appended == []
    handoff_id = await desk.take_over(SENDER, "disp")
    await desk.resident_ended(SENDER)
    assert tracker.held and set(tracker.held) == {0}
    assert [line.text for line in transcript(tracker.appended)][-1] == "居民已结束对话"
    with session_scope(database_url) as session:
        handoff = service.get(session, handoff_id)
        assert handoff.status == HandoffStatus.CLOSED and handoff.closed_by == RESIDENT_ENDED
