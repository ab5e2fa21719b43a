"""What the channel knows of each resident on the account: whether they follow it, when
they last interacted (the start of WeChat's 48-hour customer-service window)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.wechat.models import Follower
from jiesu.models import utcnow

# Customer-service messages reach a resident only this long after their last interaction.
WINDOW: Final = timedelta(hours=48)


def follower(session: Session, openid: str) -> Follower:
    """The resident's row, created (following) on first sight, also when two requests
    see them first at once."""
    found = session.get(Follower, openid)
    if found is not None:
        return found
    try:
        with session.begin_nested():
            created = Follower(openid=openid, subscribed=True, changed_at=utcnow())
            session.add(created)
        return created
    except IntegrityError:
        return session.get_one(Follower, openid)


def seen(session: Session, openid: str, now: datetime | None = None) -> None:
    """The resident wrote, tapped the menu or followed: the window opens anew."""
    follower(session, openid).last_seen_at = now or utcnow()


def in_window(session: Session, openid: str, now: datetime | None = None) -> bool:
    """Whether a customer-service message may reach the resident now."""
    found = session.get(Follower, openid)
    last = found.last_seen_at if found is not None else None
    return last is not None and (now or utcnow()) - last < WINDOW


def set_subscribed(session: Session, openid: str, subscribed: bool) -> None:
    """Record a follow or an unfollow of the account."""
    row = follower(session, openid)
    row.subscribed = subscribed
    row.changed_at = utcnow()


def is_subscribed(session: Session, openid: str) -> bool:
    """Whether `openid` follows the account, as far as we know (unknown: yes)."""
    found = session.get(Follower, openid)
    return found is None or found.subscribed
