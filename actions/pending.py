"""Actions whose features later issues build; until then they say so honestly."""

from __future__ import annotations

from actions.base import ReplyAction


class ActionAnswerPolicy(ReplyAction):
    """Policy questions (政策问答); the knowledge base comes with its own issue."""

    reply_key = "consult_pending"

    def name(self) -> str:
        return "action_answer_policy"


class ActionHandoff(ReplyAction):
    """Handing the conversation to a person; comes with the console issue."""

    reply_key = "handoff_pending"

    def name(self) -> str:
        return "action_handoff"
