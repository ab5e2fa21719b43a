"""Button payloads as Telegram `callback_data`, which holds at most 64 bytes.

A payload that fits is sent as is. A longer one is replaced by a key derived
from its hash and kept in the `telegram_callbacks` table, so a button still
works after a restart; a small in-process cache saves the lookups.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from jiesu.db import Base, UtcDateTime, session_scope
from jiesu.models import utcnow

MAX_CALLBACK_BYTES = 64
_KEY_PREFIX = "#k:"
_CACHE_SIZE = 4096


class CallbackPayload(Base):
    """A payload too long for `callback_data`, under the key sent instead."""

    __tablename__ = "telegram_callbacks"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    payload: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class CallbackStore:
    """Turns payloads into callback data and back, for one database."""

    def __init__(self, database_url: str | None) -> None:
        self._database_url = database_url
        self._known: dict[str, str] = {}

    def encode(self, payload: str) -> str:
        """`payload` itself if it fits in 64 bytes (and cannot be taken for a key), else a key."""
        if len(payload.encode()) <= MAX_CALLBACK_BYTES and not payload.startswith(_KEY_PREFIX):
            return payload
        key = _key(payload)
        if key not in self._known:
            self._store(key, payload)
            self._remember(key, payload)
        return key

    def decode(self, data: str) -> str | None:
        """The payload behind callback `data`; None for a key nobody stored."""
        if not data.startswith(_KEY_PREFIX):
            return data
        if data not in self._known:
            with session_scope(self._database_url) as session:
                stored = session.get(CallbackPayload, data)
                if stored is None:
                    return None
                self._remember(data, stored.payload)
        return self._known[data]

    def _store(self, key: str, payload: str) -> None:
        try:
            with session_scope(self._database_url) as session:
                session.add(CallbackPayload(key=key, payload=payload))
        except IntegrityError:
            pass  # stored before, by this or another process: same key, same payload

    def _remember(self, key: str, payload: str) -> None:
        if len(self._known) >= _CACHE_SIZE:
            self._known.pop(next(iter(self._known)))
        self._known[key] = payload


def _key(payload: str) -> str:
    return _KEY_PREFIX + hashlib.sha256(payload.encode()).hexdigest()[:40]
