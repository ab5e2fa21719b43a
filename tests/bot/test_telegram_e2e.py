"""The Telegram adapter end to end: the Bot API emulator, the real Rasa stack, the app database."""

from __future__ import annotations

import asyncio
import re
import secrets
from collections.abc import AsyncIterator, Iterator

import pytest
from telegram.ext import Application

from bot.rasa_client import RasaClient
from bot.telegram.app import TelegramAdapter
from bot.telegram.config import TelegramSettings
from jiesu import outbox
from jiesu.config import Settings
from jiesu.conversations import ConversationId
from jiesu.db import session_scope
from jiesu.handoff import service
from jiesu.handoff.desk import HandoffDesk
from jiesu.handoff.transcript import RESIDENT, transcript
from tests.servers import RasaStack
from tests.telegram.emulator import EmulatedResident, emulator

pytestmark = pytest.mark.servers

TOKEN = f"123456:{secrets.token_hex(8)}"


@pytest.fixture(scope="module")
def emulator_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with emulator(tmp_path_factory.mktemp("telegram") / "emulator.log") as url:
        yield url


@pytest.fixture
async def bot(rasa_stack: RasaStack, emulator_url: str) -> AsyncIterator[Application]:
    """The adapter polling the emulator, as `jiesu telegram` runs it."""
    settings = Settings(
        database_url=rasa_stack.database_url,
        rasa_url=rasa_stack.rasa_url,
        rasa_token=rasa_stack.token,
    )
    telegram = TelegramSettings(
        bot_token=TOKEN,
        api_base_url=emulator_url,
        emulator=True,
        poll_interval=0.1,
        outbox_interval=0.2,
    )
    adapter = TelegramAdapter(settings, telegram)
    application = adapter.build()
    await application.initialize()
    await adapter.start(application)
    await application.start()
    assert application.updater is not None
    await application.updater.start_polling(poll_interval=0.1)
    yield application
    await application.updater.stop()
    await application.stop()
    await adapter.stop(application)
    await application.shutdown()
    await adapter.close(application)


@pytest.fixture
async def resident(emulator_url: str) -> AsyncIterator[EmulatedResident]:
    person = EmulatedResident(emulator_url, TOKEN)
    yield person
    await person.aclose()


async def test_a_resident_files_a_complaint_and_follows_it(
    bot: Application, resident: EmulatedResident
) -> None:
    await resident.say("/start")
    await resident.wait_for("个人信息告知")
    await resident.say("建设路18号的路灯坏了好几天了")
    await resident.wait_for("电话")
    await resident.press("匿名提交")
    await resident.wait_for("确认")
    await resident.press("确认提交")
    filed = await resident.wait_for("工单号")
    number = re.search(r"\d{8}-\d{4}", filed["text"])
    assert number, filed["text"]
    await resident.say("/status")
    await resident.wait_for(number.group())


async def test_a_staff_message_in_the_outbox_reaches_the_resident(
    bot: Application, resident: EmulatedResident, rasa_stack: RasaStack
) -> None:
    with session_scope(rasa_stack.database_url) as session:
        message = outbox.enqueue(session, "telegram", str(resident.chat_id), "您反映的路灯已修复。")
    await resident.wait_for("路灯已修复", timeout=15)
    for _ in range(50):  # the sender marks the row just after the emulator has it
        with session_scope(rasa_stack.database_url) as session:
            status = session.get_one(outbox.OutboxMessage, message.id).status
        if status == outbox.SENT:
            break
        await asyncio.sleep(0.1)
    assert status == outbox.SENT


async def test_during_a_handoff_messages_go_to_staff_and_their_replies_come_back(
    bot: Application, resident: EmulatedResident, rasa_stack: RasaStack
) -> None:
    await resident.say("/human")
    await resident.wait_for("分钟内回复")
    await resident.say("我家楼上天天半夜装修")
    await resident.wait_for("工作人员都能看到")
    sender_id = ConversationId.build("telegram", str(resident.chat_id))
    rasa = RasaClient(rasa_stack.rasa_url, 30.0, rasa_stack.token)
    try:
        lines = transcript(await rasa.events(sender_id))
        assert (RESIDENT, "我家楼上天天半夜装修") in [(line.speaker, line.text) for line in lines]
        with session_scope(rasa_stack.database_url) as session:
            handoff = service.current(session, sender_id)
            assert handoff is not None
        await HandoffDesk(rasa, rasa_stack.database_url).reply(
            handoff.id, "alice", "请问您住哪个小区？"
        )
    finally:
        await rasa.aclose()
    await resident.wait_for("请问您住哪个小区", timeout=15)


async def test_help_lists_the_commands(bot: Application, resident: EmulatedResident) -> None:
    await resident.say("/help")
    await resident.wait_for("/status")
