"""Filing appeals over the real Rasa REST webhook: the form, corrections, interruptions,
the ticket it files, and asking for its status."""

from __future__ import annotations

import re

import pytest

from jiesu.db import session_scope
from jiesu.tickets import AppealType, Status, Ticket, tickets_for_sender
from jiesu.vocabulary import wording
from tests.resident import Replies, Resident, payloads_of, text_of

pytestmark = pytest.mark.servers

NUMBER = re.compile(r"工单号 (\d{8}-\d{4})")
CONFIRM = "/affirm"
ANONYMOUS = "/deny"
EDIT_ADDRESS = '/inform{"appeal_field":"address"}'


def _tickets(resident: Resident) -> list[Ticket]:
    with session_scope(resident.stack.database_url) as session:
        return tickets_for_sender(session, resident.sender_id)


def _filed_number(replies: Replies) -> str:
    match = NUMBER.search(text_of(replies))
    assert match, f"no ticket number in {text_of(replies)!r}"
    return match.group(1)


def test_a_complaint_with_its_place_in_the_first_message(resident: Resident) -> None:
    asked = resident.says("建设路18号的路灯坏了好几天了，晚上特别黑")
    assert "联系电话" in text_of(asked)  # the place is not asked again
    assert ANONYMOUS in payloads_of(asked)
    summary = resident.says("13812345678")
    assert "建设路18号" in text_of(summary) and "13812345678" in text_of(summary)
    assert "分类" in text_of(summary)
    assert CONFIRM in payloads_of(summary) and "/cancel" in payloads_of(summary)
    filed = resident.says("确认提交")
    number = _filed_number(filed)
    assert "前答复您" in text_of(filed)
    [ticket] = _tickets(resident)
    assert ticket.number == number
    assert ticket.appeal_type is AppealType.COMPLAIN
    assert ticket.description == "建设路18号的路灯坏了好几天了，晚上特别黑"  # verbatim
    assert (ticket.address, ticket.phone, ticket.anonymous) == ("建设路18号", "13812345678", False)
    assert ticket.grid is not None and ticket.reply_due_at is not None
    assert ticket.status in (Status.RECEIVED, Status.DISPATCHED)
    assert resident.slot("appeal_description") is None  # ready for the next appeal


def test_a_report_in_several_turns_stays_anonymous(resident: Resident) -> None:
    assert "保密" in text_of(resident.says("我要举报"))
    assert "位置" in text_of(resident.says("有人每天晚上往河里偷偷倒建筑垃圾"))
    asked_phone = resident.says("滨河路桥下面")
    assert "匿名" in text_of(asked_phone)
    assert payloads_of(asked_phone)[0] == ANONYMOUS
    summary = resident.says(ANONYMOUS)
    assert "匿名" in text_of(summary)
    _filed_number(resident.says(CONFIRM))
    [ticket] = _tickets(resident)
    assert ticket.appeal_type is AppealType.REPORT
    assert ticket.anonymous and ticket.phone is None
    assert ticket.address == "滨河路桥下面"


def test_a_bare_complaint_button_becomes_the_kind_of_appeal_described(resident: Resident) -> None:
    resident.says("/complain")
    resident.says("我想表扬社区的王书记，帮我们解决了楼道灯的问题")
    summary = resident.says(ANONYMOUS)  # praise needs no place: the phone comes next
    assert "表扬" in text_of(summary)
    _filed_number(resident.says(CONFIRM))
    [ticket] = _tickets(resident)
    assert ticket.appeal_type is AppealType.PRAISE and ticket.address is None


def test_correcting_the_place_from_the_summary(resident: Resident) -> None:
    resident.says("幸福里小区门口的垃圾桶满了没人清")
    resident.says(ANONYMOUS)
    assert "位置" in text_of(resident.says(EDIT_ADDRESS))
    summary = resident.says("阳光花园5栋楼下")
    assert "阳光花园5栋楼下" in text_of(summary)
    _filed_number(resident.says(CONFIRM))
    [ticket] = _tickets(resident)
    assert ticket.address == "阳光花园5栋楼下"


def test_saying_no_to_the_summary_asks_what_to_change(resident: Resident) -> None:
    resident.says("幸福里小区门口的垃圾桶满了没人清")
    resident.says(ANONYMOUS)
    replies = resident.says("不对")
    assert "修改哪一项" in text_of(replies)
    assert EDIT_ADDRESS in payloads_of(replies)


def test_cancelling_mid_form_files_nothing_and_ends_the_form(resident: Resident) -> None:
    resident.says("我要投诉")
    assert "已取消" in text_of(resident.says("取消"))
    assert _tickets(resident) == []
    assert resident.slot("requested_slot") is None
    assert "个人信息告知" in text_of(resident.says("你好"))


def test_an_emergency_inside_the_form_is_answered_first_then_the_form_goes_on(
    resident: Resident,
) -> None:
    resident.says("我要投诉")
    replies = resident.says("着火了，快来人")
    assert "119" in replies[0]["text"]
    assert "请具体说说" in text_of(replies)  # then the question again
    resident.says("楼下饭店油烟太大，熏得没法开窗")
    assert resident.slot("appeal_description") == "楼下饭店油烟太大，熏得没法开窗"


def test_a_policy_question_inside_the_form_is_answered_then_the_form_goes_on(
    resident: Resident,
) -> None:
    resident.says("我要投诉")
    replies = resident.says("办理居住证需要带什么材料")
    assert "承办部门" in replies[0]["text"]
    assert "/affirm" not in payloads_of(replies)  # no feedback buttons mid-form
    assert "请具体说说" in text_of(replies)


def test_status_of_my_tickets_and_by_number(resident: Resident) -> None:
    assert "没有查到" in text_of(resident.says("查一下我的工单"))
    resident.says("建设路18号的路灯坏了")
    resident.says(ANONYMOUS)
    number = _filed_number(resident.says(CONFIRM))
    mine = text_of(resident.says("我的工单处理到哪一步了"))
    assert number in mine and "答复期限" in mine
    assert number in text_of(resident.says(f"查询{number}"))
    # a number not filed here (here: filed nowhere) asks for the query code first
    unknown = text_of(resident.says("工单号20991231-0001现在什么状态"))
    assert unknown == wording("status", "verify", number="20991231-0001")


@pytest.mark.parametrize(
    ("opening", "place", "appeal_type"),
    [
        ("我家下水道堵了，污水都冒到屋里了，求帮忙", "阳光花园5栋2单元", AppealType.SEEK_HELP),
        ("建议在学校门口加个红绿灯，孩子过马路太危险", None, AppealType.SUGGEST),
    ],
)
def test_help_and_suggestions_are_filed_with_their_type(
    resident: Resident, opening: str, place: str | None, appeal_type: AppealType
) -> None:
    resident.says(opening)
    if place is not None:
        resident.says(place)
    resident.says("15800006789")
    _filed_number(resident.says("好的"))
    [ticket] = _tickets(resident)
    assert ticket.appeal_type is appeal_type
    assert (ticket.address, ticket.phone) == (place, "15800006789")


def test_thanks_or_hello_is_not_taken_for_what_happened(resident: Resident) -> None:
    resident.says("我要投诉")
    again = text_of(resident.says("谢谢"))
    assert wording("appeal", "description_small_talk") in again
    assert "遇到了什么问题" in again and "位置" not in again  # the same question, not the next
    assert resident.slot("appeal_description") is None
    assert "位置" in text_of(resident.says("楼下餐馆每天半夜还在营业，噪音很大"))
    assert resident.slot("appeal_description") == "楼下餐馆每天半夜还在营业，噪音很大"
