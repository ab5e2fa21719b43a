"""Typed labels and what a conversation was last shown (jiesu/choices.py)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from jiesu import outbox
from jiesu.choices import last_shown, offered_buttons, typed_choice
from jiesu.db import session_scope
from jiesu.inbox import InboundMessage, InboundStatus
from jiesu.models import utcnow

HELPFUL = [{"title": "有帮助", "payload": "/affirm"}, {"title": "没有帮助", "payload": "/deny"}]


@pytest.mark.parametrize(
    ("text", "payload"),
    [
        ("有帮助", "/affirm"),
        (" 有帮助！", "/affirm"),
        ("沒有幫助", "/deny"),
        ("有帮助👍", "/affirm"),
    ],
)
def test_a_typed_label_gives_the_buttons_payload(text: str, payload: str) -> None:
    assert typed_choice(text, HELPFUL) == payload


@pytest.mark.parametrize("text", ["有帮助吗", "帮助", "", "！！", "我需要帮助"])
def test_anything_but_a_label_is_left_to_the_nlu(text: str) -> None:
    assert typed_choice(text, HELPFUL) is None


def test_the_last_reply_with_buttons_is_what_was_offered() -> None:
    replies: list[dict[str, Any]] = [
        {"text": "第一条", "buttons": [{"title": "甲", "payload": "/a"}]},
        {"text": "第二条", "buttons": HELPFUL},
        {"text": "没有按钮"},
    ]
    assert offered_buttons(replies) == HELPFUL
    assert offered_buttons([{"text": "没有按钮"}]) == []


def _answered(session: Session, replies: list[dict[str, Any]], at: datetime) -> None:
    session.add(
        InboundMessage(
            channel="web",
            external_id=uuid.uuid4().hex,
            chat_id="chat",
            text="问",
            status=InboundStatus.ANSWERED,
            replies=replies,
            received_at=at,
            answered_at=at,
        )
    )
    session.flush()


def _sent(session: Session, buttons: list[dict[str, Any]] | None, at: datetime) -> None:
    message = outbox.notify(session, "web:chat", "回访", buttons)
    assert message is not None
    outbox.mark_sent(session, message.id)
    message.sent_at = at
    session.flush()


def test_what_was_shown_last_is_the_later_of_the_answer_and_a_sent_message(
    database_url: str,
) -> None:
    now = utcnow()
    survey = [{"title": "满意", "payload": "/rate_ticket"}]
    with session_scope(database_url) as session:
        assert last_shown(session, "web", "chat") == []
        _answered(session, [{"text": "答", "buttons": HELPFUL}], now - timedelta(minutes=5))
        assert last_shown(session, "web", "chat") == HELPFUL
        assert last_shown(session, "web", "another") == []
        _sent(session, survey, now - timedelta(minutes=1))
        assert last_shown(session, "web", "chat") == survey
        _answered(session, [{"text": "不客气"}], now)
        assert last_shown(session, "web", "chat") == []
