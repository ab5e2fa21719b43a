"""The knowledge base in the app database, the run-time source of truth.

The YAML files are the shipped seed: `sync_entries` writes them into an empty or
existing database (`jiesu faq load`), and `ensure_seeded` does so once when the
table is empty. Staff edits made in the database are what searches see.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from jiesu.faq.entries import FaqItem, load_entries
from jiesu.faq.models import FaqEntry
from jiesu.models import utcnow

# What identifies one state of the base: the number of enabled entries and the
# latest edit. A change of either makes running processes rebuild their index.
BaseVersion = tuple[int, datetime | None]
# Ids of entries staff add in the console (`jiesu.faq.gaps.add_entry`); the seed never
# uses it, and loading the seed leaves these entries as they are.
STAFF_PREFIX = "staff-"


def _fields(item: FaqItem) -> dict[str, object]:
    return {
        "question": item.question, "alternatives": list(item.alternatives),
        "answer": item.answer, "department": item.department, "tags": list(item.tags),
        "source": item.source, "reviewed": item.reviewed,
    }  # fmt: skip


def sync_entries(session: Session, items: list[FaqItem]) -> dict[str, int]:
    """Make the database hold `items`: add new ids, update changed ones, disable
    entries no longer in `items` (except those staff added). Returns the counts of each."""
    existing = {entry.id: entry for entry in session.scalars(select(FaqEntry))}
    counts = {"added": 0, "updated": 0, "disabled": 0, "unchanged": 0}
    now = utcnow()
    for item in items:
        fields = _fields(item)
        entry = existing.pop(item.id, None)
        if entry is None:
            session.add(FaqEntry(id=item.id, enabled=True, updated_at=now, **fields))
            counts["added"] += 1
        elif entry.enabled and all(getattr(entry, k) == v for k, v in fields.items()):
            counts["unchanged"] += 1
        else:
            for key, value in fields.items():
                setattr(entry, key, value)
            entry.enabled, entry.updated_at = True, now
            counts["updated"] += 1
    for entry in existing.values():
        if entry.enabled and not entry.id.startswith(STAFF_PREFIX):
            entry.enabled, entry.updated_at = False, now
            counts["disabled"] += 1
    session.flush()
    return counts


def ensure_seeded(session: Session) -> None:
    """Load the shipped YAML seed when the database has no entries at all."""
    if session.scalar(select(func.count()).select_from(FaqEntry)) == 0:
        sync_entries(session, load_entries())


def base_version(session: Session) -> BaseVersion:
    """The current `BaseVersion` (one cheap aggregate query)."""
    count, latest = session.execute(
        select(func.count(), func.max(FaqEntry.updated_at)).where(FaqEntry.enabled.is_(True))
    ).one()
    return int(count), latest


def enabled_items(session: Session) -> list[FaqItem]:
    """The enabled entries, in id order."""
    query = select(FaqEntry).where(FaqEntry.enabled.is_(True)).order_by(FaqEntry.id)
    return [
        FaqItem(
            id=e.id, question=e.question, alternatives=tuple(e.alternatives), answer=e.answer,
            department=e.department, tags=tuple(e.tags), source=e.source, reviewed=e.reviewed,
        )
        for e in session.scalars(query)
    ]  # fmt: skip
