"""The app database schema comes from Alembic, on SQLite and on PostgreSQL alike."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from jiesu.migrate import upgrade
from tests.servers import postgres_database


def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_upgrade_creates_schema_in_a_new_sqlite_file_and_is_repeatable(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'nested' / 'jiesu.db'}"
    upgrade(url)
    upgrade(url)
    assert {"inbound_messages", "alembic_version"} <= _tables(url)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A throwaway PostgreSQL database on 127.0.0.1:5432, skipped where none runs."""
    with postgres_database() as url:
        yield url


def test_upgrade_works_on_postgresql_by_url_alone(postgres_url: str) -> None:
    upgrade(postgres_url)
    assert {"inbound_messages", "alembic_version"} <= _tables(postgres_url)


def _drift(url: str) -> list[object]:
    """What autogenerate would change to make the database at `url` match the models."""
    import bot.telegram.callbacks  # the tables env.py registers, all of them
    import bot.wechat.models  # noqa: F401
    import jiesu.faq.models
    import jiesu.handoff.models
    import jiesu.loop.models
    import jiesu.models
    import jiesu.outbox
    import jiesu.staff.models
    import jiesu.tickets.models  # noqa: F401
    from jiesu.db import Base

    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return list(compare_metadata(context, Base.metadata))
    finally:
        engine.dispose()


def test_migrations_at_head_match_the_models_on_sqlite(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'jiesu.db'}"
    upgrade(url)
    assert _drift(url) == []


def test_migrations_at_head_match_the_models_on_postgresql(postgres_url: str) -> None:
    upgrade(postgres_url)
    assert _drift(postgres_url) == []
