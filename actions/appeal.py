"""The appeal form's actions: validation (one turn at a time), questions, filing, cancelling.

All decisions are in `jiesu.appeals`; these read the tracker and say the result.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions.base import DomainDict, Events
from jiesu.appeals import assess
from jiesu.appeals.dialogue import EDITING, SLOTS, Turn, draft_of, next_slot, take
from jiesu.appeals.filing import ASSESSMENT_SLOT, confirmed_assessment, file_appeal_retrying
from jiesu.appeals.wording import ask_description, ask_phone, edit_buttons, filed_message, summary
from jiesu.city import current_city
from jiesu.vocabulary import wording

log = logging.getLogger(__name__)
REQUESTED_SLOT = "requested_slot"


def share_keyboard(kind: str) -> dict[str, Any]:
    """A hint for channels that can share a location or a contact with one tap (Telegram's
    reply keyboards); the gateway drops it for other channels."""
    return {"telegram": {"share": kind}}


def _turn(message: dict[str, Any]) -> Turn:
    intent = message.get("intent") or {}
    entities: dict[str, str] = {}
    for entity in message.get("entities") or []:
        entities.setdefault(entity["entity"], str(entity["value"]))
    return Turn(
        text=message.get("text") or "",
        intent=intent.get("name"),
        confidence=float(intent.get("confidence") or 0.0),
        entities=entities,
    )


def clarified_message(tracker: Tracker) -> dict[str, Any] | None:
    """The message a "您是想：…" choice answers: when the latest message is a button's
    payload, and the resident's message before it (past the payload's own copies) was
    not understood, that message, which says what the choice is about."""
    payload = tracker.latest_message.get("text") or ""
    if not payload.startswith("/"):
        return None
    users = [e for e in tracker.events if e.get("event") == "user"]
    for event in reversed(users):
        if event.get("text") == payload:
            continue
        parsed = event.get("parse_data") or {}
        if (parsed.get("intent") or {}).get("name") != "nlu_fallback":
            return None
        return {**parsed, "text": event.get("text") or ""}
    return None


def turn_of(tracker: Tracker) -> Turn:
    """The latest resident message as `jiesu.appeals.dialogue` reads it; a choice made
    from "您是想：…" reads as the message that raised the question, with the intent chosen."""
    latest = _turn(tracker.latest_message)
    asked = clarified_message(tracker)
    if asked is None:
        return latest
    return replace(_turn(asked), intent=latest.intent, confidence=latest.confidence)


def appeal_slots(tracker: Tracker) -> dict[str, Any]:
    """The appeal slots' current values."""
    return {name: tracker.get_slot(name) for name in SLOTS}


def source_message_id(tracker: Tracker) -> str:
    """The id of the resident message being answered: the channel's own id where the
    gateway passed one, so a re-delivered message files nothing twice."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            metadata = event.get("metadata") or {}
            return str(metadata.get("message_id") or event.get("message_id") or "")
    return ""


class ValidateAppealForm(Action):
    """Hands each resident message to `jiesu.appeals.dialogue.take`; returns no events
    when the message is not an answer, so rules handle it and the form asks again."""

    def name(self) -> str:
        return "validate_appeal_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Events:
        slots = appeal_slots(tracker)
        step = take(slots, tracker.get_slot(REQUESTED_SLOT), turn_of(tracker), current_city())
        if step.rejected:
            return []
        if step.notice:
            dispatcher.utter_message(text=wording("appeal", step.notice))
        slots.update(step.updates)
        events = [SlotSet(name, value) for name, value in step.updates.items()]
        return [*events, SlotSet(REQUESTED_SLOT, next_slot(slots))]


class ActionAskAppealDescription(Action):
    """Asks what happened, worded for the kind of appeal."""

    def name(self) -> str:
        return "action_ask_appeal_description"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Events:
        dispatcher.utter_message(text=ask_description(draft_of(appeal_slots(tracker)).appeal_type))
        return []


class ActionAskAppealAddress(Action):
    """Asks where, with examples of a precise address."""

    def name(self) -> str:
        return "action_ask_appeal_address"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Events:
        dispatcher.utter_message(
            text=wording("appeal", "ask_address"), json_message=share_keyboard("location")
        )
        return []


class ActionAskAppealPhone(Action):
    """Asks for a phone number, offering to stay anonymous."""

    def name(self) -> str:
        return "action_ask_appeal_phone"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Events:
        text, buttons = ask_phone(draft_of(appeal_slots(tracker)).appeal_type)
        dispatcher.utter_message(text=text, buttons=buttons, json_message=share_keyboard("contact"))
        return []


class ActionAskAppealConfirmed(Action):
    """Shows the summary to confirm; after a "no", asks which field to correct."""

    def name(self) -> str:
        return "action_ask_appeal_confirmed"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Events:
        draft = draft_of(appeal_slots(tracker))
        if tracker.get_slot(EDITING):
            dispatcher.utter_message(
                text=wording("appeal", "which_field"), buttons=edit_buttons(draft.appeal_type)
            )
            return [SlotSet(EDITING, None)]
        assessment = assess(draft)
        text, buttons = summary(draft, assessment)
        dispatcher.utter_message(text=text, buttons=buttons)
        # Kept so that exactly what the resident confirms is filed.
        return [SlotSet(ASSESSMENT_SLOT, assessment.as_dict())]


def _cleared() -> Events:
    return [SlotSet(name, None) for name in SLOTS]


class ActionSubmitAppeal(Action):
    """Files the confirmed appeal and tells the resident the number, department, deadline."""

    def name(self) -> str:
        return "action_submit_appeal"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Events:
        draft = draft_of(appeal_slots(tracker))
        assessment = confirmed_assessment(draft, tracker.get_slot(ASSESSMENT_SLOT))
        try:
            # In a thread: the retries' pauses must not stall the action server's other turns.
            ticket, created = await asyncio.to_thread(
                file_appeal_retrying,
                draft,
                assessment,
                sender_id=tracker.sender_id,
                source_message_id=source_message_id(tracker),
            )
        except SQLAlchemyError:
            log.exception("could not file the appeal of %s", tracker.sender_id)
            dispatcher.utter_message(text=wording("appeal", "filed_failed"))
            return [*_cleared(), SlotSet(ASSESSMENT_SLOT, None)]
        log.info("appeal of %s filed as %s (new: %s)", tracker.sender_id, ticket.number, created)
        dispatcher.utter_message(text=filed_message(ticket))
        return [*_cleared(), SlotSet(ASSESSMENT_SLOT, None)]


class ActionCancelAppeal(Action):
    """Drops the appeal being taken down; nothing is filed."""

    def name(self) -> str:
        return "action_cancel_appeal"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Events:
        dispatcher.utter_message(text=wording("appeal", "cancelled"))
        return _cleared()
