"""The alerts page (督办提醒) in a real browser: an overdue ticket's escalation, seen by a
supervisor and by its department's handler but not by another department's, and the
overdue counters."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from jiesu.db import session_scope
from jiesu.labels import department_name
from jiesu.models import utcnow
from jiesu.scheduler import sweep
from jiesu.staff.roles import Role
from jiesu.tickets import SYSTEM_ACTOR, Status, change_status, get_by_number
from tests.console.pages import log_in
from tests.factories import staff_in, ticket_in
from tests.servers import RasaStack

pytestmark = pytest.mark.servers


def test_alerts_show_an_overdue_ticket_to_those_concerned(
    page: Page, web_url: str, rasa_stack: RasaStack
) -> None:
    now = utcnow()
    number = ticket_in(
        rasa_stack,
        "河道里有人倾倒建筑垃圾",
        department="ecology",
        dispatch_due_at=now - timedelta(days=3),
        reply_due_at=now - timedelta(hours=1),
        now=now - timedelta(days=4),
    )
    with session_scope(rasa_stack.database_url) as session:
        ticket = get_by_number(session, number)
        assert ticket is not None
        change_status(session, ticket, Status.DISPATCHED, actor=SYSTEM_ACTOR)
        sweep(session, now)
    supervisor = staff_in(rasa_stack, Role.SUPERVISOR)
    own_handler = staff_in(rasa_stack, Role.HANDLER, department="ecology")
    other_handler = staff_in(rasa_stack, Role.HANDLER, department="housing")

    log_in(page, web_url, supervisor)
    page.goto(f"{web_url}/alerts")
    expect(page.locator("h1").first).to_have_text("督办提醒")
    row = page.locator("tr", has=page.get_by_role("link", name=number))
    expect(row).to_contain_text("超期督办")
    expect(row).to_contain_text("答复时限")
    expect(row.locator(".tag")).to_have_text("督办")
    expect(page.locator(".overdue-departments")).to_contain_text(department_name("ecology"))
    page.get_by_role("link", name=number).click()
    expect(page.locator("h1 .supervised")).to_have_text("督办")
    page.goto(f"{web_url}/tickets?q={number}")
    expect(page.locator("tr", has_text=number).locator(".supervised")).to_have_text("督办")
    page.click("button.link")

    log_in(page, web_url, own_handler)
    page.goto(f"{web_url}/alerts")
    expect(page.get_by_role("link", name=number)).to_be_visible()
    page.click("button.link")

    log_in(page, web_url, other_handler)
    page.goto(f"{web_url}/alerts")
    expect(page.locator("h1").first).to_have_text("督办提醒")
    expect(page.get_by_role("link", name=number)).to_have_count(0)
