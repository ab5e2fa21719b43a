"""Not understanding: the two-stage fallback's custom steps (likely intents, a rephrase,
then a person), and the answer to a message that asks for nothing, which never says the
same line twice in a row."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Final

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet, UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher

from actions.appeal import appeal_slots, turn_of
from actions.base import DomainDict, Events, ReplyAction
from actions.handoff import hand_over
from jiesu.appeals.dialogue import DESCRIPTION, take
from jiesu.appeals.intake import APPEAL_INTENTS
from jiesu.city import current_city
from jiesu.handoff.models import HandoffReason
from jiesu.tickets.models import AppealType
from jiesu.vocabulary import intent_label, reply

# Intents worth offering as "did you mean"; small talk and bare answers are not.
CLARIFIABLE_INTENTS = frozenset(
    {
        "consult",
        "seek_help",
        "complain",
        "report",
        "suggest",
        "praise",
        "query_ticket",
        "request_human",
        "emergency",
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
            {"title": intent_label(name), "payload": f"/{name}"} for name in likely_intents(ranking)
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


# The appeal types the fallback classifier counts as one group (config.yml): a problem
# to take down, so praise is not one of them.
FALLBACK_APPEALS: Final = APPEAL_INTENTS - {AppealType.PRAISE}


def likely_appeal(ranking: list[dict[str, Any]]) -> str | None:
    """The likeliest appeal type of a not-understood message, if the appeal types
    together are likelier than any other intent (as the fallback counts them)."""
    appeals = [e for e in ranking if e.get("name") in FALLBACK_APPEALS]
    others = [e for e in ranking if e.get("name") not in FALLBACK_APPEALS | {"nlu_fallback"}]
    together = sum(float(e.get("confidence") or 0.0) for e in appeals)
    if not appeals or together <= max(
        (float(e.get("confidence") or 0.0) for e in others), default=0.0
    ):
        return None
    return str(max(appeals, key=lambda e: float(e.get("confidence") or 0.0))["name"])


class ActionDefaultFallback(Action):
    """Last stage. A resident who says the problem again after "您是想：…" gets it taken
    down as an appeal of the likeliest type; otherwise the assistant gives up and hands
    the conversation to a person."""

    def name(self) -> str:
        return "action_default_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Events:
        appeal = likely_appeal(tracker.latest_message.get("intent_ranking") or [])
        if appeal is not None:
            turn = replace(turn_of(tracker), intent=appeal)
            step = take(appeal_slots(tracker), None, turn, current_city())
            if step.updates.get(DESCRIPTION):
                return [
                    *(SlotSet(name, value) for name, value in step.updates.items()),
                    FollowupAction("appeal_form"),
                ]
        return [UserUtteranceReverted(), *hand_over(dispatcher, tracker, HandoffReason.FALLBACK)]


# "您是想" choices offered when a message asks for nothing the second time in a row.
_MENU: Final = ("complain", "consult", "query_ticket", "request_human")


def last_bot_text(tracker: Tracker) -> str | None:
    """What the assistant said last in this conversation."""
    for event in reversed(tracker.events):
        if event.get("event") == "bot":
            return event.get("text")
    return None


class ActionHowCanHelp(Action):
    """A yes, a no or a detail with nothing under way: ask what the resident needs; asked
    already, offer the choices as buttons; asked that too, hand over to a person."""

    def name(self) -> str:
        return "action_how_can_help"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Events:
        said = last_bot_text(tracker)
        if said == reply("how_can_help_menu"):
            return hand_over(dispatcher, tracker, HandoffReason.FALLBACK)
        if said == reply("how_can_help"):
            buttons = [{"title": intent_label(name), "payload": f"/{name}"} for name in _MENU]
            dispatcher.utter_message(text=reply("how_can_help_menu"), buttons=buttons)
            return []
        dispatcher.utter_message(text=reply("how_can_help"))
        return []
