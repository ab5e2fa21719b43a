"""Shared fixtures: real Rasa and action servers, a migrated database, the web app."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from jiesu.migrate import upgrade
from tests.resident import Resident
from tests.servers import (
    APP_PYTHON,
    RasaStack,
    free_port,
    rasa_stack_in,
    running,
    wait_until_ok,
)


@pytest.fixture(scope="session")
def rasa_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RasaStack]:
    """A real Rasa server talking to a real action server, both on free ports, and the
    app database the actions use."""
    with rasa_stack_in(tmp_path_factory.mktemp("rasa")) as (stack, _):
        yield stack


@pytest.fixture
def resident(rasa_stack: RasaStack) -> Resident:
    """A new resident talking to the real Rasa stack."""
    return Resident(rasa_stack)


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """A fresh, migrated SQLite app database for one test."""
    url = f"sqlite:///{tmp_path / 'jiesu.db'}"
    upgrade(url)
    return url


@pytest.fixture(scope="session")
def web_url(rasa_stack: RasaStack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The real web app (`jiesu web`) in front of the real Rasa stack, sharing its database."""
    workdir = tmp_path_factory.mktemp("web")
    port = free_port()
    env = {
        "JIESU_DATABASE_URL": rasa_stack.database_url,
        "JIESU_RASA_URL": rasa_stack.rasa_url,
        "JIESU_RASA_TOKEN": rasa_stack.token,
        "JIESU_ACTION_SERVER_URL": rasa_stack.action_url,
        "JIESU_WEB_PORT": str(port),
    }
    command = [str(APP_PYTHON), "-m", "jiesu.cli", "web"]
    with running(command, workdir / "web.log", env) as process:
        url = f"http://127.0.0.1:{port}"
        wait_until_ok(f"{url}/healthz", 60, process=process)
        yield url
