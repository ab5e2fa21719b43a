"""The gateway: the one entry point every channel calls with a resident's message.

It records the message before anything else (so nothing is lost), drops
duplicates (a retried web request or a re-delivered Telegram update is
answered from the first arrival's replies; only a message that found Rasa
down is tried again), asks a conversation sending too fast to slow down (its
messages are still recorded, `LIMITED`, but not passed on),
answers empty and oversized input itself, passes messages of a conversation
handed to a person to the handoff desk (the assistant stays silent), and
otherwise asks Rasa, whose conversation id is "<channel>:<chat id>".

A message the assistant could not answer (Rasa down, or Rasa answering nothing,
which is what its REST channel does when the action server is unreachable) is
kept as `FAILED` and answered later, through the outbox: by `retry_failed`
(the web app runs it every `JIESU_RETRY_INTERVAL_SECONDS`), or before the
conversation's next message, in arrival order either way. One younger than
`JIESU_RETRY_MAX_AGE_MINUTES` is tried again; an older one is `GIVEN_UP`, and
the resident told once to send it again.

The gateway holds the orchestration; the inbound table's reads and writes are
`jiesu.inbox`, and Rasa is reached through the `Assistant` protocol, so the edge
cases can be tested with a stand-in as well as with the real server.

A message being answered is `RECEIVED`, with the time it was taken. If the process
answering it dies, nothing would finish it: once `JIESU_CLAIM_LEASE_SECONDS` have
passed (longer than a live turn takes) it waits for an answer like a failed one, and
the retry loop or its re-delivery answers it.
"""

from __future__ import annotations

import asyncio
import logging
import unicodedata
import weakref
from collections.abc import Awaitable
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any, Protocol

from bot.rasa_client import RasaUnavailableError
from jiesu.choices import last_shown, typed_choice
from jiesu.config import Settings, get_settings
from jiesu.conversations import ConversationId
from jiesu.db import session_scope
from jiesu.handoff.desk import HandoffDesk, TrackerApi
from jiesu.inbox import InboundStatus, Inbox, Replies
from jiesu.models import utcnow
from jiesu.text import strip_control
from jiesu.vocabulary import gateway_text

log = logging.getLogger(__name__)

# Separators and format characters (zero-width spaces and joiners, direction marks):
# a message of nothing else looks empty to the resident, and is answered as empty.
_INVISIBLE = frozenset({"Zs", "Zl", "Zp", "Cc", "Cf"})


class Assistant(TrackerApi, Protocol):
    """What the gateway needs of Rasa (`bot.rasa_client.RasaClient`): the REST channel,
    and the tracker API the handoff desk uses."""

    async def send(self, sender_id: str, text: str, metadata: dict[str, Any]) -> Replies:
        """The replies to one message; `RasaUnavailableError` if Rasa cannot answer."""


@dataclass(frozen=True)
class Incoming:
    """A resident's message as a channel hands it over."""

    channel: str
    chat_id: str
    message_id: str
    text: str
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def sender_id(self) -> ConversationId:
        """The Rasa conversation id of this resident on this channel."""
        return ConversationId.build(self.channel, self.chat_id)


@dataclass(frozen=True)
class RateLimit:
    """At most `messages` passed on per conversation in any `seconds`."""

    messages: int
    seconds: float

    @classmethod
    def from_settings(cls, settings: Settings) -> RateLimit:
        """The configured limit (`JIESU_RATE_LIMIT_MESSAGES` per `JIESU_RATE_LIMIT_SECONDS`)."""
        return cls(settings.rate_limit_messages, settings.rate_limit_seconds)


@dataclass(frozen=True)
class RetryReport:
    """What one `retry_failed` round did."""

    answered: int
    given_up: int
    waiting: int  # still to be answered: the assistant is not back yet


def _text_reply(text: str) -> Replies:
    return [{"text": text}]


