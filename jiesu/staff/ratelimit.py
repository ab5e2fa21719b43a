"""Login rate limit: after 5 failures for one username from one address, wait 15 minutes."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, delete, func, select
from sqlalchemy.orm import Session

from jiesu.models import utcnow
from jiesu.staff.models import LoginFailure

MAX_FAILURES = 5
WINDOW = timedelta(minutes=15)


def _of(username: str, client_ip: str) -> ColumnElement[bool]:
    return and_(LoginFailure.username == username, LoginFailure.client_ip == client_ip)


def is_blocked(
    session: Session, username: str, client_ip: str, *, now: datetime | None = None
) -> bool:
    """Whether `username` from `client_ip` failed too often lately to try again now."""
    since = (now or utcnow()) - WINDOW
    failures = session.scalar(
        select(func.count(LoginFailure.id)).where(
            _of(username, client_ip), LoginFailure.failed_at > since
        )
    )
    return (failures or 0) >= MAX_FAILURES


def record_failure(
    session: Session, username: str, client_ip: str, *, now: datetime | None = None
) -> None:
    """Count one failed login; failures older than the window are dropped."""
    when = now or utcnow()
    session.execute(delete(LoginFailure).where(LoginFailure.failed_at <= when - WINDOW))
    session.add(LoginFailure(username=username, client_ip=client_ip, failed_at=when))
    session.flush()


def clear_failures(session: Session, username: str, client_ip: str) -> None:
    """Forget the failures of `username` from `client_ip` after it logged in."""
    session.execute(delete(LoginFailure).where(_of(username, client_ip)))
