"""Access to `vocabulary.yml`, the Chinese wording the app composes itself."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

_PATH = Path(__file__).with_name("vocabulary.yml")


@lru_cache(maxsize=1)
def _vocabulary() -> dict[str, Any]:
    with _PATH.open(encoding="utf-8") as handle:
        loaded: dict[str, Any] = yaml.safe_load(handle)
    return loaded


def intent_label(intent: str) -> str:
    """The Chinese label of `intent`, or the intent name if it has none."""
    labels: dict[str, str] = _vocabulary()["intent_labels"]
    return labels.get(intent, intent)


def reply(key: str, **values: object) -> str:
    """A custom action's reply `key`, with `values` filled in."""
    template: str = _vocabulary()["replies"][key]
    return template.format(**values)


def gateway_text(key: str, **values: object) -> str:
    """The gateway's reply `key`, with `values` filled in."""
    template: str = _vocabulary()["gateway"][key]
    return template.format(**values)
