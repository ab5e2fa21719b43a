"""The WeChat channel end to end: the web app's `/wechat` (as `jiesu web` builds it) in
front of the real Rasa and action servers, requests built by wechatpy, and the recording
API server receiving the customer-service messages the outbox sender sends."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import delete

from bot.rasa_client import RasaClient
from bot.wechat.config import CHANNEL
from bot.wechat.models import AccessToken
from console.app import create_app
from jiesu.config import Settings
from jiesu.conversations import ConversationId
from jiesu.db import session_scope
from jiesu.handoff import service
from jiesu.handoff.desk import HandoffDesk
from jiesu.models import utcnow
from jiesu.scheduler import sweep
from jiesu.tickets import Status, get_by_number
from tests.factories import file_ticket, move_to
from tests.servers import RasaStack
from tests.wechat.conftest import wechat_settings
from tests.wechat.fake_api import FakeWeChatApi
from tests.wechat.resident import WeChatResident

pytestmark = pytest.mark.servers


class Resident(WeChatResident):
    """A WeChat resident who reads every answer: passive replies and customer-service
    messages the API server received for them."""

    def __init__(self, client: httpx.AsyncClient, api: FakeWeChatApi) -> None:
        super().__init__(client)
        self.api = api
        self.answers: list[str] = []  # in the order they arrived
        self.pushed = 0
        self.read = 0

    def _collect(self) -> None:
        """Customer-service messages the API server received for this resident since."""
        pushed = [
            call.body["text"]["content"]
            for call in self.api.done("message/custom/send")
            if call.body.get("touser") == self.openid
        ]
        self.answers.extend(pushed[self.pushed :])
        self.pushed = len(pushed)

    async def say(self, text: str, msg_id: int | None = None) -> str | None:
        reply = await super().say(text, msg_id)
        self._collect()
        if reply is not None:
            self.answers.append(reply)
        return reply

    async def tap(self, key: str) -> None:
        reply = await self.send("event", {"Event": "CLICK", "EventKey": key})
        self._collect()
        if reply is not None:
            self.answers.append(reply)

    async def wait_for(self, words: str, timeout: float = 20) -> str:
        """The first answer not read yet that contains `words`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._collect()
            for position in range(self.read, len(self.answers)):
                if words in self.answers[position]:
                    self.read = position + 1
                    return self.answers[position]
            await asyncio.sleep(0.1)
        raise AssertionError(f"no answer with {words!r}; read {self.read} of {self.answers}")

    def number_of(self, answer: str, choice: str) -> str:
        """The number the answer lists `choice` under."""
        found = re.search(rf"^(\d+)\. {re.escape(choice)}$", answer, re.MULTILINE)
        assert found, answer
        return found.group(1)


@pytest.fixture
def passive_seconds() -> float:
    """How long a turn may take to be answered passively (WeChat's 5 s, less a margin)."""
    return 4.0


@pytest.fixture
async def http(
    rasa_stack: RasaStack, api: FakeWeChatApi, passive_seconds: float
) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(
        database_url=rasa_stack.database_url,
        rasa_url=rasa_stack.rasa_url,
        rasa_token=rasa_stack.token,
    )
    with session_scope(rasa_stack.database_url) as session:  # each test's API is new
        session.execute(delete(AccessToken))
    app = create_app(settings, wechat_settings(api, passive_reply_seconds=passive_seconds))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://wechat.test") as client:
            yield client


@pytest.fixture
def resident(http: httpx.AsyncClient, api: FakeWeChatApi) -> Resident:
    return Resident(http, api)


async def test_a_resident_follows_files_an_appeal_and_asks_its_status(resident: Resident) -> None:
    welcome = await resident.send("event", {"Event": "subscribe", "EventKey": ""})
    assert welcome is not None and "个人信息告知" in welcome
    await resident.say("建设路18号的路灯坏了好几天了")
    asked = await resident.wait_for("电话")
    await resident.say(resident.number_of(asked, "匿名提交"))
    summary = await resident.wait_for("确认")
    await resident.say(resident.number_of(summary, "确认提交"))
    filed = await resident.wait_for("工单号")
    number = re.search(r"\d{8}-\d{4}", filed)
    assert number, filed
    await resident.tap("STATUS")
    await resident.wait_for(number.group())


async def test_a_policy_question_is_answered_and_rated_by_number(resident: Resident) -> None:
    await resident.say("居住证怎么办理")
    answer = await resident.wait_for("有帮助吗")
    await resident.say(resident.number_of(answer, "有帮助"))
    await resident.wait_for("感谢")


@pytest.mark.parametrize("passive_seconds", [0.01])
async def test_when_every_turn_is_slow_the_answers_come_as_customer_service_messages(
    resident: Resident, api: FakeWeChatApi, passive_seconds: float
) -> None:
    assert await resident.say("居住证怎么办理") is None  # "success": too slow to wait for
    answer = await resident.wait_for("有帮助吗")
    assert await resident.say(resident.number_of(answer, "有帮助")) is None
    await resident.wait_for("感谢")
    pushed = [c for c in api.done("message/custom/send") if c.body["touser"] == resident.openid]
    assert len(pushed) == len(resident.answers) >= 2
    assert len(api.called("token")) == 1


async def test_a_person_takes_over_and_the_staff_reply_reaches_wechat(
    resident: Resident, rasa_stack: RasaStack
) -> None:
    await resident.tap("HUMAN")
    await resident.wait_for("分钟内回复")
    await resident.say("我家楼上天天半夜装修")
    await resident.wait_for("工作人员都能看到")
    sender_id = ConversationId.build(CHANNEL, resident.openid)
    with session_scope(rasa_stack.database_url) as session:
        handoff = service.current(session, sender_id)
        assert handoff is not None
    rasa = RasaClient(rasa_stack.rasa_url, 30.0, rasa_stack.token)
    try:
        await HandoffDesk(rasa, rasa_stack.database_url).reply(
            handoff.id, "alice", "请问您住哪个小区？"
        )
    finally:
        await rasa.aclose()
    await resident.wait_for("请问您住哪个小区")


async def test_the_follow_up_survey_is_answered_with_numbers(
    resident: Resident, rasa_stack: RasaStack
) -> None:
    await resident.say("你好")  # opens the 48-hour window
    await resident.wait_for("个人信息告知")  # its choices are shown before the survey's
    with session_scope(rasa_stack.database_url) as session:
        ticket = file_ticket(
            session,
            channel="wechat",
            sender_id=ConversationId.build(CHANNEL, resident.openid),
            department="housing",
            reply_due_at=utcnow() + timedelta(days=7),
        )
        move_to(session, ticket, Status.REPLIED)
        sweep(session, utcnow())
        number = ticket.number
    survey = await resident.wait_for("解决了吗")
    await resident.say(resident.number_of(survey, "已解决"))
    satisfaction = await resident.wait_for("满意吗")
    await resident.say(resident.number_of(satisfaction, "满意"))
    await resident.wait_for(number)
    with session_scope(rasa_stack.database_url) as session:
        closed = get_by_number(session, number)
        assert closed is not None and closed.status is Status.CLOSED
