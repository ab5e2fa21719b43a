"""A button's label typed instead of pressed does what the button does.

Residents often type what a button says ("有帮助", "确认提交", "匿名提交") rather than
press it, and some channels show no buttons at all. The NLU would read the words
afresh ("有帮助" sounds like asking for help), so the gateway hands Rasa the button's
payload instead when a message says exactly what one of the buttons just offered says.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, Final

from jiesu.text import normalize

# Punctuation, symbols and spaces around a typed label ("有帮助！", "确认提交👍").
_NOISE: Final = re.compile(r"[\W_]+")


def _key(text: str) -> str:
    return _NOISE.sub("", normalize(text)).lower()


def offered_buttons(replies: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The buttons of the last reply that offered any."""
    offered: list[dict[str, Any]] = []
    for reply in replies:
        buttons = reply.get("buttons")
        if buttons:
            offered = [b for b in buttons if isinstance(b, dict)]
    return offered


def typed_choice(text: str, buttons: Iterable[dict[str, Any]]) -> str | None:
    """The payload of the button whose label `text` says, or None."""
    typed = _key(text)
    if not typed:
        return None
    for button in buttons:
        title, payload = button.get("title"), button.get("payload")
        if isinstance(title, str) and isinstance(payload, str) and _key(title) == typed:
            return payload
    return None
