"""Console login sessions, kept in the database so logging out ends them for good.

The browser holds a random token (signed in the cookie by the web app); only its
SHA-256 is stored. Each session carries the CSRF token its forms must return.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from jiesu.models import utcnow
from jiesu.staff.models import StaffSession, StaffUser

SESSION_LIFETIME = timedelta(hours=12)


@dataclass(frozen=True)
class Login:
    """A live session: who is logged in and the CSRF token of their forms."""

    user: StaffUser
    csrf_token: str


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(session: Session, user: StaffUser, *, now: datetime | None = None) -> str:
    """Open a session for `user` and return its token (to be given to the browser only)."""
    when = now or utcnow()
    token = secrets.token_urlsafe(32)
    session.add(
        StaffSession(
            token_hash=_digest(token),
            user_id=user.id,
            csrf_token=secrets.token_urlsafe(32),
            created_at=when,
            expires_at=when + SESSION_LIFETIME,
        )
    )
    session.flush()
    return token


def find_login(session: Session, token: str, *, now: datetime | None = None) -> Login | None:
    """The login of `token` if it is unexpired and its account still active."""
    row = session.scalars(
        select(StaffSession).where(StaffSession.token_hash == _digest(token))
    ).one_or_none()
    if row is None or row.expires_at <= (now or utcnow()):
        return None
    user = session.get(StaffUser, row.user_id)
    if user is None or not user.active:
        return None
    return Login(user=user, csrf_token=row.csrf_token)


def end_session(session: Session, token: str) -> None:
    """Log out: forget the session of `token`."""
    session.execute(delete(StaffSession).where(StaffSession.token_hash == _digest(token)))


def end_sessions_of(session: Session, user: StaffUser) -> None:
    """Log `user` out everywhere (deactivated, or given a new password)."""
    session.execute(delete(StaffSession).where(StaffSession.user_id == user.id))
