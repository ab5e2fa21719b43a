"""Actions whose features later issues build; until then they say so honestly."""

from __future__ import annotations

from rasa_sdk import Tracker

from actions.base import ReplyAction
from jiesu.vocabulary import intent_label


class ActionAnswerPolicy(ReplyAction):
    """Policy questions (政策问答); the knowledge base comes with its own issue."""

    reply_key = "consult_pending"

    def name(self) -> str:
        return "action_answer_policy"


class ActionStartAppeal(ReplyAction):
    """Appeals (求助/投诉/举报/建议/表扬); tickets come with their own issue."""

    reply_key = "appeal_pending"

    def name(self) -> str:
        return "action_start_appeal"

    def values(self, tracker: Tracker) -> dict[str, object]:
        intent = tracker.get_intent_of_latest_message() or "complain"
        return {"appeal_type": intent_label(intent)}


class ActionQueryTicket(ReplyAction):
    """Ticket status; comes with the tickets issue."""

    reply_key = "query_ticket_pending"

    def name(self) -> str:
        return "action_query_ticket"


class ActionHandoff(ReplyAction):
    """Handing the conversation to a person; comes with the console issue."""

    reply_key = "handoff_pending"

    def name(self) -> str:
        return "action_handoff"
