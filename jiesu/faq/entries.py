"""Knowledge-base entries as plain values, and reading them from the shipped YAML seed.

An entry carries what GB/T 44191-2024 (the 12345 hotline knowledge base) expects of a
knowledge item: title (`question`), applicable conditions, answer, handling
department, policy basis (`source`), valid from/until and last reviewed, plus the
alternative phrasings and topics retrieval uses.

The YAML files under `data/faq/` hold a top-level `entries:` list (not `nlu:` or
`responses:`, which would make Rasa read them as training data). Every problem is
reported with the file and the entry id, so a city editing its base sees what to fix.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Final

import yaml

from jiesu.config import PROJECT_ROOT

FAQ_DIR: Final = PROJECT_ROOT / "data" / "faq"
_REQUIRED_TEXT: Final = ("id", "question", "answer", "department", "source")


class FaqDataError(ValueError):
    """The knowledge-base files are malformed; the message says where and what."""


@dataclass(frozen=True)
class FaqItem:
    """One entry of the knowledge base."""

    id: str
    question: str
    alternatives: tuple[str, ...]
    answer: str
    department: str
    tags: tuple[str, ...]
    source: str
    reviewed: date | None = None
    conditions: str = ""
    valid_from: date | None = None
    valid_until: date | None = None

    @property
    def phrasings(self) -> tuple[str, ...]:
        """The canonical question followed by its alternative phrasings."""
        return (self.question, *self.alternatives)

    def in_force(self, day: date) -> bool:
        """Whether the entry may be answered on `day` (within valid from/until)."""
        started = self.valid_from is None or self.valid_from <= day
        return started and (self.valid_until is None or day <= self.valid_until)


def _strings(value: Any, where: str, field: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise FaqDataError(f"{where}: '{field}' must be a list of non-empty strings")
    return tuple(v.strip() for v in value)


def parse_entry(raw: Any, where: str) -> FaqItem:
    """An entry from its YAML mapping; FaqDataError naming `where` when it is invalid."""
    if not isinstance(raw, dict):
        raise FaqDataError(f"{where}: each entry must be a mapping")
    where = f"{where} ({raw.get('id', 'no id')})"
    missing = [f for f in _REQUIRED_TEXT if not isinstance(raw.get(f), str) or not raw[f].strip()]
    if missing:
        raise FaqDataError(f"{where}: missing or empty {', '.join(missing)}")
    tags = _strings(raw.get("tags"), where, "tags")
    if not tags:
        raise FaqDataError(f"{where}: 'tags' must name at least one topic")
    dates = {key: raw.get(key) for key in ("reviewed", "valid_from", "valid_until")}
    for key, value in dates.items():
        if value is not None and not isinstance(value, date):
            raise FaqDataError(f"{where}: '{key}' must be a date such as 2026-11-01")
    if dates["valid_from"] and dates["valid_until"] and dates["valid_until"] < dates["valid_from"]:
        raise FaqDataError(f"{where}: 'valid_until' is before 'valid_from'")
    conditions = raw.get("conditions", "")
    if not isinstance(conditions, str):
        raise FaqDataError(f"{where}: 'conditions' must be text")
    return FaqItem(
        id=raw["id"].strip(),
        question=raw["question"].strip(),
        alternatives=_strings(raw.get("alternatives", []), where, "alternatives"),
        answer=raw["answer"].strip(),
        department=raw["department"].strip(),
        tags=tags,
        source=raw["source"].strip(),
        reviewed=dates["reviewed"],
        conditions=conditions.strip(),
        valid_from=dates["valid_from"],
        valid_until=dates["valid_until"],
    )


def load_file(path: Path) -> list[FaqItem]:
    """The entries of one YAML file."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise FaqDataError(f"{path.name}: not valid YAML: {error}") from error
    if not isinstance(raw, dict) or not isinstance(raw.get("entries"), list):
        raise FaqDataError(f"{path.name}: expected a top-level 'entries' list")
    return [parse_entry(entry, f"{path.name}[{i}]") for i, entry in enumerate(raw["entries"])]


def load_entries(directory: Path = FAQ_DIR) -> list[FaqItem]:
    """Every entry of every `*.yml` file in `directory`; ids must be unique across files."""
    paths = sorted(directory.glob("*.yml"))
    if not paths:
        raise FaqDataError(f"{directory}: no *.yml knowledge-base files")
    items = [item for path in paths for item in load_file(path)]
    counts = Counter(item.id for item in items)
    duplicates = sorted(id_ for id_, count in counts.items() if count > 1)
    if duplicates:
        raise FaqDataError(f"{directory}: duplicate entry ids: {', '.join(duplicates)}")
    return items
