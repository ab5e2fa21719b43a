"""Files that hold secrets or residents' data are their owner's only: `.env` is created
0600, the app database 0600 in a folder of 0700 (the project's var/ too, where Rasa keeps
the transcripts), residents' photos 0600 in a folder of 0700."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from jiesu import private_files
from jiesu.cli import app
from jiesu.config import get_settings
from jiesu.db import session_scope
from jiesu.migrate import upgrade
from jiesu.tickets.attachments import attachment_path, store_attachment


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def loose_umask() -> Iterator[None]:
    """A umask that would leave new files readable by everyone (0644) and folders 0755."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_init_env_creates_the_env_file_for_its_owner_only(
    tmp_path: Path, loose_umask: None
) -> None:
    env = tmp_path / ".env"
    result = CliRunner().invoke(app, ["init-env", "--path", str(env)])
    assert result.exit_code == 0, result.output
    assert _mode(env) == 0o600
    env.write_text("JIESU_RASA_TOKEN=x\n", encoding="utf-8")
    env.chmod(0o644)
    CliRunner().invoke(app, ["init-env", "--path", str(env)])  # adds the secret key
    assert _mode(env) == 0o600 and "JIESU_SECRET_KEY" in env.read_text(encoding="utf-8")


def test_the_sqlite_database_and_its_folder_are_private(
    tmp_path: Path, loose_umask: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    var = tmp_path / "var"
    monkeypatch.setattr(private_files, "VAR_DIR", var)
    var.mkdir(mode=0o755)  # as an earlier version left it
    upgrade(f"sqlite:///{var / 'jiesu.db'}")
    assert _mode(var) == 0o700 and _mode(var / "jiesu.db") == 0o600
    fresh = tmp_path / "elsewhere" / "db"
    upgrade(f"sqlite:///{fresh / 'jiesu.db'}")
    assert _mode(fresh) == 0o700 and _mode(fresh / "jiesu.db") == 0o600
    shared = tmp_path / "shared"  # someone else's folder (think /srv): only the file changes
    shared.mkdir(mode=0o755)
    upgrade(f"sqlite:///{shared / 'jiesu.db'}")
    assert _mode(shared) == 0o755 and _mode(shared / "jiesu.db") == 0o600


def test_photos_are_private(
    database_url: str, tmp_path: Path, loose_umask: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "attachments"
    monkeypatch.setenv("JIESU_ATTACHMENTS_DIR", str(folder))
    get_settings.cache_clear()
    try:
        with session_scope(database_url) as session:
            photo = store_attachment(
                session,
                channel="web",
                source_message_id="p1",
                sender_id="web:a",
                data=b"\xff\xd8jpeg",
                suffix=".jpg",
                content_type="image/jpeg",
            )
            path = attachment_path(photo)
    finally:
        get_settings.cache_clear()
    assert _mode(folder) == 0o700 and _mode(path) == 0o600
