"""Messages that found the assistant down are answered when it is back, in order, once."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from bot.gateway import Gateway, Incoming
from bot.rasa_client import RasaUnavailableError
from jiesu.db import session_scope
from jiesu.inbox import InboundMessage, InboundStatus
from jiesu.models import utcnow
from jiesu.outbox import OutboxMessage
from jiesu.vocabulary import gateway_text
from tests.rasa_stand_in import RasaStandIn


class ScriptedRasa(RasaStandIn):
    """Stands in for the Rasa client: down, up, answering nothing (action server down),
    or holding its answer until released; records what reached it."""

    def __init__(self) -> None:
        self.down = False
        self.silent = False
        self.sent: list[str] = []
        self.release: asyncio.Event | None = None

    async def send(
        self, sender_id: str, text: str, metadata: dict[str, Any]
    ) -> list[dict[str, Any]]:
        if self.down:
            raise RasaUnavailableError("connection refused")
        self.sent.append(text)
        if self.release is not None:
            await self.release.wait()
        if self.silent:
            return []
        return [{"text": f"答复：{text}", "buttons": [{"title": "好", "payload": "/affirm"}]}]


@pytest.fixture
def rasa() -> ScriptedRasa:
    return ScriptedRasa()


@pytest.fixture
def gateway(rasa: ScriptedRasa, database_url: str) -> Gateway:
    return Gateway(
        rasa,
        database_url,
        4000,
        retry_max_age=timedelta(minutes=30),
        claim_lease=timedelta(seconds=60),
    )


def _message(chat_id: str, message_id: str, text: str) -> Incoming:
    return Incoming(channel="web", chat_id=chat_id, message_id=message_id, text=text)


def _statuses(database_url: str) -> dict[str, str]:
    with session_scope(database_url) as session:
        rows = session.execute(select(InboundMessage.external_id, InboundMessage.status))
        return {external_id: status for external_id, status in rows}


def _outbox(database_url: str) -> list[tuple[str, str]]:
    with session_scope(database_url) as session:
        rows = session.execute(
            select(OutboxMessage.chat_id, OutboxMessage.text).order_by(OutboxMessage.id)
        )
        return [(chat_id, text) for chat_id, text in rows]


async def test_kept_messages_are_answered_in_order_through_the_outbox_when_rasa_returns(
    gateway: Gateway, rasa: ScriptedRasa, database_url: str
) -> None:
    rasa.down = True
    for message in (
        _message("alice-chat", "m1", "路灯坏了"),
        _message("alice-chat", "m2", "在建设路"),
        _message("bob-chat-1", "m3", "你好"),
    ):
        [reply] = await gateway.handle(message)
        assert reply["text"] == gateway_text("busy")
    assert set(_statuses(database_url).values()) == {InboundStatus.FAILED}

    rasa.down = False
    report = await gateway.retry_failed()

    assert (report.answered, report.given_up, report.waiting) == (3, 0, 0)
    assert rasa.sent == ["路灯坏了", "在建设路", "你好"]
    assert _outbox(database_url) == [
        ("alice-chat", "答复：路灯坏了"),
        ("alice-chat", "答复：在建设路"),
        ("bob-chat-1", "答复：你好"),
    ]
    assert set(_statuses(database_url).values()) == {InboundStatus.ANSWERED}
    with session_scope(database_url) as session:
        assert session.scalars(select(OutboxMessage.buttons)).first() == [
            {"title": "好", "payload": "/affirm"}
        ]


async def test_while_rasa_is_down_a_round_stops_at_the_first_failure(
    gateway: Gateway, rasa: ScriptedRasa, database_url: str
) -> None:
    rasa.down = True
    await gateway.handle(_message("alice-chat", "m1", "路灯坏了"))
    await gateway.handle(_message("bob-chat-1", "m2", "你好"))
    report = await gateway.retry_failed()
    assert (report.answered, report.waiting) == (0, 2)
    assert set(_statuses(database_url).values()) == {InboundStatus.FAILED}
    assert _outbox(database_url) == []


async def test_a_new_message_is_answered_after_the_conversations_kept_ones(
    gateway: Gateway, rasa: ScriptedRasa, database_url: str
) -> None:
    rasa.down = True
    await gateway.handle(_message("alice-chat", "m1", "路灯坏了"))
    rasa.down = False
    [reply] = await gateway.handle(_message("alice-chat", "m2", "在建设路"))
    assert reply["text"] == "答复：在建设路"
    assert rasa.sent == ["路灯坏了", "在建设路"]
    assert _outbox(database_url) == [("alice-chat", "答复：路灯坏了")]


async def test_a_new_message_waits_while_the_kept_ones_still_fail(
    gateway: Gateway, rasa: ScriptedRasa, database_url: str
) -> None:
    rasa.down = True
    await gateway.handle(_message("alice-chat", "m1", "路灯坏了"))
    [reply] = await gateway.handle(_message("alice-chat", "m2", "在建设路"))
    assert reply["text"] == gateway_text("busy")
    rasa.down = False
    await gateway.retry_failed()
    assert rasa.sent == ["路灯坏了", "在建设路"]


async def test_an_empty_answer_is_kept_and_retried_like_rasa_down(
    gateway: Gateway, rasa: ScriptedRasa, database_url: str
) -> None:
    """Rasa's REST channel answers [] when the action server cannot be reached."""
    rasa.silent = True
    [reply] = await gateway.handle(_message("alice-chat", "m1", "确认提交"))
    assert reply["text"] == gateway_text("busy")
    assert _statuses(database_url) == {"m1": InboundStatus.FAILED}
    rasa.silent = False
    await gateway.retry_failed()
    assert _statuses(database_url) == {"m1": InboundStatus.ANSWERED}
    assert _outbox(database_url) == [("alice-chat", "答复：确认提交")]


