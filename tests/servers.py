"""Start the real servers (action server, Rasa, web app) for tests on free ports."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.exc import OperationalError

from jiesu.migrate import upgrade

ROOT = Path(__file__).resolve().parent.parent
APP_PYTHON = ROOT / ".venv" / "bin" / "python"
RASA = ROOT / ".venv-rasa" / "bin" / "rasa"
MODEL = ROOT / "models" / "jiesu.tar.gz"
POSTGRES_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
REDIS = ("127.0.0.1", 6379)
SCALE_ENDPOINTS = ROOT / "endpoints.scale.yml"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_until_ok(
    url: str,
    timeout: float,
    params: Mapping[str, str] | None = None,
    process: subprocess.Popen[bytes] | None = None,
) -> None:
    """Poll `url` until it answers 200; fail early if `process` dies."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process for {url} exited with {process.returncode}")
        try:
            if httpx.get(url, params=params, timeout=2.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise TimeoutError(f"{url} did not answer within {timeout:.0f} s")


@contextmanager
def postgres_database() -> Iterator[str]:
    """A throwaway PostgreSQL database on 127.0.0.1:5432 (its URL), dropped afterwards;
    the test is skipped where no PostgreSQL runs there."""
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"jiesu_test_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as error:
        admin.dispose()
        pytest.skip(f"PostgreSQL is not reachable on 127.0.0.1:5432: {error.orig}")
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def running(
    command: list[str], log: Path, env: Mapping[str, str] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """Run `command` in its own process group, logging to `log`; stop it afterwards."""
    with log.open("wb") as out:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
            start_new_session=True,
        )
        try:
            yield process
        finally:
            stop(process)


def terminate(processes: list[subprocess.Popen[bytes]]) -> None:
    """Ask every still running process group to stop, without waiting."""
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)


def stop(process: subprocess.Popen[bytes], timeout: float = 20.0) -> None:
    """Stop a process group politely, then firmly."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@dataclass(frozen=True)
class RasaStack:
    """Addresses of a running Rasa server and its action server."""

    rasa_url: str
    action_url: str
    token: str
    tracker_db: Path | str  # the SQLite file, or the tracker store's database name
    database_url: str  # the app database the actions file tickets in

    @property
    def webhook(self) -> str:
        return f"{self.rasa_url}/webhooks/rest/webhook"

    def tracker(self, sender_id: str) -> dict[str, object]:
        """The conversation's tracker from the Rasa HTTP API."""
        response = httpx.get(
            f"{self.rasa_url}/conversations/{sender_id}/tracker",
            params={"token": self.token},
            timeout=10.0,
        )
        response.raise_for_status()
        tracker: dict[str, object] = response.json()
        return tracker


def scale_environment(action_url: str, tracker_url: str, lock_key_prefix: str) -> dict[str, str]:
    """The variables endpoints.scale.yml reads: the action server, the tracker store in the
    PostgreSQL database at `tracker_url`, and the lock store in the local Redis."""
    tracker = make_url(tracker_url)
    return {
        "JIESU_ACTION_SERVER_URL": action_url,
        "JIESU_TRACKER_DB_HOST": tracker.host or "",
        "JIESU_TRACKER_DB_PORT": str(tracker.port),
        "JIESU_TRACKER_DB_NAME": tracker.database or "",
        "JIESU_TRACKER_DB_USER": tracker.username or "",
        "JIESU_TRACKER_DB_PASSWORD": tracker.password or "",
        "JIESU_LOCK_STORE_HOST": REDIS[0],
        "JIESU_LOCK_STORE_PORT": str(REDIS[1]),
        "JIESU_LOCK_STORE_DB": "0",
        "JIESU_LOCK_STORE_PASSWORD": "",
        "JIESU_LOCK_STORE_KEY_PREFIX": lock_key_prefix,
    }


def write_endpoints(path: Path, action_port: int, tracker_db: Path) -> None:
    """Endpoints like endpoints.yml, but with the test's ports and tracker store."""
    path.write_text(
        "action_endpoint:\n"
        f"  url: http://127.0.0.1:{action_port}/webhook\n"
        "tracker_store:\n"
        "  type: SQL\n"
        "  dialect: sqlite\n"
        f"  db: {tracker_db}\n"
        "lock_store:\n"
        "  type: in_memory\n",
        encoding="utf-8",
    )


@dataclass(frozen=True)
class WebApp:
    """The web app alone, without Rasa, and its own app database."""

    url: str
    database_url: str


@contextmanager
def web_app_alone(workdir: Path, env: Mapping[str, str] | None = None) -> Iterator[WebApp]:
    """`jiesu web` on a fresh migrated SQLite database in `workdir`, with `env` added to
    its settings; Rasa's address leads nowhere, so every message is kept to be answered
    later (much faster to start than the Rasa stack)."""
    database = f"sqlite:///{workdir / 'jiesu.db'}"
    upgrade(database)
    port = free_port()
    settings = {
        "JIESU_DATABASE_URL": database,
        "JIESU_WEB_PORT": str(port),
        "JIESU_RASA_URL": f"http://127.0.0.1:{free_port()}",
        **(env or {}),
    }
    with running(
        [str(APP_PYTHON), "-m", "jiesu.cli", "web"], workdir / "web.log", settings
    ) as process:
        url = f"http://127.0.0.1:{port}"
        wait_until_ok(f"{url}/healthz", 60, process=process)
        yield WebApp(url=url, database_url=database)


