"""The choices a conversation was last shown, and a button's label typed instead of
pressed.

Residents often type what a button says ("有帮助", "确认提交", "匿名提交") rather than
press it, and some channels show no buttons at all (WeChat lists them as numbers). The
NLU would read the words afresh ("有帮助" sounds like asking for help), so the gateway
hands Rasa the button's payload instead when a message says exactly what one of the
buttons just shown says. What was shown last is the later of the answer to the
resident's last message (the inbox) and the last message sent outside a reply (the
outbox: a survey, a slow turn's answer), whichever channel delivered it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from jiesu.inbox import InboundMessage, InboundStatus
from jiesu.outbox import SENT, OutboxMessage
from jiesu.text import compact


def _key(text: str) -> str:
    return compact(text).lower()


def offered_buttons(replies: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The buttons of the last reply that offered any."""
    offered: list[dict[str, Any]] = []
    for reply in replies:
        buttons = reply.get("buttons")
        if buttons:
            offered = [b for b in buttons if isinstance(b, dict)]
    return offered


def typed_choice(text: str, buttons: Iterable[dict[str, Any]]) -> str | None:
    """The payload of the button whose label `text` says, or None."""
    typed = _key(text)
    if not typed:
        return None
    for button in buttons:
        title, payload = button.get("title"), button.get("payload")
        if isinstance(title, str) and isinstance(payload, str) and _key(title) == typed:
            return payload
    return None


def last_shown(session: Session, channel: str, chat_id: str) -> list[dict[str, Any]]:
    """The buttons of what the conversation was shown last (none if it offered none)."""
    answer = session.execute(
        select(InboundMessage.replies, InboundMessage.answered_at)
        .where(
            InboundMessage.channel == channel,
            InboundMessage.chat_id == chat_id,
            InboundMessage.status == InboundStatus.ANSWERED,
        )
        .order_by(InboundMessage.id.desc())
        .limit(1)
    ).first()
    sent = session.execute(
        select(OutboxMessage.buttons, OutboxMessage.sent_at)
        .where(
            OutboxMessage.channel == channel,
            OutboxMessage.chat_id == chat_id,
            OutboxMessage.status == SENT,
            OutboxMessage.sent_at.is_not(None),
        )
        .order_by(OutboxMessage.sent_at.desc(), OutboxMessage.id.desc())
        .limit(1)
    ).first()
    shown = []
    if answer is not None and answer.answered_at is not None:
        shown.append((answer.answered_at, offered_buttons(answer.replies or [])))
    if sent is not None:
        shown.append((sent.sent_at, [b for b in sent.buttons or [] if isinstance(b, dict)]))
    return max(shown, key=lambda when_buttons: when_buttons[0])[1] if shown else []
