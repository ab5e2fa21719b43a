"""A button's label typed instead of pressed (bot/choices.py)."""

from __future__ import annotations

from typing import Any

import pytest

from bot.choices import offered_buttons, typed_choice

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
