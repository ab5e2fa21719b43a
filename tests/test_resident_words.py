"""Residents' own words over the real Rasa REST webhook: terse and address-first problem
statements open the appeal form in one turn, places are filed whole, and no generic line
is said twice in a row."""

from __future__ import annotations

import re
from itertools import pairwise

import pytest

from jiesu.db import session_scope
from jiesu.tickets import tickets_for_sender
from jiesu.vocabulary import reply, wording
from tests.resident import Resident, text_of
from tests.servers import RasaStack

pytestmark = pytest.mark.servers

ASK_PLACE = "具体在什么位置"
ASK_PHONE = "联系电话"
# A message the model is still unsure about, so the assistant asks "您是想：…".
UNSURE = "楼道的灯"


@pytest.mark.parametrize(
    "text",
    [
        "楼道灯坏了",
        "停水了",
        "垃圾没人收",
        "河里有死鱼",
        "工厂排黑烟",
        "樓上漏水",
        "工资被拖欠😭",
        # something about to fall or leaning is a hazard to report, not a cancel or a detail
        "树枝快掉下来了",
        "路边的树斜了",
        "小区那棵老槐树往一边斜",
        # a hazard that has not hurt anyone yet is an appeal, not an emergency
        "小区门口的井盖丢了好几天了",
        "路边那棵大树歪了，看着要倒",
        # a complaint ending in an angry question is no policy question
        "垃圾一个星期没人收还有没有人管？",
    ],
)
def test_a_terse_problem_statement_opens_the_appeal_form(resident: Resident, text: str) -> None:
    asked = text_of(resident.says(text))
    assert ASK_PLACE in asked or ASK_PHONE in asked, asked
    assert "119" not in asked
    assert resident.slot("appeal_description") == text  # not asked for what was just said


@pytest.mark.parametrize(
    "text",
    [
        # danger happening now, said without "着火" or "救命"
        "地下室的燃气管子裂开了，正往外喷气",
        "邻居家的窗户一直往外冒浓烟，屋里还有个老人",
        "工地的围墙倒了，压着两个工人",
        "河水涨上来漫进屋里了，老人在床上下不来",
    ],
)
def test_danger_happening_now_gets_the_emergency_numbers_first(
    resident: Resident, text: str
) -> None:
    first = resident.says(text)[0]["text"]
    for number in ("110", "119", "120"):
        assert number in first


def test_an_address_first_complaint_goes_straight_to_the_phone_question(
    resident: Resident,
) -> None:
    asked = text_of(resident.says("建设路18号的井盖丢了"))
    assert ASK_PHONE in asked
    assert resident.slot("appeal_address") == "建设路18号"


def test_the_form_files_the_whole_place_and_the_time_as_said(resident: Resident) -> None:
    resident.says("我要投诉，幸福路18号楼下的烧烤摊每天晚上吵到凌晨两点")
    summary = text_of(resident.says("13800000004"))
    assert "幸福路18号楼下" in summary
    resident.says("确认提交")
    with session_scope(resident.stack.database_url) as session:
        [ticket] = tickets_for_sender(session, resident.sender_id)
    assert ticket.address == "幸福路18号楼下"
    assert ticket.happened == "每天晚上"


def test_a_verb_before_road_is_no_place_so_the_place_is_asked(resident: Resident) -> None:
    """ "卖菜堵路" says what the vendors do, not where: "菜堵路" is no road."""
    resident.says("我要投诉")
    assert ASK_PLACE in text_of(resident.says("小区门口天天有人卖菜堵路"))


def test_saying_hello_again_does_not_repeat_the_greeting(resident: Resident) -> None:
    said = [text_of(resident.says(text)) for text in ("喂喂", "有人吗", "你好", "你好")]
    assert "个人信息告知" in said[0]
    assert all("个人信息告知" not in text for text in said[1:])
    assert all(a != b for a, b in pairwise(said))


def test_where_to_check_progress_is_a_status_question(resident: Resident) -> None:
    answer = text_of(resident.says("在哪里能查进度"))
    assert reply("ask_affirmation") not in answer
    assert "工单" in answer


def test_asking_for_nothing_never_gets_the_same_line_twice_in_a_row(
    resident: Resident,
) -> None:
    said = [text_of(resident.says(text)) for text in ("13800000004", "确认提交", "嗯")]
    assert said[0] != said[1] and said[1] != said[2]


def test_a_choice_from_did_you_mean_keeps_the_message_that_raised_it(
    resident: Resident,
) -> None:
    assert reply("ask_affirmation") in text_of(resident.says(UNSURE))
    form = text_of(resident.says("/complain"))
    assert wording("appeal", "ask_description", "complain") not in form
    assert resident.slot("appeal_description") == UNSURE


def test_saying_the_problem_again_after_did_you_mean_gets_the_form(resident: Resident) -> None:
    assert reply("ask_affirmation") in text_of(resident.says(UNSURE))
    again = text_of(resident.says(UNSURE))
    assert reply("ask_affirmation") not in again
    assert ASK_PLACE in again
    assert resident.slot("appeal_description") == UNSURE


def test_what_can_you_do_gets_the_capabilities_not_an_apology(resident: Resident) -> None:
    answer = text_of(resident.says("那你都能干点啥"))
    assert "反映问题" in answer and "查询办理进度" in answer
    assert "不在我的服务范围" not in answer


def test_a_status_question_after_did_you_mean_is_answered(resident: Resident) -> None:
    assert reply("ask_affirmation") in text_of(resident.says(UNSURE))
    answer = text_of(resident.says("在哪里能查进度"))
    assert "工单" in answer
    assert "转接人工" not in answer


def test_a_number_and_the_phone_tail_alone_are_a_status_question(
    rasa_stack: RasaStack,
) -> None:
    owner, other = Resident(rasa_stack, "web"), Resident(rasa_stack, "web")
    owner.says("建设路18号的路灯坏了好几天了")
    owner.says("13812345678")
    [number] = set(re.findall(r"\d{8}-\d{4}", text_of(owner.says("确认提交"))))
    shown = text_of(other.says(f"{number} 尾号5678"))
    assert shown.startswith(f"工单 {number}：")


def test_a_building_alone_is_asked_about_once(resident: Resident) -> None:
    """ "3栋" names no compound: the place is asked for again, as one question."""
    resident.says("下水道堵了")
    asked = text_of(resident.says("3栋"))
    assert ASK_PLACE in asked
    assert asked.count("？") == 1, asked
    assert resident.slot("appeal_address") is None
