"""Ticket status for residents (query_ticket)."""

from __future__ import annotations

import logging

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions.base import DomainDict, Events
from jiesu.appeals.progress import status_reply
from jiesu.db import session_scope
from jiesu.vocabulary import wording

log = logging.getLogger(__name__)


class ActionQueryTicket(Action):
    """By the ticket number in the message (with the 查询码 or phone digits it may give, for
    a ticket of another conversation), else this resident's latest tickets."""

    def name(self) -> str:
        return "action_query_ticket"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Events:
        number = next(tracker.get_latest_entity_values("ticket_id"), None)
        message = tracker.latest_message.get("text") or ""
        try:
            with session_scope() as session:
                text = status_reply(session, tracker.sender_id, number, message)
        except SQLAlchemyError:
            log.exception("ticket status for %s failed", tracker.sender_id)
            text = wording("status", "unavailable")
        dispatcher.utter_message(text=text)
        return []
