"""The web app over HTTP: health, console home, chat API and its bad input."""

from __future__ import annotations

import uuid

import httpx
import pytest

from jiesu.vocabulary import wording
from tests.web_resident import WebResident

pytestmark = pytest.mark.servers


def _post(web_url: str, text: str) -> httpx.Response:
    body = {"message_id": uuid.uuid4().hex, "text": text}
    return httpx.post(f"{web_url}/api/chat", json=body, timeout=30.0)


def test_health_and_console_home_in_chinese(web_url: str) -> None:
    assert httpx.get(f"{web_url}/healthz").json() == {"status": "ok"}
    home = httpx.get(web_url)
    assert home.status_code == 200
    assert "服务状态" in home.text
    assert home.text.count("正常") == 3


def test_chat_api_answers_a_greeting_without_repeating_the_pages_notice(web_url: str) -> None:
    response = _post(web_url, "您好")
    assert response.status_code == 200
    [answer] = response.json()["replies"]
    assert answer["text"] == wording("greeting", "again")
    assert "/complain" in [button["payload"] for button in answer["buttons"]]


def test_chat_api_retry_of_the_same_message_is_answered_identically(web_url: str) -> None:
    resident = WebResident(web_url)
    message_id = uuid.uuid4().hex
    first = resident.post("你是真人吗", message_id).json()
    assert resident.post("你是真人吗", message_id).json() == first


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b'{"message_id": "short", "text": "hi"}',
        b'{"message_id": "../../etc/passwd", "text": "hi"}',
        b'{"message_id": "abcdefgh1"}',
        b'{"message_id": "abcdefgh1", "text": "' + b"x" * 200_000 + b'"}',
        b"\xff\xfe\x00invalid utf-8",
    ],
)
def test_malformed_requests_get_a_4xx_and_the_server_stays_up(web_url: str, body: bytes) -> None:
    response = httpx.post(
        f"{web_url}/api/chat", content=body, headers={"Content-Type": "application/json"}
    )
    assert 400 <= response.status_code < 500
    assert httpx.get(f"{web_url}/healthz").status_code == 200
