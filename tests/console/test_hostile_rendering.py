"""A ticket whose description is hostile text is shown to staff as that text: no template
evaluated, no markup run, on the list and on the ticket page."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from jiesu.staff.roles import Role
from tests.console.pages import log_in
from tests.factories import staff_in, ticket_in
from tests.servers import WebApp

HOSTILE = (
    "{{7*7}} ${7*7} {% raw %} <script>window.pwned = 1</script>"
    '<img src=x onerror="window.pwned = 2"> \u202e反转文字'
)


def test_hostile_description_renders_as_text(
    page: Page, web_app: WebApp, dialogs: list[str]
) -> None:
    number = ticket_in(web_app, HOSTILE)
    log_in(page, web_app.url, staff_in(web_app, Role.ADMIN))
    for path in (f"/tickets/{number}", "/tickets"):
        page.goto(f"{web_app.url}{path}")
        expect(page.get_by_text("{{7*7}} ${7*7} {% raw %} <script>").first).to_be_visible()
        assert page.locator("img[src=x]").count() == 0
        assert page.evaluate("window.pwned") is None
    assert dialogs == []
