"""Database engine and sessions (SQLAlchemy 2) for the app database."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, TypeVar

from sqlalchemy import DateTime, Dialect, Engine, create_engine, event
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from jiesu.config import get_settings

log = logging.getLogger(__name__)
T = TypeVar("T")


class Base(DeclarativeBase):
    """Declarative base of every app table."""


class UtcDateTime(TypeDecorator[datetime]):
    """An aware datetime stored in UTC and read back aware, on SQLite too.

    SQLite keeps neither the offset nor the awareness: without this, a
    Shanghai-time value would be read back eight hours off, and naive.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value} given where an aware one is required")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None or value.tzinfo is not None:
            return value
        return value.replace(tzinfo=UTC)


def _tune_sqlite(dbapi_connection: Any, _record: Any) -> None:
    """WAL lets the web app, action server and CLI share one file; wait when it is locked."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={get_settings().sqlite_busy_timeout_ms:d}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def make_engine(url: str) -> Engine:
    """Create an engine for `url`, tuned for SQLite when it is one."""
    engine = create_engine(url, pool_pre_ping=True)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _tune_sqlite)
    return engine


@lru_cache(maxsize=8)
def get_engine(url: str | None = None) -> Engine:
    """Return the shared engine for `url` (default: the configured database)."""
    return make_engine(url or get_settings().database_url)


@lru_cache(maxsize=8)
def _session_factory(url: str | None) -> sessionmaker[Session]:
    return sessionmaker(get_engine(url), expire_on_commit=False)


@contextmanager
def session_scope(url: str | None = None) -> Iterator[Session]:
    """A session that commits on success and rolls back on error."""
    session = _session_factory(url)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def in_transaction(
    work: Callable[[Session], T],
    url: str | None = None,
    *,
    attempts: int = 3,
    backoff_seconds: float = 0.2,
) -> T:
    """Run `work` in a transaction of its own; if the database is locked or briefly
    unreachable (SQLAlchemy's OperationalError: SQLite's busy timeout ran out, a lost
    connection, a PostgreSQL deadlock or serialization failure), roll back, wait a little
    longer each time and run it again, at most `attempts` times, then raise.

    Only for idempotent work: a commit that failed may still have happened, so the next
    run must find what the previous one wrote instead of writing it twice.
    """
    attempt = 1
    while True:
        try:
            with session_scope(url) as session:
                return work(session)
        except OperationalError as error:
            if attempt >= attempts:
                raise
            delay = backoff_seconds * 2 ** (attempt - 1)
            log.warning(
                "database busy (attempt %d of %d), retrying in %.1f s: %s",
                attempt,
                attempts,
                delay,
                error.orig,
            )
            time.sleep(delay)
            attempt += 1
