"""The two-stage fallback's custom steps: offer likely intents, then a person."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher

from jiesu.vocabulary import clarify_text, intent_label

DomainDict = dict[str, Any]
Events = list[dict[str, Any]]

# Intents worth offering as "did you mean"; small talk and bare answers are not.
CLARIFIABLE_INTENTS = frozenset(
    {
        "consult", "seek_help", "complain", "report", "suggest", "praise",
        "query_ticket", "request_human", "emergency",
    }
)
MAX_CHOICES = 3


def likely_intents(ranking: list[dict[str, Any]]) -> list[str]:
    """The most likely clarifiable intents, best first, at most `MAX_CHOICES`."""
    names = [entry.get("name") for entry in ranking]
    return [name for name in names if name in CLARIFIABLE_INTENTS][:MAX_CHOICES]


class ActionDefaultAskAffirmation(Action):
    """First stage: "您是想：" with the likely intents as buttons, and "都不是"."""

    def name(self) -> str:
        return "action_default_ask_affirmation"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Events:
        ranking = tracker.latest_message.get("intent_ranking") or []
        buttons = [
            {"title": intent_label(name), "payload": f"/{name}"}
            for name in likely_intents(ranking)
        ]
        # Rasa's two-stage fallback reads out_of_scope as "none of these".
        buttons.append({"title": clarify_text("none_of_these"), "payload": "/out_of_scope"})
        dispatcher.utter_message(response="utter_ask_affirmation", buttons=buttons)
        return []


class ActionDefaultFallback(Action):
    """Last stage: say we did not understand and offer a person."""

    def name(self) -> str:
        return "action_default_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Events:
        dispatcher.utter_message(response="utter_default_fallback")
        return [UserUtteranceReverted()]
