"""Every other process killed (SIGKILL) during traffic and started again: the Rasa server
mid-form, the Telegram adapter mid-turn, the scheduler with work due. Nothing a resident
sent, nothing queued for them and nothing the scheduler owes is lost or done twice."""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from jiesu import outbox
from jiesu.conversations import ConversationId
from jiesu.db import session_scope
from jiesu.inbox import InboundMessage, InboundStatus
from jiesu.loop.models import AlertKind, StaffAlert, Survey
from jiesu.migrate import upgrade
from jiesu.models import utcnow
from jiesu.tickets import (
    Status,
    Ticket,
    change_status,
    staff_actor,
)
from jiesu.tickets.workflow import DeadlineKind
from jiesu.vocabulary import gateway_text
from tests.factories import dispatched_ticket
from tests.faults.conftest import web_chat
from tests.servers import (
    APP_PYTHON,
    Service,
    action_server,
    free_port,
    rasa_service,
    running,
    service,
    write_endpoints,
)
from tests.telegram.emulator import EmulatedResident, emulator

pytestmark = pytest.mark.servers

TOKEN = f"424242:{secrets.token_hex(8)}"
# A turn gives up on Rasa after 10 s; a message taken 12 s ago without an answer belongs
# to a process that died and is answered again (JIESU_CLAIM_LEASE_SECONDS).
TIMEOUTS = {"JIESU_RASA_TIMEOUT_SECONDS": "10", "JIESU_CLAIM_LEASE_SECONDS": "12"}


@dataclass(frozen=True)
class Stack:
    """A Rasa server of this module's own (the Rasa test kills it), its action server,
    and the web app whose retry loop answers kept messages of every channel."""

    rasa: Service
    web: Service
    rasa_url: str
    token: str
    database_url: str


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    workdir = tmp_path_factory.mktemp("process-restarts")
    database = f"sqlite:///{workdir / 'jiesu.db'}"
    upgrade(database)
    action_port, rasa_port, web_port = free_port(), free_port(), free_port()
    endpoints = workdir / "endpoints.yml"
    write_endpoints(endpoints, action_port, workdir / "tracker.db")  # on disk: survives
    token = secrets.token_urlsafe(16)
    rasa_url = f"http://127.0.0.1:{rasa_port}"
    web_env = {
        "JIESU_DATABASE_URL": database,
        "JIESU_RASA_URL": rasa_url,
        "JIESU_RASA_TOKEN": token,
        "JIESU_WEB_PORT": str(web_port),
        "JIESU_RETRY_INTERVAL_SECONDS": "1",
        **TIMEOUTS,
        "JIESU_SECRET_KEY": "fault-tests",
    }
    web_command = [str(APP_PYTHON), "-m", "jiesu.cli", "web"]
    with (
        action_server(action_port, workdir / "actions.log", database),
        rasa_service(rasa_port, endpoints, token, workdir / "rasa.log") as rasa,
        service(
            web_command, workdir / "web.log", f"http://127.0.0.1:{web_port}/healthz", web_env, 60
        ) as web,
    ):
        yield Stack(rasa, web, rasa_url, token, database)


