"""The web chat's conversation in a real browser (Chromium): the page never holds the
conversation id, 结束对话 starts a new conversation that shows nothing of the old one, and
an idle conversation ends by itself."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Request, expect
from sqlalchemy import select

from jiesu.db import session_scope
from jiesu.inbox import InboundMessage
from jiesu.outbox import enqueue
from tests.servers import RasaStack, web_app_alone

pytestmark = pytest.mark.servers

IDLE_SECONDS = 2


class Recorder:
    """Every request the page makes to the chat API."""

    def __init__(self, page: Page) -> None:
        self.requests: list[Request] = []
        page.on("request", self._seen)

    def _seen(self, request: Request) -> None:
        if "/api/chat" in request.url:
            self.requests.append(request)

    def last_message_id(self) -> str:
        posted = [r for r in self.requests if r.method == "POST" and r.url.endswith("/api/chat")]
        body = posted[-1].post_data_json
        assert isinstance(body, dict)
        message_id: str = body["message_id"]
        return message_id


def _send(page: Page, text: str) -> None:
    page.fill("#input", text)
    page.press("#input", "Enter")


def _chat_of(database_url: str, message_id: str) -> str:
    """The conversation the server recorded the message `message_id` under."""
    with session_scope(database_url) as session:
        return session.scalars(
            select(InboundMessage.chat_id).where(
                InboundMessage.channel == "web", InboundMessage.external_id == message_id
            )
        ).one()


def _queue(database_url: str, chat_id: str, text: str) -> None:
    with session_scope(database_url) as session:
        enqueue(session, "web", chat_id, text)


def _begin_a_complaint(page: Page, recorder: Recorder, database_url: str) -> str:
    """The resident starts an appeal; the conversation id the server gave the browser."""
    _send(page, "楼道灯坏了")
    expect(page.locator(".msg.bot .bubble").last).to_contain_text("具体在什么位置")
    return _chat_of(database_url, recorder.last_message_id())


def _shows_a_fresh_conversation(page: Page, notice: str) -> None:
    expect(page.locator(".msg.system .bubble").first).to_have_text(notice)
    expect(page.locator(".msg.bot .bubble").first).to_contain_text("个人信息告知")
    expect(page.locator(".msg.me .bubble", has_text="楼道灯坏了")).to_have_count(0)
    expect(page.locator(".bubble", has_text="具体在什么位置")).to_have_count(0)


def test_the_page_greets_and_never_holds_the_conversation_id(
    chat_page: Page, rasa_stack: RasaStack
) -> None:
    page = chat_page
    recorder = Recorder(page)
    expect(page.locator(".msg.bot .bubble").first).to_contain_text("个人信息告知")
    chat_id = _begin_a_complaint(page, recorder, rasa_stack.database_url)
    page.wait_for_timeout(3500)  # a poll or two
    [cookie] = [c for c in page.context.cookies() if c["name"] == "jiesu_chat"]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    assert "jiesu_chat" not in page.evaluate("document.cookie")
    assert chat_id not in str(page.evaluate("JSON.stringify(localStorage)"))
    polls = [r.url for r in recorder.requests if r.method == "GET"]
    assert polls and all("/api/chat/messages" in url and chat_id not in url for url in polls)
    posts = [r.post_data or "" for r in recorder.requests if r.method == "POST"]
    assert posts and all(chat_id not in body and "chat_id" not in body for body in posts)


def test_ending_the_conversation_starts_a_new_one_with_nothing_of_the_old(
    chat_page: Page, rasa_stack: RasaStack
) -> None:
    page = chat_page
    recorder = Recorder(page)
    old = _begin_a_complaint(page, recorder, rasa_stack.database_url)
    _queue(rasa_stack.database_url, old, "工作人员：请问您是几号楼？")
    expect(page.locator(".bubble", has_text="请问您是几号楼")).to_be_visible()

    page.get_by_role("button", name="结束对话").click()
    _shows_a_fresh_conversation(page, "对话已结束。如需继续咨询或反映问题，请直接输入。")
    _queue(rasa_stack.database_url, old, "工作人员：还在吗？")
    _send(page, "建设路18号")
    expect(page.locator(".msg.bot .bubble").last).not_to_contain_text("正在输入")
    assert _chat_of(rasa_stack.database_url, recorder.last_message_id()) != old
    page.wait_for_timeout(3500)  # a poll or two
    expect(page.locator(".bubble", has_text="还在吗")).to_have_count(0)
    expect(page.locator(".bubble", has_text="请问您是几号楼")).to_have_count(0)
    page.reload()  # and the browser cannot go back to it
    page.wait_for_timeout(3500)
    expect(page.locator(".bubble", has_text="还在吗")).to_have_count(0)


@pytest.fixture(scope="module")
def idle_web_url(rasa_stack: RasaStack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`jiesu web` in front of the real Rasa stack, ending conversations idle for
    `IDLE_SECONDS`."""
    env = {
        "JIESU_DATABASE_URL": rasa_stack.database_url,
        "JIESU_RASA_URL": rasa_stack.rasa_url,
        "JIESU_RASA_TOKEN": rasa_stack.token,
        "JIESU_CHAT_IDLE_HOURS": str(IDLE_SECONDS / 3600),
    }
    workdir: Path = tmp_path_factory.mktemp("idle-web")
    with web_app_alone(workdir, env) as web:
        yield web.url


def test_an_idle_conversation_ends_and_the_resident_starts_afresh(
    browser: Browser, idle_web_url: str, rasa_stack: RasaStack
) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    recorder = Recorder(page)
    page.goto(f"{idle_web_url}/chat")
    old = _begin_a_complaint(page, recorder, rasa_stack.database_url)
    time.sleep(IDLE_SECONDS + 1.5)
    _queue(rasa_stack.database_url, old, "工作人员：请问您是几号楼？")
    _send(page, "建设路18号")
    _shows_a_fresh_conversation(page, "由于长时间未操作，上一段对话已结束，已为您开始新的对话。")
    expect(page.locator(".msg.me .bubble")).to_have_text(["建设路18号"])
    expect(page.locator(".msg.bot .bubble").last).not_to_contain_text("正在输入")
    assert _chat_of(rasa_stack.database_url, recorder.last_message_id()) != old
    page.wait_for_timeout(3500)  # a poll or two
    expect(page.locator(".bubble", has_text="请问您是几号楼")).to_have_count(0)
    context.close()
