"""The follow-up (回访) answers: survey buttons and typed answers, then the reason for 重办.

All decisions are in `jiesu.loop.followup`; these read the tracker and say the result.
"""

from __future__ import annotations

import logging

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions.base import DomainDict, Events
from jiesu.db import session_scope
from jiesu.loop.followup import (
    ANSWER_ENTITY,
    NUMBER_ENTITY,
    Answer,
    answer_survey,
    give_reason,
    read_answers,
)
from jiesu.models import utcnow
from jiesu.vocabulary import wording

log = logging.getLogger(__name__)
NEEDS_REASON = "followup_needs_reason"
REASON = "followup_reason"


def _answers(tracker: Tracker, typed: str | None) -> list[Answer]:
    """The button's answer, else what the typed message says."""
    pressed = next(tracker.get_latest_entity_values(ANSWER_ENTITY), None)
    if pressed in {answer.value for answer in Answer}:
        return [Answer(pressed)]
    return read_answers(typed) if typed else []


class ActionRateTicket(Action):
    """Records an answer to the follow-up and asks the next question, or for the reason."""

    def name(self) -> str:
        return "action_rate_ticket"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Events:
        text = tracker.latest_message.get("text") or ""
        typed = None if text.startswith("/") else text  # a button's payload is not their words
        number = next(tracker.get_latest_entity_values(NUMBER_ENTITY), None)
        try:
            with session_scope() as session:
                step = answer_survey(
                    session,
                    tracker.sender_id,
                    number=number,
                    answers=_answers(tracker, typed),
                    text=typed,
                    now=utcnow(),
                )
        except SQLAlchemyError:
            log.exception("follow-up answer from %s failed", tracker.sender_id)
            dispatcher.utter_message(text=wording("followup", "unavailable"))
            return [SlotSet(NEEDS_REASON, False)]
        if step.text:
            dispatcher.utter_message(text=step.text, buttons=step.buttons)
        return [SlotSet(NEEDS_REASON, step.needs_reason), SlotSet(REASON, None)]


class ValidateFollowupForm(Action):
    """Takes the resident's next message as the reason; button payloads and emergencies are
    not reasons (rules answer those and the form asks again)."""

    def name(self) -> str:
        return "validate_followup_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Events:
        message = tracker.latest_message
        text = (message.get("text") or "").strip()
        intent = (message.get("intent") or {}).get("name")
        if not text or text.startswith("/") or intent == "emergency":
            return []
        return [SlotSet(REASON, text)]


class ActionAskFollowupReason(Action):
    """Asks what is still wrong."""

    def name(self) -> str:
        return "action_ask_followup_reason"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Events:
        dispatcher.utter_message(text=wording("followup", "ask_reason"))
        return []


class ActionSubmitFollowupReason(Action):
    """Reopens the ticket with the reason given and tells the resident the new deadline."""

    def name(self) -> str:
        return "action_submit_followup_reason"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Events:
        reason = str(tracker.get_slot(REASON) or "")
        try:
            with session_scope() as session:
                text = give_reason(session, tracker.sender_id, reason, utcnow())
        except SQLAlchemyError:
            log.exception("follow-up reason from %s failed", tracker.sender_id)
            text = wording("followup", "unavailable")
        dispatcher.utter_message(text=text)
        return [SlotSet(REASON, None), SlotSet(NEEDS_REASON, False)]
