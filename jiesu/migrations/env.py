"""Alembic environment: migrates the database named by the `sqlalchemy.url` option."""

from __future__ import annotations

from alembic import context

import bot.telegram.callbacks  # registers its tables on Base.metadata
import bot.wechat.models  # noqa: F401  (likewise)
import jiesu.faq.models  # registers its tables on Base.metadata
import jiesu.handoff.models  # registers its tables on Base.metadata
import jiesu.loop.models  # registers its tables on Base.metadata
import jiesu.models  # registers its tables on Base.metadata
import jiesu.outbox  # registers its tables on Base.metadata
import jiesu.staff.models  # registers its tables on Base.metadata
import jiesu.tickets.models  # noqa: F401  (likewise)
from jiesu.db import Base, make_engine

config = context.config
url = config.get_main_option("sqlalchemy.url")
assert url, "jiesu.migrate sets sqlalchemy.url"

engine = make_engine(url)
with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
