"""Ticket handling and user management in a real browser (Debian's Chromium via Playwright):
re-dispatch, co-handling departments, category changes, resident notices, /users, error pages."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from jiesu.conversations import ConversationId
from jiesu.db import session_scope
from jiesu.outbox import OutboxMessage
from jiesu.staff.roles import Role
from jiesu.tickets import get_by_number
from jiesu.tickets.assignment import routing_feedback
from tests.console.pages import act, log_in
from tests.factories import PASSWORD, staff_in, ticket_in
from tests.servers import RasaStack

pytestmark = pytest.mark.servers


def _log_out(page: Page) -> None:
    page.click("button.link")
    expect(page.locator("h1")).to_have_text("工作人员登录")


def _outbox(stack: RasaStack, number: str) -> list[str]:
    with session_scope(stack.database_url) as session:
        ticket = get_by_number(session, number)
        assert ticket is not None
        chat_id = ConversationId.parse(ticket.sender_id).chat_id
        query = select(OutboxMessage.text).where(OutboxMessage.chat_id == chat_id)
        return list(session.scalars(query.order_by(OutboxMessage.id)))


def test_redispatch_and_a_co_handling_department(
    page: Page, web_url: str, rasa_stack: RasaStack
) -> None:
    dispatcher = staff_in(rasa_stack, Role.DISPATCHER)
    lead = staff_in(rasa_stack, Role.HANDLER, department="housing")
    helper = staff_in(rasa_stack, Role.HANDLER, department="urban-management")
    stranger = staff_in(rasa_stack, Role.HANDLER, department="ecology")
    number = ticket_in(rasa_stack, "小区门口违章搭建，占了消防通道")

    log_in(page, web_url, dispatcher)
    page.goto(f"{web_url}/tickets/{number}")
    act(page, "dispatch", department="ecology")
    act(page, "redispatch", department="housing", note="违章搭建属住建职责")
    expect(page.locator(".status")).to_have_text("派单")
    expect(page.locator(".department")).to_have_text("示例市住房和城乡建设局")
    expect(page.locator(".history .change").last).to_contain_text(
        f"staff:{dispatcher} 承办单位：示例市生态环境局 → "
        "示例市住房和城乡建设局（违章搭建属住建职责）"
    )
    _log_out(page)

    log_in(page, web_url, lead)
    page.goto(f"{web_url}/tickets/{number}")
    act(page, "co_handle", department="urban-management")
    expect(page.locator(".co-handlers")).to_have_text("示例市城市管理局")
    expect(page.locator(".history")).to_contain_text("增加协办单位：示例市城市管理局")
    _log_out(page)

    log_in(page, web_url, helper)
    expect(page.get_by_role("link", name=number)).to_have_count(1)
    page.get_by_role("link", name=number).click()
    expect(page.locator("form.action")).to_have_count(1)
    form = page.locator("form[data-action=note]")
    form.locator("textarea[name=note]").fill("城管已到场，责令三日内拆除")
    form.locator("input[name=tell_resident]").check()
    form.locator("button[type=submit]").click()
    expect(page.locator(".history .note")).to_contain_text("（已告知居民）")
    assert _outbox(rasa_stack, number)[-1] == f"工单 {number} 有新进展：城管已到场，责令三日内拆除"
    _log_out(page)

    log_in(page, web_url, stranger)
    expect(page.locator("h1").first).to_have_text("工单列表")
    response = page.goto(f"{web_url}/tickets/{number}")
    assert response is not None and response.status == 404
    expect(page.locator("h1")).to_have_text("页面不存在")
    expect(page.locator("main")).to_contain_text("工单不存在，或您无权查看。")


def test_a_category_change_stores_routing_feedback(
    page: Page, web_url: str, rasa_stack: RasaStack
) -> None:
    number = ticket_in(rasa_stack, "半夜工地施工太吵", category="城乡建设", subcategory="物业管理")
    log_in(page, web_url, staff_in(rasa_stack, Role.DISPATCHER))
    page.goto(f"{web_url}/tickets/{number}")
    form = page.locator("form[data-action=recategorize]")
    form.locator("select[name=category]").select_option("环境保护/噪声污染")
    form.locator("button[type=submit]").click()
    expect(page.locator(".fields")).to_contain_text("环境保护/噪声污染")
    expect(page.locator(".history")).to_contain_text("分类：城乡建设/物业管理 → 环境保护/噪声污染")
    with session_scope(rasa_stack.database_url) as session:
        rows = [
            (f.text, f.routed_category, f.category, f.subcategory)
            for f in routing_feedback(session)
            if f.text == "半夜工地施工太吵"
        ]
    assert rows == [("半夜工地施工太吵", "城乡建设", "环境保护", "噪声污染")]
    assert _outbox(rasa_stack, number) == []


def test_the_answer_is_sent_to_the_resident(
    page: Page, web_url: str, rasa_stack: RasaStack
) -> None:
    number = ticket_in(rasa_stack, "楼道灯坏了")
    log_in(page, web_url, staff_in(rasa_stack, Role.DISPATCHER))
    page.goto(f"{web_url}/tickets/{number}")
    act(page, "dispatch", department="housing")
    _log_out(page)
    log_in(page, web_url, staff_in(rasa_stack, Role.HANDLER, department="housing"))
    page.goto(f"{web_url}/tickets/{number}")
    act(page, "accept")
    act(page, "note", note="内部：已通知物业")
    act(page, "reply", note="楼道灯已更换，请您确认。")
    expect(page.locator(".status")).to_have_text("已答复")
    dispatched, answered = _outbox(rasa_stack, number)
    assert dispatched.startswith(f"工单 {number}：您的诉求已转交示例市住房和城乡建设局办理")
    assert answered == f"工单 {number} 已答复：\n楼道灯已更换，请您确认。"


def test_an_admin_manages_users_and_others_get_a_403_page(
    page: Page, web_url: str, rasa_stack: RasaStack
) -> None:
    admin = staff_in(rasa_stack, Role.ADMIN)
    newcomer = f"new-{admin[-8:]}"
    log_in(page, web_url, admin)
    page.get_by_role("link", name="用户管理").click()
    expect(page.locator("h1").first).to_have_text("用户管理")
    add = page.locator("#add-user")
    add.locator("input[name=username]").fill(newcomer)
    add.locator("select[name=role]").select_option("handler")
    add.locator("input[name=password]").fill("first-pass-1")
    add.locator("input[name=confirmation]").fill("first-pass-2")
    add.locator("button[type=submit]").click()
    expect(page.locator(".error")).to_have_text("两次输入的密码不一致。")
    add.locator("input[name=password]").fill("first-pass-1")
    add.locator("input[name=confirmation]").fill("first-pass-1")
    add.locator("button[type=submit]").click()
    expect(page.locator(".error")).to_have_text("承办人必须指定所属承办单位。")
    expect(add.locator("input[name=username]")).to_have_value(newcomer)
    add.locator("select[name=department]").select_option("housing")
    add.locator("input[name=password]").fill("first-pass-1")
    add.locator("input[name=confirmation]").fill("first-pass-1")
    add.locator("button[type=submit]").click()
    expect(page.locator(".notice")).to_have_text("账号已创建。")
    row = page.locator(f"tr[data-user='{newcomer}']")
    expect(row).to_contain_text("承办人")
    expect(row).to_contain_text("示例市住房和城乡建设局")
    _log_out(page)

    log_in(page, web_url, newcomer, "first-pass-1")
    expect(page.locator("h1").first).to_have_text("工单列表")
    expect(page.get_by_role("link", name="用户管理")).to_have_count(0)
    response = page.goto(f"{web_url}/users")
    assert response is not None and response.status == 403
    expect(page.locator("h1")).to_have_text("无权访问")
    expect(page.locator("main")).to_contain_text("只有管理员可以管理用户。")
    _log_out(page)

    log_in(page, web_url, admin)
    page.goto(f"{web_url}/users")
    row.locator("form[data-action=active] button").click()
    expect(page.locator(".notice")).to_contain_text("已停用")
    expect(row.locator(".state")).to_have_text("已停用")
    _log_out(page)
    log_in(page, web_url, newcomer, "first-pass-1")
    expect(page.locator(".error")).to_have_text("用户名或密码错误。")

    log_in(page, web_url, staff_in(rasa_stack, Role.DISPATCHER), PASSWORD)
    response = page.goto(f"{web_url}/users")
    assert response is not None and response.status == 403
    expect(page.locator("h1")).to_have_text("无权访问")


def test_error_pages_are_chinese_html_and_the_api_keeps_json(
    page: Page, web_url: str, rasa_stack: RasaStack
) -> None:
    response = page.goto(f"{web_url}/no-such-page")
    assert response is not None and response.status == 404
    assert response.headers["content-type"].startswith("text/html")
    expect(page.locator("h1")).to_have_text("页面不存在")
    expect(page.locator("main")).to_contain_text("您要找的页面不存在")
    page.goto(f"{web_url}/tickets")
    expect(page).to_have_url(f"{web_url}/login?next=/tickets")
    api = httpx.get(f"{web_url}/api/no-such-thing")
    assert api.status_code == 404 and api.json() == {"detail": "Not Found"}
