"""The 未送达消息 page in a real browser: a notice that cannot reach its resident is listed
with its reason for the desk and supervisors, escaped; other roles are refused."""

from __future__ import annotations

import uuid

from playwright.sync_api import Page, expect

from jiesu.conversations import ConversationId
from jiesu.db import session_scope
from jiesu.outbox import mark_unreachable, notify
from jiesu.staff.roles import Role
from tests.console.pages import log_in
from tests.factories import staff_in
from tests.servers import WebApp

HOSTILE = "<script>alert('未送达')</script>"


def _unreachable(web_app: WebApp, reason: str) -> str:
    """A WeChat notice marked unreachable with `reason`; its resident's chat id."""
    chat_id = "o" + uuid.uuid4().hex
    with session_scope(web_app.database_url) as session:
        message = notify(session, ConversationId.build("wechat", chat_id), f"工单已办结 {HOSTILE}")
        assert message is not None
        mark_unreachable(session, message.id, reason)
    return chat_id


def test_the_desk_sees_what_will_not_reach_a_resident_and_why(
    page: Page, web_app: WebApp, dialogs: list[str]
) -> None:
    chat_id = _unreachable(web_app, "超出48小时互动窗口，且未配置工单通知模板")
    log_in(page, web_app.url, staff_in(web_app, Role.DISPATCHER))
    page.goto(f"{web_app.url}/undelivered")
    row = page.locator("table.undelivered tr", has_text=chat_id)
    expect(row).to_contain_text("微信")
    expect(row).to_contain_text("无法送达")
    expect(row.locator("td.reason")).to_have_text("超出48小时互动窗口，且未配置工单通知模板")
    expect(row).to_contain_text(HOSTILE)
    page.locator("form.filters select[name=days]").select_option("30")
    page.locator("form.filters button[type=submit]").click()
    expect(page).to_have_url(f"{web_app.url}/undelivered?days=30")
    expect(page.locator("table.undelivered tr", has_text=chat_id)).to_have_count(1)
    assert dialogs == []


def test_a_supervisor_reads_the_page_and_a_handler_is_refused(page: Page, web_app: WebApp) -> None:
    chat_id = _unreachable(web_app, "居民已取消关注")
    log_in(page, web_app.url, staff_in(web_app, Role.SUPERVISOR))
    page.goto(f"{web_app.url}/undelivered")
    expect(page.locator("table.undelivered tr", has_text=chat_id)).to_contain_text("居民已取消关注")
    page.context.clear_cookies()
    log_in(page, web_app.url, staff_in(web_app, Role.HANDLER, department="housing"))
    response = page.goto(f"{web_app.url}/undelivered")
    assert response is not None and response.status == 403
