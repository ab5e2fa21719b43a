"""Alembic environment: migrates the database named by the `sqlalchemy.url` option."""

from __future__ import annotations

from alembic import context

from jiesu.db import make_engine
from jiesu.migrations.tables import metadata

config = context.config
url = config.get_main_option("sqlalchemy.url")
assert url, "jiesu.migrate sets sqlalchemy.url"

engine = make_engine(url)
with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
