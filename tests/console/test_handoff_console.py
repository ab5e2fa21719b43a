"""The handoff inbox in a real browser: a resident on the web chat page asks for a person,
a dispatcher answers from the console, and hands the conversation back."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from jiesu.staff.roles import Role
from tests.console.pages import log_in
from tests.factories import staff_in
from tests.servers import RasaStack

pytestmark = pytest.mark.servers

LIVE = 15_000  # ms: the pages poll every 3 s


@pytest.fixture
def staff(page: Page) -> Page:
    """The staff member's browser page (a context of its own)."""
    return page


@pytest.fixture
def resident(chat_page: Page) -> Page:
    """The resident's web chat page."""
    return chat_page


def _send(page: Page, text: str) -> None:
    page.fill("#input", text)
    page.press("#input", "Enter")
    expect(page.locator(".msg.me .bubble").last).to_have_text(text)


BOT = ".msg.bot .bubble:not(:has-text('正在输入'))"


def test_a_resident_asks_for_a_person_who_replies_live_and_hands_back(
    staff: Page, resident: Page, web_url: str, rasa_stack: RasaStack
) -> None:
    _send(resident, "我要转人工")
    expect(resident.locator(BOT).last).to_contain_text("分钟内回复")
    _send(resident, "楼下饭店油烟很大，<b>受不了</b>")

    log_in(staff, web_url, staff_in(rasa_stack, Role.DISPATCHER))
    staff.goto(f"{web_url}/handoffs")
    row = staff.locator("tr.waiting").filter(has_text="居民要求").last
    row.get_by_role("link").click()
    transcript = staff.locator("#transcript")
    expect(transcript).to_contain_text("楼下饭店油烟很大，<b>受不了</b>")

    staff.select_option("#canned", index=1)
    expect(staff.locator("#reply-text")).to_have_value("您好，我是工作人员，请问有什么可以帮您？")
    staff.fill("#reply-text", "您好，请问是哪个小区哪家饭店？")
    staff.get_by_role("button", name="发送").click()
    expect(staff.locator(".claimed-by")).not_to_have_text("待认领")
    expect(resident.locator(".msg.bot .bubble").last).to_have_text(
        "您好，请问是哪个小区哪家饭店？", timeout=LIVE
    )

    _send(resident, "幸福里小区的老王饭店")
    expect(transcript).to_contain_text("幸福里小区的老王饭店", timeout=LIVE)

    staff.fill("textarea[placeholder^='备注']", "居民情绪平稳，需派环保")
    staff.get_by_role("button", name="添加备注").click()
    expect(staff.locator(".note")).to_contain_text("需派环保")

    staff.get_by_role("button", name="交还智能助手").click()
    expect(staff.locator(".status")).to_have_text("已交还助手")
    expect(resident.locator(".msg.bot .bubble").last).to_contain_text(
        "智能助手继续为您服务", timeout=LIVE
    )
    _send(resident, "你是机器人吗")
    expect(resident.locator(BOT).last).to_contain_text("不是真人")


def test_staff_take_over_a_live_conversation_from_the_list(
    staff: Page, resident: Page, web_url: str, rasa_stack: RasaStack
) -> None:
    _send(resident, "请问公租房怎么申请")
    expect(resident.locator(BOT).last).not_to_be_empty()
    log_in(staff, web_url, staff_in(rasa_stack, Role.DISPATCHER))
    staff.goto(f"{web_url}/handoffs")
    live = staff.locator("table.live tr").filter(has_text="请问公租房怎么申请").first
    live.get_by_role("button", name="接管").click()
    expect(staff.locator(".status")).to_have_text("接待中")
    expect(resident.locator(".msg.bot .bubble").last).to_contain_text(
        "工作人员已加入对话", timeout=LIVE
    )


def test_handlers_cannot_open_the_inbox(staff: Page, web_url: str, rasa_stack: RasaStack) -> None:
    log_in(staff, web_url, staff_in(rasa_stack, Role.HANDLER, department="housing"))
    response = staff.goto(f"{web_url}/handoffs")
    assert response is not None and response.status == 403
