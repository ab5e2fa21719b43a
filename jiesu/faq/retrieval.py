"""The public search over the knowledge base in the app database.

The index is built once per process and database, and rebuilt when the base's
version changes (an entry added, edited or disabled, or a new day, on which entries
come into or go out of force), so staff edits take effect on the next question
without restarting or retraining anything. An entry out of force (past its valid
until date, or before its valid from date) is neither answered nor suggested.
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass, field
from typing import Any, Final

from jiesu.config import get_settings
from jiesu.db import session_scope
from jiesu.faq.index import FaqIndex, Scored
from jiesu.faq.store import BaseVersion, base_version, enabled_items, ensure_seeded

# Confidence (0–1) below which the assistant does not answer, only suggests: the
# confidence is a probability of being right (`jiesu.faq.index`), so an even chance.
THRESHOLD: Final = 0.5


@dataclass(frozen=True)
class Match:
    """One candidate entry for a question; `score` is the confidence in [0, 1]."""

    id: str
    question: str
    answer: str
    department: str
    source: str
    tags: list[str]
    score: float

    @classmethod
    def of(cls, scored: Scored) -> Match:
        item = scored.item
        return cls(
            id=item.id, question=item.question, answer=item.answer, department=item.department,
            source=item.source, tags=list(item.tags), score=scored.score,
        )  # fmt: skip


@dataclass(frozen=True)
class SearchResult:
    """`answered` is True when the best match is sure enough to be given as the answer;
    otherwise `matches` are only the closest questions to offer."""

    answered: bool
    matches: list[Match] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape of `jiesu faq ask --json`."""
        keys = ("id", "question", "answer", "tags", "score")
        return {
            "answered": self.answered,
            "matches": [{k: asdict(m)[k] for k in keys} for m in self.matches],
        }


def result_from(scored: list[Scored], threshold: float = THRESHOLD) -> SearchResult:
    """A SearchResult from an index's ranked entries: answered from `threshold` on."""
    answered = bool(scored) and scored[0].score >= threshold
    return SearchResult(answered=answered, matches=[Match.of(s) for s in scored])


_lock = threading.Lock()
_indexes: dict[str, tuple[BaseVersion, FaqIndex]] = {}


def current_index(url: str | None = None) -> FaqIndex:
    """The index of the base in the database at `url` (default: the configured one),
    seeding an empty base from YAML and rebuilding when the base changed."""
    target = url or get_settings().database_url
    with session_scope(target) as session:
        ensure_seeded(session)
        version = base_version(session)
        cached = _indexes.get(target)
        if cached is not None and cached[0] == version:
            return cached[1]
        items = enabled_items(session, day=version[2])
    with _lock:
        cached = _indexes.get(target)
        if cached is None or cached[0] != version:
            cached = (version, FaqIndex(items))
            _indexes[target] = cached
        return cached[1]


def search(question: str, limit: int = 3, *, url: str | None = None) -> SearchResult:
    """The `limit` best entries for `question`, best first, and whether to answer."""
    return result_from(current_index(url).search(question, limit))
