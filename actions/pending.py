"""Actions whose features later issues build; until then they say so honestly."""

from __future__ import annotations

from actions.base import ReplyAction


class ActionHandoff(ReplyAction):
    """Handing the conversation to a person; comes with the console issue."""

    reply_key = "handoff_pending"

    def name(self) -> str:
        return "action_handoff"
