"""Scoring retrieval on a labelled CSV (columns `question`, `tag`), for `jiesu eval faq`
and the benchmark. A row with an empty tag is a question that must not be answered."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

from jiesu.faq.retrieval import SearchResult


def read_questions(path: Path) -> list[tuple[str, str]]:
    """(question, expected tag) rows of `path`; ValueError when a column is missing."""
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = {"question", "tag"} - set(reader.fieldnames or ())
        if missing:
            raise ValueError(f"{path}: missing column(s) {', '.join(sorted(missing))}")
        return [(row["question"].strip(), (row["tag"] or "").strip()) for row in reader]


def _ratio(count: int, total: int) -> float | None:
    return round(count / total, 4) if total else None


def evaluate(rows: list[tuple[str, str]], ask: Callable[[str], SearchResult]) -> dict[str, object]:
    """top1/top3: an entry tagged with the expected tag ranks first / in the first three,
    whether or not the confidence was high enough to answer (below it the matches are
    offered as buttons); answered_top1 also requires the answer to be given.
    false_answer_rate: share of the empty-tag rows answered."""
    top1 = top3 = answered = answered_top1 = false_answers = 0
    in_scope = [(q, tag) for q, tag in rows if tag]
    out_of_scope = [q for q, tag in rows if not tag]
    for question, tag in in_scope:
        result = ask(question)
        hits = [tag in match.tags for match in result.matches[:3]]
        top1 += bool(hits) and hits[0]
        top3 += any(hits)
        answered += result.answered
        answered_top1 += result.answered and bool(hits) and hits[0]
    for question in out_of_scope:
        false_answers += ask(question).answered
    return {
        "n": len(in_scope),
        "top1": _ratio(top1, len(in_scope)),
        "top3": _ratio(top3, len(in_scope)),
        "answered": _ratio(answered, len(in_scope)),
        "answered_top1": _ratio(answered_top1, len(in_scope)),
        "n_out_of_scope": len(out_of_scope),
        "false_answer_rate": _ratio(false_answers, len(out_of_scope)),
    }
