"""The public search over the knowledge base in the app database.

The index is built once per process and database, and rebuilt when the base's
version changes (an entry added, edited or disabled, or a new day, on which entries
come into or go out of force), so staff edits take effect without restarting or
retraining anything. A question does not wait for the database: the version is read
again at most every `RECHECK_SECONDS` (an edit made in another process, such as the
console, is answered from within that time), and at once after this process commits
a change to an entry. Building an index takes seconds at 10,000 entries, so the rebuild
of a base larger than `INLINE_REBUILD_ENTRIES` runs in a background thread while
questions are answered from the index it replaces, and the new index is swapped in when
it is ready; a smaller base (a fraction of a second) is rebuilt at once, so a staff edit
is answered from the next question. The very first index of a database is always built
on the request path. An entry out of force (past its valid until date, or before its
valid from date) is neither answered nor suggested.
"""

from __future__ import annotations

import threading
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Final

from sqlalchemy import event
from sqlalchemy.orm import Session

from jiesu.config import get_settings
from jiesu.db import session_scope
from jiesu.faq.entries import FaqItem
from jiesu.faq.index import FaqIndex, Scored
from jiesu.faq.models import FaqEntry
from jiesu.faq.store import (
    BaseVersion,
    base_version,
    enabled_items,
    ensure_seeded,
    local_today,
)

# Confidence (0–1) below which the assistant does not answer, only suggests: the
# confidence is a probability of being right (`jiesu.faq.index`); the threshold is
# chosen with the model by cross-validation on the splits seen while tuning
# (`bench/faq.py --fit`): the cross-validated false answers within the bar (3%), then
# a wrong answer costing three right ones.
THRESHOLD: Final = 0.800
# Longest time an index is used without reading the base's version again.
RECHECK_SECONDS: Final = 1.0
# Largest base whose index is rebuilt on the request path (about 0.2 s per 100 entries on
# one core); a larger one is rebuilt in the background.
INLINE_REBUILD_ENTRIES = 500


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
            id=item.id,
            question=item.question,
            answer=item.answer,
            department=item.department,
            source=item.source,
            tags=list(item.tags),
            score=scored.score,
        )


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
    """A SearchResult from an index's ranked entries: answered from `threshold` on, when
    the best entry names what the question asks about."""
    answered = bool(scored) and scored[0].score >= threshold and scored[0].covers
    return SearchResult(answered=answered, matches=[Match.of(s) for s in scored])


@dataclass
class _Cached:
    """An index with the base version it was built from and when that was last read."""

    version: BaseVersion
    index: FaqIndex
    checked: float  # time.monotonic() of the last version check


_lock = threading.Lock()
_indexes: dict[str, _Cached] = {}
# The background rebuild of each database's index, while one runs.
_rebuilds: dict[str, threading.Thread] = {}
_CHANGED: Final = "jiesu.faq.entries_changed"


@event.listens_for(Session, "after_flush")
def _note_entry_changes(session: Session, _context: object) -> None:
    if any(isinstance(o, FaqEntry) for o in (*session.new, *session.dirty, *session.deleted)):
        session.info[_CHANGED] = True


@event.listens_for(Session, "after_commit")
def _recheck_after_entry_changes(session: Session) -> None:
    """A change to an entry committed in this process is searched from the next question."""
    if session.info.pop(_CHANGED, False):
        for cached in list(_indexes.values()):
            cached.checked = -RECHECK_SECONDS


def current_index(url: str | None = None) -> FaqIndex:
    """The index of the base in the database at `url` (default: the configured one),
    seeding an empty base from YAML. The database is read only when the last check is
    older than `RECHECK_SECONDS`, an entry was changed by this process since, or the day
    changed; when the base changed, a new index is built in the background and the
    current one answers until it is ready."""
    target = url or get_settings().database_url
    cached = _indexes.get(target)
    now = time.monotonic()
    if (
        cached is not None
        and now - cached.checked < RECHECK_SECONDS
        and cached.version[2] == local_today()
    ):
        return cached.index
    with session_scope(target) as session:
        ensure_seeded(session)
        version = base_version(session)
        if cached is not None and cached.version == version:
            cached.checked = now
            return cached.index
        with _lock:
            if cached is not None and target in _rebuilds:
                cached.checked = now
                return cached.index
        items = enabled_items(session, day=version[2])
    if cached is None or len(items) <= INLINE_REBUILD_ENTRIES:
        with _lock:
            cached = _indexes.get(target)
            if cached is None or cached.version != version:
                cached = _Cached(version, FaqIndex(items), now)
                _indexes[target] = cached
            return cached.index
    cached.checked = now
    _start_rebuild(target, version, items)
    return cached.index


def _start_rebuild(target: str, version: BaseVersion, items: list[FaqItem]) -> None:
    """Build the index of `items` in a background thread and swap it in when done."""

    def build() -> None:
        try:
            index = FaqIndex(items)
            with _lock:
                _indexes[target] = _Cached(version, index, time.monotonic())
        finally:
            with _lock:
                _rebuilds.pop(target, None)

    with _lock:
        if target in _rebuilds:
            return
        thread = threading.Thread(target=build, name="faq-index-rebuild", daemon=True)
        _rebuilds[target] = thread
    thread.start()


def wait_for_rebuilds(timeout: float | None = None) -> None:
    """Wait until the background rebuilds running now are done (tests, benchmarks)."""
    with _lock:
        running = list(_rebuilds.values())
    for thread in running:
        thread.join(timeout)


def search(question: str, limit: int = 3, *, url: str | None = None) -> SearchResult:
    """The `limit` best entries for `question`, best first, and whether to answer."""
    return result_from(current_index(url).search(question, limit))
