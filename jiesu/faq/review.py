"""What staff must look at in the knowledge base: entries out of force or about to
be, and entries not reviewed for too long (GB/T 44191-2024 asks for regular review)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final

from jiesu.faq.entries import FaqItem

# An entry is due for review this long after it was last reviewed.
REVIEW_AFTER_DAYS: Final = 365
# An entry whose valid until date is this close is listed before it lapses.
EXPIRING_WITHIN_DAYS: Final = 30


@dataclass(frozen=True)
class ReviewDue:
    """An entry to review, with why (in Chinese); `urgency` orders the list (0 first)."""

    id: str
    question: str
    reason: str
    urgency: int


def _due(item: FaqItem, today: date, review_after: timedelta) -> ReviewDue | None:
    def due(reason: str, urgency: int) -> ReviewDue:
        return ReviewDue(item.id, item.question, reason, urgency)

    if item.valid_until is not None and item.valid_until < today:
        return due(f"已于 {item.valid_until} 失效，不再答复", 0)
    if item.valid_until is not None and item.valid_until - today <= timedelta(EXPIRING_WITHIN_DAYS):
        return due(f"将于 {item.valid_until} 失效", 1)
    if item.valid_from is not None and item.valid_from > today:
        return due(f"{item.valid_from} 起生效，之前不答复", 2)
    if item.reviewed is None:
        return due("从未审核", 3)
    if today - item.reviewed > review_after:
        return due(f"最近审核于 {item.reviewed}，已超过 {review_after.days} 天", 4)
    return None


def due_for_review(
    items: list[FaqItem], today: date, review_after_days: int = REVIEW_AFTER_DAYS
) -> list[ReviewDue]:
    """The entries of `items` staff should review on `today`, most urgent first."""
    review_after = timedelta(days=review_after_days)
    found = [d for item in items if (d := _due(item, today, review_after)) is not None]
    return sorted(found, key=lambda d: (d.urgency, d.id))
