"""A resident talking to the real Rasa REST webhook, for conversation tests."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from jiesu.conversations import ConversationId
from tests.servers import RasaStack

Replies = list[dict[str, Any]]


class Resident:
    """One resident talking to the REST webhook under a fresh conversation id."""

    def __init__(self, stack: RasaStack, channel: str = "test") -> None:
        self.stack = stack
        self.sender_id = ConversationId.build(channel, uuid.uuid4().hex)

    def says(self, text: str) -> Replies:
        response = httpx.post(
            self.stack.webhook, json={"sender": self.sender_id, "message": text}, timeout=30.0
        )
        response.raise_for_status()
        replies: Replies = response.json()
        assert replies, f"no reply to {text!r}"
        return replies

    def slot(self, name: str) -> object:
        """A slot's value in the conversation's tracker."""
        slots = self.stack.tracker(self.sender_id)["slots"]
        assert isinstance(slots, dict)
        return slots.get(name)


def text_of(replies: Replies) -> str:
    """All reply texts, one per line."""
    return "\n".join(reply.get("text", "") for reply in replies)


def payloads_of(replies: Replies) -> list[str]:
    """The payloads of every button in the replies."""
    return [button["payload"] for reply in replies for button in reply.get("buttons", [])]
