"""The action server and the web app restarted while a resident waits: nothing is lost,
the kept message is answered by the restarted web app, and the appeal is filed once."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select

from jiesu.conversations import ConversationId
from jiesu.db import session_scope
from jiesu.inbox import InboundMessage
from jiesu.outbox import OutboxMessage
from jiesu.tickets import Ticket
from jiesu.vocabulary import gateway_text
from tests.faults.conftest import FaultStack, web_chat
from tests.servers import APP_PYTHON, Service, free_port, service

pytestmark = pytest.mark.servers


@pytest.fixture
def web(fault_stack: FaultStack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """`jiesu web` over the fault stack, retrying kept messages every second."""
    port = free_port()
    env = {
        "JIESU_DATABASE_URL": fault_stack.rasa.database_url,
        "JIESU_RASA_URL": fault_stack.rasa.rasa_url,
        "JIESU_RASA_TOKEN": fault_stack.rasa.token,
        "JIESU_WEB_PORT": str(port),
        "JIESU_SECRET_KEY": "fault-tests",  # the resident's cookie outlives a restart
        "JIESU_RETRY_INTERVAL_SECONDS": "1",
        # The web app may be killed while its retry loop has the message with Rasa;
        # a short lease lets the restarted one take it over within the test.
        "JIESU_RASA_TIMEOUT_SECONDS": "10",
        "JIESU_CLAIM_LEASE_SECONDS": "12",
    }
    log = tmp_path_factory.mktemp("faults-web") / "web.log"
    command = [str(APP_PYTHON), "-m", "jiesu.cli", "web"]
    with service(command, log, f"http://127.0.0.1:{port}/healthz", env, 60) as server:
        yield server


def _counts(database_url: str, chat_id: str) -> tuple[int, int, int]:
    """Inbound messages, outbox messages and tickets of the web chat `chat_id`."""
    with session_scope(database_url) as session:
        inbound = session.scalar(select(func.count()).where(InboundMessage.chat_id == chat_id))
        outbox = session.scalar(select(func.count()).where(OutboxMessage.chat_id == chat_id))
        tickets = session.scalar(
            select(func.count()).where(Ticket.sender_id == ConversationId.build("web", chat_id))
        )
    return inbound or 0, outbox or 0, tickets or 0


def test_a_message_kept_across_restarts_is_answered_and_the_appeal_filed_once(
    fault_stack: FaultStack, web: Service
) -> None:
    base = web.health_url.removesuffix("/healthz")
    resident = web_chat(base)
    says = resident.says

    fault_stack.actions.kill()
    try:
        assert says("建设路18号的路灯坏了好几天了，晚上特别黑") == gateway_text("busy")
        chat_id = resident.chat_id(fault_stack.rasa.database_url)
        before = _counts(fault_stack.rasa.database_url, chat_id)
        web.kill()
    finally:
        fault_stack.actions.start()
    web.start()

    deadline = time.monotonic() + 45
    notices: list[dict[str, Any]] = []
    while not notices and time.monotonic() < deadline:
        time.sleep(0.5)
        notices = resident.notices()
    assert notices and "电话" in notices[0]["text"]  # the form's next question, late
    assert before == (1, 0, 0)
    assert _counts(fault_stack.rasa.database_url, chat_id) == (1, 1, 0)

    assert "建设路18号" in says("13812345678")
    assert "工单号" in says("确认提交")
    assert _counts(fault_stack.rasa.database_url, chat_id) == (3, 1, 1)
