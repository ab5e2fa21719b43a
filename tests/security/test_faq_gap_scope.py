"""FAQ-gap questions (问答缺口) are residents' own words and are scoped like tickets: the
roles that see every ticket read them all; a handler or a grid worker, who sees only
their department's or grids' tickets, reads none (the questions belong to neither)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from jiesu.db import session_scope
from jiesu.faq.records import record_unanswered
from jiesu.faq.retrieval import SearchResult
from jiesu.staff.models import StaffUser
from jiesu.staff.permissions import Capability, Scope, can, scope_of
from jiesu.staff.roles import Role
from tests.security.console import log_in, web_app

PAGES = ("/faq/gaps", "/exports/faq-gaps.csv", "/exports/faq-gaps.xlsx")
SEE_ALL = sorted(r for r in Role if scope_of(StaffUser(username="x", role=r)) is Scope.ALL)
SCOPED: dict[Role, dict[str, Any]] = {
    Role.HANDLER: {"department": "housing"},
    Role.GRID_WORKER: {"grids": ["hubin-sq-1"]},
}


@pytest.fixture
def console(database_url: str) -> Iterator[TestClient]:
    with web_app(database_url) as client:
        yield client


@pytest.fixture
def asked(database_url: str) -> str:
    """An unanswered question with a resident's details in it."""
    question = f"我住幸福路5号，{uuid.uuid4().hex[:6]}补贴怎么领"
    with session_scope(database_url) as session:
        record_unanswered(session, "web:resident", question, SearchResult(answered=False))
    return question


@pytest.mark.parametrize("role", SEE_ALL)
def test_roles_that_see_every_ticket_read_every_gap(
    console: TestClient, database_url: str, asked: str, role: Role
) -> None:
    log_in(console, database_url, role)
    page = console.get("/faq/gaps")
    assert page.status_code == 200 and asked in page.text
    assert asked in console.get("/exports/faq-gaps.csv").content.decode("utf-8-sig")


@pytest.mark.parametrize("role", sorted(SCOPED))
def test_handlers_and_grid_workers_read_no_gap(
    console: TestClient, database_url: str, asked: str, role: Role
) -> None:
    log_in(console, database_url, role, **SCOPED[role])
    for path in PAGES:
        response = console.get(path)
        assert response.status_code == 403, path
        assert asked not in response.content.decode("utf-8", "replace")
    assert "您无权查看问答缺口" in console.get("/faq/gaps").text


def test_the_rule_follows_the_ticket_scopes() -> None:
    for role in Role:
        assert can(StaffUser(username="x", role=role), Capability.READ_FAQ_GAPS) is (
            role in SEE_ALL
        )