def _crash(process: subprocess.Popen[bytes]) -> None:
    """Kill a process group as a crash would: at once, no clean-up."""
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def _wait_until(condition: Callable[[], bool], timeout: float) -> bool:
    """Whether `condition` came true within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


def _count(database_url: str, query: Any) -> int:
    with session_scope(database_url) as session:
        return session.scalar(select(func.count()).select_from(query.subquery())) or 0


def test_rasa_killed_mid_form_keeps_the_message_and_the_form_goes_on(stack: Stack) -> None:
    base = stack.web.health_url.removesuffix("/healthz")
    resident = web_chat(base)
    says = resident.says

    def counts() -> tuple[int, int, int]:
        """Inbound messages, outbox messages and tickets of this chat."""
        return (
            _count(
                stack.database_url, select(InboundMessage).where(InboundMessage.chat_id == chat_id)
            ),
            _count(
                stack.database_url,
                select(outbox.OutboxMessage).where(outbox.OutboxMessage.chat_id == chat_id),
            ),
            _count(
                stack.database_url,
                select(Ticket).where(Ticket.sender_id == ConversationId.build("web", chat_id)),
            ),
        )

    assert "电话" in says("建设路18号的路灯坏了好几天了，晚上特别黑")
    chat_id = resident.chat_id(stack.database_url)
    stack.rasa.kill()
    try:
        assert says("13812345678") == gateway_text("busy")
        assert counts() == (2, 0, 0)
    finally:
        stack.rasa.start()  # same port, same tracker store; loading the model takes a while

    notices: list[dict[str, Any]] = []
    deadline = time.monotonic() + 30
    while not notices and time.monotonic() < deadline:
        time.sleep(0.5)
        notices = resident.notices()
    # The kept phone number is answered late, with the summary of the form as it stood.
    summaries = [notice["text"] for notice in notices if "核对" in notice["text"]]
    assert summaries and "建设路18号" in summaries[0], notices
    assert "工单号" in says("确认提交")
    assert counts() == (3, 1, 1)
    with session_scope(stack.database_url) as session:
        ticket = session.scalars(
            select(Ticket).where(Ticket.sender_id == ConversationId.build("web", chat_id))
        ).one()
        assert (ticket.phone, ticket.address) == ("13812345678", "建设路18号")


def _history(url: str) -> list[dict[str, Any]]:
    """Everything the emulator holds for the bot: residents' updates and its messages."""
    response = httpx.post(f"{url}/getUpdatesHistory", json={"token": TOKEN}, timeout=10.0)
    response.raise_for_status()
    updates: list[dict[str, Any]] = response.json()["result"]
    return updates


def _fetched(url: str, chat_id: int) -> int:
    """How many of the resident's updates the adapter has fetched."""
    return sum(
        1
        for update in _history(url)
        if update["message"].get("chat", {}).get("id") == chat_id and update["isRead"]
    )


def _bot_texts(url: str, chat_id: int) -> list[str]:
    return [
        update["message"].get("text", "")
        for update in _history(url)
        if str(update["message"].get("chat_id")) == str(chat_id)
    ]


async def test_telegram_adapter_killed_mid_turn_loses_and_repeats_nothing(
    stack: Stack, tmp_path: Path
) -> None:
    """A turn hangs (Rasa stopped) while the resident sends another message, the adapter
    dies; while it is down a staff message is queued and the resident writes again."""
    with emulator(tmp_path / "emulator.log") as url:
        env = {
            "JIESU_DATABASE_URL": stack.database_url,
            "JIESU_RASA_URL": stack.rasa_url,
            "JIESU_RASA_TOKEN": stack.token,
            "JIESU_ATTACHMENTS_DIR": str(tmp_path),
            **TIMEOUTS,
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_BASE_URL": url,
            "TELEGRAM_EMULATOR": "true",
            "TELEGRAM_POLL_INTERVAL": "0.1",
            "TELEGRAM_OUTBOX_INTERVAL": "0.2",
        }
        adapter = [str(APP_PYTHON), "-m", "jiesu.cli", "telegram"]
        resident = EmulatedResident(url, TOKEN)
        chat = str(resident.chat_id)

        def inbound() -> int:
            return _count(
                stack.database_url,
                select(InboundMessage).where(
                    InboundMessage.channel == "telegram", InboundMessage.chat_id == chat
                ),
            )

        try:
            with running(adapter, tmp_path / "adapter-1.log", env) as first:
                await resident.say("/start")
                await resident.wait_for("个人信息告知")
                assert stack.rasa.process is not None
                os.killpg(stack.rasa.process.pid, signal.SIGSTOP)  # the next turn hangs
                try:
                    await resident.say("/status")
                    assert await asyncio.to_thread(_wait_until, lambda: inbound() == 2, 10)
                    await resident.say("你是机器人吗")
                    assert await asyncio.to_thread(
                        _wait_until, lambda: _fetched(url, resident.chat_id) == 3, 10
                    )
                    # A fetched update is confirmed to Telegram by the next poll: from then
                    # on only the adapter's own record of it can bring it back.
                    await asyncio.sleep(1.0)
                    _crash(first)
                finally:
                    os.killpg(stack.rasa.process.pid, signal.SIGCONT)
            with session_scope(stack.database_url) as session:
                outbox.enqueue(session, "telegram", chat, "您反映的路灯已修复。")
            await resident.say("谢谢")
            replies = ("个人信息告知", "没有查到", "不是真人", "不客气", "路灯已修复")

            def all_arrived() -> bool:
                texts = _bot_texts(url, resident.chat_id)
                return all(any(reply in text for text in texts) for reply in replies)

            with running(adapter, tmp_path / "adapter-2.log", env):
                # The messages of the killed turn come once their claim lease is over.
                await asyncio.to_thread(_wait_until, all_arrived, 45)
                await asyncio.sleep(2.0)  # room for a second copy to arrive, if any did
                texts = _bot_texts(url, resident.chat_id)
        finally:
            await resident.aclose()
    for reply in replies:
        assert sum(reply in text for text in texts) == 1, (reply, texts)
    with session_scope(stack.database_url) as session:
        statuses = session.scalars(
            select(InboundMessage.status).where(
                InboundMessage.channel == "telegram", InboundMessage.chat_id == chat
            )
        ).all()
        queued = session.scalars(
            select(outbox.OutboxMessage.status).where(
                outbox.OutboxMessage.channel == "telegram", outbox.OutboxMessage.chat_id == chat
            )
        ).all()
    assert statuses == [InboundStatus.ANSWERED] * 4
    assert queued == [outbox.SENT] * 3  # the staff message and the killed turn's two answers


