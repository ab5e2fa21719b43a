"""An appeal the router is unsure of waits for a dispatcher, whose ticket page shows the
router's top three guesses (real routing, the real web app, Debian's Chromium)."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime

from playwright.sync_api import Page, expect

from jiesu.appeals.filing import Draft, assess, file_appeal
from jiesu.city import current_city
from jiesu.conversations import ConversationId
from jiesu.db import session_scope
from jiesu.staff.roles import Role
from jiesu.tickets import AppealType
from tests.console.pages import log_in
from tests.factories import staff_in
from tests.servers import WebApp


def test_the_dispatcher_sees_the_three_guesses_of_an_unsure_route(
    page: Page, web_app: WebApp
) -> None:
    draft = Draft(
        AppealType.COMPLAIN,
        "这个事情拖了很久一直没人处理，希望尽快解决",
        address="建设路18号",
        phone="13812345678",
    )
    assessment = assess(draft)
    assert assessment.route.needs_dispatcher
    with session_scope(web_app.database_url) as session:
        ticket, _ = file_appeal(
            session,
            draft,
            assessment,
            sender_id=ConversationId.build("web", uuid.uuid4().hex),
            source_message_id=uuid.uuid4().hex,
            now=datetime.now(UTC),
        )
        number = ticket.number

    log_in(page, web_app.url, staff_in(web_app, Role.DISPATCHER))
    page.goto(f"{web_app.url}/tickets/{number}")
    expect(page.locator(".department")).to_have_text(current_city().dispatch_center.name)
    filed = page.locator(".history li").first
    expect(filed).to_contain_text("智能分拨待人工确认")
    text = filed.inner_text()
    shown = re.findall(r"([\u4e00-\u9fff/]+) (\d+)%", text.partition("待人工确认")[2])
    assert [name.split("/")[0] for name, _ in shown] == [
        guess.category for guess in assessment.route.guesses
    ]
    assert len(shown) == 3
