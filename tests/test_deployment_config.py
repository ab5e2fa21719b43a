"""docker-compose.yml and the Dockerfiles cannot run here; these checks keep them in step
with the code and with the configuration tests/test_scale_out.py runs."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml
from sqlalchemy import make_url
from typer.testing import CliRunner

from bot.telegram.config import TelegramSettings
from jiesu.cli import app as cli
from jiesu.config import Settings
from tests.servers import ROOT, SCALE_ENDPOINTS, scale_environment

APP_SERVICES = {"migrate", "actions", "web", "telegram", "scheduler"}
SERVICES = APP_SERVICES | {"postgres", "redis", "rasa"}
RASA_SDK_VARIABLES = {"SANIC_HOST"}  # read by the rasa_sdk action server itself


def _compose() -> dict[str, Any]:
    compose: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text("utf-8"))
    return compose


def _service(name: str) -> dict[str, Any]:
    service: dict[str, Any] = _compose()["services"][name]
    return service


def _substituted(value: str) -> str:
    """`value` as compose passes it on, each ${NAME…} replaced by a stand-in for NAME."""
    return re.sub(r"\$\{(\w+)[^}]*\}", lambda match: f"value-of-{match.group(1)}", value)


def _endpoint_variables() -> set[str]:
    return set(re.findall(r"\$\{(\w+)\}", SCALE_ENDPOINTS.read_text("utf-8")))


def test_every_process_of_a_deployment_is_a_service() -> None:
    assert set(_compose()["services"]) == SERVICES
    for name in APP_SERVICES:
        assert _service(name)["build"]["dockerfile"] == "Dockerfile"
    assert _service("rasa")["build"]["dockerfile"] == "Dockerfile.rasa"


@pytest.mark.parametrize("name", sorted(APP_SERVICES))
def test_app_services_set_only_variables_the_settings_read(name: str) -> None:
    environment: dict[str, str] = _service(name)["environment"]
    jiesu = {k: v for k, v in environment.items() if k.startswith("JIESU_")}
    telegram = {k: v for k, v in environment.items() if k.startswith("TELEGRAM_")}
    assert set(environment) - set(jiesu) - set(telegram) <= RASA_SDK_VARIABLES
    assert {f"JIESU_{field.upper()}" for field in Settings.model_fields} >= set(jiesu)
    assert {f"TELEGRAM_{field.upper()}" for field in TelegramSettings.model_fields} >= set(telegram)
    # and their values (strings, as the environment gives them) parse into the settings' types
    jiesu_values: dict[str, Any] = {k.removeprefix("JIESU_").lower(): v for k, v in jiesu.items()}
    Settings(**jiesu_values)
    telegram_values: dict[str, Any] = {
        k.removeprefix("TELEGRAM_").lower(): v for k, v in telegram.items()
    }
    TelegramSettings(**telegram_values)


@pytest.mark.parametrize("name", sorted(APP_SERVICES - {"actions"}))
def test_app_services_run_real_jiesu_commands(name: str) -> None:
    program, *arguments = _service(name)["command"]
    assert program == "jiesu"
    result = CliRunner().invoke(cli, [*arguments, "--help"])
    assert result.exit_code == 0, result.output


def test_rasa_runs_the_endpoints_file_of_the_scale_test_with_all_its_variables() -> None:
    rasa = _service("rasa")
    environment: dict[str, str] = rasa["environment"]
    endpoints = environment["JIESU_RASA_ENDPOINTS"]
    assert ROOT / endpoints == SCALE_ENDPOINTS
    assert f"./{endpoints}:/app/{endpoints}:ro" in rasa["volumes"]
    variables = _endpoint_variables()
    assert set(environment) == variables | {"JIESU_RASA_ENDPOINTS", "JIESU_RASA_TOKEN"}
    assert set(scale_environment("", "postgresql://u@h:1/d", "p")) == variables
    assert environment["JIESU_RASA_TOKEN"] == _service("web")["environment"]["JIESU_RASA_TOKEN"]
    assert environment["JIESU_ACTION_SERVER_URL"] == "http://actions:5055"
    assert "5055" in _service("actions")["command"]


@pytest.mark.parametrize(
    ("dockerfile", "python", "lock"),
    [
        ("Dockerfile", "python:3.11-slim", "requirements/app.lock"),
        ("Dockerfile.rasa", "python:3.10-slim", "requirements/engine.lock"),
    ],
)
def test_images_install_the_tested_locks_and_copy_files_that_exist(
    dockerfile: str, python: str, lock: str
) -> None:
    lines = (ROOT / dockerfile).read_text("utf-8").splitlines()
    assert f"FROM {python}" in lines
    assert f"RUN pip install -r {lock}" in lines
    sources = [path for line in lines if line.startswith("COPY ") for path in line.split()[1:-1]]
    assert sources
    assert [path for path in sources if not (ROOT / path).exists()] == []


def test_the_rasa_image_picks_its_endpoints_file_like_the_procfile() -> None:
    procfile = (ROOT / "Procfile").read_text("utf-8")
    dockerfile = (ROOT / "Dockerfile.rasa").read_text("utf-8")
    for option in (
        '--endpoints "${JIESU_RASA_ENDPOINTS:-endpoints.yml}"',
        '--auth-token "$JIESU_RASA_TOKEN"',
        '--jwt-secret "$JIESU_RASA_TOKEN"',
        "--enable-api",
    ):
        assert option in procfile
        assert option.replace('"', '\\"') in dockerfile


@pytest.mark.parametrize("name", sorted(APP_SERVICES))
def test_erasing_reaches_the_tracker_store_the_rasa_replicas_write(name: str) -> None:
    """`jiesu residents forget`, run in any app container, and the scheduler's purge erase
    transcripts where Rasa keeps them, not in an empty SQLite file of their own."""
    rasa = {key: _substituted(value) for key, value in _service("rasa")["environment"].items()}
    environment = _service(name)["environment"]
    url = make_url(_substituted(environment["JIESU_TRACKER_STORE_URL"]))
    assert url.get_backend_name() == "postgresql"  # endpoints.scale.yml's dialect
    assert (url.host, str(url.port), url.database, url.username, url.password) == (
        rasa["JIESU_TRACKER_DB_HOST"],
        rasa["JIESU_TRACKER_DB_PORT"],
        rasa["JIESU_TRACKER_DB_NAME"],
        rasa["JIESU_TRACKER_DB_USER"],
        rasa["JIESU_TRACKER_DB_PASSWORD"],
    )
    assert make_url(_substituted(environment["JIESU_DATABASE_URL"])).database != url.database


def test_published_ports_are_reachable_only_through_the_proxy_on_the_host() -> None:
    """Port 8000 and 8443 bind the host's loopback interface: the HTTPS proxy in front is the
    only way in, so nobody reaches the web app directly to name itself in X-Forwarded-For."""
    published = {name: service.get("ports", []) for name, service in _compose()["services"].items()}
    assert published["web"] and published["telegram"]
    for name, ports in published.items():
        for port in ports:
            assert str(port).startswith("127.0.0.1:"), (name, port)
