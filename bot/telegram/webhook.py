"""Webhook mode: Telegram POSTs each update to us; only requests carrying our secret
token (the `X-Telegram-Bot-Api-Secret-Token` header set with setWebhook) are taken,
and no body larger than the web app accepts (`max_request_bytes`)."""

from __future__ import annotations

import hmac
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from telegram import Update

from bot.telegram.channel import AnyApplication
from jiesu.config import get_settings
from jiesu.http_limits import BodySizeLimit

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
Hook = Callable[[AnyApplication], Awaitable[None]]


def webhook_app(
    application: AnyApplication,
    *,
    url: str,
    secret: str,
    path: str = "/telegram",
    on_start: Hook | None = None,
    on_stop: Hook | None = None,
    max_request_bytes: int | None = None,
) -> Starlette:
    """An ASGI app that registers the webhook at `url` on start and queues every
    authenticated update for `application`'s handlers.

    Bodies over `max_request_bytes` (default: the `max_request_bytes` setting) get a 413
    before they are read whole; Telegram sends no update that large.
    """
    if not secret:
        raise ValueError("webhook mode needs a secret token (TELEGRAM_WEBHOOK_SECRET)")

    async def receive(request: Request) -> Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), secret.encode()):
            log.warning("webhook call without the right secret token from %s", request.client)
            return Response(status_code=403)
        try:
            payload = await request.json()
            if not isinstance(payload, dict):
                raise ValueError("an update is a JSON object")
            update = Update.de_json(payload, application.bot)
        except (ValueError, TypeError, KeyError, RecursionError):  # not an update: refused
            return Response(status_code=400)
        await application.update_queue.put(update)
        return Response(status_code=200)

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        await application.initialize()
        if on_start is not None:
            await on_start(application)
        await application.start()
        await application.bot.set_webhook(
            url, secret_token=secret, allowed_updates=Update.ALL_TYPES
        )
        log.info("Telegram webhook registered at %s", url)
        try:
            yield
        finally:
            await application.stop()
            if on_stop is not None:
                await on_stop(application)
            await application.shutdown()

    limit = get_settings().max_request_bytes if max_request_bytes is None else max_request_bytes
    return Starlette(
        routes=[Route(path, receive, methods=["POST"])],
        middleware=[Middleware(BodySizeLimit, max_bytes=limit)],
        lifespan=lifespan,
    )
