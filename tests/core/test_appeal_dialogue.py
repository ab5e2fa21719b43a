"""One turn at a time: what each resident message fills while an appeal is taken down."""

from __future__ import annotations

from typing import Any

import pytest

from jiesu.appeals import ANONYMOUS
from jiesu.appeals.dialogue import (
    ADDRESS,
    CONFIRMED,
    DESCRIPTION,
    EDITING,
    FIELD_ENTITY,
    HAPPENED,
    PHONE,
    SLOTS,
    TYPE,
    Turn,
    draft_of,
    next_slot,
    take,
)
from jiesu.city import City, current_city
from jiesu.tickets import AppealType


@pytest.fixture(scope="module")
def city() -> City:
    return current_city()


def _empty() -> dict[str, Any]:
    return dict.fromkeys(SLOTS)


def _complaint(**filled: Any) -> dict[str, Any]:
    return {**_empty(), TYPE: "complain", DESCRIPTION: "路灯坏了", **filled}


def test_an_opening_with_the_place_fills_it_and_asks_only_for_the_phone(city: City) -> None:
    turn = Turn("建设路18号的路灯坏了好几天了", "complain", 0.9)
    step = take(_empty(), None, turn, city)
    slots = {**_empty(), **step.updates}
    assert slots[TYPE] == "complain"
    assert slots[DESCRIPTION] == "建设路18号的路灯坏了好几天了"
    assert slots[ADDRESS] == "建设路18号"
    assert next_slot(slots) == PHONE


def test_an_opening_keeps_the_house_number_the_nlu_missed(city: City) -> None:
    turn = Turn("建设路18号的路灯坏了", "complain", 0.9, {"address": "建设路"})
    assert take(dict.fromkeys(SLOTS), None, turn, city).updates[ADDRESS] == "建设路18号"


def test_an_opening_prefers_the_address_the_nlu_found(city: City) -> None:
    turn = Turn(
        "幸福里小区3号楼门口的垃圾没人清",
        "complain",
        0.9,
        {"address": "幸福里小区3号楼", "time": "昨天"},
    )
    slots = {**_empty(), **take(_empty(), None, turn, city).updates}
    assert slots[ADDRESS] == "幸福里小区3号楼"
    assert slots[HAPPENED] == "昨天"


def test_a_bare_opening_asks_what_happened(city: City) -> None:
    step = take(_empty(), None, Turn("我要举报", "report", 0.9), city)
    slots = {**_empty(), **step.updates}
    assert slots[TYPE] == "report"
    assert next_slot(slots) == DESCRIPTION


def test_an_opening_forgets_a_previous_unfinished_appeal(city: City) -> None:
    stale = _complaint(**{ADDRESS: "旧地址", PHONE: "13812345678"})
    slots = {**stale, **take(stale, None, Turn("/suggest", "suggest", 1.0), city).updates}
    assert slots == {**_empty(), TYPE: "suggest"}


def test_the_description_answer_sets_the_type_it_reveals(city: City) -> None:
    slots = {**_empty(), TYPE: "complain"}
    step = take(slots, DESCRIPTION, Turn("有人在河边偷偷倒建筑垃圾", "report", 0.8), city)
    assert step.updates[TYPE] == "report"
    assert step.updates[DESCRIPTION] == "有人在河边偷偷倒建筑垃圾"


def test_a_bare_description_answer_is_asked_again(city: City) -> None:
    step = take({**_empty(), TYPE: "complain"}, DESCRIPTION, Turn("投诉", "complain", 0.9), city)
    assert step.updates == {DESCRIPTION: None}
    assert not step.rejected


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("谢谢", "thank"),
        ("你好", "greet"),
        ("好的", "affirm"),
        ("嗯嗯", "affirm"),
        ("没有", "deny"),
        ("再见", "goodbye"),
    ],
)
def test_small_talk_is_no_description_and_is_asked_again(
    city: City, text: str, intent: str
) -> None:
    step = take({**_empty(), TYPE: "complain"}, DESCRIPTION, Turn(text, intent, 0.9), city)
    assert step.updates == {DESCRIPTION: None}
    assert step.notice == "description_small_talk"
    assert not step.rejected


@pytest.mark.parametrize(
    ("text", "intent", "confidence"),
    [
        ("好的，楼下路灯坏了三天了", "affirm", 0.9),  # says what happened after all
        ("没有人管", "deny", 0.9),  # short, but more than a bare no
        ("谢谢", "thank", 0.4),  # the model is not sure it is small talk
        ("太吵了", "complain", 0.9),
    ],
)
def test_a_short_description_is_taken(
    city: City, text: str, intent: str, confidence: float
) -> None:
    step = take({**_empty(), TYPE: "complain"}, DESCRIPTION, Turn(text, intent, confidence), city)
    assert step.updates[DESCRIPTION] == text
    assert step.notice is None


def test_any_text_answers_the_place_question_unless_it_is_too_short(city: City) -> None:
    slots = _complaint()
    assert take(
        slots, ADDRESS, Turn("东风路菜市场后面那条巷子", "nlu_fallback", 0.3), city
    ).updates == {ADDRESS: "东风路菜市场后面那条巷子"}
    answer = Turn("阳光花园5栋楼下", "inform", 0.8, {"address": "阳光花园5栋"})
    assert take(slots, ADDRESS, answer, city).updates == {ADDRESS: "阳光花园5栋楼下"}
    with_phone = Turn("建设路18号，电话13812345678", "inform", 0.8, {"address": "建设路18号"})
    assert take(slots, ADDRESS, with_phone, city).updates == {
        ADDRESS: "建设路18号",
        PHONE: "13812345678",
    }
    short = take(slots, ADDRESS, Turn("。", "out_of_scope", 0.5), city)
    assert short.updates == {ADDRESS: None}
    assert short.notice == "address_too_short"
    thanks = take(slots, ADDRESS, Turn("谢谢你", "thank", 0.9), city)
    assert thanks.updates == {ADDRESS: None}
    assert thanks.notice == "address_small_talk"


