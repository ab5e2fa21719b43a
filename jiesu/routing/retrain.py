"""Retraining the router from the city's own work (`jiesu train routing --from-db`).

Training data: the closed tickets with a category, labelled with it, and every
ticket whose category a dispatcher corrected (改分类), labelled with the latest
correction (routing feedback; the resident's words are the text). The newest
HOLDOUT_SHARE of them (by filing time) are held out; a model trained on the rest
is compared on them with the current router (the deployed model, else out of the
box). A candidate that is worse is refused, so the city's router never silently
gets worse; one that is at least as good is trained again on everything and
replaces the current one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from jiesu.routing import model as trained
from jiesu.routing.data import evaluate
from jiesu.routing.lexicon import Lexicon
from jiesu.tickets.models import RoutingFeedback, Ticket
from jiesu.tickets.workflow import Status

HOLDOUT_SHARE: Final = 0.2
# Fewer labelled tickets than this teach nothing reliable.
MIN_TICKETS: Final = 30

Predictor = Callable[[list[str]], list[str | None]]


@dataclass(frozen=True)
class LabelledTicket:
    """One ticket as training data: its text, category, and when it was filed."""

    text: str
    category: str
    order: tuple[Any, ...]


def labelled_tickets(session: Session) -> list[LabelledTicket]:
    """Closed tickets with their category, and corrected ones with the correction,
    oldest first (a ticket appears once)."""
    by_ticket: dict[int, LabelledTicket] = {}
    closed = session.scalars(
        select(Ticket).where(Ticket.status == Status.CLOSED, Ticket.category.is_not(None))
    )
    for ticket in closed:
        assert ticket.category is not None
        by_ticket[ticket.id] = LabelledTicket(
            ticket.description, ticket.category, (ticket.created_at, ticket.id)
        )
    feedback = session.scalars(
        select(RoutingFeedback).order_by(RoutingFeedback.created_at, RoutingFeedback.id)
    )
    for row in feedback:
        filed = session.get(Ticket, row.ticket_id)
        order = (filed.created_at, filed.id) if filed is not None else (row.created_at, 0)
        by_ticket[row.ticket_id] = LabelledTicket(row.text, row.category, order)
    return sorted(by_ticket.values(), key=lambda t: t.order)


@dataclass
class Outcome:
    """What the comparison found and whether the candidate replaced the current router."""

    tickets: int
    held_out: int
    current: dict[str, Any]
    candidate: dict[str, Any]
    replaced: bool
    reason: str
    calibration: dict[str, float] | None = field(default=None)

    def report(self) -> dict[str, Any]:
        """The outcome as JSON-ready data (scores without the per-class detail)."""

        def brief(metrics: dict[str, Any]) -> dict[str, Any]:
            return {k: metrics[k] for k in ("n", "accuracy", "macro_f1")}

        return {
            "tickets": self.tickets,
            "held_out": self.held_out,
            "current": brief(self.current),
            "candidate": brief(self.candidate),
            "replaced": self.replaced,
            "reason": self.reason,
            "calibration": self.calibration,
        }


def retrain(
    tickets: list[LabelledTicket],
    lexicon: Lexicon,
    current: Predictor,
    out: Path,
    *,
    train: Callable[[list[str], list[str], Lexicon], trained.TrainedRouter] = trained.train,
) -> Outcome:
    """Train a candidate on the older tickets, compare it with `current` on the newest
    HOLDOUT_SHARE, and write the model retrained on all of them to `out` unless the
    candidate's macro-F1 is lower."""
    if len(tickets) < MIN_TICKETS:
        raise ValueError(f"只有 {len(tickets)} 条带分类的工单，至少需要 {MIN_TICKETS} 条才能训练。")
    cut = len(tickets) - max(1, round(HOLDOUT_SHARE * len(tickets)))
    older, newest = tickets[:cut], tickets[cut:]
    texts, labels = [t.text for t in older], [t.category for t in older]
    if len(set(labels)) < 2:
        raise ValueError("训练工单至少要有两个分类。")
    held_texts, held_labels = [t.text for t in newest], [t.category for t in newest]
    candidate_model = train(texts, labels, lexicon)
    candidate = evaluate(held_labels, [label for label, _ in candidate_model.predict(held_texts)])
    now = evaluate(held_labels, current(held_texts))
    if candidate["macro_f1"] < now["macro_f1"]:
        return Outcome(
            len(tickets),
            len(newest),
            now,
            candidate,
            False,
            "新模型在留出工单上不如当前模型，未替换。",
        )
    final = train([t.text for t in tickets], [t.category for t in tickets], lexicon)
    trained.save(final, out)
    return Outcome(
        len(tickets),
        len(newest),
        now,
        candidate,
        True,
        "新模型在留出工单上不差于当前模型，已替换。",
        final.calibration,
    )
