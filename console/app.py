"""The web app (FastAPI): staff console at `/`, resident web chat at `/chat`."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from bot.gateway import Gateway
from bot.rasa_client import RasaClient
from bot.wechat import endpoint as wechat
from bot.wechat.app import WeChatService
from bot.wechat.config import WeChatSettings
from console import (
    alerts,
    auth,
    chat,
    dashboard,
    errors,
    exports,
    faq_gaps,
    handoffs,
    home,
    hot,
    tickets,
    undelivered,
    users,
)
from console.headers import SecurityHeaders
from console.security import make_signer
from jiesu.config import Settings, get_settings
from jiesu.handoff.desk import HandoffDesk
from jiesu.http_limits import AddressRateLimit, BodySizeLimit

STATIC_DIR = Path(__file__).with_name("static")


def create_app(
    settings: Settings | None = None, wechat_settings: WeChatSettings | None = None
) -> FastAPI:
    """Build the web app; the gateway and its Rasa client live as long as the app. The
    WeChat channel (`/wechat`) is on when its settings are (`WECHAT_TOKEN`…)."""
    settings = settings or get_settings()
    wechat_settings = wechat_settings or WeChatSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        rasa = RasaClient.from_settings(settings)
        gateway = Gateway(rasa, settings.database_url, settings.max_message_chars)
        app.state.gateway = gateway
        app.state.rasa = rasa
        app.state.desk = HandoffDesk(rasa, settings.database_url)
        app.state.settings = settings
        # Messages of every channel that found the assistant down are answered from here.
        retrying = asyncio.create_task(gateway.retry_forever(settings.retry_interval_seconds))
        service = None
        if wechat_settings.configured:
            service = WeChatService(gateway, wechat_settings, settings.database_url)
            app.state.wechat, app.state.wechat_settings = service.channel, wechat_settings
            service.start()
        yield
        if service is not None:
            await service.stop()
        retrying.cancel()
        with suppress(asyncio.CancelledError):
            await retrying
        await rasa.aclose()

    app = FastAPI(
        title="接诉 jiesu", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None
    )
    app.state.signer = make_signer(settings)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_request_bytes)
    app.add_middleware(  # added after the body limit, so it runs first: nothing refused is read
        AddressRateLimit,
        max_requests=settings.address_rate_limit_messages,
        window_seconds=settings.address_rate_limit_seconds,
        routes=[("POST", "/api/chat")],
    )
    app.add_middleware(SecurityHeaders)  # outermost: refusals carry the headers too
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(chat.router)
    app.include_router(wechat.router)
    app.include_router(home.router)
    app.include_router(auth.router)
    app.include_router(tickets.router)
    app.include_router(users.router)
    errors.install(app)
    app.include_router(handoffs.router)
    app.include_router(dashboard.router)
    app.include_router(hot.router)
    app.include_router(undelivered.router)
    app.include_router(faq_gaps.router)
    app.include_router(exports.router)
    app.include_router(alerts.router)
    return app
