"""Login rate limit: after 5 failures for one username from one address (an IPv6 address
counts with its /64 network), or 20 for one username from anywhere, wait 15 minutes."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, delete, func, select
from sqlalchemy.orm import Session

from jiesu.http_limits import address_key
from jiesu.models import utcnow
from jiesu.staff.models import LoginFailure

MAX_FAILURES = 5  # one username from one address
ACCOUNT_FAILURES = 20  # one username from any address: guessing spread over many
WINDOW = timedelta(minutes=15)


def _of(username: str, client_ip: str) -> ColumnElement[bool]:
    return and_(LoginFailure.username == username, LoginFailure.client_ip == address_key(client_ip))


def _failures(session: Session, which: ColumnElement[bool], now: datetime | None) -> int:
    since = (now or utcnow()) - WINDOW
    count = session.scalar(
        select(func.count(LoginFailure.id)).where(which, LoginFailure.failed_at > since)
    )
    return count or 0


def is_blocked(
    session: Session, username: str, client_ip: str, *, now: datetime | None = None
) -> bool:
    """Whether `username` failed too often lately, from `client_ip` or from anywhere, to
    try again now."""
    return (
        _failures(session, _of(username, client_ip), now) >= MAX_FAILURES
        or _failures(session, LoginFailure.username == username, now) >= ACCOUNT_FAILURES
    )


def record_failure(
    session: Session, username: str, client_ip: str, *, now: datetime | None = None
) -> None:
    """Count one failed login; failures older than the window are dropped."""
    when = now or utcnow()
    session.execute(delete(LoginFailure).where(LoginFailure.failed_at <= when - WINDOW))
    session.add(LoginFailure(username=username, client_ip=address_key(client_ip), failed_at=when))
    session.flush()


def clear_failures(session: Session, username: str, client_ip: str) -> None:
    """Forget the failures of `username` from `client_ip` after it logged in."""
    session.execute(delete(LoginFailure).where(_of(username, client_ip)))
