"""Not understood, then chosen or asked again: the appeal keeps the resident's own words,
and the assistant never says the same generic line twice in a row."""

from __future__ import annotations

from typing import Any

import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.appeal import turn_of
from actions.fallback import (
    FALLBACK_APPEALS,
    ActionDefaultFallback,
    ActionHowCanHelp,
    likely_appeal,
)
from jiesu.config import PROJECT_ROOT
from jiesu.vocabulary import reply


def _user(text: str, intent: str, entities: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    parsed = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.9},
        "entities": entities or [],
    }
    return {"event": "user", "text": text, "parse_data": parsed}


def _tracker(events: list[dict[str, Any]]) -> Tracker:
    latest = next(e for e in reversed(events) if e["event"] == "user")["parse_data"]
    return Tracker.from_dict(
        {
            "sender_id": "web:test",
            "slots": {},
            "latest_message": latest,
            "events": events,
            "paused": False,
            "followup_action": None,
            "active_loop": {},
            "latest_action_name": "action_listen",
        }
    )


def test_a_choice_from_did_you_mean_reads_as_the_message_that_raised_it() -> None:
    events = [
        _user("楼道灯坏了", "nlu_fallback", [{"entity": "time", "value": "昨晚"}]),
        {"event": "bot", "text": "抱歉，我不太确定您的意思。您是想："},
        _user("/complain", "complain"),
        {"event": "rewind"},
        _user("/complain", "complain"),
    ]
    turn = turn_of(_tracker(events))
    assert (turn.text, turn.intent, turn.entities) == ("楼道灯坏了", "complain", {"time": "昨晚"})


def test_a_button_after_an_understood_message_is_only_the_button() -> None:
    events = [_user("你能做什么", "out_of_scope"), _user("/complain", "complain")]
    assert turn_of(_tracker(events)).text == "/complain"


async def test_asking_for_nothing_never_gets_the_same_line_twice_in_a_row() -> None:
    events: list[dict[str, Any]] = []
    said = []
    for text in ("13800000004", "确认提交", "好的"):
        events.append(_user(text, "inform"))
        dispatcher = CollectingDispatcher()
        result = await ActionHowCanHelp().run(dispatcher, _tracker(events), {})
        [message] = dispatcher.messages
        said.append(message["text"])
        events.append({"event": "bot", "text": message["text"]})
    assert said[0] == reply("how_can_help")
    assert said[1] == reply("how_can_help_menu")
    assert said[2] not in said[:2]
    assert any(e.get("event") == "pause" for e in result) or "12345" in said[2]


async def test_saying_the_problem_again_after_did_you_mean_takes_it_down() -> None:
    ranking = [
        {"name": "nlu_fallback", "confidence": 0.3},
        {"name": "complain", "confidence": 0.28},
        {"name": "inform", "confidence": 0.2},
    ]
    events = [_user("幸福里小区门口那棵树快倒了", "nlu_fallback")]
    events[0]["parse_data"]["intent_ranking"] = ranking
    result = await ActionDefaultFallback().run(CollectingDispatcher(), _tracker(events), {})
    slots = {e["name"]: e["value"] for e in result if e["event"] == "slot"}
    assert slots["appeal_type"] == "complain"
    assert slots["appeal_description"] == "幸福里小区门口那棵树快倒了"
    assert slots["appeal_address"] == "幸福里小区"
    assert result[-1] == {"event": "followup", "name": "appeal_form", "timestamp": None}


def test_the_appeal_types_together_outweigh_one_other_intent() -> None:
    ranking = [
        {"name": "nlu_fallback", "confidence": 0.3},
        {"name": "emergency", "confidence": 0.23},
        {"name": "complain", "confidence": 0.16},
        {"name": "report", "confidence": 0.1},
        {"name": "inform", "confidence": 0.16},
    ]
    assert likely_appeal(ranking) == "complain"
    assert (
        likely_appeal(
            [{"name": "greet", "confidence": 0.4}, {"name": "complain", "confidence": 0.3}]
        )
        is None
    )


def test_praise_is_not_taken_down_as_the_likely_appeal() -> None:
    # "树根把路面拱起来了" said twice: praise led the ranking, and the form filed a
    # praise without asking where.
    ranking = [
        {"name": "praise", "confidence": 0.21},
        {"name": "complain", "confidence": 0.16},
        {"name": "emergency", "confidence": 0.11},
        {"name": "report", "confidence": 0.09},
        {"name": "suggest", "confidence": 0.08},
    ]
    assert likely_appeal(ranking) == "complain"


def test_the_likely_appeal_counts_the_group_the_fallback_counts() -> None:
    pipeline = yaml.safe_load((PROJECT_ROOT / "config.yml").read_text(encoding="utf-8"))
    steps = {step["name"].rsplit(".", 1)[-1]: step for step in pipeline["pipeline"]}
    fallback = steps["GroupedFallbackClassifier"]
    assert {str(t) for t in FALLBACK_APPEALS} == set(fallback["groups"][0])
