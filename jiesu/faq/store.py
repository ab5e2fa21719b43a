"""The knowledge base in the app database, the run-time source of truth.

The YAML files are the shipped seed: `sync_entries` writes them into an empty or
existing database (`jiesu faq load`), and `ensure_seeded` does so once when the
table is empty. A city's own base comes the same way from a spreadsheet
(`jiesu.faq.transfer`, `jiesu faq import`). Staff edits made in the database are
what searches see; an entry outside its valid from/until dates is not searched.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Final

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from jiesu.config import local_timezone
from jiesu.faq.entries import FaqItem, load_entries
from jiesu.faq.models import FaqEntry
from jiesu.models import utcnow

# What identifies one state of the base: the number of entries, the latest edit
# (disabling an entry is an edit), and the local day (an entry comes into or out of
# force at midnight). A change of any makes running processes rebuild their index.
BaseVersion = tuple[int, datetime | None, date]
# Ids of entries staff add in the console (`jiesu.faq.gaps.add_entry`); the seed never
# uses it, and loading the seed leaves these entries as they are.
STAFF_PREFIX: Final = "staff-"
# The entry fields an import or a reload compares and writes.
FIELDS: Final = (
    "question",
    "alternatives",
    "conditions",
    "answer",
    "department",
    "source",
    "tags",
    "valid_from",
    "valid_until",
    "reviewed",
)


def local_today() -> date:
    """Today in the city's time zone."""
    return datetime.now(local_timezone()).date()


def _fields(item: FaqItem) -> dict[str, object]:
    values = {key: getattr(item, key) for key in FIELDS}
    return values | {"alternatives": list(item.alternatives), "tags": list(item.tags)}


@dataclass(frozen=True)
class SyncPlan:
    """What making the database hold some entries changes: ids added, ids changed with
    the fields that differ ("enabled" when a disabled entry comes back), ids disabled
    because they are no longer listed (never staff-added ones), and how many stay."""

    added: tuple[str, ...]
    changed: tuple[tuple[str, tuple[str, ...]], ...]
    removed: tuple[str, ...]
    unchanged: int


def plan_sync(session: Session, items: list[FaqItem]) -> SyncPlan:
    """What `sync_entries(session, items)` would change, without changing anything."""
    existing = {entry.id: entry for entry in session.scalars(select(FaqEntry))}
    added, changed, unchanged = [], [], 0
    for item in items:
        entry = existing.pop(item.id, None)
        if entry is None:
            added.append(item.id)
            continue
        differing = [k for k, v in _fields(item).items() if getattr(entry, k) != v]
        differing += [] if entry.enabled else ["enabled"]
        if differing:
            changed.append((item.id, tuple(differing)))
        else:
            unchanged += 1
    removed = sorted(
        e.id for e in existing.values() if e.enabled and not e.id.startswith(STAFF_PREFIX)
    )
    return SyncPlan(tuple(added), tuple(changed), tuple(removed), unchanged)


def sync_entries(session: Session, items: list[FaqItem]) -> dict[str, int]:
    """Make the database hold `items`: add new ids, update changed ones, disable
    entries no longer in `items` (except those staff added). Returns the counts of each."""
    plan = plan_sync(session, items)
    now = utcnow()
    added, changed = set(plan.added), {entry_id for entry_id, _ in plan.changed}
    for item in items:
        if item.id in added:
            session.add(FaqEntry(id=item.id, enabled=True, updated_at=now, **_fields(item)))
        elif item.id in changed:
            entry = session.get_one(FaqEntry, item.id)
            for key, value in _fields(item).items():
                setattr(entry, key, value)
            entry.enabled, entry.updated_at = True, now
    for entry_id in plan.removed:
        entry = session.get_one(FaqEntry, entry_id)
        entry.enabled, entry.updated_at = False, now
    session.flush()
    return {
        "added": len(plan.added),
        "updated": len(plan.changed),
        "disabled": len(plan.removed),
        "unchanged": plan.unchanged,
    }


def ensure_seeded(session: Session) -> None:
    """Load the shipped YAML seed when the database has no entries at all."""
    if session.scalar(select(func.count()).select_from(FaqEntry)) == 0:
        sync_entries(session, load_entries())


def base_version(session: Session) -> BaseVersion:
    """The current `BaseVersion` (two cheap aggregate queries)."""
    # Two statements: SQLite answers each from an index, but not the pair at once.
    count = session.scalar(select(func.count()).select_from(FaqEntry))
    latest = session.scalar(select(func.max(FaqEntry.updated_at)))
    return int(count or 0), latest, local_today()


def item_of(entry: FaqEntry) -> FaqItem:
    """The plain value of a stored entry."""
    return FaqItem(
        id=entry.id,
        alternatives=tuple(entry.alternatives),
        tags=tuple(entry.tags),
        **{key: getattr(entry, key) for key in FIELDS if key not in ("alternatives", "tags")},
    )


def enabled_items(session: Session, day: date | None = None) -> list[FaqItem]:
    """The enabled entries, in id order; with `day`, only those in force that day."""
    query = select(FaqEntry).where(FaqEntry.enabled.is_(True)).order_by(FaqEntry.id)
    items = [item_of(entry) for entry in session.scalars(query)]
    return [item for item in items if day is None or item.in_force(day)]
