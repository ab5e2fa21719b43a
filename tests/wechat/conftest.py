"""The WeChat channel offline: the `/wechat` endpoint in front of a Rasa stand-in, and the
recording API server the client and outbox sender talk to."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from bot.gateway import Gateway
from bot.wechat import endpoint
from bot.wechat.app import WeChatService
from bot.wechat.config import WeChatSettings
from jiesu.config import get_settings
from jiesu.http_limits import BodySizeLimit
from jiesu.migrate import upgrade
from tests.rasa_stand_in import RasaStandIn
from tests.servers import postgres_database
from tests.wechat.fake_api import FakeWeChatApi, fake_wechat_api
from tests.wechat.resident import AES_KEY, APP_ID, TOKEN, WeChatResident

MAX_BODY = 20_000


class FakeRasa(RasaStandIn):
    """Records messages and answers `replies`, after `delay` seconds."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, str]] = []
        self.replies: list[dict[str, Any]] = [{"text": "好的"}]
        self.delay = 0.0

    async def send(
        self, sender_id: str, text: str, metadata: dict[str, Any]
    ) -> list[dict[str, Any]]:
        self.messages.append((sender_id, text))
        await asyncio.sleep(self.delay)
        return self.replies


@pytest.fixture(autouse=True)
def _settings_of_this_test(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Attachments in the test's own folder; settings read anew (the CLI tests set some)."""
    monkeypatch.setenv("JIESU_ATTACHMENTS_DIR", str(tmp_path / "attachments"))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def rasa() -> FakeRasa:
    return FakeRasa()


@pytest.fixture
def api() -> Iterator[FakeWeChatApi]:
    with fake_wechat_api() as running:
        yield running


def wechat_settings(api: FakeWeChatApi, **changes: Any) -> WeChatSettings:
    values: dict[str, Any] = {
        "token": TOKEN,
        "app_id": APP_ID,
        "app_secret": "test-secret",
        "api_base": api.url,
        "passive_reply_seconds": 0.5,
        "outbox_interval": 0.05,
        **changes,
    }
    return WeChatSettings(_env_file=None, **values)


@pytest.fixture
def settings(api: FakeWeChatApi) -> WeChatSettings:
    return wechat_settings(api)


@pytest.fixture
def service(rasa: FakeRasa, settings: WeChatSettings, database_url: str) -> WeChatService:
    gateway = Gateway(rasa, database_url, max_chars=4000)
    return WeChatService(gateway, settings, database_url)


def endpoint_app(service: WeChatService) -> FastAPI:
    """The endpoint as the web app mounts it, with the web app's body limit."""
    app = FastAPI()
    app.add_middleware(BodySizeLimit, max_bytes=MAX_BODY)
    app.include_router(endpoint.router)
    app.state.wechat, app.state.wechat_settings = service.channel, service.settings
    return app


@asynccontextmanager
async def serving(service: WeChatService) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client of the endpoint; the slow turns are finished after it closes."""
    transport = httpx.ASGITransport(app=endpoint_app(service))
    async with httpx.AsyncClient(transport=transport, base_url="http://wechat.test") as client:
        yield client
    await service.channel.drain()


@pytest.fixture
async def http(service: WeChatService) -> AsyncIterator[httpx.AsyncClient]:
    async with serving(service) as client:
        yield client


@pytest.fixture
async def safe_http(
    rasa: FakeRasa, api: FakeWeChatApi, database_url: str
) -> AsyncIterator[httpx.AsyncClient]:
    """The endpoint of an account in 安全模式."""
    settings = wechat_settings(api, encoding_aes_key=AES_KEY)
    service = WeChatService(Gateway(rasa, database_url, max_chars=4000), settings, database_url)
    async with serving(service) as client:
        yield client


@pytest.fixture
def resident(http: httpx.AsyncClient) -> WeChatResident:
    return WeChatResident(http)


@pytest.fixture(params=["sqlite", "postgresql"])
def shared_database(request: pytest.FixtureRequest, database_url: str) -> Iterator[str]:
    """The app database on SQLite, and on PostgreSQL where one runs (skipped elsewhere)."""
    if request.param == "sqlite":
        yield database_url
        return
    with postgres_database() as url:
        upgrade(url)
        yield url
