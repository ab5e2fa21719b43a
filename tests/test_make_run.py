"""`make run` in a set-up checkout: ready within 90 s, answers on REST, the web chat,
Telegram (the Bot API emulator standing in for Telegram) and WeChat (signed requests to
`/wechat`, a local recording server standing in for WeChat's API), and Ctrl-C stops it
all."""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from jiesu.conversations import ConversationId
from jiesu.vocabulary import wording
from tests.servers import ROOT
from tests.telegram.emulator import EmulatedResident, emulator
from tests.wechat.fake_api import FakeWeChatApi, fake_wechat_api
from tests.wechat.resident import APP_ID, WeChatResident
from tests.wechat.resident import TOKEN as WECHAT_TOKEN

pytestmark = pytest.mark.servers

DEFAULT_PORTS = (5005, 5055, 8000)
READY_WITHIN_SECONDS = 90


def _in_use(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


TOKEN = f"654321:{secrets.token_hex(8)}"


@pytest.fixture
def telegram_url(tmp_path: Path) -> Iterator[str]:
    with emulator(tmp_path / "emulator.log") as url:
        yield url


@pytest.fixture
def wechat_api() -> Iterator[FakeWeChatApi]:
    with fake_wechat_api() as api:
        yield api


@pytest.fixture
def make_run(telegram_url: str, wechat_api: FakeWeChatApi) -> Iterator[subprocess.Popen[str]]:
    busy = [port for port in DEFAULT_PORTS if _in_use(port)]
    if busy:
        pytest.skip(f"ports {busy} are taken (is `make run` already running?)")
    telegram = {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": telegram_url,
        "TELEGRAM_EMULATOR": "true",
    }
    wechat = {
        "WECHAT_TOKEN": WECHAT_TOKEN,
        "WECHAT_APP_ID": APP_ID,
        "WECHAT_APP_SECRET": "test-secret",
        "WECHAT_API_BASE": wechat_api.url,
    }
    process = subprocess.Popen(
        ["make", "--no-print-directory", "run"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1", **telegram, **wechat},
    )
    yield process
    if process.poll() is None:  # the test failed midway: stop it as Ctrl-C does, then firmly
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _collect(process: subprocess.Popen[str], lines: list[str], ready: threading.Event) -> None:
    assert process.stdout is not None
    for line in process.stdout:
        lines.append(line)
        if "接诉已就绪" in line:
            ready.set()


async def _telegram_resident_is_greeted(url: str) -> None:
    resident = EmulatedResident(url, TOKEN)
    try:
        await resident.say("/start")
        await resident.wait_for("个人信息告知", timeout=30)
    finally:
        await resident.aclose()


async def _wechat_resident_is_greeted(api: FakeWeChatApi) -> None:
    """The greeting comes back passively, or, when the turn is slower than WeChat waits,
    as a customer-service message."""
    async with httpx.AsyncClient(base_url="http://127.0.0.1:8000", timeout=30.0) as client:
        resident = WeChatResident(client)
        passive = await resident.say("你好")
        deadline = time.monotonic() + 30
        pushed: list[str] = []
        while passive is None and not pushed and time.monotonic() < deadline:
            await asyncio.sleep(0.5)
            pushed = [
                str(call.body["text"]["content"])
                for call in api.done("message/custom/send")
                if call.body["touser"] == resident.openid
            ]
        assert "个人信息告知" in (passive or "".join(pushed))


def test_make_run_serves_rest_web_chat_telegram_and_wechat_and_stops_on_ctrl_c(
    make_run: subprocess.Popen[str],
    telegram_url: str,
    wechat_api: FakeWeChatApi,
) -> None:
    lines: list[str] = []
    ready = threading.Event()
    threading.Thread(target=_collect, args=(make_run, lines, ready), daemon=True).start()
    assert ready.wait(READY_WITHIN_SECONDS), "".join(lines[-40:])

    rest = httpx.post(
        "http://127.0.0.1:5005/webhooks/rest/webhook",
        json={"sender": ConversationId.build("test", uuid.uuid4().hex), "message": "你好"},
        timeout=30.0,
    )
    assert "个人信息告知" in rest.json()[0]["text"]
    chat = httpx.post(
        "http://127.0.0.1:8000/api/chat",
        json={"chat_id": uuid.uuid4().hex, "message_id": uuid.uuid4().hex, "text": "你好"},
        timeout=30.0,
    )
    assert chat.json()["replies"][0]["text"] == wording("greeting", "again")  # the page greeted
    assert "http://127.0.0.1:8000/chat" in "".join(lines)
    asyncio.run(_telegram_resident_is_greeted(telegram_url))
    asyncio.run(_wechat_resident_is_greeted(wechat_api))

    os.killpg(make_run.pid, signal.SIGINT)
    make_run.wait(timeout=60)
    deadline = time.monotonic() + 10
    while any(_in_use(port) for port in DEFAULT_PORTS) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not any(_in_use(port) for port in DEFAULT_PORTS), "a process outlived Ctrl-C"
