"""The services around the web app: Rasa's HTTP API needs its token, every process binds
the loopback interface unless told otherwise, and no secret has a default in the code."""

from __future__ import annotations

import re
import socket
from pathlib import Path
from urllib.parse import urlparse

import httpx
import pytest

from bot.rasa_client import RasaClient, RasaUnavailableError
from jiesu.config import PROJECT_ROOT, Settings
from tests.servers import RasaStack

PROCFILE = PROJECT_ROOT / "Procfile"


@pytest.mark.servers
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/status"),
        ("GET", "/conversations/test:x/tracker"),
        ("POST", "/model/parse"),
        ("PUT", "/conversations/test:x/tracker/events"),
        ("POST", "/conversations/test:x/tracker/events"),
    ],
)
def test_rasa_http_api_refuses_calls_without_the_token(
    rasa_stack: RasaStack, method: str, path: str
) -> None:
    url = f"{rasa_stack.rasa_url}{path}"
    body = {"text": "你好"} if path == "/model/parse" else []
    for params in ({}, {"token": "wrong"}):
        refused = httpx.request(method, url, params=params, json=body, timeout=10.0)
        assert refused.status_code in (401, 403), (params, refused.text)
    allowed = httpx.get(f"{rasa_stack.rasa_url}/status", params={"token": rasa_stack.token})
    assert allowed.status_code == 200


@pytest.mark.servers
async def test_the_app_reaches_rasas_http_api_with_the_token_in_a_header(
    rasa_stack: RasaStack,
) -> None:
    rasa = RasaClient(rasa_stack.rasa_url, 10.0, rasa_stack.token)
    try:
        await rasa.append_events("test:header", [{"event": "bot", "text": "你好"}])
        assert [e["event"] for e in await rasa.events("test:header")][-1] == "bot"
        assert (await rasa.parse("你好"))["intent"]["name"]
    finally:
        await rasa.aclose()
    forged = RasaClient(rasa_stack.rasa_url, 10.0, "not-the-token")
    try:
        with pytest.raises(RasaUnavailableError):
            await forged.events("test:header")
    finally:
        await forged.aclose()


async def test_the_rasa_token_is_never_in_a_url_nor_an_error() -> None:
    """httpx errors print the URL: the token goes in the Authorization header."""
    token = "secret-rasa-token"
    seen: list[httpx.Request] = []

    def refuse(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        raise httpx.ConnectError(f"cannot reach {request.url}", request=request)

    rasa = RasaClient("http://127.0.0.1:9", 1.0, token)
    rasa._client._transport = httpx.MockTransport(refuse)
    calls = [
        lambda: rasa.parse("你好"),
        lambda: rasa.events("web:x"),
        lambda: rasa.append_events("web:x", []),
    ]
    try:
        for call in calls:
            with pytest.raises(RasaUnavailableError) as raised:
                await call()
            assert token not in str(raised.value)
    finally:
        await rasa.aclose()
    assert len(seen) == 3
    for request in seen:
        assert token not in str(request.url)
        assert request.headers["Authorization"].startswith("Bearer ")
        assert token not in request.headers["Authorization"]


def _listening_addresses(port: int) -> set[str]:
    """The local addresses of the listening TCP sockets on `port` (Linux /proc)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, port_hex = local.split(":")
            if state == "0A" and int(port_hex, 16) == port:  # 0A: LISTEN
                found.add(address)
    return found


@pytest.mark.servers
def test_rasa_and_the_action_server_listen_on_loopback_only(rasa_stack: RasaStack) -> None:
    loopback = {"0100007F", "00000000000000000000000001000000"}  # 127.0.0.1, ::1
    for url in (rasa_stack.rasa_url, rasa_stack.action_url):
        port = urlparse(url).port
        assert port is not None
        listening = _listening_addresses(port)
        assert listening and listening <= loopback, (url, listening)
        outside = _outside_address()
        if outside is not None:
            with pytest.raises(OSError), socket.create_connection((outside, port), timeout=2):
                pass


def _outside_address() -> str | None:
    """This machine's address on its default route, if it has one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # no packet is sent for UDP connect
        except OSError:
            return None
        address: str = probe.getsockname()[0]
    return None if address.startswith("127.") else address


def test_procfile_binds_every_server_to_loopback() -> None:
    lines = dict(line.split(":", 1) for line in PROCFILE.read_text().splitlines() if line)
    assert "--interface 127.0.0.1" in lines["rasa"]
    assert "SANIC_HOST=127.0.0.1" in lines["actions"]
    assert "jiesu web" in lines["web"]
    assert Settings.model_fields["web_host"].default == "127.0.0.1"  # what `jiesu web` binds
    assert re.search(r"--auth-token \"\$JIESU_RASA_TOKEN\"", lines["rasa"])
    assert re.search(r"--jwt-secret \"\$JIESU_RASA_TOKEN\"", lines["rasa"])


def test_the_test_servers_bind_loopback_too() -> None:
    servers = (PROJECT_ROOT / "tests" / "servers.py").read_text()
    assert re.search(r'"--interface",\s*"127\.0\.0\.1"', servers)  # however it is wrapped
    assert re.search(r'"SANIC_HOST":\s*"127\.0\.0\.1"', servers)


def test_secrets_come_only_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("JIESU_SECRET_KEY", "JIESU_RASA_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings(_env_file=None)
    assert (settings.secret_key, settings.rasa_token) == ("", "")
    monkeypatch.setenv("JIESU_SECRET_KEY", "from-the-environment")
    assert Settings(_env_file=None).secret_key == "from-the-environment"
