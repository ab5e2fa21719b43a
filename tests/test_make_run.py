"""`make run` in a set-up checkout: ready within 90 s, answers, and Ctrl-C stops it all."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import threading
import time
import uuid

import httpx
import pytest

from tests.servers import ROOT

pytestmark = pytest.mark.servers

DEFAULT_PORTS = (5005, 5055, 8000)
READY_WITHIN_SECONDS = 90


def _in_use(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def make_run() -> subprocess.Popen[str]:
    busy = [port for port in DEFAULT_PORTS if _in_use(port)]
    if busy:
        pytest.skip(f"ports {busy} are taken (is `make run` already running?)")
    process = subprocess.Popen(
        ["make", "--no-print-directory", "run"], cwd=ROOT, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, start_new_session=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    yield process
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def _collect(process: subprocess.Popen[str], lines: list[str], ready: threading.Event) -> None:
    assert process.stdout is not None
    for line in process.stdout:
        lines.append(line)
        if "接诉已就绪" in line:
            ready.set()


def test_make_run_serves_rest_and_web_chat_and_stops_on_ctrl_c(
    make_run: subprocess.Popen[str],
) -> None:
    lines: list[str] = []
    ready = threading.Event()
    threading.Thread(target=_collect, args=(make_run, lines, ready), daemon=True).start()
    assert ready.wait(READY_WITHIN_SECONDS), "".join(lines[-40:])

    rest = httpx.post(
        "http://127.0.0.1:5005/webhooks/rest/webhook",
        json={"sender": f"test:{uuid.uuid4().hex}", "message": "你好"}, timeout=30.0,
    )
    assert "个人信息告知" in rest.json()[0]["text"]
    chat = httpx.post(
        "http://127.0.0.1:8000/api/chat",
        json={"chat_id": uuid.uuid4().hex, "message_id": uuid.uuid4().hex, "text": "你好"},
        timeout=30.0,
    )
    assert "个人信息告知" in chat.json()["replies"][0]["text"]
    assert "http://127.0.0.1:8000/chat" in "".join(lines)

    os.killpg(make_run.pid, signal.SIGINT)
    make_run.wait(timeout=60)
    deadline = time.monotonic() + 10
    while any(_in_use(port) for port in DEFAULT_PORTS) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not any(_in_use(port) for port in DEFAULT_PORTS), "a process outlived Ctrl-C"
