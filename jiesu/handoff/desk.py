"""The handoff desk: what happens in the conversation when people take it, write in it and
give it back.

Rasa's own mechanism carries it (DESIGN.md): the conversation is paused, staff
messages are appended to the tracker as bot events (so the transcript stays whole)
and reach the resident through the outbox, a resident's messages are read by the
NLU and appended as user events, so the assistant never acts on them (a message
sent to a paused Rasa could still restart it), and handing back resumes it.
The tracker is written before the database: if Rasa cannot take the event, nothing is
sent and nothing is recorded (and no database connection waits on Rasa).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol, TypeVar

from sqlalchemy.orm import Session

from jiesu.conversations import ConversationId
from jiesu.db import session_scope
from jiesu.handoff import service
from jiesu.handoff.models import HandoffReason
from jiesu.handoff.transcript import ENDED_KEY, STAFF_KEY
from jiesu.models import utcnow
from jiesu.outbox import notify
from jiesu.vocabulary import wording, wording_list

T = TypeVar("T")

# Who closed a handoff whose resident ended the web chat (结束对话), in place of a staff name.
RESIDENT_ENDED = "resident"


class TrackerApi(Protocol):
    """What the desk needs of Rasa's HTTP API."""

    async def parse(self, text: str) -> dict[str, Any]:
        """The NLU's reading of `text`, which a user event must carry."""

    async def events(self, sender_id: str) -> list[dict[str, Any]]:
        """Every event of the conversation."""

    async def append_events(self, sender_id: str, events: list[dict[str, Any]]) -> None:
        """Append events to the conversation."""


def handoff_text(key: str, **values: object) -> str:
    """Resident-facing handoff wording from jiesu/vocabulary.yml."""
    return wording("handoff", key, **values)


def canned_replies() -> list[str]:
    """Ready-made replies staff can pick from."""
    return wording_list("handoff", "canned")


def _bot_event(text: str, at: datetime, staff: str | None = None) -> dict[str, Any]:
    event: dict[str, Any] = {"event": "bot", "text": text, "timestamp": at.timestamp()}
    if staff is not None:
        event["metadata"] = {STAFF_KEY: staff}
    return event


class HandoffDesk:
    """Staff and resident sides of handed-over conversations.

    Database work runs in worker threads, in short transactions, never while Rasa is
    awaited: a change is first checked in a transaction rolled back (so a refused one
    reaches neither Rasa nor the resident), then Rasa takes the event, then the change is
    made for real.
    """

    def __init__(
        self,
        tracker: TrackerApi,
        database_url: str | None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._tracker = tracker
        self._database_url = database_url
        self._clock = clock

    async def _in_thread(self, work: Callable[[Session], T], *, keep: bool = True) -> T:
        """`work` in a transaction of its own, in a worker thread; committed if `keep`,
        else rolled back (a check)."""

        def run() -> T:
            with session_scope(self._database_url) as session:
                result = work(session)
                if not keep:
                    session.rollback()
                return result

        return await asyncio.to_thread(run)

    async def resident_wrote(
        self, sender_id: str, text: str, message_id: str, metadata: dict[str, Any]
    ) -> list[dict[str, Any]] | None:
        """If a person has (or is about to have) this conversation, record the resident's
        message for them and return the replies (maybe none); else None: the assistant's turn.
        """
        now = self._clock()
        handoff_id = await self._in_thread(lambda session: _current_id(session, sender_id))
        if handoff_id is None:
            return None
        channel = ConversationId.parse(sender_id).channel
        await self._tracker.append_events(
            sender_id,
            [
                {
                    "event": "user",
                    "text": text,
                    "timestamp": now.timestamp(),
                    "parse_data": await self._tracker.parse(text),
                    "input_channel": channel,
                    "message_id": message_id,
                    "metadata": metadata,
                }
            ],
        )
        acknowledge = await self._in_thread(
            lambda session: service.record_resident_message(
                service.get(session, handoff_id), now=now
            )
        )
        return [{"text": handoff_text("waiting")}] if acknowledge else []

    async def take_over(self, sender_id: str, staff: str) -> int:
        """`staff` takes a live conversation from the assistant; returns the handoff id."""
        now = self._clock()
        text = handoff_text("taken_over")
        existing = await self._in_thread(lambda session: _current_id(session, sender_id))
        if existing is not None:
            return existing
        await self._tracker.append_events(
            sender_id,
            [{"event": "pause", "timestamp": now.timestamp()}, _bot_event(text, now, staff)],
        )

        def record(session: Session) -> int:
            handoff, _ = service.open_handoff(
                session, sender_id, HandoffReason.TAKEN_OVER, now=now, staff=staff
            )
            service.record_staff_reply(handoff, staff, now=now)
            notify(session, sender_id, text)
            return handoff.id

        return await self._in_thread(record)

    async def reply(self, handoff_id: int, staff: str, text: str) -> None:
        """Send `staff`'s message to the resident and keep it in the transcript."""
        cleaned = text.strip()
        if not cleaned:
            raise service.HandoffError("请填写回复内容。")
        now = self._clock()

        def record(session: Session) -> str:
            handoff = service.get(session, handoff_id)
            service.record_staff_reply(handoff, staff, now=now)
            notify(session, handoff.sender_id, cleaned)
            return handoff.sender_id

        sender_id = await self._in_thread(record, keep=False)
        await self._tracker.append_events(sender_id, [_bot_event(cleaned, now, staff)])
        await self._in_thread(record)

    async def hand_back(self, handoff_id: int, staff: str) -> None:
        """Give the conversation back to the assistant, telling the resident so.

        Any half-filled form is dropped: the person may have settled it differently.
        The assistant then listens, as after any turn of its own, so the resident's
        next message starts a fresh turn for its rules and policies.
        """
        now = self._clock()
        text = handoff_text("handed_back")

        def record(session: Session) -> str:
            handoff = service.get(session, handoff_id)
            service.close(handoff, staff, now=now)
            notify(session, handoff.sender_id, text)
            return handoff.sender_id

        sender_id = await self._in_thread(record, keep=False)
        await self._tracker.append_events(
            sender_id,
            [
                {"event": "active_loop", "name": None, "timestamp": now.timestamp()},
                {"event": "resume", "timestamp": now.timestamp()},
                _bot_event(text, now, staff),
                {"event": "action", "name": "action_listen", "timestamp": now.timestamp()},
            ],
        )
        await self._in_thread(record)

    async def resident_ended(self, sender_id: str) -> None:
        """The resident ended the conversation (结束对话): its open handoff, if any, closes,
        and the transcript says the resident ended it. Nothing can refuse this, so the
        database goes first: if Rasa is down, the handoff still leaves the inbox, and the
        caller sees Rasa's error for the missing transcript line."""
        now = self._clock()

        def record(session: Session) -> bool:
            handoff = service.current(session, sender_id)
            if handoff is None:
                return False
            service.close(handoff, RESIDENT_ENDED, now=now)
            return True

        if not await self._in_thread(record):
            return
        await self._tracker.append_events(
            sender_id,
            [
                {"event": "resume", "timestamp": now.timestamp(), "metadata": {ENDED_KEY: True}},
            ],
        )


def _current_id(session: Session, sender_id: str) -> int | None:
    handoff = service.current(session, sender_id)
    return handoff.id if handoff is not None else None
