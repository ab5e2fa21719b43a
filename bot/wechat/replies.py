"""The assistant's replies as WeChat text, and numbered choices read back.

WeChat text has no inline keyboards: a reply's buttons are listed as numbered choices
("1. 有帮助"), and a resident answering with the number (or the label) chooses the
button. The number means what the resident saw last, whether it came in a passive reply
or through the outbox (a follow-up survey): `jiesu.choices.last_shown`, which also
serves every channel's typed labels.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import Any, Final

from sqlalchemy.orm import Session

from bot.wechat.config import CHANNEL
from jiesu.choices import last_shown, typed_choice
from jiesu.vocabulary import wording

Buttons = list[dict[str, Any]]

_NUMBER: Final = re.compile(r"^\s*(\d{1,2})\s*[.、。)）]?\s*$")


def choice_lines(buttons: Iterable[dict[str, Any]]) -> str:
    """The buttons as numbered lines under a prompt, or "" without buttons."""
    titles = [str(b["title"]) for b in usable(buttons)]
    if not titles:
        return ""
    lines = [f"{number}. {title}" for number, title in enumerate(titles, start=1)]
    return "\n".join([wording("wechat", "choose_by_number"), *lines])


def render(reply: dict[str, Any]) -> str:
    """One reply as text: its text, an image's address, its buttons as numbered choices."""
    parts = [str(reply.get("text") or "").strip()]
    if reply.get("image"):
        parts.append(str(reply["image"]))
    parts.append(choice_lines(reply.get("buttons") or []))
    return "\n".join(part for part in parts if part)


def render_all(replies: Iterable[dict[str, Any]]) -> str:
    """Several replies as the one text a passive reply can carry: only the last that offers
    buttons lists them, so the numbers mean one thing (what `shown` remembers)."""
    replies = list(replies)
    offering = [i for i, reply in enumerate(replies) if usable(reply.get("buttons") or [])]
    texts = (
        render(reply if offering and i == offering[-1] else {**reply, "buttons": []})
        for i, reply in enumerate(replies)
    )
    return "\n\n".join(text for text in texts if text)


def pieces(text: str, max_bytes: int) -> list[str]:
    """`text` cut into pieces of at most `max_bytes` in UTF-8 (WeChat's limit on a text
    message), at line ends where it can, else between characters."""
    result: list[str] = []
    current = ""
    for line in text.splitlines(keepends=True):
        while len(line.encode()) > max_bytes:  # a line too long alone: cut it
            cut = max_bytes
            while len(line[:cut].encode()) > max_bytes:
                cut -= 1
            if current:
                result.append(current)
                current = ""
            result.append(line[:cut])
            line = line[cut:]
        if len((current + line).encode()) > max_bytes:
            result.append(current)
            current = ""
        current += line
    if current:
        result.append(current)
    return [piece.strip("\n") for piece in result if piece.strip()]


def usable(buttons: Iterable[dict[str, Any]]) -> Buttons:
    """The buttons that can be listed (a title and a payload)."""
    return [dict(b) for b in buttons if b.get("title") and b.get("payload")]


def chosen(session: Session, openid: str, text: str) -> str | None:
    """The payload of the choice `text` picks among those last shown to `openid`: by its
    number or by its label; None if it picks none."""
    buttons = usable(last_shown(session, CHANNEL, openid))
    if not buttons:
        return None
    match = _NUMBER.match(unicodedata.normalize("NFKC", text))
    if match:
        number = int(match.group(1))
        if 1 <= number <= len(buttons):
            return str(buttons[number - 1]["payload"])
        return None
    return typed_choice(text, buttons)