def _ticket(session: Session, *, filed_days_ago: float, reply_in_days: float) -> Ticket:
    """A complaint dispatched at once, filed in the past by the real clock."""
    filed = utcnow() - timedelta(days=filed_days_ago)
    return dispatched_ticket(session, filed, reply_in=timedelta(days=reply_in_days))


def test_scheduler_killed_and_restarted_raises_each_reminder_and_survey_once(
    tmp_path: Path,
) -> None:
    database = f"sqlite:///{tmp_path / 'jiesu.db'}"
    upgrade(database)
    handler = staff_actor("handler")
    with session_scope(database) as session:
        reminded = _ticket(session, filed_days_ago=9, reply_in_days=10)  # 90% of its time gone
        answered = _ticket(session, filed_days_ago=2, reply_in_days=10)
        now = utcnow() - timedelta(hours=1)
        change_status(session, answered, Status.IN_PROGRESS, actor=handler, now=now)
        change_status(session, answered, Status.REPLIED, actor=handler, note="灯已修好", now=now)
        reminded_id, answered_id = reminded.id, answered.id
        resident = ConversationId.parse(answered.sender_id).chat_id
    env = {
        "JIESU_DATABASE_URL": database,
        "JIESU_TRACKER_STORE_URL": f"sqlite:///{tmp_path / 'tracker.db'}",
        "JIESU_SWEEP_INTERVAL_SECONDS": "0.5",
    }
    scheduler = [str(APP_PYTHON), "-m", "jiesu.cli", "scheduler"]

    def alerts(ticket_id: int) -> list[tuple[str, str]]:
        with session_scope(database) as session:
            return [
                (alert.kind, alert.deadline)
                for alert in session.scalars(
                    select(StaffAlert).where(StaffAlert.ticket_id == ticket_id)
                )
            ]

    def surveys() -> int:
        return _count(database, select(Survey).where(Survey.ticket_id == answered_id))

    def asked() -> int:
        return _count(
            database, select(outbox.OutboxMessage).where(outbox.OutboxMessage.chat_id == resident)
        )

    reminder = (AlertKind.REMINDER, DeadlineKind.REPLY)
    with running(scheduler, tmp_path / "scheduler-1.log", env) as first:
        assert _wait_until(lambda: alerts(reminded_id) != [] and surveys() > 0, 30)
        _crash(first)
    with session_scope(database) as session:
        later = _ticket(session, filed_days_ago=9, reply_in_days=10).id
    with running(scheduler, tmp_path / "scheduler-2.log", env):
        # Its reminder shows a whole sweep of the restarted scheduler has committed.
        assert _wait_until(lambda: alerts(later) != [], 30)
        time.sleep(1.0)  # and a couple more
    assert alerts(reminded_id) == [reminder]
    assert alerts(later) == [reminder]
    assert (surveys(), asked()) == (1, 1)
