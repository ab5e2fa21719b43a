"""`jiesu wechat menu` (the four buttons, printed or published through the menu API) and
`jiesu wechat undelivered` (what will not reach residents, and why)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from bot.wechat.client import Client
from bot.wechat.sender import OutboxSender
from jiesu.cli import app
from jiesu.config import get_settings
from jiesu.db import session_scope
from jiesu.outbox import notify
from tests.wechat.conftest import wechat_settings
from tests.wechat.fake_api import FakeWeChatApi
from tests.wechat.resident import APP_ID, TOKEN

NAMES = ["我要反映", "政策咨询", "查询进度", "转人工"]


def test_the_menu_is_printed() -> None:
    result = CliRunner().invoke(app, ["wechat", "menu"])
    assert result.exit_code == 0, result.output
    buttons = json.loads(result.output)["button"]
    assert [b["name"] for b in buttons] == NAMES
    assert all(b["type"] == "click" for b in buttons)


def test_the_menu_is_published_to_the_account(
    api: FakeWeChatApi, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in {
        "WECHAT_TOKEN": TOKEN,
        "WECHAT_APP_ID": APP_ID,
        "WECHAT_APP_SECRET": "secret",
        "WECHAT_API_BASE": api.url,
        "JIESU_DATABASE_URL": database_url,
    }.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    result = CliRunner().invoke(app, ["wechat", "menu", "--publish"])
    assert result.exit_code == 0, result.output
    [created] = api.called("menu/create")
    assert [b["name"] for b in created.body["button"]] == NAMES
    assert created.params["access_token"] == "token-1"


def test_publishing_without_the_account_settings_fails_plainly(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("WECHAT_TOKEN", "")
    result = CliRunner().invoke(app, ["wechat", "menu", "--publish"])
    assert result.exit_code == 1
    assert "WECHAT_TOKEN" in result.output


def test_undelivered_messages_are_listed_with_their_reason(
    api: FakeWeChatApi, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JIESU_DATABASE_URL", database_url)
    get_settings.cache_clear()
    with session_scope(database_url) as session:
        notify(session, "wechat:oResidentOutOfWindow000000000", "工单 20261206-0009 已办结")
    settings = wechat_settings(api)
    OutboxSender(Client(settings, database_url), settings, database_url).send_due()
    result = CliRunner().invoke(app, ["wechat", "undelivered"])
    assert result.exit_code == 0, result.output
    assert "oResidentOutOfWindow" in result.output and "48小时" in result.output
    listed = CliRunner().invoke(app, ["wechat", "undelivered", "--json"])
    [row] = json.loads(listed.output)
    assert row["status"] == "unreachable" and "未配置工单通知模板" in row["reason"]
