"""A request to ask is answered by asking the question, not searched for."""

from __future__ import annotations

import pytest

from jiesu.faq.openings import is_bare_question


@pytest.mark.parametrize(
    "text", ["我想咨询一下", "咨询个事", "请问一下！", "问个问题", "我有几个政策想问问"]
)
def test_a_request_to_ask_is_no_question(text: str) -> None:
    assert is_bare_question(text)


@pytest.mark.parametrize(
    "text", ["我想问问社保的事", "居住证怎么办", "咨询一下公积金提取", "/consult"]
)
def test_a_question_is_a_question(text: str) -> None:
    assert not is_bare_question(text)
