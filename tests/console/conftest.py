"""Debian's Chromium driven by Playwright, shared by the browser tests (their helpers are
tests/console/pages.py and tests/factories.py)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Dialog, Page, sync_playwright

from tests.servers import WebApp, web_app_alone

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
