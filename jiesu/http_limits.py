"""Limits every HTTP app of jiesu applies (the web app, the Telegram webhook).

Pure ASGI on Starlette only, so the channel adapters in `bot/` use it without
importing the console.
"""

from __future__ import annotations

import ipaddress
import math
import time
from collections import deque
from collections.abc import Callable, Iterable

from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from jiesu.vocabulary import gateway_text


class BodySizeLimit:
    """Refuse (413, in Chinese) a request body over `max_bytes`: at once by its
    Content-Length, or when streamed without one, as soon as that many bytes arrived."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self._app = app
        self._max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"0")
        if not declared.isdigit() or int(declared) > self._max_bytes:
            response = JSONResponse({"detail": _too_large().detail}, status_code=413)
            await response(scope, receive, send)
            return
        received = 0

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self._max_bytes:
                raise _too_large()  # FastAPI and Starlette answer it as a 413
            return message

        await self._app(scope, counted_receive, send)


def _too_large() -> HTTPException:
    return HTTPException(status_code=413, detail=gateway_text("body_too_large"))


class AddressRateLimit:
    """Refuse (429, in Chinese, with `Retry-After`) the requests of one client address past
    `max_requests` in any `window_seconds`, on the given (method, path) `routes` only.

    This protects the service from one address, not a conversation from itself: the
    gateway's per-conversation limit keeps and answers a fast conversation's messages, but
    a client choosing its own conversation ids (the web chat) escapes it by changing them.
    A refused request is answered before the app reads it, so nothing of it is recorded
    (the resident is told to send it again later); refused requests do not count, so a
    client that waits is served again once its oldest counted request leaves the window.

    The address is the ASGI `client` host: behind a reverse proxy, the proxy's, unless the
    server trusts the proxy's X-Forwarded-For (uvicorn: `FORWARDED_ALLOW_IPS`). An IPv6
    address counts with its /64 network (what one subscriber is given, and can change
    within at will); a request without a client address is not counted. The counts are
    kept in memory, per process: each replica of the web app counts its own requests.
    Addresses whose window is empty are forgotten (in a sweep once per window), so memory
    holds only the addresses of about the last two windows, at most `max_requests` times each.
    """

    def __init__(
        self,
        app: ASGIApp,
        max_requests: int,
        window_seconds: float,
        routes: Iterable[tuple[str, str]],
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_requests <= 0 or window_seconds <= 0:
            raise ValueError("max_requests and window_seconds must be positive")
        self._app = app
        self._max_requests = max_requests
        self._window = window_seconds
        self._routes = frozenset((method.upper(), path) for method, path in routes)
        self._now = now
        # Per address, the times of its counted requests in the window, oldest first.
        self._seen: dict[str, deque[float]] = {}
        self._next_sweep = now() + window_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or (scope["method"], scope["path"]) not in self._routes:
            await self._app(scope, receive, send)
            return
        client = scope.get("client")
        if not client:
            await self._app(scope, receive, send)
            return
        wait = self._admit(address_key(client[0]))
        if wait is not None:
            response = JSONResponse(
                {"detail": gateway_text("address_too_fast")},
                status_code=429,
                headers={"Retry-After": str(wait)},
            )
            await response(scope, receive, send)
            return
        await self._app(scope, receive, send)

    def tracked_addresses(self) -> int:
        """How many addresses memory holds (those of recent requests, until swept)."""
        return len(self._seen)

    def _admit(self, key: str) -> int | None:
        """Count a request of `key` and return None, or the whole seconds to wait."""
        now = self._now()
        if now >= self._next_sweep:
            self._sweep(now)
        times = self._seen.get(key)
        if times is None:
            times = self._seen[key] = deque(maxlen=self._max_requests)
        start = now - self._window
        while times and times[0] <= start:
            times.popleft()
        if len(times) >= self._max_requests:
            return max(1, math.ceil(times[0] - start))
        times.append(now)
        return None

    def _sweep(self, now: float) -> None:
        start = now - self._window
        for key in [key for key, times in self._seen.items() if not times or times[-1] <= start]:
            del self._seen[key]
        self._next_sweep = now + self._window


def address_key(host: str) -> str:
    """The address a client counts under: its IPv4 address, or its IPv6 /64 network."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host  # not an IP address (a test client, a Unix socket's name)
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)