async def test_a_resend_during_the_retry_is_not_answered_twice(
    gateway: Gateway, rasa: ScriptedRasa, database_url: str
) -> None:
    rasa.down = True
    message = _message("alice-chat", "m1", "路灯坏了")
    await gateway.handle(message)
    rasa.down, rasa.release = False, asyncio.Event()
    retrying = asyncio.create_task(gateway.retry_failed())
    while not rasa.sent:
        await asyncio.sleep(0.01)
    [again] = await gateway.handle(message)
    rasa.release.set()
    await retrying
    assert again["text"] == gateway_text("in_progress")
    assert rasa.sent == ["路灯坏了"]
    assert _outbox(database_url) == [("alice-chat", "答复：路灯坏了")]


async def test_old_kept_messages_are_given_up_with_one_notice_per_conversation(
    gateway: Gateway, rasa: ScriptedRasa, database_url: str
) -> None:
    rasa.down = True
    await gateway.handle(_message("alice-chat", "m1", "路灯坏了"))
    await gateway.handle(_message("alice-chat", "m2", "在建设路"))
    await gateway.handle(_message("alice-chat", "m3", "还在吗"))
    with session_scope(database_url) as session:
        session.execute(
            update(InboundMessage)
            .where(InboundMessage.external_id.in_(["m1", "m2"]))
            .values(received_at=utcnow() - timedelta(minutes=31))
        )
    rasa.down = False

    report = await gateway.retry_failed()
    again = await gateway.retry_failed()

    assert (report.answered, report.given_up) == (1, 2)
    assert again.given_up == 0
    assert rasa.sent == ["还在吗"]
    assert _statuses(database_url) == {
        "m1": InboundStatus.GIVEN_UP,
        "m2": InboundStatus.GIVEN_UP,
        "m3": InboundStatus.ANSWERED,
    }
    assert _outbox(database_url) == [
        ("alice-chat", gateway_text("given_up")),
        ("alice-chat", "答复：还在吗"),
    ]
    [resent] = await gateway.handle(_message("alice-chat", "m1", "路灯坏了"))
    assert resent["text"] == gateway_text("given_up")


def _abandon(database_url: str, external_id: str, seconds_ago: float) -> None:
    """Leave `external_id` as a process that died while answering it would: taken,
    never finished, its claim `seconds_ago` old."""
    with session_scope(database_url) as session:
        session.execute(
            update(InboundMessage)
            .where(InboundMessage.external_id == external_id)
            .values(
                status=InboundStatus.RECEIVED,
                replies=None,
                answered_at=None,
                claimed_at=utcnow() - timedelta(seconds=seconds_ago),
            )
        )


async def test_a_message_whose_process_died_is_answered_once_its_claim_expires(
    gateway: Gateway, rasa: ScriptedRasa, database_url: str
) -> None:
    """A web app killed while answering leaves its message taken; after the claim's lease
    the retry loop answers it through the outbox, and only then."""
    rasa.down = True
    await gateway.handle(_message("alice-chat", "m1", "路灯坏了"))
    rasa.down = False
    _abandon(database_url, "m1", seconds_ago=10)

    early = await gateway.retry_failed()
    assert (early.answered, early.waiting) == (0, 0)
    assert rasa.sent == []

    _abandon(database_url, "m1", seconds_ago=61)
    report = await gateway.retry_failed()
    assert (report.answered, report.waiting) == (1, 0)
    assert rasa.sent == ["路灯坏了"]
    assert _statuses(database_url) == {"m1": InboundStatus.ANSWERED}
    assert _outbox(database_url) == [("alice-chat", "答复：路灯坏了")]


async def test_a_resend_of_an_abandoned_message_is_answered_directly(
    gateway: Gateway, rasa: ScriptedRasa, database_url: str
) -> None:
    """Telegram re-delivers an update the dead process never answered: the re-delivery
    takes the expired claim and is answered, not told 'in progress' forever."""
    message = _message("alice-chat", "m1", "路灯坏了")
    await gateway.handle(message)
    _abandon(database_url, "m1", seconds_ago=61)
    rasa.sent.clear()

    [reply] = await gateway.handle(message)

    assert reply["text"] == "答复：路灯坏了"
    assert rasa.sent == ["路灯坏了"]
    assert _outbox(database_url) == []
