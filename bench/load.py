"""Load benchmark (app environment; issue #8): `make bench` runs it.

Serves three setups side by side, the way the conversation tests start servers (real
action server, real Rasa servers, fresh migrated app databases):

- ours: models/jiesu.tar.gz scaled out as endpoints.scale.yml configures it, two Sanic
  workers of one Rasa server sharing a PostgreSQL tracker store and a Redis lock store
  (skipped, and said so in the results, where PostgreSQL or Redis is missing);
- ours_one_process: the same model as `make run` serves it (one process, SQLite);
- plain_bot: a plain `rasa init` bot served as `rasa run` serves it by default (one
  process, SQLite tracker store); its trained project is cached under bench/.cache/,
  keyed by the Rasa version, so a second run does not retrain.

Simulated residents talk to each over the REST webhook at 1, 10 and 50 concurrent
residents, the setups taking turns level by level, each message on a new connection:

- ours: 你好, one policy question, a report filed to a ticket in several turns (the
  phone number or the anonymous button, then /affirm), and 查一下我的工单;
- the plain bot: as many turns with its own English intents (hi, i am sad, yes, ...).

Writes bench/results/load.json: per setup and level the messages per second, latency
p50/p95/p99, errors and unexpected replies, tickets expected against the rows in the app
database, CPU per message and the peak resident memory of each server's process tree
(VmRSS from /proc every 0.5 s); throughput as a ratio to the plain bot's; the machine,
the date and the load average. The targets of the issue (p95 under 300 ms at 10
residents; throughput at least the plain bot's) are reported for the scaled-out setup,
not asserted.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the test helpers start the servers

from jiesu.db import session_scope  # noqa: E402
from jiesu.migrate import upgrade  # noqa: E402
from jiesu.tickets import Ticket  # noqa: E402
from tests.servers import (  # noqa: E402
    RASA,
    REDIS,
    SCALE_ENDPOINTS,
    action_server,
    free_port,
    postgres_database,
    rasa_servers,
    running,
    scale_environment,
    wait_until_ok,
    write_endpoints,
)

RESULTS = ROOT / "bench" / "results" / "load.json"
CACHE = ROOT / "bench" / ".cache"
LEVELS = (1, 10, 50)
CONVERSATIONS_PER_RESIDENT = 6
MIN_CONVERSATIONS = 20
SAMPLE_SECONDS = 0.5
TIMEOUT_SECONDS = 120.0
HIGH_LOAD = 1.5
TARGETS = {"p95_ms_at_10": 300.0, "throughput_ratio_to_plain_bot": 1.0}

NUMBER = re.compile(r"工单号 (\d{8}-\d{4})")
PHONE = "13812345678"


@dataclass(frozen=True)
class Turn:
    """One message and what its replies must contain (None: any non-empty reply)."""

    text: str
    expect: str | None = None
    expect_ticket: bool = False  # the reply names the ticket filed earlier in the talk


def ours(index: int) -> list[Turn]:
    """A resident of ours: greeting, policy question, a report to a ticket, its status.
    Every other resident gives a phone number, the others stay anonymous."""
    contact = Turn(PHONE, PHONE) if index % 2 else Turn("/deny", "匿名")
    return [
        Turn("你好", "个人信息告知"),
        Turn("办居住证要带什么材料", "承办部门"),
        Turn("我要举报", "保密"),
        Turn("有人每天晚上往河里偷偷倒建筑垃圾", "位置"),
        Turn("滨河路桥下面", "匿名"),
        contact,
        Turn("/affirm", "工单号"),
        Turn("查一下我的工单", expect_ticket=True),
    ]


def plain(index: int) -> list[Turn]:
    """A resident of the `rasa init` bot, as many turns with its own intents."""
    del index
    return [
        Turn("hi", "How are you"),
        Turn("i am sad", "Did that help you"),
        Turn("yes", "Great"),
        Turn("are you a bot?", "I am a bot"),
        Turn("hello", "How are you"),
        Turn("i am great", "Great"),
        Turn("am I talking to a human?", "I am a bot"),
        Turn("bye", "Bye"),
    ]


@dataclass
class Level:
    """What one load level measured."""

    latencies_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # no answer, or an HTTP error
    unexpected: list[str] = field(default_factory=list)  # answered, but not as expected
    seconds: float = 0.0
    per_turn_ms: dict[str, list[float]] = field(default_factory=dict)


def text_of(replies: list[dict[str, Any]]) -> str:
    return "\n".join(str(reply.get("text", "")) for reply in replies)


async def converse(
    client: httpx.AsyncClient, webhook: str, sender: str, turns: list[Turn], level: Level
) -> None:
    """One conversation; it stops at the first error (the rest would make no sense)."""
    ticket: str | None = None
    for turn in turns:
        started = time.perf_counter()
        try:
            response = await client.post(webhook, json={"sender": sender, "message": turn.text})
            response.raise_for_status()
            replies: list[dict[str, Any]] = response.json()
        except (httpx.HTTPError, ValueError) as error:
            level.errors.append(f"{turn.text}: {type(error).__name__}: {error}")
            return
        elapsed_ms = (time.perf_counter() - started) * 1000
        level.latencies_ms.append(elapsed_ms)
        level.per_turn_ms.setdefault(turn.text, []).append(elapsed_ms)
        answer = text_of(replies)
        if not replies:
            level.errors.append(f"{turn.text}: no reply")
            return
        if (match := NUMBER.search(answer)) is not None and ticket is None:
            ticket = match.group(1)
        wanted = ticket if turn.expect_ticket else turn.expect
        checked = turn.expect is not None or turn.expect_ticket
        if checked and (wanted is None or wanted not in answer):
            level.unexpected.append(f"{turn.text} -> {answer[:120]!r}")


async def drive(
    webhook: str,
    script: Callable[[int], list[Turn]],
    residents: int,
    conversations: int,
    tag: str,
) -> Level:
    """`conversations` conversations by `residents` residents talking at the same time."""
    level = Level()
    queue: asyncio.Queue[int] = asyncio.Queue()
    for index in range(conversations):
        queue.put_nowait(index)
    # No keep-alive: each message on a new connection, as many residents' messages arrive;
    # a few kept-alive connections would pin the load to one of Rasa's Sanic workers.
    limits = httpx.Limits(max_connections=residents, max_keepalive_connections=0)

    async with httpx.AsyncClient(timeout=TIMEOUT_SECONDS, limits=limits) as client:

        async def resident() -> None:
            while not queue.empty():
                index = queue.get_nowait()
                sender = f"load-{tag}-{residents}-{index}-{uuid.uuid4().hex[:8]}"
                await converse(client, webhook, sender, script(index), level)

        started = time.perf_counter()
        await asyncio.gather(*(resident() for _ in range(residents)))
        level.seconds = time.perf_counter() - started
    return level


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(share * len(ordered) + 0.5) - 1))]


def summary(level: Level) -> dict[str, Any]:
    times = level.latencies_ms
    return {
        "messages": len(times),
        "seconds": round(level.seconds, 2),
        "messages_per_s": round(len(times) / level.seconds, 2) if level.seconds else 0.0,
        "p50_ms": round(statistics.median(times), 1) if times else None,
        "p95_ms": round(percentile(times, 0.95), 1) if times else None,
        "p99_ms": round(percentile(times, 0.99), 1) if times else None,
        "max_ms": round(max(times), 1) if times else None,
        "errors": len(level.errors),
        "unexpected_replies": len(level.unexpected),
        "error_examples": level.errors[:5],
        "unexpected_examples": level.unexpected[:5],
        "p50_ms_per_turn": {
            text: round(statistics.median(found), 1) for text, found in level.per_turn_ms.items()
        },
    }


class MemoryWatch:
    """Samples the VmRSS of each watched process and its descendants every 0.5 s in a
    background thread; `peaks()` gives the highest sums since the last `reset()`."""

    def __init__(self, pids: dict[str, int]) -> None:
        self.pids = pids
        self._peaks: dict[str, int] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> MemoryWatch:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def reset(self) -> None:
        with self._lock:
            self._peaks = {}

    def peaks(self) -> dict[str, float]:
        """Peak MiB per watched process tree."""
        with self._lock:
            return {name: round(kib / 1024, 1) for name, kib in self._peaks.items()}

    def cpu_seconds(self) -> dict[str, float]:
        """User and system CPU time so far of each watched process tree."""
        children = _children()
        return {
            name: sum(_cpu_seconds(p) for p in _tree(pid, children))
            for name, pid in self.pids.items()
        }

    def _run(self) -> None:
        while not self._stop.is_set():
            children = _children()
            for name, pid in self.pids.items():
                kib = sum(_rss_kib(p) for p in _tree(pid, children))
                with self._lock:
                    self._peaks[name] = max(self._peaks.get(name, 0), kib)
            self._stop.wait(SAMPLE_SECONDS)


def _children() -> dict[int, list[int]]:
    """Every process's children, from the parent field of /proc/<pid>/stat."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat[stat.rindex(")") + 2 :].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    return children


