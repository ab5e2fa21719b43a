"""Every console route behind the login, every state change behind the CSRF token, and the
session cookie's flags: walked over the app's own route table, so a new route is covered."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from http.cookies import SimpleCookie

import httpx
import pytest
from starlette.routing import BaseRoute, Mount, Route
from starlette.testclient import TestClient

from console.app import create_app
from jiesu.config import Settings
from jiesu.db import session_scope
from jiesu.staff.accounts import create_user
from jiesu.staff.roles import Role
from tests.servers import free_port

PASSWORD = "route-auth-pass-1"

# Reachable without logging in: the landing page, the login form, the resident web chat
# and its JSON API, static files and the health check; and WeChat's endpoint, which takes
# only calls signed with the account's token (tests/wechat/test_endpoint.py).
PUBLIC_PATHS = {"/", "/login", "/chat", "/healthz"}
PUBLIC_PREFIXES = ("/api/chat", "/static", "/wechat")
STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}


def _settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        rasa_url=f"http://127.0.0.1:{free_port()}",
        secret_key="route-auth-test-key",
    )


def _leaves(routes: Sequence[BaseRoute], prefix: str = "") -> Iterator[tuple[str, BaseRoute]]:
    """Every route with its full path, through FastAPI's included routers."""
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            inner_prefix = prefix + (route.include_context.prefix or "")  # type: ignore[attr-defined]
            yield from _leaves(included.routes, inner_prefix)
        else:
            yield prefix + route.path, route  # type: ignore[attr-defined]


def _routes(database_url: str) -> list[tuple[str, str]]:
    """(method, concrete path) for every route of the app; path parameters filled in."""
    found = []
    for path, route in _leaves(create_app(_settings(database_url)).routes):
        if isinstance(route, Mount):
            found.append(("GET", f"{path}/anything"))
            continue
        assert isinstance(route, Route), f"unexpected route type {route!r}"
        assert route.methods is not None
        concrete = re.sub(r"\{[^}]+\}", "1", path)
        found.extend((method, concrete) for method in sorted(route.methods))
    return found


def _is_public(path: str) -> bool:
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)


@pytest.fixture
def client(database_url: str) -> Iterator[TestClient]:
    with TestClient(create_app(_settings(database_url)), follow_redirects=False) as client:
        yield client


def _log_in(client: TestClient, database_url: str) -> httpx.Response:
    with session_scope(database_url) as session:
        create_user(session, "route-admin", PASSWORD, Role.ADMIN)
    form = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token is not None
    done = client.post(
        "/login",
        data={
            "username": "route-admin",
            "password": PASSWORD,
            "csrf_token": token.group(1),
        },
    )
    assert done.status_code == 303, done.text
    return done


def test_the_walk_sees_the_console(database_url: str) -> None:
    """Guards the walk itself: it must find the routes it is meant to check."""
    paths = {path for _, path in _routes(database_url)}
    assert {"/tickets", "/users", "/handoffs", "/tickets/1/1", "/static/anything"} <= paths
    assert "/openapi.json" not in paths  # the API description is not published


def test_every_non_public_route_sends_strangers_to_the_login(
    client: TestClient, database_url: str
) -> None:
    refused = []
    for method, path in _routes(database_url):
        if _is_public(path):
            continue
        response = client.request(method, path)
        to_login = response.status_code == 303 and response.headers["location"].startswith("/login")
        if not (to_login or response.status_code in (401, 403)):
            refused.append(f"{method} {path} → {response.status_code}")
    assert not refused, "reachable without logging in:\n" + "\n".join(refused)


def test_every_state_change_needs_the_csrf_token(client: TestClient, database_url: str) -> None:
    _log_in(client, database_url)
    assert client.get("/tickets").status_code == 200
    accepted = []
    for method, path in _routes(database_url):
        if method not in STATE_CHANGING or path.startswith(("/api/chat", "/wechat")):
            continue
        response = client.request(method, path, data={"text": "x", "sender_id": "web:abc"})
        if response.status_code != 403:
            accepted.append(f"{method} {path} → {response.status_code}")
    assert not accepted, "state change without the CSRF token:\n" + "\n".join(accepted)


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_session_cookie_flags(database_url: str, scheme: str) -> None:
    app = create_app(_settings(database_url))
    with TestClient(app, base_url=f"{scheme}://testserver", follow_redirects=False) as client:
        login_csrf = SimpleCookie(client.get("/login").headers["set-cookie"])
        session = SimpleCookie(_log_in(client, database_url).headers["set-cookie"])
    for cookie in (login_csrf["jiesu_login_csrf"], session["jiesu_session"]):
        assert cookie["httponly"] is True
        assert cookie["samesite"].lower() == "lax"
        assert bool(cookie["secure"]) is (scheme == "https")
