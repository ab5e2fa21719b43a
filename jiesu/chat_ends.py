"""Web chats residents ended (结束对话), revoked on the server.

A conversation's cookie is signed anew at each message and expires `idle` after it
(`JIESU_CHAT_IDLE_HOURS`), so any copy of an ended chat's cookie was signed before it
ended and expires at most `idle` after. A row is kept that long, then pruned.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from jiesu.models import EndedChat


def end_chat(session: Session, chat_id: str, *, now: datetime, idle: timedelta) -> None:
    """Revoke web chat `chat_id`, and forget ended chats whose cookies expired anyway."""
    session.execute(delete(EndedChat).where(EndedChat.ended_at < now - idle))
    if session.get(EndedChat, chat_id) is None:
        session.add(EndedChat(chat_id=chat_id, ended_at=now))


def has_ended(session: Session, chat_id: str) -> bool:
    """Whether the resident ended web chat `chat_id`."""
    return session.scalar(select(EndedChat.chat_id).where(EndedChat.chat_id == chat_id)) is not None
