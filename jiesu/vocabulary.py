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


def wording(*path: str, **values: object) -> str:
    """The text at `path` in the vocabulary (e.g. "appeal", "ask_address"), filled with `values`."""
    node: Any = _vocabulary()
    for key in path:
        node = node[key]
    if not isinstance(node, str):
        raise KeyError(f"vocabulary entry {'.'.join(path)} is not a text")
    return node.format(**values)


def wording_list(*path: str) -> list[str]:
    """The list of texts at `path` in the vocabulary (e.g. canned replies)."""
    node: Any = _vocabulary()
    for key in path:
        node = node[key]
    if not isinstance(node, list) or not all(isinstance(item, str) for item in node):
        raise KeyError(f"vocabulary entry {'.'.join(path)} is not a list of texts")
    return list(node)


def reply(key: str, **values: object) -> str:
    """A custom action's reply `key`, with `values` filled in."""
    return wording("replies", key, **values)


def gateway_text(key: str, **values: object) -> str:
    """The gateway's reply `key`, with `values` filled in."""
    return wording("gateway", key, **values)
