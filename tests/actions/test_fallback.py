"""The fallback's clarification buttons, run as the action server runs them."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.fallback import ActionDefaultAskAffirmation, likely_intents


def _tracker(ranking: list[dict[str, Any]]) -> Tracker:
    return Tracker.from_dict(
        {
            "sender_id": "web:test",
            "slots": {},
            "latest_message": {
                "text": "那个事咋整",
                "intent": {"name": "nlu_fallback", "confidence": 0.45},
                "intent_ranking": ranking,
                "entities": [],
            },
            "events": [],
            "paused": False,
            "followup_action": None,
            "active_loop": {},
            "latest_action_name": "action_listen",
        }
    )


def test_likely_intents_skips_small_talk_and_keeps_order() -> None:
    ranking = [
        {"name": "nlu_fallback", "confidence": 0.45},
        {"name": "inform", "confidence": 0.30},
        {"name": "complain", "confidence": 0.25},
        {"name": "greet", "confidence": 0.10},
        {"name": "seek_help", "confidence": 0.09},
        {"name": "consult", "confidence": 0.08},
        {"name": "report", "confidence": 0.05},
    ]
    assert likely_intents(ranking) == ["complain", "seek_help", "consult"]


async def test_ask_affirmation_offers_likely_intents_in_chinese_and_none_of_these() -> None:
    dispatcher = CollectingDispatcher()
    ranking = [
        {"name": "nlu_fallback", "confidence": 0.4},
        {"name": "complain", "confidence": 0.3},
        {"name": "consult", "confidence": 0.2},
    ]
    events = await ActionDefaultAskAffirmation().run(dispatcher, _tracker(ranking), {})
    assert events == []
    [message] = dispatcher.messages
    assert message["text"] == "抱歉，我不太确定您的意思。您是想："
    assert message["buttons"] == [
        {"title": "投诉或反映问题", "payload": "/complain"},
        {"title": "政策和办事咨询", "payload": "/consult"},
        {"title": "都不是，我换个说法", "payload": "/out_of_scope"},
    ]
