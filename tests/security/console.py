"""The web app in process (no Rasa: its address leads nowhere) and staff logged in to it,
for the console's access checks."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from typing import Any

from starlette.testclient import TestClient

from console.app import create_app
from jiesu.config import Settings
from jiesu.db import session_scope
from jiesu.staff.accounts import create_user
from jiesu.staff.roles import Role
from tests.servers import free_port

PASSWORD = "security-pass-1"


def web_app(database_url: str, **overrides: Any) -> TestClient:
    """A client of a new web app on `database_url` (enter it to run the app's lifespan)."""
    values: dict[str, Any] = {
        "database_url": database_url,
        "rasa_url": f"http://127.0.0.1:{free_port()}",
        "secret_key": "test-secret",
        "rasa_timeout_seconds": 2.0,
        **overrides,
    }
    return TestClient(create_app(Settings(**values)), follow_redirects=False)


def log_in(
    client: TestClient,
    database_url: str,
    role: Role,
    department: str | None = None,
    grids: Sequence[str] = (),
) -> None:
    """Log `client` in as a new staff member with `role`."""
    name = f"{role.value}-{uuid.uuid4().hex[:8]}"
    with session_scope(database_url) as session:
        create_user(session, name, PASSWORD, role, department=department, grids=grids)
    client.cookies.clear()
    form = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token is not None
    done = client.post(
        "/login", data={"username": name, "password": PASSWORD, "csrf_token": token.group(1)}
    )
    assert done.status_code == 303, done.text


def csrf_token(page: str) -> str:
    """The CSRF token of a console page's forms."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found is not None
    return found.group(1)
