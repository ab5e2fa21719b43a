"""The channel's tables: the shared access token and what is known of each follower."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from jiesu.db import Base, UtcDateTime
from jiesu.models import utcnow


class AccessToken(Base):
    """The account's access token, shared by every process: fetched by one of them when it
    is about to expire (the one that leases `refreshing_until`), read by all."""

    __tablename__ = "wechat_access_tokens"

    app_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    token: Mapped[str] = mapped_column(Text, default="")
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    refreshing_until: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)


class Follower(Base):
    """A resident who wrote to or followed the account: whether they still follow it (an
    unsubscribed resident gets no notices), when they last interacted (the 48-hour
    window)."""

    __tablename__ = "wechat_followers"

    openid: Mapped[str] = mapped_column(String(128), primary_key=True)
    subscribed: Mapped[bool] = mapped_column(Boolean, default=True)
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    last_seen_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
