"""A tiny round-robin reverse proxy: several Rasa servers behind one address, the way a
load balancer puts them in a deployment. It records which backend served each request."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.servers import free_port

FORWARDED_HEADERS = ("content-type", "authorization")


@dataclass(frozen=True)
class Served:
    """One forwarded request."""

    backend: str
    method: str
    path: str


@dataclass
class RoundRobinProxy:
    """Forwards every request to the next backend in turn."""

    backends: list[str]
    served: list[Served] = field(default_factory=list)
    url: str = ""

    def app(self) -> Starlette:
        turns = itertools.cycle(self.backends)
        clients: list[httpx.AsyncClient] = []

        @asynccontextmanager
        async def lifespan(_: Starlette) -> AsyncIterator[None]:
            async with httpx.AsyncClient(timeout=120.0) as client:
                clients.append(client)
                yield

        async def forward(request: Request) -> Response:
            backend = next(turns)
            self.served.append(Served(backend, request.method, request.url.path))
            upstream = await clients[0].request(
                request.method,
                f"{backend}{request.url.path}",
                params=list(request.query_params.multi_items()),
                content=await request.body(),
                headers={k: v for k, v in request.headers.items() if k in FORWARDED_HEADERS},
            )
            return Response(
                upstream.content,
                status_code=upstream.status_code,
                media_type=upstream.headers.get("content-type"),
            )

        methods = ["GET", "POST", "PUT", "DELETE"]
        return Starlette(
            routes=[Route("/{path:path}", forward, methods=methods)], lifespan=lifespan
        )


@contextmanager
def round_robin_proxy(backends: list[str]) -> Iterator[RoundRobinProxy]:
    """Serve a `RoundRobinProxy` over `backends` on a free port, in a background thread."""
    port = free_port()
    proxy = RoundRobinProxy(backends, url=f"http://127.0.0.1:{port}")
    server = uvicorn.Server(
        uvicorn.Config(proxy.app(), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the proxy did not start")
        time.sleep(0.05)
    try:
        yield proxy
    finally:
        server.should_exit = True
        thread.join(10)
