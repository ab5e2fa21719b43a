"""The per-address limit of the web chat API: one address rotating conversation ids (which
escapes the gateway's per-conversation limit) is refused with a 429 in Chinese, and nothing
of a refused message is recorded."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from jiesu.db import session_scope
from jiesu.http_limits import AddressRateLimit
from jiesu.inbox import InboundMessage
from jiesu.vocabulary import gateway_text
from tests.servers import WebApp, web_app_alone

CHAT = ("POST", "/api/chat")
FLOODER, NEIGHBOUR = "203.0.113.7", "198.51.100.20"

# --- the middleware alone, in front of a tiny app, on a clock the test moves -----------------


class Clock:
    """A monotonic clock that moves only when told."""

    def __init__(self) -> None:
        self.time = 1000.0

    def __call__(self) -> float:
        return self.time


@dataclass
class Limited:
    """The tiny app behind the limit, and what reached it."""

    limit: AddressRateLimit
    clock: Clock
    reached: list[str]

    def request(self, host: str, method: str = "POST", path: str = "/api/chat") -> httpx.Response:
        return TestClient(self.limit, client=(host, 50000)).request(method, path)


def _limited(max_requests: int = 3, window_seconds: float = 60.0) -> Limited:
    reached: list[str] = []

    async def endpoint(request: Request) -> PlainTextResponse:
        assert request.client is not None
        reached.append(f"{request.method} {request.url.path} {request.client.host}")
        return PlainTextResponse("ok")

    app = Starlette(
        routes=[
            Route("/api/chat", endpoint, methods=["GET", "POST"]),
            Route("/api/chat/{chat_id}/messages", endpoint),
            Route("/other", endpoint, methods=["POST"]),
        ]
    )
    clock = Clock()
    limit = AddressRateLimit(app, max_requests, window_seconds, routes=[CHAT], now=clock)
    return Limited(limit, clock, reached)


def _assert_refused(response: httpx.Response, retry_after: int) -> None:
    assert response.status_code == 429
    assert response.json() == {"detail": gateway_text("address_too_fast")}
    assert response.headers["Retry-After"] == str(retry_after)


def test_under_the_limit_passes_and_over_it_is_refused_before_the_app() -> None:
    limited = _limited(max_requests=3)
    for _ in range(3):
        assert limited.request(FLOODER).status_code == 200
        limited.clock.time += 5
    _assert_refused(limited.request(FLOODER), retry_after=60 - 15)
    assert len(limited.reached) == 3  # the refused request never reached the app


def test_other_paths_and_methods_are_not_counted() -> None:
    limited = _limited(max_requests=2)
    for _ in range(5):
        assert limited.request(FLOODER, "GET", "/api/chat/abcdefgh1/messages").status_code == 200
        assert limited.request(FLOODER, "GET", "/api/chat").status_code == 200
        assert limited.request(FLOODER, "POST", "/other").status_code == 200
    assert [limited.request(FLOODER).status_code for _ in range(3)] == [200, 200, 429]
    # and once limited, the address still reaches everything else
    assert limited.request(FLOODER, "GET", "/api/chat/abcdefgh1/messages").status_code == 200
    assert limited.request(FLOODER, "POST", "/other").status_code == 200


def test_another_address_is_not_affected() -> None:
    limited = _limited(max_requests=2)
    assert [limited.request(FLOODER).status_code for _ in range(4)] == [200, 200, 429, 429]
    assert [limited.request(NEIGHBOUR).status_code for _ in range(2)] == [200, 200]
    assert limited.request(NEIGHBOUR).status_code == 429


def test_the_window_slides_and_refused_requests_do_not_prolong_it() -> None:
    limited = _limited(max_requests=3, window_seconds=60)
    for _ in range(3):  # at 0, 10 and 20 s
        assert limited.request(FLOODER).status_code == 200
        limited.clock.time += 10
    for _ in range(30):  # hammering while refused, from 30 s to 59 s
        _assert_refused(limited.request(FLOODER), retry_after=60 - (int(limited.clock.time) - 1000))
        limited.clock.time += 1
    assert limited.request(FLOODER).status_code == 200  # at 60 s the one of 0 s has left
    limited.clock.time += 1
    _assert_refused(limited.request(FLOODER), retry_after=9)  # the one of 10 s leaves at 70 s
    limited.clock.time += 8.5
    _assert_refused(limited.request(FLOODER), retry_after=1)  # half a second: one, not zero
    limited.clock.time += 0.5
    assert limited.request(FLOODER).status_code == 200


def test_stale_addresses_are_forgotten() -> None:
    limited = _limited(max_requests=3, window_seconds=60)
    for n in range(300):  # many addresses, one message each
        assert limited.request(f"10.0.{n // 256}.{n % 256}").status_code == 200
    assert limited.limit.tracked_addresses() == 300
    limited.clock.time += 61  # all their windows are empty now
    assert limited.request(NEIGHBOUR).status_code == 200
    assert limited.limit.tracked_addresses() == 1


def test_an_ipv6_client_counts_with_its_64_network() -> None:
    limited = _limited(max_requests=2)
    assert limited.request("2001:db8:1:2::1").status_code == 200
    assert limited.request("2001:db8:1:2:ffff::9").status_code == 200  # same /64: rotated
    assert limited.request("2001:db8:1:2:1234:5678:9abc:def0").status_code == 429
    assert limited.request("2001:db8:1:3::1").status_code == 200  # another subscriber
    # an IPv4 client seen through an IPv6 socket is the same IPv4 client
    assert limited.request(FLOODER).status_code == 200
    assert limited.request(f"::ffff:{FLOODER}").status_code == 200
    assert limited.request(FLOODER).status_code == 429


def test_a_limit_of_nothing_is_refused() -> None:
    with pytest.raises(ValueError):
        AddressRateLimit(Starlette(), 0, 60.0, routes=[CHAT])
    with pytest.raises(ValueError):
        AddressRateLimit(Starlette(), 10, 0.0, routes=[CHAT])


# --- the web app (`jiesu web`) as a resident's browser meets it ------------------------------


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebApp]:
    """`jiesu web` allowing 3 chat messages per address in 10 minutes, without Rasa (each
    admitted message is kept to be answered later), trusting X-Forwarded-For from
    127.0.0.1 only (the default, made explicit)."""
    limits = {
        "JIESU_ADDRESS_RATE_LIMIT_MESSAGES": "3",
        "JIESU_ADDRESS_RATE_LIMIT_SECONDS": "600",
        "JIESU_FORWARDED_ALLOW_IPS": "127.0.0.1",
    }
    with web_app_alone(tmp_path_factory.mktemp("address-limit"), limits) as web:
        yield web


def _post(web: WebApp, headers: dict[str, str] | None = None) -> tuple[str, httpx.Response]:
    message_id = uuid.uuid4().hex
    body = {"message_id": message_id, "text": "路灯坏了"}  # no cookie: a new conversation
    return message_id, httpx.post(f"{web.url}/api/chat", json=body, headers=headers, timeout=30)


def _recorded(web: WebApp) -> set[str]:
    with session_scope(web.database_url) as session:
        return set(session.scalars(select(InboundMessage.external_id)))


def test_one_address_rotating_chat_ids_is_refused_and_nothing_refused_is_recorded(
    web: WebApp,
) -> None:
    admitted: list[tuple[str, httpx.Response]] = []
    refused: list[tuple[str, httpx.Response]] = []
    for _ in range(8):  # a new conversation id each time: the gateway's limit never applies
        message_id, response = _post(web)
        (admitted if response.status_code == 200 else refused).append((message_id, response))
    assert len(admitted) == 3 and len(refused) == 5
    for _, response in refused:
        assert response.status_code == 429
        assert response.json() == {"detail": gateway_text("address_too_fast")}
        assert 1 <= int(response.headers["Retry-After"]) <= 600
    assert _recorded(web) == {message_id for message_id, _ in admitted}
    # the rest of the app still answers the address
    assert httpx.get(f"{web.url}/healthz").status_code == 200
    notices = httpx.get(f"{web.url}/api/chat/messages")
    assert notices.status_code == 200

    # Behind a reverse proxy the server trusts, each resident counts under the address the
    # proxy forwards, not the proxy's own.
    forwarded = {"X-Forwarded-For": NEIGHBOUR}
    accepted = [_post(web, forwarded) for _ in range(3)]
    assert [response.status_code for _, response in accepted] == [200, 200, 200]
    message_id, response = _post(web, forwarded)
    assert response.status_code == 429
    assert message_id not in _recorded(web)


def test_a_forged_forwarded_address_from_outside_the_proxy_is_not_believed(
    tmp_path: Path,
) -> None:
    """A client that is not the trusted proxy names a new address in X-Forwarded-For each
    time: it still counts as itself, and is refused past the limit."""
    limits = {
        "JIESU_ADDRESS_RATE_LIMIT_MESSAGES": "3",
        "JIESU_ADDRESS_RATE_LIMIT_SECONDS": "600",
        "JIESU_FORWARDED_ALLOW_IPS": "10.255.255.1",  # the proxy; these requests are not from it
    }
    with web_app_alone(tmp_path, limits) as web:
        codes = [_post(web, {"X-Forwarded-For": f"203.0.113.{n}"})[1].status_code for n in range(5)]
    assert codes == [200, 200, 200, 429, 429]
