"""Filing while SQLite is locked by another writer: retried shortly, filed once or a clear error."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import func, make_url, select
from sqlalchemy.exc import OperationalError

from actions.appeal import ActionSubmitAppeal
from jiesu.appeals import Assessment, Draft, assess
from jiesu.appeals.filing import file_appeal_retrying
from jiesu.config import get_settings
from jiesu.db import get_engine, session_scope
from jiesu.tickets import AppealType, Ticket
from jiesu.vocabulary import wording

DRAFT = Draft(
    AppealType.COMPLAIN, "路灯坏了好几天了，晚上很黑", address="建设路18号", phone="13812345678"
)
BUSY_TIMEOUT_MS = 200  # retries: 3 tries of 0.2 s with 0.2 s and 0.4 s pauses, about 1.2 s


@pytest.fixture
def locked_database(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The app database, with a short SQLite busy timeout for new connections."""
    monkeypatch.setenv("JIESU_SQLITE_BUSY_TIMEOUT_MS", str(BUSY_TIMEOUT_MS))
    monkeypatch.setenv("JIESU_DATABASE_URL", database_url)
    get_settings.cache_clear()
    get_engine(database_url).dispose()  # the migration's connections waited 5 s
    yield database_url
    get_settings.cache_clear()


@pytest.fixture(scope="module")
def assessment() -> Assessment:
    """The draft's assessment, made before any lock (the first one loads the city, slowly)."""
    return assess(DRAFT)


@contextmanager
def exclusive_lock(database_url: str, seconds: float) -> Iterator[None]:
    """Another connection holds SQLite's write lock (BEGIN EXCLUSIVE) for `seconds`."""
    connection = sqlite3.connect(
        make_url(database_url).database or "", isolation_level=None, check_same_thread=False
    )
    connection.execute("BEGIN EXCLUSIVE")
    release = threading.Timer(seconds, connection.execute, ["COMMIT"])
    release.start()
    try:
        yield
    finally:
        release.join()
        connection.close()


def _tickets(database_url: str) -> int:
    with session_scope(database_url) as session:
        return session.scalar(select(func.count()).select_from(Ticket)) or 0


def test_a_lock_released_in_time_files_the_ticket_once(
    locked_database: str, assessment: Assessment, caplog: pytest.LogCaptureFixture
) -> None:
    with exclusive_lock(locked_database, seconds=0.5):
        ticket, created = file_appeal_retrying(
            DRAFT,
            assessment,
            sender_id="web:resident-1",
            source_message_id="m1",
            database_url=locked_database,
        )
    assert created and ticket.number
    assert "database busy (attempt 1 of 3)" in caplog.text
    assert _tickets(locked_database) == 1


def test_a_lock_held_too_long_files_nothing_and_raises(
    locked_database: str, assessment: Assessment
) -> None:
    with exclusive_lock(locked_database, seconds=2.5), pytest.raises(OperationalError):
        file_appeal_retrying(
            DRAFT,
            assessment,
            sender_id="web:resident-1",
            source_message_id="m1",
            database_url=locked_database,
        )
    assert _tickets(locked_database) == 0
    _, created = file_appeal_retrying(
        DRAFT,
        assessment,
        sender_id="web:resident-1",
        source_message_id="m1",
        database_url=locked_database,
    )
    assert created and _tickets(locked_database) == 1


def _confirmed_tracker() -> Tracker:
    slots = {
        "appeal_type": "complain",
        "appeal_description": DRAFT.description,
        "appeal_address": DRAFT.address,
        "appeal_phone": DRAFT.phone,
        "appeal_confirmed": True,
    }
    return Tracker.from_dict(
        {
            "sender_id": "web:resident-2",
            "slots": slots,
            "latest_message": {"text": "确认提交", "intent": {"name": "affirm"}, "entities": []},
            "events": [{"event": "user", "text": "确认提交", "metadata": {"message_id": "m2"}}],
            "paused": False,
            "followup_action": None,
            "active_loop": {},
            "latest_action_name": "appeal_form",
        }
    )


async def test_the_resident_is_told_when_the_lock_outlasts_the_retries(
    locked_database: str, assessment: Assessment
) -> None:
    dispatcher = CollectingDispatcher()
    with exclusive_lock(locked_database, seconds=2.5):
        await ActionSubmitAppeal().run(dispatcher, _confirmed_tracker(), {})
    assert [message["text"] for message in dispatcher.messages] == [
        wording("appeal", "filed_failed")
    ]
    assert _tickets(locked_database) == 0
