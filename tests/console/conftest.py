"""Debian's Chromium driven by Playwright, shared by the browser tests, and the helpers
that make staff users and tickets in the app database and log in."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

import pytest
from playwright.sync_api import Browser, Dialog, Page, sync_playwright

from jiesu.db import session_scope
from jiesu.staff.accounts import create_user
from jiesu.staff.roles import Role
from tests.factories import file_ticket
from tests.servers import RasaStack, WebApp, web_app_alone

PASSWORD = "console-pass-1"

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One Chromium per test module."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A page in a fresh browser context (no cookies)."""
    context = browser.new_context()
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def dialogs(page: Page) -> list[str]:
    """The messages of the dialogs (alert, confirm, prompt) `page` opens, each dismissed."""
    opened: list[str] = []

    def dismiss(dialog: Dialog) -> None:
        opened.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", dismiss)
    return opened


@pytest.fixture
def chat_page(browser: Browser, web_url: str) -> Iterator[Page]:
    """The resident web chat on a phone-sized screen, in a fresh browser context."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    page.goto(f"{web_url}/chat")
    yield page
    context.close()


@pytest.fixture(scope="module")
def web_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebApp]:
    """`jiesu web` alone, for console pages that need no conversation (no other test's
    tickets)."""
    with web_app_alone(tmp_path_factory.mktemp("web-app")) as web:
        yield web


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _user(
    stack: RasaStack | WebApp, role: Role, department: str | None = None, grids: Sequence[str] = ()
) -> str:
    """A new staff account with `PASSWORD`; its username."""
    name = _name(role.value)
    with session_scope(stack.database_url) as session:
        create_user(session, name, PASSWORD, role, department=department, grids=grids)
    return name


def _ticket(
    stack: RasaStack | WebApp,
    description: str,
    department: str | None = None,
    *,
    now: datetime | None = None,
    **fields: Any,
) -> str:
    """A new web-chat complaint with a phone number, filed `now`; its number."""
    values: dict[str, Any] = {"address": "建设路18号", "phone": "13812345678", **fields}
    with session_scope(stack.database_url) as session:
        return file_ticket(session, description, now, department=department, **values).number


def _log_in(page: Page, web_url: str, username: str, password: str = PASSWORD) -> None:
    page.goto(f"{web_url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")


def _act(page: Page, action: str, note: str | None = None, department: str | None = None) -> None:
    """Submit the ticket page's form for `action`, filled in."""
    form = page.locator(f"form[data-action={action}]")
    if department is not None:
        form.locator("select[name=department]").select_option(department)
    if note is not None:
        form.locator("textarea[name=note]").fill(note)
    form.locator("button[type=submit]").click()
