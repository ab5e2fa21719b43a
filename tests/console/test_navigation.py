"""The console's menu shows each signed-in staff member the pages their role may open, and
every page it shows opens (a real browser on the web app alone)."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from jiesu.staff.roles import Role
from tests.console.pages import log_in
from tests.factories import staff_in
from tests.servers import WebApp

EVERYONE = ["工单", "派单队列", "督办提醒", "统计督办", "热点问题"]
READERS = ["人工接管", *EVERYONE, "问答缺口", "未送达消息"]
MENUS: dict[Role, list[str]] = {
    Role.ADMIN: [*READERS, "用户管理"],
    Role.DISPATCHER: READERS,
    Role.SUPERVISOR: READERS,
    Role.HANDLER: EVERYONE,
    Role.GRID_WORKER: EVERYONE,
}
BINDINGS: dict[Role, dict[str, Any]] = {
    Role.HANDLER: {"department": "housing"},
    Role.GRID_WORKER: {"grids": ["hubin-sq-1"]},
}


@pytest.mark.parametrize("role", list(Role))
def test_the_menu_shows_only_the_pages_the_user_may_open(
    page: Page, web_app: WebApp, role: Role
) -> None:
    log_in(page, web_app.url, staff_in(web_app, role, **BINDINGS.get(role, {})))
    links = page.locator("header nav a")
    expect(links).to_have_text(MENUS[role])
    targets = [links.nth(i).get_attribute("href") for i in range(links.count())]
    for target in targets:
        response = page.goto(f"{web_app.url}{target}")
        assert response is not None and response.status == 200, target
