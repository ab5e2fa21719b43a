"""The two-stage fallback's custom steps: likely intents, a rephrase, then a person."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher

from actions.base import DomainDict, Events, ReplyAction
from actions.handoff import hand_over
from jiesu.handoff.models import HandoffReason
from jiesu.vocabulary import intent_label, reply

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
        buttons.append({"title": reply("none_of_these"), "payload": "/out_of_scope"})
        dispatcher.utter_message(text=reply("ask_affirmation"), buttons=buttons)
        return []


class ActionDefaultAskRephrase(ReplyAction):
    """Second stage: ask the resident to say it another way."""

    reply_key = "ask_rephrase"

    def name(self) -> str:
        return "action_default_ask_rephrase"


class ActionDefaultFallback(Action):
    """Last stage: the assistant gives up and hands the conversation to a person."""

    def name(self) -> str:
        return "action_default_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Events:
        return [UserUtteranceReverted(), *hand_over(dispatcher, tracker, HandoffReason.FALLBACK)]
