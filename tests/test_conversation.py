"""Conversations over the real Rasa REST webhook, with the real action server."""

from __future__ import annotations

import pytest

from tests.resident import Resident, payloads_of, text_of

pytestmark = pytest.mark.servers


def test_greeting_states_what_is_recorded_and_why(resident: Resident) -> None:
    text = text_of(resident.says("你好"))
    assert "个人信息告知" in text
    assert "仅用于诉求办理" in text


@pytest.mark.parametrize(
    "message", ["救命啊家里着火了", "樓道裡燃氣洩漏了好大的味道", "有人晕倒了快来人"]
)
def test_emergency_answers_with_emergency_numbers_first(resident: Resident, message: str) -> None:
    first = resident.says(message)[0]["text"]
    for number in ("110", "119", "120", "燃气"):
        assert number in first


def test_out_of_scope_says_what_the_assistant_does_and_offers_buttons(resident: Resident) -> None:
    replies = resident.says("明天北京天气怎么样")
    assert "不在我的服务范围" in text_of(replies)
    assert {"/consult", "/complain", "/query_ticket", "/request_human"} <= set(payloads_of(replies))


def test_bot_challenge_is_answered_honestly(resident: Resident) -> None:
    assert "不是真人" in text_of(resident.says("你是机器人吗"))


def test_asking_for_a_person_says_roughly_when_one_answers(resident: Resident) -> None:
    assert "分钟内回复" in text_of(resident.says("转人工"))


def test_two_stage_fallback_clarifies_then_rephrases_then_hands_over_to_a_person(
    resident: Resident,
) -> None:
    first = resident.says("/nlu_fallback")
    assert "不太确定" in text_of(first)
    assert "/out_of_scope" in payloads_of(first)
    assert "换个说法" in text_of(resident.says("/out_of_scope"))
    assert "不太确定" in text_of(resident.says("/nlu_fallback"))
    assert "已为您转接人工服务" in text_of(resident.says("/out_of_scope"))


def test_choosing_a_clarification_button_continues_with_that_intent(resident: Resident) -> None:
    resident.says("/nlu_fallback")
    assert "想咨询的问题" in text_of(resident.says("/consult"))


def test_gibberish_is_never_taken_for_an_appeal(resident: Resident) -> None:
    text = text_of(resident.says("qwzx 啊吧啊吧 ###"))
    assert "请具体说说" not in text and "工单号" not in text
    assert resident.slot("requested_slot") is None
