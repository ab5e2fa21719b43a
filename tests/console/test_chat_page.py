"""The resident web chat in a real browser (Debian's Chromium driven by Playwright)."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import Page, Route, expect

from jiesu.vocabulary import gateway_text

pytestmark = pytest.mark.servers


@pytest.fixture
def page(chat_page: Page) -> Page:
    return chat_page


def _send(page: Page, text: str) -> None:
    page.fill("#input", text)
    page.press("#input", "Enter")


def test_greeting_and_buttons_render_and_a_button_sends_its_payload(page: Page) -> None:
    expect(page.locator("h1")).to_have_text("接诉 · 在线咨询与诉求")
    _send(page, "你好")
    expect(page.locator(".msg.bot .bubble").first).to_contain_text("个人信息告知")
    button = page.get_by_role("button", name="政策咨询")
    expect(button).to_be_visible()
    button.click()
    expect(page.locator(".msg.me .bubble").last).to_have_text("政策咨询")
    expect(page.locator(".msg.bot .bubble").last).to_contain_text("想咨询的问题")
    _send(page, "办居住证要带什么材料")
    expect(page.locator(".msg.bot .bubble", has_text="承办部门")).to_be_visible()
    expect(page.get_by_role("button", name="有帮助", exact=True)).to_be_visible()


def test_markup_typed_by_a_resident_is_shown_as_text(page: Page, dialogs: list[str]) -> None:
    hostile = "<img src=x onerror=alert(1)><script>alert(2)</script>"
    _send(page, hostile)
    expect(page.locator(".msg.me .bubble").last).to_have_text(hostile)
    expect(page.locator(".msg.bot .bubble:not(:has-text('正在输入'))").last).not_to_be_empty()
    assert page.locator(".msg img").count() == 0
    assert dialogs == []


def test_the_conversation_survives_a_reload(page: Page) -> None:
    _send(page, "楼道灯坏了")
    expect(page.locator(".msg.bot .bubble").last).to_contain_text("具体在什么位置")
    page.reload()
    _send(page, "建设路18号")  # the form goes on: the same conversation
    expect(page.locator(".msg.bot .bubble").last).to_contain_text("电话")


def test_a_refused_message_shows_the_servers_reason_and_a_failure_offers_a_retry(
    page: Page,
) -> None:
    detail = gateway_text("address_too_fast")

    def refuse(route: Route) -> None:  # what the per-address limit answers
        route.fulfill(
            status=429,
            headers={"Retry-After": "42"},
            content_type="application/json",
            body=json.dumps({"detail": detail}),
        )

    page.route("**/api/chat", refuse)
    _send(page, "路灯坏了")
    expect(page.locator(".msg.bot .bubble").last).to_have_text(detail)
    expect(page.locator(".msg.pending")).to_have_count(0)
    expect(page.get_by_role("button", name="重新发送")).to_have_count(0)  # it would not help

    page.unroute("**/api/chat")
    page.route("**/api/chat", lambda route: route.fulfill(status=502, body="Bad Gateway"))
    _send(page, "路灯坏了")
    expect(page.locator(".msg.system .bubble").last).to_have_text("网络异常，消息未送达。")
    expect(page.get_by_role("button", name="重新发送")).to_be_visible()


def test_a_resident_types_a_terse_complaint_and_a_buttons_label(page: Page) -> None:
    """ "楼道灯坏了" opens the appeal form at the place question; "有帮助" typed after a
    policy answer is feedback, as the button would be."""
    _send(page, "楼道灯坏了")
    expect(page.locator(".msg.bot .bubble").last).to_contain_text("具体在什么位置")
    _send(page, "不办了")
    expect(page.locator(".msg.bot .bubble").last).to_contain_text("已取消")
    _send(page, "办居住证要带什么材料")
    expect(page.get_by_role("button", name="有帮助", exact=True)).to_be_visible()
    _send(page, "有帮助")
    expect(page.locator(".msg.bot .bubble").last).to_contain_text("感谢您的反馈")
