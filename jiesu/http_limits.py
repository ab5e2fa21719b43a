"""Limits every HTTP app of jiesu applies (the web app, the Telegram webhook).

Pure ASGI on Starlette only, so the channel adapters in `bot/` use it without
importing the console.
"""

from __future__ import annotations

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
