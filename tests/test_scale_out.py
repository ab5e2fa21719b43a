"""Scale-out by configuration alone: two Rasa servers behind one round-robin proxy share a
PostgreSQL tracker store and a Redis lock store (endpoints.scale.yml), one action server
files tickets in a PostgreSQL app database, and a conversation moves between the servers
turn by turn without losing its state."""

from __future__ import annotations

import itertools
import json
import re
import secrets
import socket
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, replace

import pytest
from sqlalchemy import create_engine, make_url, select, text

from bot.gateway import Gateway, Incoming
from bot.rasa_client import RasaClient
from jiesu.db import session_scope
from jiesu.inbox import InboundMessage, InboundStatus
from jiesu.migrate import upgrade
from jiesu.tickets import tickets_for_sender
from tests.proxy import RoundRobinProxy, round_robin_proxy
from tests.resident import Resident, text_of
from tests.servers import (
    REDIS,
    SCALE_ENDPOINTS,
    RasaStack,
    action_server,
    free_port,
    postgres_database,
    rasa_servers,
    scale_environment,
)

pytestmark = pytest.mark.servers

NUMBER = re.compile(r"工单号 (\d{8}-\d{4})")


def redis_command(*args: str) -> object:
    """Send one command to the local Redis and return its reply (RESP2; the app environment
    has no Redis client)."""
    request = f"*{len(args)}\r\n" + "".join(f"${len(a.encode())}\r\n{a}\r\n" for a in args)
    with socket.create_connection(REDIS, timeout=5.0) as sock, sock.makefile("rb") as reply:
        sock.sendall(request.encode())
        line = reply.readline()
        kind, rest = line[:1], line[1:].strip()
        if kind == b"-":
            raise RuntimeError(rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            size = int(rest)
            return None if size < 0 else reply.read(size + 2)[:-2]
        return rest


@dataclass(frozen=True)
class ScaleOut:
    """The proxy in front of two Rasa servers, and where their shared state lives."""

    stack: RasaStack  # its rasa_url is the proxy's
    proxy: RoundRobinProxy
    lock_key_prefix: str
    tracker_url: str

    def resident(self) -> Resident:
        return Resident(self.stack)


@pytest.fixture(scope="module")
def scale_out(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ScaleOut]:
    try:
        redis_command("PING")
    except OSError as error:
        pytest.skip(f"Redis is not reachable on {REDIS[0]}:{REDIS[1]}: {error}")
    workdir = tmp_path_factory.mktemp("scale")
    with postgres_database() as app_url, postgres_database() as tracker_url:
        upgrade(app_url)
        action_port, rasa_ports = free_port(), [free_port(), free_port()]
        action_url = f"http://127.0.0.1:{action_port}"
        prefix = f"jiesutest{uuid.uuid4().hex[:12]}"
        env = scale_environment(action_url, tracker_url, prefix)
        token = secrets.token_urlsafe(16)
        logs = [workdir / f"rasa-{port}.log" for port in rasa_ports]
        with (
            action_server(action_port, workdir / "actions.log", app_url),
            rasa_servers(rasa_ports, SCALE_ENDPOINTS, token, logs, env),
            round_robin_proxy([f"http://127.0.0.1:{port}" for port in rasa_ports]) as proxy,
        ):
            stack = RasaStack(
                proxy.url, action_url, token, make_url(tracker_url).database or "", app_url
            )
            yield ScaleOut(stack, proxy, prefix, tracker_url)


def test_an_appeal_moving_between_servers_is_filed_once(scale_out: ScaleOut) -> None:
    resident = scale_out.resident()
    first = len(scale_out.proxy.served)
    assert "保密" in text_of(resident.says("我要举报"))
    assert "位置" in text_of(resident.says("有人每天晚上往河里偷偷倒建筑垃圾"))
    assert "匿名" in text_of(resident.says("滨河路桥下面"))
    assert "13812345678" in text_of(resident.says("13812345678"))
    match = NUMBER.search(text_of(resident.says("/affirm")))
    assert match, "no ticket number after confirming"
    assert match.group(1) in text_of(resident.says("查一下我的工单"))

    backends = [served.backend for served in scale_out.proxy.served[first:]]
    assert len(backends) == 6 and len(set(backends)) == 2
    assert all(a != b for a, b in itertools.pairwise(backends))  # alternating
    with session_scope(scale_out.stack.database_url) as session:
        [ticket] = tickets_for_sender(session, resident.sender_id)
        assert ticket.number == match.group(1)
        assert (ticket.description, ticket.address, ticket.phone) == (
            "有人每天晚上往河里偷偷倒建筑垃圾",
            "滨河路桥下面",
            "13812345678",
        )
    trackers = [
        replace(scale_out.stack, rasa_url=backend).tracker(resident.sender_id)
        for backend in scale_out.proxy.backends
    ]
    assert trackers[0]["events"] == trackers[1]["events"]  # one shared conversation
    engine = create_engine(scale_out.tracker_url)
    try:
        with engine.connect() as connection:
            user_turns = connection.execute(
                text(
                    "SELECT count(*) FROM events WHERE sender_id = :sender AND type_name = 'user'"
                ),
                {"sender": resident.sender_id},
            ).scalar_one()
    finally:
        engine.dispose()
    assert user_turns == 6  # the turns are in the PostgreSQL tracker store


def test_every_server_waits_for_a_conversation_locked_in_redis(scale_out: ScaleOut) -> None:
    """Another server's ticket on the conversation, held in Redis under the configured key
    prefix, makes whichever server receives the message wait until the ticket expires."""
    for _ in scale_out.proxy.backends:
        resident = scale_out.resident()
        key = f"{scale_out.lock_key_prefix}:lock:{resident.sender_id}"
        held = json.dumps({"number": 1, "expires": time.time() + 3.0})
        lock = json.dumps({"conversation_id": resident.sender_id, "tickets": [held]})
        assert redis_command("SET", key, lock, "EX", "30") == b"OK"
        started = time.monotonic()
        resident.says("你好")
        assert time.monotonic() - started >= 2.5
        assert redis_command("EXISTS", key) == 0  # released once answered
    assert len({served.backend for served in scale_out.proxy.served[-2:]}) == 2


@pytest.fixture
async def gateway(scale_out: ScaleOut) -> AsyncIterator[Gateway]:
    rasa = RasaClient(scale_out.proxy.url, 30.0)
    yield Gateway(rasa, scale_out.stack.database_url, max_chars=4000)
    await rasa.aclose()


async def test_the_gateway_records_each_message_once_in_postgresql(
    gateway: Gateway, scale_out: ScaleOut
) -> None:
    message = Incoming(
        channel="test", chat_id=uuid.uuid4().hex, message_id=uuid.uuid4().hex, text="你是机器人吗"
    )
    first = await gateway.handle(message)
    assert await gateway.handle(message) == first  # redelivered: answered from the record
    with session_scope(scale_out.stack.database_url) as session:
        [record] = session.scalars(
            select(InboundMessage).where(InboundMessage.chat_id == message.chat_id)
        ).all()
        assert record.status == InboundStatus.ANSWERED
    events = scale_out.stack.tracker(message.sender_id)["events"]
    assert isinstance(events, list)
    assert sum(1 for event in events if event["event"] == "user") == 1
