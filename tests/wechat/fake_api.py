"""A local stand-in for WeChat's API (api.weixin.qq.com/cgi-bin/): records every call
(token, customer-service and template messages, media, menu) and answers with WeChat's
real error codes when told to (45047 out of the window, 40001 expired token, 45009
quota). The client is pointed at it with `WECHAT_API_BASE`."""

from __future__ import annotations

import json
import threading
from collections import defaultdict, deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

IMAGE = b"\xff\xd8\xff\xe0fake-jpeg-bytes"


@dataclass
class Call:
    """One request the API received: its endpoint (after /cgi-bin/), query, JSON body and
    the error code it was answered with (0: done)."""

    endpoint: str
    params: dict[str, str]
    body: dict[str, Any] = field(default_factory=dict)
    errcode: int = 0


class FakeWeChatApi:
    """The recording server's state, shared with its request handler."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.errors: dict[str, deque[int]] = defaultdict(deque)
        self.valid_tokens: set[str] = set()
        self.issued = 0
        self.token_seconds = 7200
        self.url = ""
        self._lock = threading.Lock()

    def fail(self, endpoint: str, *codes: int) -> None:
        """Answer the next calls of `endpoint` with these error codes, in order."""
        self.errors[endpoint].extend(codes)

    def expire_tokens(self) -> None:
        """Every token issued so far is now refused with 40001."""
        with self._lock:
            self.valid_tokens.clear()

    def called(self, endpoint: str) -> list[Call]:
        """The calls of `endpoint`, in order, refused ones included."""
        return [call for call in self.calls if call.endpoint == endpoint]

    def done(self, endpoint: str) -> list[Call]:
        """The calls of `endpoint` that were not refused: what reached the resident."""
        return [call for call in self.called(endpoint) if call.errcode == 0]

    def answer(self, endpoint: str, params: dict[str, str], body: dict[str, Any]) -> Any:
        with self._lock:
            call = Call(endpoint, params, body)
            self.calls.append(call)
            if endpoint == "token":
                self.issued += 1
                token = f"token-{self.issued}"
                self.valid_tokens.add(token)
                return {"access_token": token, "expires_in": self.token_seconds}
            if params.get("access_token") not in self.valid_tokens:
                call.errcode = 40001
                return {"errcode": 40001, "errmsg": "invalid credential, access_token is invalid"}
            if self.errors[endpoint]:
                call.errcode = self.errors[endpoint].popleft()
                return {"errcode": call.errcode, "errmsg": f"error {call.errcode}"}
            if endpoint == "media/get":
                return IMAGE
            return {"errcode": 0, "errmsg": "ok"}


class _Handler(BaseHTTPRequestHandler):
    api: FakeWeChatApi

    def _respond(self, body: dict[str, Any]) -> None:
        url = urlparse(self.path)
        endpoint = url.path.removeprefix("/cgi-bin/")
        params = {key: values[0] for key, values in parse_qs(url.query).items()}
        answer = self.api.answer(endpoint, params, body)
        if isinstance(answer, bytes):
            data, kind = answer, "image/jpeg"
        else:
            data, kind = json.dumps(answer, ensure_ascii=False).encode(), "application/json"
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self._respond({})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(length) if length else b""
        self._respond(json.loads(raw.decode()) if raw else {})

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def fake_wechat_api() -> Iterator[FakeWeChatApi]:
    """The recording server on a free local port; `api.url` is its API base."""
    api = FakeWeChatApi()
    handler = type("Handler", (_Handler,), {"api": api})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    api.url = f"http://127.0.0.1:{server.server_port}/cgi-bin/"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield api
    finally:
        server.shutdown()
        server.server_close()
