"""Scoring retrieval on labelled questions, for `jiesu eval faq` and the benchmark.

Two CSV shapes are read: `question,tag` (the expected topic; an empty tag is a
question that must not be answered) and `id,split,question,entry_id` (the expected
entry, whose first tag is the expected topic; an empty entry_id must not be answered).
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from jiesu.faq.retrieval import SearchResult


@dataclass(frozen=True)
class Labelled:
    """A question with the topic (and, when known, the entry) that answers it; both
    empty for a question the base must not answer."""

    question: str
    tag: str
    entry: str = ""


def read_questions(
    path: Path, topics: Mapping[str, str] | None = None, split: str | None = None
) -> list[Labelled]:
    """The labelled rows of `path` (rows of `split` only, when given); `topics` maps an
    entry id to its topic for the `entry_id` shape. ValueError when a column is missing
    or an entry id is unknown."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        columns = set(reader.fieldnames or ())
        rows = [r for r in reader if split is None or r.get("split") == split]
    if "entry_id" in columns and "question" in columns:
        known = topics or {}
        named = {r["entry_id"] for r in rows if r["entry_id"]}
        unknown = sorted(named - set(known))
        if unknown:
            raise ValueError(f"{path}: unknown entry id(s) {', '.join(unknown)}")
        return [
            Labelled(r["question"].strip(), known.get(r["entry_id"], ""), r["entry_id"].strip())
            for r in rows
        ]
    missing = {"question", "tag"} - columns
    if missing:
        raise ValueError(f"{path}: missing column(s) {', '.join(sorted(missing))}")
    return [Labelled(r["question"].strip(), (r["tag"] or "").strip()) for r in rows]


def _ratio(count: int, total: int) -> float | None:
    return round(count / total, 4) if total else None


def evaluate(rows: list[Labelled], ask: Callable[[str], SearchResult]) -> dict[str, object]:
    """top1/top3: an entry tagged with the expected topic ranks first / in the first three,
    whether or not the confidence was high enough to answer (below it the matches are
    offered as buttons); entry_top1: the expected entry itself first (rows that name
    one); answered_top1 also requires the answer to be given. false_answer_rate: share
    of the rows that must not be answered which were answered."""
    top1 = top3 = answered = answered_top1 = false_answers = entry_top1 = 0
    in_scope = [row for row in rows if row.tag]
    with_entry = [row for row in in_scope if row.entry]
    for row in in_scope:
        result = ask(row.question)
        hits = [row.tag in match.tags for match in result.matches[:3]]
        top1 += bool(hits) and hits[0]
        top3 += any(hits)
        answered += result.answered
        answered_top1 += result.answered and bool(hits) and hits[0]
        entry_top1 += bool(row.entry and result.matches and result.matches[0].id == row.entry)
    out_of_scope = [row.question for row in rows if not row.tag]
    for question in out_of_scope:
        false_answers += ask(question).answered
    figures: dict[str, object] = {
        "n": len(in_scope),
        "top1": _ratio(top1, len(in_scope)),
        "top3": _ratio(top3, len(in_scope)),
        "answered": _ratio(answered, len(in_scope)),
        "answered_top1": _ratio(answered_top1, len(in_scope)),
        "n_out_of_scope": len(out_of_scope),
        "false_answers": false_answers,
        "false_answer_rate": _ratio(false_answers, len(out_of_scope)),
    }
    if with_entry:
        figures["entry_top1"] = _ratio(entry_top1, len(with_entry))
    return figures
