"""Slow synchronous work (a password hash, the database) does not hold the web app's event
loop: a resident's message is answered while a login is being checked."""

from __future__ import annotations

import re
import threading
import time
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

import console.auth
from console.app import create_app
from jiesu.config import Settings
from jiesu.staff.models import StaffUser
from tests.servers import free_port

SLOW = 1.5  # seconds a login takes here


@pytest.fixture
def client(database_url: str) -> Iterator[TestClient]:
    settings = Settings(
        database_url=database_url,
        rasa_url=f"http://127.0.0.1:{free_port()}",
        secret_key="test-secret",
        rasa_timeout_seconds=2.0,
    )
    with TestClient(create_app(settings)) as client:
        yield client


def test_a_slow_login_does_not_delay_the_web_chat(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def slow_authenticate(session: Session, username: str, password: str) -> StaffUser | None:
        time.sleep(SLOW)  # what argon2 and a busy database cost, blocking
        return None

    monkeypatch.setattr(console.auth, "authenticate", slow_authenticate)
    page = client.get("/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None
    login = threading.Thread(
        target=lambda: client.post(
            "/login", data={"username": "boss", "password": "wrong", "csrf_token": token.group(1)}
        )
    )
    login.start()
    time.sleep(0.2)  # the login is being checked
    started = time.monotonic()
    answer = client.post(
        "/api/chat",
        json={"chat_id": uuid.uuid4().hex, "message_id": uuid.uuid4().hex, "text": "你好"},
    )
    took = time.monotonic() - started
    login.join()
    assert answer.status_code == 200 and answer.json()["replies"]  # told the assistant is busy
    assert took < SLOW / 2, f"the web chat waited {took:.2f} s for a login"
