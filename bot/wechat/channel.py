"""WeChat messages → gateway → a passive reply, or the customer-service API via the outbox.

WeChat waits 5 seconds for the answer to a message and, without one, sends the same
message again (up to three times). A turn ready within `passive_reply_seconds` is
answered in the HTTP response (a passive reply). A slower one is answered "success" at
once and its replies are queued in the outbox when ready, for the sender to deliver as
customer-service messages (客服消息). A re-sent message gets "success" and nothing else,
whether its first arrival is still being answered (here or in another process: the
gateway's record says so) or already was: each message is answered exactly once.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from wechatpy import events, messages

from bot.gateway import Gateway, Incoming
from bot.wechat import followers
from bot.wechat import replies as text_replies
from bot.wechat.config import CHANNEL, WeChatSettings
from jiesu import outbox
from jiesu.conversations import ConversationId
from jiesu.db import session_scope
from jiesu.inbox import Replies
from jiesu.tickets.attachments import store_photo
from jiesu.vocabulary import wording

log = logging.getLogger(__name__)

# A passive text reply holds at most 2048 bytes; a longer answer goes through the outbox.
MAX_PASSIVE_BYTES = 2000
# Menu clicks (`jiesu wechat menu`): the resident's message each stands for.
MENU_MESSAGES = {"STATUS": "/query_ticket", "HUMAN": "/request_human"}
# Menu clicks answered with a prompt, without the assistant.
MENU_PROMPTS = {"REPORT": "menu_report", "CONSULT": "menu_consult"}

T = TypeVar("T")
ImageFetch = Callable[[str], bytes]


def text(key: str, **values: object) -> str:
    """The WeChat wording `key` from the vocabulary."""
    return wording("wechat", key, **values)


def location_message(latitude: str, longitude: str, label: str) -> str:
    """A shared location as the resident's message: an `inform` with the place as the
    address entity, so the appeal form takes it as the answer to "where"."""
    place = (
        text("location_address", label=label.strip())
        if label.strip()
        else text("location_coordinates", latitude=latitude, longitude=longitude)
    )
    return "/inform" + json.dumps({"address": place}, ensure_ascii=False, separators=(",", ":"))


@dataclass(frozen=True)
class Answer:
    """What the HTTP response carries: a text reply, or None for "success"."""

    text: str | None


SUCCESS = Answer(None)


class WeChatChannel:
    """Turns each WeChat message or event into at most one answer to the resident."""

    def __init__(
        self,
        gateway: Gateway,
        settings: WeChatSettings,
        database_url: str | None,
        fetch_image: ImageFetch | None = None,
    ) -> None:
        self._gateway = gateway
        self._settings = settings
        self._database_url = database_url
        self._fetch_image = fetch_image
        self._turns: dict[tuple[str, str], asyncio.Task[Replies | None]] = {}
        self._later: set[asyncio.Task[None]] = set()

    async def receive(self, message: messages.BaseMessage) -> Answer:
        """Answer one parsed message or event from WeChat."""
        openid = str(message.source)
        if opens_window(message):
            await self._db(followers.seen, openid)
        if isinstance(message, messages.TextMessage):
            return await self._converse(openid, str(message.id), str(message.content or ""))
        if isinstance(message, messages.VoiceMessage):
            if message.recognition:
                return await self._converse(openid, str(message.id), str(message.recognition))
            return Answer(text("voice_unclear"))
        if isinstance(message, messages.LocationMessage):
            said = location_message(
                str(message.location_x), str(message.location_y), str(message.label or "")
            )
            return await self._converse(openid, str(message.id), said)
        if isinstance(message, messages.ImageMessage):
            return await self._image(openid, message)
        if isinstance(message, events.SubscribeEvent | events.SubscribeScanEvent):
            await self._db(followers.set_subscribed, openid, True)
            return await self._converse(openid, _event_id(message), "/greet")
        if isinstance(message, events.UnsubscribeEvent):
            await self._db(_unsubscribed, openid)
            return SUCCESS
        if isinstance(message, events.ClickEvent):
            key = str(message.key or "")
            if key in MENU_PROMPTS:
                return Answer(text(MENU_PROMPTS[key]))
            if key in MENU_MESSAGES:
                return await self._converse(openid, _event_id(message), MENU_MESSAGES[key])
            return SUCCESS
        if isinstance(message, events.BaseEvent):
            return SUCCESS  # views, location reports, template results: nothing to answer
        return Answer(text("unsupported"))

    async def _image(self, openid: str, message: messages.ImageMessage) -> Answer:
        """A photo: kept for the resident's next ticket (fetched through the media API)."""
        if self._fetch_image is None:
            return Answer(text("unsupported"))
        try:
            data = await asyncio.to_thread(self._fetch_image, str(message.media_id))
            await self._db(_store_image, openid, str(message.id), data)
        except Exception:
            log.warning("image %s of %s not kept", message.id, openid, exc_info=True)
            return Answer(text("photo_refused"))
        return Answer(text("photo_received"))

    async def _converse(self, openid: str, message_id: str, said: str) -> Answer:
        key = (openid, message_id)
        if key in self._turns:  # a re-send while this process answers the first arrival
            return SUCCESS
        # Taken at once, before anything is awaited, so two arrivals cannot both start it.
        turn = asyncio.create_task(self._turn(openid, message_id, said))
        self._turns[key] = turn
        turn.add_done_callback(lambda _: self._turns.pop(key, None))
        done, _ = await asyncio.wait({turn}, timeout=self._settings.passive_reply_seconds)
        if turn not in done:
            log.info("turn %s of %s is slow: answered through the outbox", message_id, openid)
            turn.add_done_callback(lambda finished: self._deliver_later(openid, finished))
            return SUCCESS
        replies = turn.result()
        if replies is None:
            return SUCCESS
        passive = text_replies.render_all(replies)
        if len(passive.encode()) <= MAX_PASSIVE_BYTES:
            return Answer(passive or None)
        await self._db(_enqueue, openid, replies)
        return SUCCESS

    async def _turn(self, openid: str, message_id: str, said: str) -> Replies | None:
        """The replies to one message; None if it was answered or is being answered already
        (a re-send, maybe to another process)."""
        if await asyncio.to_thread(self._gateway.was_handled, CHANNEL, openid, message_id):
            log.info("WeChat re-sent %s of %s: answered once already", message_id, openid)
            return None
        payload = await self._db(text_replies.chosen, openid, said)
        return await self._gateway.handle(Incoming(CHANNEL, openid, message_id, payload or said))

    def _deliver_later(self, openid: str, turn: asyncio.Task[Replies | None]) -> None:
        if turn.cancelled() or turn.exception() is not None:
            log.error("a slow WeChat turn of %s failed", openid, exc_info=turn.exception())
            return
        replies = turn.result()
        if replies is None:
            return
        later = asyncio.get_running_loop().create_task(self._db(_enqueue, openid, replies))
        self._later.add(later)
        later.add_done_callback(self._later.discard)

    async def drain(self) -> None:
        """Wait for the slow turns still running and their replies to be queued (shutdown,
        tests)."""
        while self._turns or self._later:
            await asyncio.gather(*self._turns.values(), *self._later, return_exceptions=True)
            await asyncio.sleep(0)

    async def _db(self, operation: Callable[..., T], *args: Any) -> T:
        def run() -> T:
            with session_scope(self._database_url) as session:
                return operation(session, *args)

        return await asyncio.to_thread(run)