class Gateway:
    """Routes resident messages from any channel to Rasa, exactly once each."""

    def __init__(
        self,
        rasa: Assistant,
        database_url: str | None,
        max_chars: int,
        rate_limit: RateLimit | None = None,
        retry_max_age: timedelta | None = None,
        claim_lease: timedelta | None = None,
    ) -> None:
        self._rasa = rasa
        self._database_url = database_url
        self._desk = HandoffDesk(rasa, database_url)
        self._max_chars = max_chars
        settings = get_settings()
        self._rate_limit = rate_limit or RateLimit.from_settings(settings)
        self._retry_max_age = retry_max_age or timedelta(minutes=settings.retry_max_age_minutes)
        lease = claim_lease or timedelta(seconds=settings.claim_lease_seconds)
        self._inbox = Inbox(database_url, lease)
        # One turn at a time per conversation in this process, so a retried backlog and
        # a new message reach Rasa in arrival order.
        self._turns: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    async def handle(self, incoming: Incoming, after: Awaitable[object] | None = None) -> Replies:
        """Answer `incoming`; a duplicate gets the first arrival's replies without asking Rasa.

        `after` is the conversation's previous message, still being handled by a channel
        that handles messages concurrently: this one is recorded at once, but takes its
        turn only once that one is done.
        """
        incoming = replace(incoming, text=strip_control(incoming.text))
        claim = await asyncio.to_thread(
            self._inbox.claim,
            incoming.channel,
            incoming.chat_id,
            incoming.message_id,
            incoming.text,
        )
        if not claim.is_new and claim.status in (InboundStatus.FAILED, InboundStatus.RECEIVED):
            claim.is_new = await asyncio.to_thread(self._inbox.retake, claim.record_id)
        if not claim.is_new:
            log.info("duplicate %s message %s", incoming.channel, incoming.message_id)
            if claim.status is InboundStatus.RECEIVED:
                return _text_reply(gateway_text("in_progress"))
            return claim.replies or []
        if await asyncio.to_thread(self._over_limit, incoming, claim.record_id):
            log.warning("%s is over the rate limit", incoming.sender_id)
            replies = _text_reply(gateway_text("slow_down"))
            await asyncio.to_thread(
                self._inbox.finish, claim.record_id, replies, InboundStatus.LIMITED
            )
            return replies
        if after is not None:
            await asyncio.shield(after)  # a cancelled wait must not cancel the other's turn
        async with self._turn(incoming.sender_id):
            caught_up = await self._catch_up(
                incoming.channel, incoming.chat_id, before=claim.record_id
            )
            if caught_up is not None:
                replies, status = await self._answer(incoming)
            else:  # the backlog still fails: this one would too, and must wait its turn
                replies, status = _text_reply(gateway_text("busy")), InboundStatus.FAILED
            await asyncio.to_thread(self._inbox.finish, claim.record_id, replies, status)
        return replies

    def was_handled(self, channel: str, chat_id: str, message_id: str) -> bool:
        """Whether a chat's message was handled or is being handled: neither unknown,
        nor waiting for an answer (its try failed, or the process taking it died)."""
        return self._inbox.was_handled(channel, chat_id, message_id)

    async def retry_failed(self) -> RetryReport:
        """Answer the messages waiting in every conversation (failed or abandoned), oldest
        first, through the outbox; give up those too old, telling each resident once. Stops
        at the first message the assistant still cannot answer: it is down for the others."""
        cutoff = utcnow() - self._retry_max_age
        given_up = await asyncio.to_thread(
            self._inbox.give_up_before, cutoff, gateway_text("given_up")
        )
        answered = 0
        for channel, chat_id in await asyncio.to_thread(self._inbox.waiting_conversations):
            async with self._turn(ConversationId.build(channel, chat_id)):
                done = await self._catch_up(channel, chat_id)
            if done is None:
                break
            answered += done
        waiting = len(await asyncio.to_thread(self._inbox.waiting_conversations))
        return RetryReport(answered=answered, given_up=given_up, waiting=waiting)

    async def retry_forever(self, interval_seconds: float) -> None:
        """Run `retry_failed` every `interval_seconds` until cancelled (the web app's task)."""
        while True:
            await asyncio.sleep(interval_seconds)
            try:
                report = await self.retry_failed()
            except Exception:
                log.exception("retrying failed messages failed; trying again later")
                continue
            if report.answered or report.given_up:
                log.info("retried failed messages: %s", report)

    def _turn(self, sender_id: str) -> asyncio.Lock:
        lock = self._turns.get(sender_id)
        if lock is None:
            lock = self._turns[sender_id] = asyncio.Lock()
        return lock

    async def _catch_up(self, channel: str, chat_id: str, before: int | None = None) -> int | None:
        """Answer the conversation's waiting messages (those before `before`) in order, the
        replies through the outbox; how many, or None if one failed again (the rest wait).

        Each is taken with `_retake`, so a resident's re-send of the same message and
        another retry cannot answer it a second time.
        """
        cutoff = utcnow() - self._retry_max_age
        answered = 0
        while True:
            record = await asyncio.to_thread(self._inbox.oldest_waiting, channel, chat_id, cutoff)
            if record is None or (before is not None and record.record_id >= before):
                return answered
            if not await asyncio.to_thread(self._inbox.retake, record.record_id):
                return answered  # someone else has it (a re-send, or another process)
            incoming = Incoming(channel, chat_id, record.message_id, record.text)
            replies, status = await self._answer(incoming)
            await asyncio.to_thread(self._inbox.finish, record.record_id, replies, status, True)
            if status is InboundStatus.FAILED:
                return None
            answered += 1

    async def _answer(self, incoming: Incoming) -> tuple[Replies, InboundStatus]:
        text = incoming.text.strip()
        if not any(unicodedata.category(c) not in _INVISIBLE for c in text):
            return _text_reply(gateway_text("empty")), InboundStatus.ANSWERED
        if len(text) > self._max_chars:
            message = gateway_text("too_long", length=len(text), limit=self._max_chars)
            return _text_reply(message), InboundStatus.ANSWERED
        metadata = {
            **incoming.metadata,
            "channel": incoming.channel,
            "message_id": incoming.message_id,
        }
        try:
            handed = await self._desk.resident_wrote(
                incoming.sender_id, text, incoming.message_id, metadata
            )
            if handed is not None:
                return handed, InboundStatus.ANSWERED
            pressed = await asyncio.to_thread(self._typed_choice, incoming, text)
            replies = await self._rasa.send(incoming.sender_id, pressed or text, metadata)
            if not replies:
                # Rasa's REST channel answers an empty list when an action failed (the
                # action server is down): its events are lost and the turn is to be retried.
                raise RasaUnavailableError("Rasa answered nothing (is the action server up?)")
        except RasaUnavailableError as error:
            log.warning("Rasa unavailable for %s: %s", incoming.sender_id, error)
            return _text_reply(gateway_text("busy")), InboundStatus.FAILED
        log.info("%s answered with %d replies", incoming.sender_id, len(replies))
        return _for_channel(replies, incoming.channel), InboundStatus.ANSWERED

    def _typed_choice(self, incoming: Incoming, text: str) -> str | None:
        """The payload of a button the conversation was last shown, if `text`
        says its label (see jiesu/choices.py)."""
        with session_scope(self._database_url) as session:
            shown = last_shown(session, incoming.channel, incoming.chat_id)
        return typed_choice(text, shown)

    def _over_limit(self, incoming: Incoming, record_id: int) -> bool:
        """Whether the conversation already had its quota of messages passed on in the
        window (limited messages do not count, so a slower resident is served again)."""
        since = utcnow() - timedelta(seconds=self._rate_limit.seconds)
        recent = self._inbox.passed_on_since(incoming.channel, incoming.chat_id, since, record_id)
        return recent >= self._rate_limit.messages


def _for_channel(replies: Replies, channel: str) -> Replies:
    """The replies as `channel` needs them: without Rasa's `recipient_id`, and a
    custom reply kept only for the channel it names ({"custom": {"telegram": …}})."""
    kept = []
    for reply in replies:
        reply = {key: value for key, value in reply.items() if key != "recipient_id"}
        custom = reply.get("custom")
        if isinstance(custom, dict) and channel not in custom:
            del reply["custom"]
            if not reply:
                continue
        kept.append(reply)
    return kept
