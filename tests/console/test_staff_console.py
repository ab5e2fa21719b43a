"""The staff console in a real browser (Debian's Chromium via Playwright) on the real web app.

Users and tickets are created directly in the app database the web app uses.
"""

from __future__ import annotations

import base64
import uuid

import httpx
import pytest
from playwright.sync_api import Page, expect

from jiesu.conversations import ConversationId
from jiesu.db import session_scope
from jiesu.staff.ratelimit import MAX_FAILURES
from jiesu.staff.roles import Role
from jiesu.tickets import AppealType, create_ticket
from jiesu.tickets.attachments import attach_pending, attachment_path, store_attachment
from tests.console.pages import act, log_in
from tests.factories import PASSWORD, staff_in, ticket_in
from tests.servers import RasaStack

pytestmark = pytest.mark.servers

XSS = "<script>alert(1)</script>"


def test_dispatch_accept_return_redispatch_reply_and_close(
    page: Page, web_url: str, rasa_stack: RasaStack
) -> None:
    dispatcher = staff_in(rasa_stack, Role.DISPATCHER)
    handler = staff_in(rasa_stack, Role.HANDLER, department="housing")
    number = ticket_in(rasa_stack, "小区楼道灯坏了一个月")

    log_in(page, web_url, dispatcher)
    expect(page.locator("h1").first).to_have_text("工单列表")
    page.goto(f"{web_url}/tickets?queue=dispatch")
    page.get_by_role("link", name=number).click()
    expect(page.locator(".phone")).to_have_text("13812345678")
    act(page, "dispatch", department="housing")
    expect(page.locator(".status")).to_have_text("派单")
    expect(page.locator(".department")).to_have_text("示例市住房和城乡建设局")
    page.click("button.link")  # 退出

    log_in(page, web_url, handler)
    page.goto(f"{web_url}/tickets/{number}")
    act(page, "return", note="不属于本单位职责")
    expect(page.locator(".history")).to_contain_text("不属于本单位职责")
    expect(page.locator("form.action")).to_have_count(0)
    page.click("button.link")

    log_in(page, web_url, dispatcher)
    page.goto(f"{web_url}/tickets/{number}")
    act(page, "dispatch", department="housing")
    page.click("button.link")

    log_in(page, web_url, handler)
    page.goto(f"{web_url}/tickets/{number}")
    act(page, "accept")
    act(page, "note", note="已联系物业维修")
    act(page, "reply", note="灯已修好")
    expect(page.locator(".history")).to_contain_text("已联系物业维修")
    page.click("button.link")

    log_in(page, web_url, dispatcher)
    page.goto(f"{web_url}/tickets/{number}")
    act(page, "close", note="居民确认已解决")
    expect(page.locator(".status")).to_have_text("办结")


def test_a_complaint_with_markup_renders_as_text_and_phones_are_masked(
    page: Page, web_url: str, rasa_stack: RasaStack, dialogs: list[str]
) -> None:
    supervisor = staff_in(rasa_stack, Role.SUPERVISOR)
    number = ticket_in(rasa_stack, XSS)
    log_in(page, web_url, supervisor)
    page.fill("input[name=q]", number)
    page.click("form.filters button")
    expect(page.locator(".summary")).to_have_text(XSS)
    page.get_by_role("link", name=number).click()
    expect(page.locator(".words")).to_have_text(XSS)
    expect(page.locator(".phone")).to_have_text("138****5678")
    expect(page.locator("form.action")).to_have_count(0)
    assert dialogs == []


def test_a_handler_cannot_open_another_departments_ticket(
    page: Page, web_url: str, rasa_stack: RasaStack
) -> None:
    handler = staff_in(rasa_stack, Role.HANDLER, department="housing")
    number = ticket_in(rasa_stack, "河道有异味", department="ecology")
    log_in(page, web_url, handler)
    expect(page.locator("h1").first).to_have_text("工单列表")
    expect(page.get_by_role("link", name=number)).to_have_count(0)
    response = page.goto(f"{web_url}/tickets/{number}")
    assert response is not None and response.status == 404


def test_a_post_without_the_csrf_token_is_refused(
    page: Page, web_url: str, rasa_stack: RasaStack
) -> None:
    dispatcher = staff_in(rasa_stack, Role.DISPATCHER)
    number = ticket_in(rasa_stack, "路灯不亮")
    log_in(page, web_url, dispatcher)
    expect(page.locator("h1").first).to_have_text("工单列表")
    forged = page.request.post(
        f"{web_url}/tickets/{number}/dispatch", form={"department": "housing"}
    )
    assert forged.status == 403
    bare = httpx.post(f"{web_url}/login", data={"username": dispatcher, "password": PASSWORD})
    assert bare.status_code == 403


def test_wrong_passwords_are_rate_limited(page: Page, web_url: str, rasa_stack: RasaStack) -> None:
    admin = staff_in(rasa_stack, Role.ADMIN)
    for _ in range(MAX_FAILURES):
        log_in(page, web_url, admin, "wrong password")
        expect(page.locator(".error")).to_have_text("用户名或密码错误。")
    log_in(page, web_url, admin)
    expect(page.locator(".error")).to_contain_text("登录失败次数过多")


def test_a_residents_photo_shows_on_the_ticket_only_to_those_who_may_see_it(
    page: Page, web_url: str, rasa_stack: RasaStack
) -> None:
    key = uuid.uuid4().hex
    png = base64.b64decode(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
    )
    with session_scope(rasa_stack.database_url) as session:
        photo = store_attachment(
            session,
            channel="telegram",
            source_message_id=key,
            sender_id=ConversationId.build("telegram", key),
            data=png,
            suffix=".png",
            content_type="image/png",
        )
        ticket, _ = create_ticket(
            session,
            channel="telegram",
            source_message_id=f"m-{key}",
            sender_id=ConversationId.build("telegram", key),
            appeal_type=AppealType.COMPLAIN,
            description="路灯杆被撞歪了",
            department="urban-management",
            actor="system",
        )
        attach_pending(session, ticket)
        number, photo_id, path = ticket.number, photo.id, attachment_path(photo)
    try:
        log_in(page, web_url, staff_in(rasa_stack, Role.SUPERVISOR))
        page.goto(f"{web_url}/tickets/{number}")
        expect(page.locator(".photos img")).to_have_count(1)
        response = page.goto(f"{web_url}/tickets/{number}/photos/{photo_id}")
        assert response is not None and response.status == 200 and response.body() == png
        page.goto(f"{web_url}/tickets")
        page.click("button.link")
        log_in(page, web_url, staff_in(rasa_stack, Role.HANDLER, department="housing"))
        response = page.goto(f"{web_url}/tickets/{number}/photos/{photo_id}")
        assert response is not None and response.status == 404
    finally:
        path.unlink(missing_ok=True)
