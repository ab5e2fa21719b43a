"""Actions whose features later issues build; until then they say so honestly."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from jiesu.vocabulary import intent_label

DomainDict = dict[str, Any]
Events = list[dict[str, Any]]


class ActionAnswerPolicy(Action):
    """Policy questions (政策问答); the knowledge base comes with its own issue."""

    def name(self) -> str:
        return "action_answer_policy"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Events:
        dispatcher.utter_message(response="utter_consult_pending")
        return []


class ActionStartAppeal(Action):
    """Appeals (求助/投诉/举报/建议/表扬); tickets come with their own issue."""

    def name(self) -> str:
        return "action_start_appeal"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Events:
        intent = tracker.get_intent_of_latest_message() or "complain"
        dispatcher.utter_message(response="utter_appeal_pending", appeal_type=intent_label(intent))
        return []


class ActionQueryTicket(Action):
    """Ticket status; comes with the tickets issue."""

    def name(self) -> str:
        return "action_query_ticket"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Events:
        dispatcher.utter_message(response="utter_query_ticket_pending")
        return []


class ActionHandoff(Action):
    """Handing the conversation to a person; comes with the console issue."""

    def name(self) -> str:
        return "action_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Events:
        dispatcher.utter_message(response="utter_handoff_pending")
        return []
