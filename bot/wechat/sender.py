"""The outbox sender of the WeChat channel: customer-service messages (客服消息) within
48 hours of the resident's last interaction (`followers.py`), a template message for a
ticket notice outside it (when one is configured), and otherwise the message marked
undeliverable with the reason, never retried.

WeChat's answers: 45047 (out of the window) is taken as the window closed; 45009 (the
day's quota used) waits `QUOTA_PAUSE` without counting an attempt (the outbox's expiry
ends the wait); 43004 and 40003 (not a follower, unknown openid) are undeliverable; a
refused token is fetched again once (see client.py); anything else counts an attempt.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from datetime import timedelta
from functools import partial
from typing import Final

from sqlalchemy.orm import Session
from wechatpy.exceptions import WeChatClientException

from bot.wechat import followers
from bot.wechat import replies as text_replies
from bot.wechat.client import Client
from bot.wechat.config import CHANNEL, WeChatSettings
from jiesu import outbox
from jiesu.db import session_scope
from jiesu.vocabulary import wording

log = logging.getLogger(__name__)

QUOTA_PAUSE: Final = timedelta(minutes=10)
# A customer-service text holds at most 2048 bytes; a longer message goes in pieces.
MAX_TEXT_BYTES: Final = 2000
OUT_OF_WINDOW: Final = 45047
QUOTA: Final = 45009
NOT_REACHABLE: Final = frozenset({43004, 40003})
_TICKET_NUMBER: Final = re.compile(r"\d{8}-\d{4}")


class OutboxSender:
    """Sends due outbox rows of the WeChat channel through the API client."""

    def __init__(
        self, client: Client, settings: WeChatSettings, database_url: str | None, batch: int = 20
    ) -> None:
        self._client = client
        self._settings = settings
        self._database_url = database_url
        self._batch = batch

    async def run(self, stop: asyncio.Event) -> None:
        """Send until `stop` is set, looking again every `outbox_interval` when idle."""
        while not stop.is_set():
            try:
                handled = await asyncio.to_thread(self.send_due)
            except Exception:
                log.exception("WeChat outbox pass failed")
                handled = 0
            if not handled:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self._settings.outbox_interval)

    def send_due(self) -> int:
        """One pass over the due messages (blocking: WeChat's client is synchronous)."""
        with session_scope(self._database_url) as session:
            claimed = [(m.id, m.chat_id) for m in outbox.claim_due(session, CHANNEL, self._batch)]
        for message_id, _ in claimed:
            with session_scope(self._database_url) as session:
                self._deliver(session, session.get_one(outbox.OutboxMessage, message_id))
        return len(claimed)

    def _deliver(self, session: Session, message: outbox.OutboxMessage) -> None:
        openid = message.chat_id
        if not followers.is_subscribed(session, openid):
            outbox.mark_unreachable(session, message.id, wording("wechat", "unsubscribed"))
            return
        if followers.in_window(session, openid):
            content = text_replies.render({"text": message.text, "buttons": message.buttons})
            try:
                for piece in text_replies.pieces(content, MAX_TEXT_BYTES):
                    self._client.call(partial(self._client.message.send_text, openid, piece))
            except WeChatClientException as error:
                if error.errcode != OUT_OF_WINDOW:
                    self._failed(session, message, error)
                    return
                log.info("WeChat says %s is out of the 48-hour window", openid)
            else:
                outbox.mark_sent(session, message.id)
                return
        self._outside_window(session, message)

    def _outside_window(self, session: Session, message: outbox.OutboxMessage) -> None:
        number = _TICKET_NUMBER.search(message.text)
        template = self._settings.notice_template_id
        if not template or number is None:
            reason = "out_of_window_no_template" if not template else "out_of_window_not_notice"
            log.info("outbox message %s undeliverable: %s", message.id, reason)
            outbox.mark_unreachable(session, message.id, wording("wechat", reason))
            return
        # A survey's choices travel as numbers in the notice: the resident's answer ("1")
        # opens the window again and chooses, as within it.
        content = text_replies.render({"text": message.text, "buttons": message.buttons})
        data = {"number": {"value": number.group()}, "content": {"value": content}}
        try:
            self._client.call(
                lambda: self._client.message.send_template(message.chat_id, template, data)
            )
        except WeChatClientException as error:
            self._failed(session, message, error)
        else:
            outbox.mark_sent(session, message.id)

    def _failed(
        self, session: Session, message: outbox.OutboxMessage, error: WeChatClientException
    ) -> None:
        detail = f"{error.errcode}: {error.errmsg}"
        if error.errcode == QUOTA:
            log.warning("WeChat API quota used up: message %s waits", message.id)
            outbox.postpone(session, message.id, QUOTA_PAUSE)
            message.last_error = detail
        elif error.errcode in NOT_REACHABLE:
            outbox.mark_unreachable(session, message.id, detail)
        else:
            log.warning("sending WeChat outbox message %s failed: %s", message.id, detail)
            outbox.mark_failed_attempt(session, message.id, detail)
