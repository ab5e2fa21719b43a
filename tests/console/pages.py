"""What a staff member does in the console's pages, for the browser tests."""

from __future__ import annotations

from playwright.sync_api import Page

from tests.factories import PASSWORD


def log_in(page: Page, web_url: str, username: str, password: str = PASSWORD) -> None:
    page.goto(f"{web_url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")


def act(page: Page, action: str, note: str | None = None, department: str | None = None) -> None:
    """Submit the ticket page's form for `action`, filled in."""
    form = page.locator(f"form[data-action={action}]")
    if department is not None:
        form.locator("select[name=department]").select_option(department)
    if note is not None:
        form.locator("textarea[name=note]").fill(note)
    form.locator("button[type=submit]").click()
