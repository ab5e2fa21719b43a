"""The gateway's edge cases over a stand-in for Rasa (the `Assistant` protocol) and a real
migrated database: what reaches Rasa, what is answered without it, and the status each
message is left in. tests/bot/test_gateway.py runs the same gateway against the real server.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from bot.gateway import Gateway, Incoming, RateLimit
from bot.rasa_client import RasaUnavailableError
from jiesu.db import session_scope
from jiesu.inbox import InboundMessage, InboundStatus
from jiesu.models import utcnow
from jiesu.vocabulary import gateway_text
from tests.rasa_stand_in import RasaStandIn

BUTTONS = [{"title": "修改地点", "payload": '/change{"field": "place"}'}]


class StandInRasa(RasaStandIn):
    """Answers every message with one reply (and the buttons it is given), records what
    reached it, can hold its answer until released, or be down."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []
        self.down = False
        self.replies: list[dict[str, Any]] | None = None
        self.release: asyncio.Event | None = None

    async def send(
        self, sender_id: str, text: str, metadata: dict[str, Any]
    ) -> list[dict[str, Any]]:
        if self.down:
            raise RasaUnavailableError("connection refused")
        self.sent.append((sender_id, text))
        if self.release is not None:
            await self.release.wait()
        return self.replies or [{"recipient_id": sender_id, "text": f"答复：{text}"}]


@pytest.fixture
def rasa() -> StandInRasa:
    return StandInRasa()


@pytest.fixture
def gateway(rasa: StandInRasa, database_url: str) -> Gateway:
    return Gateway(rasa, database_url, max_chars=20, rate_limit=RateLimit(2, 60.0))


def _message(text: str, chat_id: str = "chat", message_id: str | None = None) -> Incoming:
    return Incoming("web", chat_id, message_id or uuid.uuid4().hex, text)


def _statuses(database_url: str) -> list[str]:
    with session_scope(database_url) as session:
        return list(session.scalars(select(InboundMessage.status).order_by(InboundMessage.id)))


async def test_a_reply_loses_rasas_recipient_and_the_message_is_answered(
    gateway: Gateway, rasa: StandInRasa, database_url: str
) -> None:
    message = _message("你好")
    assert await gateway.handle(message) == [{"text": "答复：你好"}]
    assert rasa.sent == [("web:chat", "你好")]
    assert _statuses(database_url) == [InboundStatus.ANSWERED]
    assert gateway.was_handled("web", "chat", message.message_id)
    assert not gateway.was_handled("web", "chat", "never-sent")


async def test_a_duplicate_while_the_first_is_answered_is_told_to_wait(
    gateway: Gateway, rasa: StandInRasa
) -> None:
    rasa.release = asyncio.Event()
    message = _message("路灯坏了")
    first = asyncio.create_task(gateway.handle(message))
    while not rasa.sent:
        await asyncio.sleep(0.01)
    assert await gateway.handle(message) == [{"text": gateway_text("in_progress")}]
    rasa.release.set()
    answered = await first
    assert await gateway.handle(message) == answered  # from the record
    assert rasa.sent == [("web:chat", "路灯坏了")]


@pytest.mark.parametrize(
    ("text", "reply"),
    [
        (" \u200b\u200f\n", gateway_text("empty")),
        ("路" * 21, gateway_text("too_long", length=21, limit=20)),
    ],
)
async def test_empty_and_oversized_text_are_answered_without_rasa(
    gateway: Gateway, rasa: StandInRasa, database_url: str, text: str, reply: str
) -> None:
    assert await gateway.handle(_message(text)) == [{"text": reply}]
    assert rasa.sent == []
    assert _statuses(database_url) == [InboundStatus.ANSWERED]


async def test_limited_messages_are_kept_and_do_not_count_against_the_resident(
    gateway: Gateway, rasa: StandInRasa, database_url: str
) -> None:
    for text in ("一", "二", "三", "四"):
        await gateway.handle(_message(text))
    assert [text for _, text in rasa.sent] == ["一", "二"]
    assert _statuses(database_url) == [InboundStatus.ANSWERED] * 2 + [InboundStatus.LIMITED] * 2
    with session_scope(database_url) as session:  # the two passed on leave the window
        session.execute(
            update(InboundMessage)
            .where(InboundMessage.status == InboundStatus.ANSWERED)
            .values(received_at=utcnow() - timedelta(minutes=5))
        )
    await gateway.handle(_message("五"))  # the two limited ones, still recent, do not count
    assert [text for _, text in rasa.sent] == ["一", "二", "五"]


async def test_a_typed_label_of_the_last_answers_button_sends_its_payload(
    gateway: Gateway, rasa: StandInRasa
) -> None:
    rasa.replies = [{"text": "请核对", "buttons": BUTTONS}]
    await gateway.handle(_message("确认"))
    rasa.replies = None
    await gateway.handle(_message("修改地点"))
    await gateway.handle(_message("修改地点", chat_id="another"))  # offered to another chat
    assert rasa.sent[1:] == [("web:chat", BUTTONS[0]["payload"]), ("web:another", "修改地点")]


async def test_custom_replies_are_kept_only_for_the_channel_they_name(
    gateway: Gateway, rasa: StandInRasa
) -> None:
    rasa.replies = [
        {"text": "请发送位置", "custom": {"telegram": {"location": True}}},
        {"custom": {"telegram": {"keyboard": "location"}}},
        {"custom": {"web": {"map": True}}},
    ]
    assert await gateway.handle(_message("路灯坏了")) == [
        {"text": "请发送位置"},
        {"custom": {"web": {"map": True}}},
    ]


async def test_rasa_down_leaves_the_message_failed_and_a_resend_answers_it(
    gateway: Gateway, rasa: StandInRasa, database_url: str
) -> None:
    rasa.down = True
    message = _message("水管爆了")
    assert await gateway.handle(message) == [{"text": gateway_text("busy")}]
    assert _statuses(database_url) == [InboundStatus.FAILED]
    assert not gateway.was_handled("web", "chat", message.message_id)
    rasa.down = False
    assert await gateway.handle(message) == [{"text": "答复：水管爆了"}]
    assert _statuses(database_url) == [InboundStatus.ANSWERED]
