"""A conversation's transcript for staff, read from the tracker's events.

Everything the resident wrote is there, including what they wrote while the
assistant was paused; staff messages are bot events that name their author.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from jiesu.vocabulary import intent_label

STAFF_KEY = "staff"  # the bot event metadata naming the staff member who wrote it
ENDED_KEY = "ended_by_resident"  # the resume event's metadata when the resident ended the chat
_PAYLOAD = re.compile(r"^/(\w+)")

RESIDENT, ASSISTANT, STAFF, SYSTEM = "resident", "assistant", "staff", "system"
_SYSTEM_EVENTS = {"pause": "转人工（智能助手暂停）", "resume": "交还智能助手"}
_RESIDENT_ENDED = "居民已结束对话"


@dataclass(frozen=True)
class Line:
    """One line of the transcript."""

    event_id: int  # position in the tracker's events, so a page can ask for what is newer
    at: datetime
    speaker: str  # RESIDENT, ASSISTANT, STAFF or SYSTEM
    text: str
    author: str | None = None  # the staff member, for STAFF lines
    choices: tuple[str, ...] = ()  # button titles offered with an assistant line


def _resident_text(text: str) -> str:
    """What the resident sent; a button press shows as the choice it stands for."""
    pressed = _PAYLOAD.match(text)
    if pressed is None:
        return text
    return f"（点选：{intent_label(pressed.group(1))}）"


def _line(position: int, event: dict[str, Any]) -> Line | None:
    kind = event.get("event")
    at = datetime.fromtimestamp(float(event.get("timestamp") or 0), UTC)
    if kind == "user":
        return Line(position, at, RESIDENT, _resident_text(str(event.get("text") or "")))
    if kind == "bot":
        author = (event.get("metadata") or {}).get(STAFF_KEY)
        buttons = (event.get("data") or {}).get("buttons") or []
        text = str(event.get("text") or "")
        if author:
            return Line(position, at, STAFF, text, author=str(author))
        titles = tuple(str(button.get("title", "")) for button in buttons)
        return Line(position, at, ASSISTANT, text, choices=titles)
    if kind in _SYSTEM_EVENTS:
        ended = (event.get("metadata") or {}).get(ENDED_KEY)
        return Line(position, at, SYSTEM, _RESIDENT_ENDED if ended else _SYSTEM_EVENTS[kind])
    return None


def transcript(events: list[dict[str, Any]], *, after: int = -1) -> list[Line]:
    """The readable lines of `events` whose position is greater than `after`."""
    lines = (_line(position, event) for position, event in enumerate(events) if position > after)
    return [line for line in lines if line is not None]
