"""The outbox sender against a fake Bot API: limits, flood control, blocked residents."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from telegram import Bot

from bot.telegram.callbacks import CallbackStore
from bot.telegram.sender import OutboxSender
from jiesu import outbox
from jiesu.db import session_scope
from tests.telegram.fake_api import FakeBotApi


@pytest.fixture
def api() -> FakeBotApi:
    return FakeBotApi()


@pytest.fixture
async def sender(api: FakeBotApi, database_url: str) -> AsyncIterator[OutboxSender]:
    async with Bot("1:test", request=api) as bot:
        yield OutboxSender(bot, database_url, CallbackStore(database_url))


def enqueue(database_url: str, chat_id: str, text: str, channel: str = "telegram") -> int:
    with session_scope(database_url) as session:
        return outbox.enqueue(
            session, channel, chat_id, text, buttons=[{"title": "满意", "payload": "/affirm"}]
        ).id


def statuses(database_url: str) -> dict[str, tuple[str, int]]:
    with session_scope(database_url) as session:
        rows = session.query(outbox.OutboxMessage).all()
        return {row.text: (row.status, row.attempts) for row in rows}


async def test_due_messages_are_sent_with_buttons_and_marked_sent(
    sender: OutboxSender, api: FakeBotApi, database_url: str
) -> None:
    enqueue(database_url, "1", "您的工单已办结")
    enqueue(database_url, "9", "web resident", channel="web")
    assert await sender.send_due() == 1
    [sent] = api.sent()
    assert (sent["chat_id"], sent["text"]) == (1, "您的工单已办结")
    assert sent["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "/affirm"
    assert statuses(database_url)["您的工单已办结"] == (outbox.SENT, 1)
    assert statuses(database_url)["web resident"] == (outbox.PENDING, 0)
    assert await sender.send_due() == 0


async def test_one_message_a_second_per_chat(
    sender: OutboxSender, api: FakeBotApi, database_url: str
) -> None:
    enqueue(database_url, "1", "first")
    enqueue(database_url, "1", "second")
    enqueue(database_url, "2", "other chat")
    await sender.send_due()
    assert [params["text"] for params in api.sent()] == ["first", "other chat"]
    assert statuses(database_url)["second"] == (outbox.PENDING, 0)


async def test_a_blocked_resident_is_unreachable_and_never_retried(
    sender: OutboxSender, api: FakeBotApi, database_url: str
) -> None:
    api.errors["sendMessage"] = (403, "Forbidden: bot was blocked by the user", {})
    enqueue(database_url, "1", "notice")
    await sender.send_due()
    assert statuses(database_url)["notice"] == (outbox.UNREACHABLE, 1)
    del api.errors["sendMessage"]
    assert await sender.send_due() == 0


async def test_flood_control_postpones_without_counting_an_attempt(
    sender: OutboxSender, api: FakeBotApi, database_url: str
) -> None:
    api.errors["sendMessage"] = (429, "Too Many Requests", {"retry_after": 1})
    enqueue(database_url, "1", "notice")
    enqueue(database_url, "2", "later")
    await sender.send_due()
    assert statuses(database_url) == {"notice": (outbox.PENDING, 0), "later": (outbox.PENDING, 0)}
    assert len(api.sent()) == 1
    assert await sender.send_due() == 0  # sending pauses as long as Telegram asked


async def test_other_errors_back_off_then_give_up(
    sender: OutboxSender, api: FakeBotApi, database_url: str
) -> None:
    api.errors["sendMessage"] = (400, "Bad Request: chat not found", {})
    message_id = enqueue(database_url, "1", "notice")
    await sender.send_due()
    assert statuses(database_url)["notice"] == (outbox.PENDING, 1)
    for _ in range(outbox.MAX_ATTEMPTS - 1):
        with session_scope(database_url) as session:
            outbox.mark_failed_attempt(session, message_id, "again")
    assert statuses(database_url)["notice"][0] == outbox.FAILED