def _tree(pid: int, children: dict[int, list[int]]) -> list[int]:
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def _cpu_seconds(pid: int) -> float:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def _rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def rasa_version() -> str:
    output = subprocess.run(
        [str(RASA.parent / "python"), "-c", "import rasa; print(rasa.__version__)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return output.strip()


def plain_bot(version: str) -> Path:
    """The `rasa init` project with its trained model, trained once per Rasa version and
    cached under bench/.cache/."""
    project = CACHE / f"rasa-init-{version}"
    if list((project / "models").glob("*.tar.gz")):
        return project
    print(f"training the plain `rasa init` bot into {project} (once per Rasa version)")
    with tempfile.TemporaryDirectory(prefix="jiesu-rasa-init-") as tmp:
        bot = Path(tmp) / "bot"
        bot.mkdir()
        subprocess.run(
            [str(RASA), "init", "--no-prompt", "--init-dir", str(bot)],
            cwd=bot,
            check=True,
            stdout=subprocess.DEVNULL,
            env={**os.environ, "RASA_TELEMETRY_ENABLED": "false"},
        )
        shutil.rmtree(project, ignore_errors=True)
        shutil.copytree(bot, project, ignore=shutil.ignore_patterns(".rasa"))
    return project


@contextmanager
def plain_rasa(project: Path, port: int, token: str, workdir: Path) -> Iterator[int]:
    """The plain bot's Rasa server (its pid), with the same tracker and lock stores as ours;
    it has no custom actions, so no action server."""
    endpoints = workdir / "plain-endpoints.yml"
    endpoints.write_text(
        f"tracker_store:\n  type: SQL\n  dialect: sqlite\n  db: {workdir / 'plain-tracker.db'}\n"
        "lock_store:\n  type: in_memory\n",
        encoding="utf-8",
    )
    [model] = sorted((project / "models").glob("*.tar.gz"))[-1:]
    command = [
        str(RASA),
        "run",
        "--model",
        str(model),
        "--endpoints",
        str(endpoints),
        "--credentials",
        str(project / "credentials.yml"),
        "--interface",
        "127.0.0.1",
        "--port",
        str(port),
        "--enable-api",
        "--auth-token",
        token,
    ]
    with running(command, workdir / "plain-rasa.log") as process:
        yield process.pid


def load_note(results: dict[str, Any]) -> str | None:
    """A note when the machine was busy: the load average at the start (1 and 5 min) or
    before any level over `HIGH_LOAD`."""
    one, five, _ = results["load_average_at_start"]
    during = [
        figures["load_average_1min_before"]
        for name in SETUPS
        for figures in results.get(name, {}).values()
    ]
    if max([one, five, *during]) <= HIGH_LOAD:
        return None
    return (
        f"busy machine: load average {one:.2f} (1 min) / {five:.2f} (5 min) at the start, "
        f"{min(during):.2f}-{max(during):.2f} (1 min) before the levels, over {HIGH_LOAD} on "
        f"{os.cpu_count()} cores; about one core of it is this benchmark's own servers and "
        "residents, the rest other processes, so the figures are lower than on an idle machine"
    )


def count_tickets(database_url: str) -> int:
    with session_scope(database_url) as session:
        return int(session.scalar(select(func.count()).select_from(Ticket)) or 0)


def conversations_at(residents: int) -> int:
    return max(CONVERSATIONS_PER_RESIDENT * residents, MIN_CONVERSATIONS)


SETUPS = {
    "ours": "models/jiesu.tar.gz scaled out as endpoints.scale.yml configures it: "
    "SANIC_WORKERS=2 (two Rasa worker processes on one port), PostgreSQL tracker store and "
    "app database, Redis lock store, one rasa_sdk action server",
    "ours_one_process": "models/jiesu.tar.gz as `make run` serves it: one Rasa process, "
    "SQLite tracker store and app database, in-memory lock store, one rasa_sdk action server",
    "plain_bot": "`rasa init --no-prompt` project, one Rasa process, SQLite tracker store, "
    "in-memory lock store, no action server",
}
WORKERS = 2


@dataclass(frozen=True)
class Served:
    """One bot as the benchmark serves it."""

    webhook: str
    script: Callable[[int], list[Turn]]
    pids: dict[str, int]  # process trees to watch, by role
    database_url: str | None  # where its tickets are filed (the plain bot files none)


@contextmanager
def ours_served(
    workdir: Path, token: str, database: str, tracker: Path | None, scale: dict[str, str] | None
) -> Iterator[Served]:
    """Our model with its action server: in `make run`'s configuration (SQLite `tracker`),
    or with the `scale` environment of endpoints.scale.yml and `WORKERS` Sanic workers."""
    upgrade(database)
    action_port, rasa_port = free_port(), free_port()
    if scale is None:
        assert tracker is not None
        endpoints, env = workdir / "endpoints.yml", {}
        write_endpoints(endpoints, action_port, tracker)
    else:
        endpoints = SCALE_ENDPOINTS
        env = {
            **scale,
            "SANIC_WORKERS": str(WORKERS),
            "JIESU_ACTION_SERVER_URL": f"http://127.0.0.1:{action_port}",
        }
    name = "scaled" if scale else "one"
    with (
        action_server(action_port, workdir / f"actions-{name}.log", database) as actions,
        rasa_servers([rasa_port], endpoints, token, [workdir / f"rasa-{name}.log"], env) as [rasa],
    ):
        assert actions.process is not None
        yield Served(
            f"http://127.0.0.1:{rasa_port}/webhooks/rest/webhook",
            ours,
            {"rasa": rasa.pid, "action_server": actions.process.pid},
            database,
        )


@contextmanager
def ours_scaled(workdir: Path, token: str) -> Iterator[Served]:
    """`ours_served` scaled out on the local PostgreSQL and Redis; raises
    `Unavailable` where either is missing."""
    try:
        socket.create_connection(REDIS, timeout=5.0).close()
    except OSError as error:
        raise Unavailable(f"Redis is not reachable on {REDIS[0]}:{REDIS[1]}: {error}") from None
    try:
        with postgres_database() as app_url, postgres_database() as tracker_url:
            environment = scale_environment("", tracker_url, f"jiesuload{uuid.uuid4().hex[:8]}")
            with ours_served(workdir, token, app_url, None, environment) as served:
                yield served
    except pytest.skip.Exception as skipped:
        raise Unavailable(str(skipped)) from None


class Unavailable(Exception):
    """A setup this machine cannot run (no PostgreSQL or Redis)."""


def measure(
    served: Served, name: str, residents: int, conversations: int, memory: MemoryWatch
) -> dict[str, Any]:
    """One level of the setup `name`: the level's figures, CPU, memory and tickets."""
    before = count_tickets(served.database_url) if served.database_url else 0
    memory.reset()
    load = os.getloadavg()[0]
    cpu_before = memory.cpu_seconds()
    level = asyncio.run(drive(served.webhook, served.script, residents, conversations, name))
    cpu_after = memory.cpu_seconds()
    figures = summary(level)
    used = {
        role: cpu_after[f"{name}.{role}"] - cpu_before[f"{name}.{role}"] for role in served.pids
    }
    figures["cpu_busy_share"] = {  # of one core, over the level's time
        role: round(seconds / level.seconds, 2) for role, seconds in used.items()
    }
    figures["cpu_ms_per_message"] = {
        role: round(seconds * 1000 / max(1, len(level.latencies_ms)), 1)
        for role, seconds in used.items()
    }
    figures["conversations"] = conversations
    figures["load_average_1min_before"] = round(load, 2)
    peaks = memory.peaks()
    figures["peak_rss_mib"] = {role: peaks.get(f"{name}.{role}") for role in served.pids}
    if served.database_url:
        figures["tickets_expected"] = conversations
        figures["tickets_created"] = count_tickets(served.database_url) - before
    return figures


def run(levels: tuple[int, ...]) -> dict[str, Any]:
    load_at_start = os.getloadavg()
    version = rasa_version()
    project = plain_bot(version)
    results: dict[str, Any] = {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "rasa": version,
        },
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "load_average_at_start": [round(x, 2) for x in load_at_start],
        "setup": {
            **SETUPS,
            "turns": "8 per conversation; every conversation has its own sender id",
            "client": "a new connection per message (no keep-alive), as messages from many "
            "residents arrive: a few kept-alive connections would pin the load to one worker",
            "conversations_per_level": {str(n): conversations_at(n) for n in levels},
            "order": "per level: " + ", then ".join(SETUPS),
        },
        "targets": TARGETS,
    }
    with tempfile.TemporaryDirectory(prefix="jiesu-load-") as tmp, ExitStack() as stack:
        workdir = Path(tmp)
        token = secrets.token_urlsafe(16)
        served: dict[str, Served] = {}
        try:
            served["ours"] = stack.enter_context(ours_scaled(workdir, token))
        except Unavailable as reason:
            results["unavailable"] = {"ours": str(reason)}
        served["ours_one_process"] = stack.enter_context(
            ours_served(
                workdir, token, f"sqlite:///{workdir / 'jiesu.db'}", workdir / "tracker.db", None
            )
        )
        plain_port = free_port()
        plain_pid = stack.enter_context(plain_rasa(project, plain_port, token, workdir))
        wait_until_ok(f"http://127.0.0.1:{plain_port}/status", 240, params={"token": token})
        served["plain_bot"] = Served(
            f"http://127.0.0.1:{plain_port}/webhooks/rest/webhook",
            plain,
            {"rasa": plain_pid},
            None,
        )
        pids = {
            f"{name}.{role}": pid for name, bot in served.items() for role, pid in bot.pids.items()
        }
        with MemoryWatch(pids) as memory:
            for name, bot in served.items():  # warm up: not measured
                asyncio.run(drive(bot.webhook, bot.script, WORKERS, 2 * WORKERS, f"warm-{name}"))
            results["peak_rss_mib_start_and_warmup"] = memory.peaks()
            for residents in levels:
                for name, bot in served.items():
                    figures = measure(bot, name, residents, conversations_at(residents), memory)
                    results.setdefault(name, {})[str(residents)] = figures
                    print(name, residents, json.dumps(figures, ensure_ascii=False))
    if (note := load_note(results)) is not None:
        results["note"] = note
    plain_rates = {key: figures["messages_per_s"] for key, figures in results["plain_bot"].items()}
    results["throughput_ratio_to_plain_bot"] = {
        name: {
            key: round(figures["messages_per_s"] / plain_rates[key], 2)
            for key, figures in results[name].items()
            if plain_rates.get(key)
        }
        for name in ("ours", "ours_one_process")
        if name in results
    }
    judged = "ours" if "ours" in results else "ours_one_process"
    at_10 = results[judged].get("10")
    results["targets_met"] = {
        "judged_setup": judged,
        "p95_ms_at_10": None if at_10 is None else at_10["p95_ms"] < TARGETS["p95_ms_at_10"],
        "throughput_at_least_plain_bot": all(
            ratio >= TARGETS["throughput_ratio_to_plain_bot"]
            for ratio in results["throughput_ratio_to_plain_bot"][judged].values()
        ),
        "tickets_created_as_expected": all(
            figures["tickets_created"] == figures["tickets_expected"]
            for name in ("ours", "ours_one_process")
            if name in results
            for figures in results[name].values()
        ),
    }
    return results


def main() -> None:
    levels = tuple(int(n) for n in sys.argv[1:]) or LEVELS  # e.g. `load.py 1 2` to try
    results = run(levels)
    if levels == LEVELS:
        RESULTS.write_text(
            json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
    print(
        json.dumps(
            {k: results[k] for k in ("throughput_ratio_to_plain_bot", "targets_met")},
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
