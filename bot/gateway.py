"""The gateway: the one entry point every channel calls with a resident's message.

It records the message before anything else (so nothing is lost), drops
duplicates (a retried web request or a re-delivered Telegram update is
answered from the first arrival's replies; only a message that found Rasa
down is tried again), asks a conversation sending too fast to slow down (its
messages are still recorded, with the status "limited", but not passed on),
answers empty and oversized input itself, passes messages of a conversation
handed to a person to the handoff desk (the assistant stays silent), and
otherwise asks Rasa, whose conversation id is "<channel>:<chat id>".
"""

from __future__ import annotations

import asyncio
import logging
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.exc import IntegrityError

from bot.rasa_client import RasaClient, RasaUnavailableError
from jiesu.config import Settings, get_settings
from jiesu.db import session_scope
from jiesu.handoff.desk import HandoffDesk
from jiesu.models import InboundMessage, utcnow
from jiesu.text import strip_control
from jiesu.vocabulary import gateway_text

log = logging.getLogger(__name__)

# Separators and format characters (zero-width spaces and joiners, direction marks):
# a message of nothing else looks empty to the resident, and is answered as empty.
_INVISIBLE = frozenset({"Zs", "Zl", "Zp", "Cc", "Cf"})


@dataclass(frozen=True)
class Incoming:
    """A resident's message as a channel hands it over."""

    channel: str
    chat_id: str
    message_id: str
    text: str
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def sender_id(self) -> str:
        """The Rasa conversation id of this resident on this channel."""
        return f"{self.channel}:{self.chat_id}"


@dataclass(frozen=True)
class RateLimit:
    """At most `messages` passed on per conversation in any `seconds`."""

    messages: int
    seconds: float

    @classmethod
    def from_settings(cls, settings: Settings) -> RateLimit:
        """The configured limit (`JIESU_RATE_LIMIT_MESSAGES` per `JIESU_RATE_LIMIT_SECONDS`)."""
        return cls(settings.rate_limit_messages, settings.rate_limit_seconds)


@dataclass
class _Claim:
    record_id: int
    is_new: bool
    status: str
    replies: list[dict[str, Any]] | None


def _text_reply(text: str) -> list[dict[str, Any]]:
    return [{"text": text}]


class Gateway:
    """Routes resident messages from any channel to Rasa, exactly once each."""

    def __init__(
        self, rasa: RasaClient, database_url: str | None, max_chars: int,
        rate_limit: RateLimit | None = None,
    ) -> None:
        self._rasa = rasa
        self._desk = HandoffDesk(rasa, database_url)
        self._database_url = database_url
        self._max_chars = max_chars
        self._rate_limit = rate_limit or RateLimit.from_settings(get_settings())

    async def handle(self, incoming: Incoming) -> list[dict[str, Any]]:
        """Answer `incoming`; a duplicate gets the first arrival's replies without asking Rasa."""
        incoming = replace(incoming, text=strip_control(incoming.text))
        claim = await asyncio.to_thread(self._claim, incoming)
        if not claim.is_new and claim.status == "failed":
            claim.is_new = await asyncio.to_thread(self._retake_failed, claim.record_id)
        if not claim.is_new:
            log.info("duplicate %s message %s", incoming.channel, incoming.message_id)
            if claim.status == "received":
                return _text_reply(gateway_text("in_progress"))
            return claim.replies or []
        if await asyncio.to_thread(self._over_limit, incoming, claim.record_id):
            log.warning("%s is over the rate limit", incoming.sender_id)
            replies, status = _text_reply(gateway_text("slow_down")), "limited"
        else:
            replies, status = await self._answer(incoming)
        await asyncio.to_thread(self._finish, claim.record_id, replies, status)
        return replies

    async def _answer(self, incoming: Incoming) -> tuple[list[dict[str, Any]], str]:
        text = incoming.text.strip()
        if not any(unicodedata.category(c) not in _INVISIBLE for c in text):
            return _text_reply(gateway_text("empty")), "answered"
        if len(text) > self._max_chars:
            message = gateway_text("too_long", length=len(text), limit=self._max_chars)
            return _text_reply(message), "answered"
        metadata = {**incoming.metadata, "channel": incoming.channel,
                    "message_id": incoming.message_id}
        try:
            handed = await self._desk.resident_wrote(
                incoming.sender_id, text, incoming.message_id, metadata
            )
            if handed is not None:
                return handed, "answered"
            replies = await self._rasa.send(incoming.sender_id, text, metadata)
        except RasaUnavailableError as error:
            log.warning("Rasa unavailable for %s: %s", incoming.sender_id, error)
            return _text_reply(gateway_text("busy")), "failed"
        log.info("%s answered with %d replies", incoming.sender_id, len(replies))
        return _for_channel(replies, incoming.channel), "answered"

    def _claim(self, incoming: Incoming) -> _Claim:
        try:
            with session_scope(self._database_url) as session:
                record = InboundMessage(
                    channel=incoming.channel,
                    external_id=incoming.message_id,
                    chat_id=incoming.chat_id,
                    text=incoming.text,
                )
                session.add(record)
                session.flush()
                return _Claim(record.id, True, record.status, None)
        except IntegrityError:
            with session_scope(self._database_url) as session:
                existing = session.scalars(
                    select(InboundMessage).where(
                        InboundMessage.channel == incoming.channel,
                        InboundMessage.external_id == incoming.message_id,
                    )
                ).one()
                return _Claim(existing.id, False, existing.status, existing.replies)

    def _over_limit(self, incoming: Incoming, record_id: int) -> bool:
        """Whether the conversation already had its quota of messages passed on in the
        window (limited messages do not count, so a slower resident is served again)."""
        since = utcnow() - timedelta(seconds=self._rate_limit.seconds)
        with session_scope(self._database_url) as session:
            recent = session.scalar(
                select(func.count()).where(
                    InboundMessage.channel == incoming.channel,
                    InboundMessage.chat_id == incoming.chat_id,
                    InboundMessage.received_at >= since,
                    InboundMessage.status != "limited",
                    InboundMessage.id != record_id,
                )
            )
        return (recent or 0) >= self._rate_limit.messages

    def _retake_failed(self, record_id: int) -> bool:
        """Take a message whose first try found Rasa down; only one retry wins."""
        with session_scope(self._database_url) as session:
            taken: CursorResult[Any] = session.execute(  # type: ignore[assignment]
                update(InboundMessage)
                .where(InboundMessage.id == record_id, InboundMessage.status == "failed")
                .values(status="received")
            )
            return bool(taken.rowcount)

    def _finish(self, record_id: int, replies: list[dict[str, Any]], status: str) -> None:
        with session_scope(self._database_url) as session:
            record = session.get_one(InboundMessage, record_id)
            record.replies = replies
            record.status = status
            record.answered_at = utcnow()


def _for_channel(replies: list[dict[str, Any]], channel: str) -> list[dict[str, Any]]:
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
