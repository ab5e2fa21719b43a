"""Conversations over the real Rasa REST webhook, with the real action server."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.servers import RasaStack

pytestmark = pytest.mark.servers


class Resident:
    """One resident talking to the REST webhook under a fresh conversation id."""

    def __init__(self, stack: RasaStack) -> None:
        self.stack = stack
        self.sender_id = f"test:{uuid.uuid4().hex}"

    def says(self, text: str) -> list[dict[str, Any]]:
        response = httpx.post(
            self.stack.webhook, json={"sender": self.sender_id, "message": text}, timeout=30.0
        )
        response.raise_for_status()
        replies: list[dict[str, Any]] = response.json()
        assert replies, f"no reply to {text!r}"
        return replies


def _text(replies: list[dict[str, Any]]) -> str:
    return "\n".join(reply.get("text", "") for reply in replies)


def _payloads(replies: list[dict[str, Any]]) -> list[str]:
    return [button["payload"] for reply in replies for button in reply.get("buttons", [])]


@pytest.fixture
def resident(rasa_stack: RasaStack) -> Resident:
    return Resident(rasa_stack)


def test_greeting_states_what_is_recorded_and_why(resident: Resident) -> None:
    text = _text(resident.says("你好"))
    assert "个人信息告知" in text
    assert "仅用于诉求办理" in text


@pytest.mark.parametrize(
    "message", ["救命啊家里着火了", "樓道裡燃氣洩漏了好大的味道", "有人晕倒了快来人"]
)
def test_emergency_answers_with_emergency_numbers_first(
    resident: Resident, message: str
) -> None:
    first = resident.says(message)[0]["text"]
    for number in ("110", "119", "120", "燃气"):
        assert number in first


def test_out_of_scope_says_what_the_assistant_does_and_offers_buttons(resident: Resident) -> None:
    replies = resident.says("明天北京天气怎么样")
    assert "不在我的服务范围" in _text(replies)
    assert {"/consult", "/complain", "/query_ticket", "/request_human"} <= set(_payloads(replies))


def test_bot_challenge_is_answered_honestly(resident: Resident) -> None:
    assert "不是真人" in _text(resident.says("你是机器人吗"))


def test_consult_reaches_its_action_which_says_it_is_being_built(resident: Resident) -> None:
    assert "正在建设中" in _text(resident.says("办理居住证需要带什么材料"))


def test_complaint_reaches_the_appeal_action_with_the_appeal_type(resident: Resident) -> None:
    text = _text(resident.says("我要投诉楼下饭店油烟太大，天天熏得没法开窗"))
    assert "投诉或反映问题" in text
    assert "正在建设中" in text


def test_status_and_handoff_reach_their_actions(resident: Resident) -> None:
    assert "工单查询功能" in _text(resident.says("帮我查一下工单20261128-0001到哪一步了"))
    assert "人工客服" in _text(resident.says("转人工"))


def test_two_stage_fallback_clarifies_then_rephrases_then_offers_a_person(
    resident: Resident,
) -> None:
    first = resident.says("/nlu_fallback")
    assert "不太确定" in _text(first)
    assert "/out_of_scope" in _payloads(first)
    assert "换个说法" in _text(resident.says("/out_of_scope"))
    assert "不太确定" in _text(resident.says("/nlu_fallback"))
    last = resident.says("/out_of_scope")
    assert "人工" in _text(last)
    assert "/request_human" in _payloads(last)


def test_choosing_a_clarification_button_continues_with_that_intent(resident: Resident) -> None:
    resident.says("/nlu_fallback")
    assert "正在建设中" in _text(resident.says("/consult"))


def test_gibberish_is_never_taken_for_an_appeal(resident: Resident) -> None:
    text = _text(resident.says("qwzx 啊吧啊吧 ###"))
    assert "工单受理" not in text
