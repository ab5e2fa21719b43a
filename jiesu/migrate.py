"""Apply Alembic migrations to the app database."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import make_url

from jiesu.config import get_settings
from jiesu.private_files import private_file, private_folder

_INI = Path(__file__).with_name("alembic.ini")


def alembic_config(url: str | None = None) -> Config:
    """Alembic configuration for `url` (default: the configured database)."""
    config = Config(str(_INI))
    config.set_main_option("sqlalchemy.url", url or get_settings().database_url)
    return config


def upgrade(url: str | None = None) -> None:
    """Bring the database at `url` to the newest schema; a SQLite file and a folder made
    for it are their owner's only."""
    target = url or get_settings().database_url
    parsed = make_url(target)
    if parsed.get_backend_name() == "sqlite" and parsed.database:
        database = Path(parsed.database)
        private_folder(database.parent)
        private_file(database)
    command.upgrade(alembic_config(target), "head")
