"""A resident of the web chat over HTTP, as a browser is: the server's conversation cookie
kept between messages."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from sqlalchemy import select

from jiesu.db import session_scope
from jiesu.inbox import InboundMessage


class WebResident:
    """One browser talking to the web chat API at `base_url`."""

    def __init__(self, base_url: str, timeout: float = 60.0) -> None:
        self.client = httpx.Client(base_url=base_url, timeout=timeout)
        self.first_message: str | None = None

    def post(self, text: str, message_id: str | None = None) -> httpx.Response:
        """Send `text`; the raw response."""
        message_id = message_id or uuid.uuid4().hex
        self.first_message = self.first_message or message_id
        return self.client.post("/api/chat", json={"message_id": message_id, "text": text})

    def says(self, text: str) -> str:
        """Send `text`; the replies' text."""
        response = self.post(text)
        response.raise_for_status()
        return "\n".join(reply.get("text", "") for reply in response.json()["replies"])

    def notices(self) -> list[dict[str, Any]]:
        """What the outbox holds for this browser's conversation (the page's poll)."""
        response = self.client.get("/api/chat/messages", timeout=10.0)
        response.raise_for_status()
        messages: list[dict[str, Any]] = response.json()["messages"]
        return messages

    def chat_id(self, database_url: str) -> str:
        """The conversation id the server gave this browser (that of its first message)."""
        with session_scope(database_url) as session:
            return session.scalars(
                select(InboundMessage.chat_id).where(
                    InboundMessage.channel == "web",
                    InboundMessage.external_id == self.first_message,
                )
            ).one()
