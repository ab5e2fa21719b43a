"""The conversation id: built, parsed and concatenated in SQL alike."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from jiesu.conversations import ConversationId
from jiesu.db import session_scope
from jiesu.inbox import InboundMessage


@pytest.mark.parametrize(
    ("channel", "chat_id"),
    [("telegram", "123456"), ("web", "9f1c2a"), ("erased", "a:b"), ("telegram", "")],
)
def test_build_and_parse_round_trip(channel: str, chat_id: str) -> None:
    built = ConversationId.build(channel, chat_id)
    parsed = ConversationId.parse(str(built))
    assert parsed == built == f"{channel}:{chat_id}"
    assert (parsed.channel, parsed.chat_id) == (channel, chat_id)


@pytest.mark.parametrize("text", ["", "telegram", ":123"])
def test_parse_refuses_text_without_a_channel(text: str) -> None:
    with pytest.raises(ValueError, match="not a conversation id"):
        ConversationId.parse(text)


def test_of_is_none_for_a_sender_id_that_names_no_conversation() -> None:
    assert ConversationId.of("default") is None
    assert ConversationId.of("web:abc") == ConversationId.build("web", "abc")


@pytest.mark.parametrize("channel", ["", "tele:gram"])
def test_build_refuses_a_channel_that_would_not_parse_back(channel: str) -> None:
    with pytest.raises(ValueError, match="not a channel name"):
        ConversationId.build(channel, "1")


def test_the_sql_helper_agrees_with_python(database_url: str) -> None:
    halves = [("telegram", "123456"), ("web", "a:b")]
    with session_scope(database_url) as session:
        session.add_all(
            InboundMessage(channel=channel, chat_id=chat_id, external_id="1", text="你好")
            for channel, chat_id in halves
        )
    with session_scope(database_url) as session:
        ids = session.scalars(
            select(ConversationId.sql(InboundMessage.channel, InboundMessage.chat_id)).order_by(
                InboundMessage.id
            )
        ).all()
    assert ids == [ConversationId.build(channel, chat_id) for channel, chat_id in halves]
