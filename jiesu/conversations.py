"""The conversation id: "<channel>:<chat id>", one resident on one channel.

Rasa knows a conversation by this text (its sender id); the app's tables store the
two halves apart (`channel`, `chat_id`). It is built, split and concatenated in SQL
here only, so every place agrees on where the channel ends: at the first colon (a
chat id may hold colons, a channel name never does).
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, SQLColumnExpression

SEPARATOR = ":"


class ConversationId(str):
    """A conversation id; it is the text Rasa uses, with its two halves at hand."""

    __slots__ = ()

    @classmethod
    def build(cls, channel: str, chat_id: str) -> ConversationId:
        """The id of the chat `chat_id` on `channel`."""
        if not channel or SEPARATOR in channel:
            raise ValueError(f"not a channel name: {channel!r}")
        return cls(f"{channel}{SEPARATOR}{chat_id}")

    @classmethod
    def parse(cls, text: str) -> ConversationId:
        """The id `text` is; `ValueError` if it names no channel."""
        channel, separator, _ = text.partition(SEPARATOR)
        if not channel or not separator:
            raise ValueError(f"not a conversation id: {text!r}")
        return cls(text)

    @classmethod
    def of(cls, text: str) -> ConversationId | None:
        """The id `text` is, or None: Rasa may be given other sender ids directly (its
        shell, a load test), and staff may file a ticket for no conversation."""
        try:
            return cls.parse(text)
        except ValueError:
            return None

    @property
    def channel(self) -> str:
        """The channel the resident writes on (telegram, web, …)."""
        return self.partition(SEPARATOR)[0]

    @property
    def chat_id(self) -> str:
        """The chat on that channel, as the channel names it."""
        return self.partition(SEPARATOR)[2]

    @staticmethod
    def sql(
        channel: SQLColumnExpression[str], chat_id: SQLColumnExpression[str]
    ) -> ColumnElement[str]:
        """The id as an SQL expression over a table's channel and chat id columns."""
        return channel + SEPARATOR + chat_id
