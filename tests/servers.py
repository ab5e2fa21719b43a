"""Start the real servers (action server, Rasa, web app) for tests on free ports."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
APP_PYTHON = ROOT / ".venv" / "bin" / "python"
RASA = ROOT / ".venv-rasa" / "bin" / "rasa"
MODEL = ROOT / "models" / "jiesu.tar.gz"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_until_ok(
    url: str, timeout: float, params: Mapping[str, str] | None = None,
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
def running(
    command: list[str], log: Path, env: Mapping[str, str] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """Run `command` in its own process group, logging to `log`; stop it afterwards."""
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})}, start_new_session=True,
        )
        try:
            yield process
        finally:
            stop(process)


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
    tracker_db: Path
    database_url: str  # the app database the actions file tickets in

    @property
    def webhook(self) -> str:
        return f"{self.rasa_url}/webhooks/rest/webhook"

    def tracker(self, sender_id: str) -> dict[str, object]:
        """The conversation's tracker from the Rasa HTTP API."""
        response = httpx.get(
            f"{self.rasa_url}/conversations/{sender_id}/tracker",
            params={"token": self.token}, timeout=10.0,
        )
        response.raise_for_status()
        tracker: dict[str, object] = response.json()
        return tracker


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


@contextmanager
def action_server(
    port: int, log: Path, database_url: str
) -> Iterator[subprocess.Popen[bytes]]:
    """The real rasa_sdk action server serving `actions/` (app environment)."""
    command = [str(APP_PYTHON), "-m", "rasa_sdk", "--actions", "actions", "--port", str(port)]
    env = {"SANIC_HOST": "127.0.0.1", "JIESU_DATABASE_URL": database_url}
    with running(command, log, env) as process:
        wait_until_ok(f"http://127.0.0.1:{port}/health", 120, process=process)
        yield process


@contextmanager
def rasa_server(
    port: int, endpoints: Path, token: str, log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """The real Rasa server with the trained model (engine environment)."""
    if not MODEL.exists():
        raise RuntimeError(f"{MODEL} is missing: run `make test`, which trains it first")
    command = [
        str(RASA), "run", "--model", str(MODEL), "--endpoints", str(endpoints),
        "--credentials", "credentials.yml", "--interface", "127.0.0.1", "--port", str(port),
        "--enable-api", "--auth-token", token,
    ]
    with running(command, log) as process:
        wait_until_ok(
            f"http://127.0.0.1:{port}/status", 240,
            params={"token": token}, process=process,
        )
        yield process