def opens_window(message: messages.BaseMessage) -> bool:
    """Whether WeChat opens the 48-hour customer-service window on `message`: any message
    from the resident, following (also by a QR code), and menu taps; not link views or
    location reports."""
    if not isinstance(message, events.BaseEvent):
        return True
    return isinstance(
        message, events.SubscribeEvent | events.SubscribeScanEvent | events.ClickEvent
    )


def _event_id(message: messages.BaseMessage) -> str:
    """An event's id for deduplication: events carry no MsgId; WeChat documents the sender
    and creation time as the key of a re-sent event."""
    event = getattr(message, "event", "event")
    key = getattr(message, "key", "") or ""
    return f"event:{event}:{key}:{message.time}"


def _enqueue(session: Any, openid: str, replies: Replies) -> None:
    sender = ConversationId.build(CHANNEL, openid)
    for reply in replies:
        said = str(reply.get("text") or "")
        if reply.get("image"):
            said = "\n".join(part for part in (said, str(reply["image"])) if part)
        if said:
            buttons = text_replies.usable(reply.get("buttons") or [])
            outbox.notify(session, sender, said, buttons or None)


def _unsubscribed(session: Any, openid: str) -> None:
    """Unfollowed: no more notices; those waiting are given up with the reason."""
    followers.set_subscribed(session, openid, False)
    for message in session.query(outbox.OutboxMessage).filter_by(
        channel=CHANNEL, chat_id=openid, status=outbox.PENDING
    ):
        message.status = outbox.UNREACHABLE
        message.last_error = text("unsubscribed")


def _store_image(session: Any, openid: str, message_id: str, data: bytes) -> None:
    store_photo(session, channel=CHANNEL, chat_id=openid, source_message_id=message_id, data=data)