@dataclass
class Service:
    """A server that a test may kill (as a crash would: SIGKILL, no clean-up) and start
    again on the same port; its log grows across restarts."""

    command: list[str]
    log: Path
    health_url: str
    env: Mapping[str, str]
    timeout: float
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start it and wait until `health_url` answers."""
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                self.command,
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
                env={**os.environ, **self.env},
                start_new_session=True,
            )
        wait_until_ok(self.health_url, self.timeout, process=self.process)

    def kill(self) -> None:
        """Kill its process group at once."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()


@contextmanager
def service(
    command: list[str], log: Path, health_url: str, env: Mapping[str, str], timeout: float
) -> Iterator[Service]:
    """A started `Service`, stopped afterwards whatever the test did to it."""
    server = Service(command, log, health_url, env, timeout)
    try:
        server.start()
        yield server
    finally:
        if server.process is not None:
            stop(server.process)


@contextmanager
def action_server(port: int, log: Path, database_url: str) -> Iterator[Service]:
    """The real rasa_sdk action server serving `actions/` (app environment)."""
    command = [str(APP_PYTHON), "-m", "rasa_sdk", "--actions", "actions", "--port", str(port)]
    env = {"SANIC_HOST": "127.0.0.1", "JIESU_DATABASE_URL": database_url}
    with service(command, log, f"http://127.0.0.1:{port}/health", env, 120) as server:
        yield server


def _rasa_command(port: int, endpoints: Path, token: str) -> list[str]:
    return [
        str(RASA),
        "run",
        "--model",
        str(MODEL),
        "--endpoints",
        str(endpoints),
        "--credentials",
        "credentials.yml",
        "--interface",
        "127.0.0.1",
        "--port",
        str(port),
        "--enable-api",
        f"--auth-token={token}",
        f"--jwt-secret={token}",
    ]


@contextmanager
def rasa_service(port: int, endpoints: Path, token: str, log: Path) -> Iterator[Service]:
    """The real Rasa server as a `Service`, for a test that kills it and starts it again
    (its tracker store, in `endpoints`, keeps the conversations across the restart)."""
    if not MODEL.exists():
        raise RuntimeError(f"{MODEL} is missing: run `make test`, which trains it first")
    health = f"http://127.0.0.1:{port}/status?token={token}"
    with service(_rasa_command(port, endpoints, token), log, health, {}, 240) as server:
        yield server


@contextmanager
def rasa_servers(
    ports: list[int],
    endpoints: Path,
    token: str,
    logs: list[Path],
    env: Mapping[str, str] | None = None,
) -> Iterator[list[subprocess.Popen[bytes]]]:
    """Several real Rasa servers with the trained model (engine environment), started
    together so that their slow start-ups overlap; `env` reaches the endpoints file."""
    if not MODEL.exists():
        raise RuntimeError(f"{MODEL} is missing: run `make test`, which trains it first")
    with ExitStack() as stack:
        processes = [
            stack.enter_context(running(_rasa_command(port, endpoints, token), log, env))
            for port, log in zip(ports, logs, strict=True)
        ]
        stack.callback(terminate, processes)  # runs first: they stop together, too
        for port, process in zip(ports, processes, strict=True):
            wait_until_ok(
                f"http://127.0.0.1:{port}/status",
                240,
                params={"token": token},
                process=process,
            )
        yield processes


@contextmanager
def rasa_server(
    port: int, endpoints: Path, token: str, log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """The real Rasa server with the trained model (engine environment)."""
    with rasa_servers([port], endpoints, token, [log]) as [process]:
        yield process


@contextmanager
def rasa_stack_in(workdir: Path) -> Iterator[tuple[RasaStack, Service]]:
    """A real Rasa server and its action server on free ports, with a migrated app database
    and a tracker store in `workdir`; the action server is handed out to be killed."""
    database = f"sqlite:///{workdir / 'jiesu.db'}"
    upgrade(database)
    action_port, rasa_port = free_port(), free_port()
    tracker_db = workdir / "tracker.db"
    endpoints = workdir / "endpoints.yml"
    write_endpoints(endpoints, action_port, tracker_db)
    token = secrets.token_urlsafe(16)
    with (
        action_server(action_port, workdir / "actions.log", database) as actions,
        rasa_server(rasa_port, endpoints, token, workdir / "rasa.log"),
    ):
        yield (
            RasaStack(
                rasa_url=f"http://127.0.0.1:{rasa_port}",
                action_url=f"http://127.0.0.1:{action_port}",
                token=token,
                tracker_db=tracker_db,
                database_url=database,
            ),
            actions,
        )