@pytest.mark.parametrize("intent", ["cancel", "emergency", "request_human"])
def test_interruptions_are_left_to_rules(city: City, intent: str) -> None:
    assert take(_complaint(), ADDRESS, Turn("算了", intent, 0.4), city).rejected


def test_phone_answers(city: City) -> None:
    slots = _complaint(**{ADDRESS: "建设路18号"})
    assert take(slots, PHONE, Turn("138 1234 5678", "inform", 0.9), city).updates == {
        PHONE: "13812345678"
    }
    assert take(slots, PHONE, Turn("/deny", "deny", 1.0), city).updates == {PHONE: ANONYMOUS}
    invalid = take(slots, PHONE, Turn("1381234", "inform", 0.6), city)
    assert invalid.updates == {PHONE: None}
    assert invalid.notice == "phone_invalid"


def test_suggestions_and_praise_are_not_asked_where(city: City) -> None:
    slots = {**_empty(), TYPE: "praise", DESCRIPTION: "社区王书记很负责"}
    assert next_slot(slots) == PHONE
    assert next_slot({**slots, PHONE: ANONYMOUS}) == CONFIRMED


def test_confirmation_edit_and_corrections(city: City) -> None:
    ready = _complaint(**{ADDRESS: "建设路18号", PHONE: ANONYMOUS})
    assert next_slot(ready) == CONFIRMED
    assert take(ready, CONFIRMED, Turn("确认", "affirm", 0.9), city).updates == {CONFIRMED: True}
    edit = Turn('/inform{"appeal_field":"address"}', "inform", 1.0, {FIELD_ENTITY: "address"})
    updates = take(ready, CONFIRMED, edit, city).updates
    assert next_slot({**ready, **updates}) == ADDRESS
    corrected = take(ready, CONFIRMED, Turn("电话是13900001111", "inform", 0.8), city).updates
    assert corrected == {PHONE: "13900001111", CONFIRMED: None}
    assert take(ready, CONFIRMED, Turn("不对", "deny", 0.9), city).updates == {
        CONFIRMED: None,
        EDITING: True,
    }
    more = take(ready, CONFIRMED, Turn("晚上更严重", "nlu_fallback", 0.3), city).updates
    assert more == {DESCRIPTION: "路灯坏了\n补充：晚上更严重", CONFIRMED: None}


def test_draft_of_the_slots(city: City) -> None:
    draft = draft_of(_complaint(**{ADDRESS: "建设路18号", PHONE: ANONYMOUS}))
    assert draft.appeal_type is AppealType.COMPLAIN
    assert draft.anonymous and draft.phone is None


def test_a_consultation_ticket_started_by_an_action_keeps_its_question(city: City) -> None:
    prefilled = {**_empty(), TYPE: "consult", DESCRIPTION: "灵活就业的养老保险断缴了能补吗"}
    step = take(prefilled, None, Turn("/affirm", "affirm", 1.0), city)
    slots = {**prefilled, **step.updates}
    assert slots[DESCRIPTION] == "灵活就业的养老保险断缴了能补吗"
    assert draft_of(slots).appeal_type is AppealType.CONSULT
    assert next_slot(slots) == PHONE


@pytest.mark.parametrize("text", ["幸福里小区3号楼", "我住建设路18号", "电话13800000004"])
def test_a_detail_alone_when_asked_what_happened_is_kept_and_the_question_asked_again(
    city: City, text: str
) -> None:
    turn = Turn(text, "inform", 0.8, {"address": text} if "号" in text else {})
    step = take({**_empty(), TYPE: "complain"}, DESCRIPTION, turn, city)
    assert step.updates[DESCRIPTION] is None
    assert step.notice == "description_details_only"
    assert set(step.updates) - {DESCRIPTION} <= {ADDRESS, PHONE}
    assert len(step.updates) == 2


def test_a_description_that_names_a_place_is_still_the_description(city: City) -> None:
    turn = Turn("幸福里小区3号楼的电梯坏了", "complain", 0.9)
    step = take({**_empty(), TYPE: "complain"}, DESCRIPTION, turn, city)
    assert step.updates[DESCRIPTION] == "幸福里小区3号楼的电梯坏了"
    assert step.notice is None


def test_a_place_given_when_the_phone_is_asked_is_taken_as_the_place(city: City) -> None:
    slots = _complaint(**{ADDRESS: "阳光花园"})
    turn = Turn("是阳光花园3栋", "inform", 0.8, {"address": "阳光花园3栋"})
    step = take(slots, PHONE, turn, city)
    assert step.updates == {PHONE: None, ADDRESS: "阳光花园3栋"}
    assert step.notice == "place_noted"


@pytest.mark.parametrize("text", ["3栋", "就在5号楼2单元楼下"])
def test_a_building_without_the_compound_is_asked_again(city: City, text: str) -> None:
    step = take(_complaint(), ADDRESS, Turn(text, "inform", 0.8), city)
    assert step.updates == {ADDRESS: None}
    assert step.notice == "address_unnamed"


def test_a_building_with_the_compound_is_the_place(city: City) -> None:
    step = take(_complaint(), ADDRESS, Turn("阳光花园3栋", "inform", 0.8), city)
    assert step.updates == {ADDRESS: "阳光花园3栋"}
