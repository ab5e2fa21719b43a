"""The web chat's conversation id is issued by the server in a signed HttpOnly cookie: the
API takes no id from the client (not in the body, not in the URL), a forged or stale
cookie reads nothing, 结束对话 starts a new conversation, and an idle one expires."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from http.cookies import SimpleCookie

import httpx
import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from jiesu.config import get_settings
from jiesu.conversations import ConversationId
from jiesu.db import session_scope
from jiesu.handoff import service
from jiesu.handoff.desk import RESIDENT_ENDED
from jiesu.handoff.models import HandoffReason, HandoffStatus
from jiesu.inbox import InboundMessage
from jiesu.outbox import enqueue
from jiesu.vocabulary import gateway_text
from tests.security.console import web_app

COOKIE = "jiesu_chat"


@pytest.fixture
def app(database_url: str) -> Iterator[TestClient]:
    """The web app without Rasa: each message is recorded and kept, and answered "busy"."""
    with web_app(database_url) as client:
        yield client


def _browser(app: TestClient) -> TestClient:
    """Another browser on the same app: its own cookie jar."""
    return TestClient(app.app)


def _say(client: TestClient, text: str, **extra: str) -> httpx.Response:
    response = client.post(
        "/api/chat", json={"message_id": uuid.uuid4().hex, "text": text, **extra}
    )
    assert response.status_code == 200, response.text
    return response


def _chat_of(database_url: str, text: str) -> str:
    """The conversation id the server recorded `text` under."""
    with session_scope(database_url) as session:
        return session.scalars(
            select(InboundMessage.chat_id).where(InboundMessage.text == text)
        ).one()


def _queue(database_url: str, chat_id: str, text: str) -> None:
    with session_scope(database_url) as session:
        enqueue(session, "web", chat_id, text)


def _notices(client: TestClient) -> list[str]:
    response = client.get("/api/chat/messages")
    assert response.status_code == 200
    return [message["text"] for message in response.json()["messages"]]


def test_the_server_issues_the_id_in_a_signed_httponly_cookie(app: TestClient) -> None:
    page = app.get("/chat")
    header = page.headers["set-cookie"]
    cookie = SimpleCookie(header)[COOKIE]
    assert cookie["httponly"] and cookie["samesite"].lower() == "lax"
    assert cookie["path"] == "/" and not cookie["secure"]  # plain HTTP here
    assert "." in cookie.value  # signed
    with TestClient(app.app, base_url="https://testserver") as secure:
        assert SimpleCookie(secure.get("/chat").headers["set-cookie"])[COOKIE]["secure"]


def test_an_id_in_the_body_is_ignored_and_conversations_are_apart(
    app: TestClient, database_url: str
) -> None:
    chosen = uuid.uuid4().hex
    _say(app, "第一位居民的话", chat_id=chosen)
    intruder = _browser(app)
    _say(intruder, "第二位居民的话", chat_id=chosen)
    mine = _chat_of(database_url, "第一位居民的话")
    theirs = _chat_of(database_url, "第二位居民的话")
    assert chosen not in (mine, theirs) and mine != theirs
    _say(app, "第一位居民又说")
    assert _chat_of(database_url, "第一位居民又说") == mine  # the cookie holds it


def test_polling_reads_only_the_cookies_conversation_and_no_id_in_the_url(
    app: TestClient, database_url: str
) -> None:
    _say(app, "等工作人员回复")
    chat_id = _chat_of(database_url, "等工作人员回复")
    _queue(database_url, chat_id, "工作人员：您好，已收到。")
    stranger = _browser(app)
    assert _notices(stranger) == []
    assert stranger.get(f"/api/chat/{chat_id}/messages").status_code == 404  # the old door
    forged = _browser(app)
    forged.cookies.set(COOKIE, chat_id)  # the bare id, unsigned
    assert _notices(forged) == []
    other_key = web_app(database_url, secret_key="other")
    other_key.get("/chat")
    forged.cookies.set(COOKIE, other_key.cookies[COOKIE])  # signed with another key
    assert _notices(forged) == []
    assert _notices(app) == ["工作人员：您好，已收到。"]


def test_ending_the_conversation_starts_a_new_one_that_reads_nothing_of_the_old(
    app: TestClient, database_url: str
) -> None:
    _say(app, "旧对话里的话")
    old = _chat_of(database_url, "旧对话里的话")
    assert (
        app.post(
            "/api/chat/end",
            content=b"",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        ).status_code
        == 415
    )  # a form
    ended = app.post("/api/chat/end", json={})
    assert ended.status_code == 200
    _queue(database_url, old, "给旧对话的通知")
    assert _notices(app) == []
    _say(app, "新对话里的话")
    assert _chat_of(database_url, "新对话里的话") != old


def test_an_idle_conversation_expires(database_url: str) -> None:
    with web_app(database_url, chat_idle_hours=1 / 3600) as app:  # one second idle
        first = _say(app, "很久以前说的话")
        assert first.json()["restarted"] is False
        old = _chat_of(database_url, "很久以前说的话")
        _queue(database_url, old, "给过期对话的通知")
        time.sleep(2.5)
        assert _notices(app) == []
        later = _say(app, "过了很久又说")
        assert later.json()["restarted"] is True
        assert _chat_of(database_url, "过了很久又说") != old


def test_another_sites_form_cannot_post_into_the_conversation(
    app: TestClient, database_url: str
) -> None:
    """The cookie now says whose message it is, so a cross-site form (which can send
    text/plain but not JSON without a preflight this app never allows) must be refused."""
    app.get("/chat")
    body = b'{"message_id": "abcdefgh1", "text": "\xe4\xbc\xaa\xe9\x80\xa0"}'
    forged = app.post("/api/chat", content=body, headers={"Content-Type": "text/plain"})
    assert forged.status_code == 422
    with session_scope(database_url) as session:
        assert session.scalars(select(InboundMessage)).first() is None
    preflight = app.options(
        "/api/chat",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert "access-control-allow-origin" not in preflight.headers


def test_the_per_conversation_limit_holds_for_a_browser_keeping_its_cookie(
    app: TestClient,
) -> None:
    limit = get_settings().rate_limit_messages
    texts = [_reply_text(_say(app, f"第{n}条")) for n in range(limit + 1)]
    assert gateway_text("slow_down") not in texts[:limit]
    assert texts[limit] == gateway_text("slow_down")
    assert _reply_text(_say(_browser(app), "另一位居民")) != gateway_text("slow_down")


def _reply_text(response: httpx.Response) -> str:
    return "\n".join(reply.get("text", "") for reply in response.json()["replies"])


def test_a_copy_of_an_ended_conversations_cookie_reads_and_writes_nothing(
    app: TestClient, database_url: str
) -> None:
    _say(app, "结束前说的话")
    old = _chat_of(database_url, "结束前说的话")
    copy = _browser(app)
    copy.cookies.set(COOKIE, app.cookies[COOKIE])  # taken before the resident ended it
    assert app.post("/api/chat/end", json={}).status_code == 200
    _queue(database_url, old, "给已结束对话的通知")
    assert _notices(copy) == []
    later = _say(copy, "用旧凭证又说")
    assert later.json()["restarted"] is True
    assert _chat_of(database_url, "用旧凭证又说") != old


def test_ending_the_conversation_closes_its_open_handoff(
    app: TestClient, database_url: str
) -> None:
    _say(app, "我要找人工")
    sender = ConversationId.build("web", _chat_of(database_url, "我要找人工"))
    with session_scope(database_url) as session:
        handoff, _ = service.open_handoff(
            session, sender, HandoffReason.REQUESTED, now=datetime.now(UTC)
        )
        handoff_id = handoff.id
    assert app.post("/api/chat/end", json={}).status_code == 200  # Rasa is down here
    with session_scope(database_url) as session:
        ended = service.get(session, handoff_id)
        assert ended.status == HandoffStatus.CLOSED and ended.closed_by == RESIDENT_ENDED
        assert service.current(session, sender) is None
