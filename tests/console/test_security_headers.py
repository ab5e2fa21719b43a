"""Every response of the web app carries the security headers: a Content-Security-Policy
without inline script that no other site may frame, nosniff, a Referrer-Policy, and HSTS
when reached over HTTPS."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from console.app import create_app
from jiesu.config import Settings
from tests.servers import free_port

PATHS = [
    "/chat",
    "/login",
    "/healthz",
    "/static/chat.js",
    "/tickets",
    "/no-such-page",
    "/api/chat/messages",
]


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        rasa_url=f"http://127.0.0.1:{free_port()}",
        secret_key="test-secret",
    )


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings), follow_redirects=False) as client:
        yield client


def _policy(header: str) -> dict[str, list[str]]:
    return {
        name: values
        for name, *values in (
            directive.split() for directive in header.split(";") if directive.strip()
        )
    }


@pytest.mark.parametrize("path", PATHS)
def test_every_response_carries_the_security_headers(client: TestClient, path: str) -> None:
    headers = client.get(path).headers
    policy = _policy(headers["Content-Security-Policy"])
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]  # no inline script, no eval
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in headers  # plain HTTP: not promised


def test_hsts_over_https(settings: Settings) -> None:
    with TestClient(create_app(settings), base_url="https://testserver") as client:
        assert client.get("/login").headers["Strict-Transport-Security"] == ("max-age=31536000")
