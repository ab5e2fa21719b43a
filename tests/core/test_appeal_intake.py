"""Reading resident input for an appeal: bare requests, phones, declining, interruptions."""

from __future__ import annotations

import pytest

from jiesu.appeals import declines_contact, interrupts, is_bare_request, parse_phone


@pytest.mark.parametrize(
    "text",
    [
        "/complain",
        "我要投诉",
        "我想反映个问题",
        "举报！",
        "我有个建议",
        "求助",
        "投诉物业",
        "我要表扬",
        "我想举报一下",
    ],
)
def test_openings_that_say_nothing_about_what_happened_are_bare(text: str) -> None:
    assert is_bare_request(text)


@pytest.mark.parametrize(
    "text",
    [
        "路灯坏了",
        "建设路18号的路灯坏了",
        "我要投诉楼下饭店油烟太大",
        "樓上漏水",
        "举报有人在河边倒垃圾",
        "建议在学校门口加个红绿灯",
    ],
)
def test_descriptions_are_not_bare(text: str) -> None:
    assert not is_bare_request(text)


@pytest.mark.parametrize(
    ("text", "phone"),
    [
        ("13812345678", "13812345678"),
        ("电话 138 1234 5678", "13812345678"),
        ("手机号是186-0000-1234，白天打", "18600001234"),
        ("１３９１２３４５６７８", "13912345678"),
        ("+8613812345678", "13812345678"),
        ("0086 138 1234 5678", "13812345678"),
        ("座机0571-88001234", "0571-88001234"),
        ("010 62345678", "010-62345678"),
        ("1381234567", None),
        ("12812345678", None),
        ("幸福里小区3号楼", None),
        ("工单20261128-0001", None),
    ],
)
def test_phone_numbers_are_found_and_normalised(text: str, phone: str | None) -> None:
    assert parse_phone(text) == phone


@pytest.mark.parametrize("text", ["匿名", "不留了", "不方便留电话", "/deny", "保密"])
def test_declining_to_leave_a_number(text: str) -> None:
    assert declines_contact(text)


def test_a_number_is_not_declining() -> None:
    assert not declines_contact("13812345678")


def test_cancel_emergency_and_a_person_always_interrupt_others_only_when_sure() -> None:
    for intent in ("cancel", "emergency", "request_human"):
        assert interrupts(intent, 0.3)
    assert interrupts("consult", 0.9)
    assert not interrupts("consult", 0.5)
    for other in ("inform", "complain", "out_of_scope", "nlu_fallback", None):
        assert not interrupts(other, 0.99)
