"""Files that hold secrets or residents' data, readable and writable by their owner only.

`.env` (secrets), the SQLite app database, residents' photos, and the project's `var/`
folder, where Rasa's SQLite tracker store keeps the transcripts (Rasa creates that file
itself: the folder's mode is what protects it).
"""

from __future__ import annotations

import os
from pathlib import Path

from jiesu.config import PROJECT_ROOT

VAR_DIR = PROJECT_ROOT / "var"
FILE_MODE = 0o600
FOLDER_MODE = 0o700


def private_folder(path: Path) -> None:
    """Create `path` (mode 0700) if missing; the project's `var/` is made 0700 even if it
    exists. Another existing folder is left as it is (it may be shared, like /tmp)."""
    if not path.exists():
        path.mkdir(parents=True, mode=FOLDER_MODE)
    if path.resolve() == VAR_DIR.resolve():
        path.chmod(FOLDER_MODE)


def private_file(path: Path) -> None:
    """Create `path` empty if missing, and make it 0600: created so, never readable by
    others for a moment."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, FILE_MODE))
    path.chmod(FILE_MODE)


def write_private(path: Path, data: bytes) -> None:
    """Write `data` to `path`, which is (or becomes) 0600 before a byte is written."""
    private_file(path)
    with path.open("wb") as out:
        out.write(data)
