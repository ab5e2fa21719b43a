"""Handing the conversation to a person: the handoff is opened and Rasa pauses.

While paused, the gateway appends the resident's messages to the tracker for
staff to read, and staff's replies reach the resident through the outbox
(`jiesu.handoff.desk`); handing back resumes the assistant.
"""

from __future__ import annotations

import logging

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ConversationPaused
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions.base import DomainDict, Events
from jiesu.config import get_settings
from jiesu.db import session_scope
from jiesu.handoff.models import HandoffReason
from jiesu.handoff.service import expected_wait_minutes, open_handoff
from jiesu.models import utcnow
from jiesu.vocabulary import reply, wording

log = logging.getLogger(__name__)


def hand_over(dispatcher: CollectingDispatcher, tracker: Tracker, reason: HandoffReason) -> Events:
    """Open the handoff, tell the resident roughly when a person answers, and pause.

    If the handoff cannot be recorded, the resident is given the hotline instead
    and the assistant stays on.
    """
    now = utcnow()
    try:
        with session_scope() as session:
            open_handoff(session, tracker.sender_id, reason, now=now)
            minutes = expected_wait_minutes(
                session, now=now, default=get_settings().handoff_expected_minutes
            )
    except SQLAlchemyError:
        log.exception("could not hand %s to a person", tracker.sender_id)
        dispatcher.utter_message(text=reply("handoff_unavailable"))
        return []
    dispatcher.utter_message(text=wording("handoff", reason.value, minutes=minutes))
    return [ConversationPaused()]


class ActionHandoff(Action):
    """The resident asked for a person (转人工)."""

    def name(self) -> str:
        return "action_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Events:
        return hand_over(dispatcher, tracker, HandoffReason.REQUESTED)
