"""Policy knowledge-base benchmark (app environment): `make bench` runs it.

Writes bench/results/faq.json with, in one run:
- ours (jiesu.faq: normalisation, synonyms, BM25 over every phrasing, coverage
  re-ranking and confidence threshold) on bench/data/faq_eval.csv: top1, top3 and
  the false-answer rate on its out-of-scope rows; the same without re-ranking;
- plain BM25 (bm25s over raw jieba words of the same texts, no normalisation,
  synonyms, stop-words or re-ranking). Plain BM25 has no confidence, so it answers
  when its best score reaches a threshold calibrated in its favour: the lowest that
  keeps its false-answer rate on the eval set no higher than ours;
- the share of ../shared/data/smp2017_dev770.csv (general chit-chat and
  out-of-domain requests) answered, for both (bar: at most 5% for ours);
- the latency of one question against a 1,000-entry base (the shipped entries
  replicated with perturbed wording, for this measurement only).
"""

from __future__ import annotations

import csv
import json
import os
import platform
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import bm25s
import jieba
import numpy as np

from jiesu.db import get_engine, session_scope
from jiesu.faq.entries import FaqItem, load_entries
from jiesu.faq.evaluate import evaluate, read_questions
from jiesu.faq.index import FaqIndex
from jiesu.faq.retrieval import THRESHOLD, Match, SearchResult, result_from, search
from jiesu.faq.store import sync_entries
from jiesu.migrate import upgrade

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "faq.json"
EVAL = ROOT / "bench" / "data" / "faq_eval.csv"
SMP = ROOT.parent / "shared" / "data" / "smp2017_dev770.csv"
LATENCY_ENTRIES = 1000
BARS = {"top1": 0.90, "top3": 0.97, "smp_answered_share": 0.05, "latency_ms": 20.0}
Ask = Callable[[str], SearchResult]


class PlainBM25:
    """The baseline: one BM25 document per phrasing (+ tags) as raw jieba words."""

    def __init__(self, items: list[FaqItem]) -> None:
        self.items = items
        self.doc_entry: list[int] = []
        documents: list[list[str]] = []
        for number, item in enumerate(items):
            for phrasing in item.phrasings:
                documents.append(self.words(" ".join((phrasing, *item.tags))))
                self.doc_entry.append(number)
        self.bm25 = bm25s.BM25()
        self.bm25.index(documents, show_progress=False)
        self.vocabulary = {w for doc in documents for w in doc}
        self.threshold = 0.0

    @staticmethod
    def words(text: str) -> list[str]:
        return [w for w in jieba.lcut(text) if w.strip()]

    def ranked(self, question: str) -> list[tuple[int, float]]:
        known = [w for w in self.words(question) if w in self.vocabulary]
        if not known:
            return []
        best: dict[int, float] = {}
        for doc, score in enumerate(self.bm25.get_scores(known)):
            entry = self.doc_entry[doc]
            best[entry] = max(best.get(entry, 0.0), float(score))
        return sorted(((e, s) for e, s in best.items() if s > 0), key=lambda p: -p[1])

    def ask(self, question: str) -> SearchResult:
        ranked = self.ranked(question)[:3]
        matches = [
            Match(
                id=self.items[e].id, question=self.items[e].question, answer="",
                department="", source="", tags=list(self.items[e].tags), score=s,
            )
            for e, s in ranked
        ]  # fmt: skip
        answered = bool(ranked) and ranked[0][1] >= self.threshold
        return SearchResult(answered=answered, matches=matches)

    def calibrate(self, out_of_scope: list[str], allowed_rate: float) -> None:
        """Lowest threshold whose false-answer rate on `out_of_scope` is at most `allowed_rate`."""
        tops = sorted((r[0][1] if (r := self.ranked(q)) else 0.0) for q in out_of_scope)
        allowed = round(allowed_rate * len(tops))
        self.threshold = tops[len(tops) - allowed - 1] + 1e-6 if allowed < len(tops) else 0.0


def answered_share(ask: Ask, texts: list[str]) -> float:
    return round(sum(ask(text).answered for text in texts) / len(texts), 4)


def synthetic_base(items: list[FaqItem], size: int) -> list[FaqItem]:
    """`size` entries: the shipped ones, then copies whose phrasings name a district."""
    base = list(items)
    copy = 0
    while len(base) < size:
        copy += 1
        for item in items[: size - len(base)]:
            place = f"示例{copy}区"
            base.append(replace(
                item, id=f"{item.id}-{copy}", question=place + item.question,
                alternatives=tuple(place + a for a in reversed(item.alternatives)),
            ))  # fmt: skip
    return base


def latency(ask: Ask, questions: list[str]) -> dict[str, Any]:
    for question in questions[:10]:
        ask(question)
    timings = []
    for question in questions:
        start = time.perf_counter()
        ask(question)
        timings.append((time.perf_counter() - start) * 1000)
    return {
        "queries": len(timings),
        "median_ms": round(statistics.median(timings), 2),
        "p95_ms": round(float(np.percentile(timings, 95)), 2),
        "max_ms": round(max(timings), 2),
    }


def latency_with_database(items: list[FaqItem], questions: list[str]) -> dict[str, Any]:
    """Per-question time of `jiesu.faq.search` (the version check on the database
    included) with `items` in a scratch SQLite database, and of the index alone."""
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'faq.db'}"
        upgrade(url)
        with session_scope(url) as session:
            sync_entries(session, items)
        index = FaqIndex(items)
        figures = {
            "entries": len(items),
            "search": latency(lambda q: search(q, 3, url=url), questions),
            "index_only": latency(lambda q: result_from(index.search(q, 3)), questions),
        }
        get_engine(url).dispose()
    return figures


def main() -> None:
    items = load_entries()
    rows = read_questions(EVAL)
    ours = FaqIndex(items)

    def ask_ours(question: str) -> SearchResult:
        return result_from(ours.search(question, 3))

    no_rerank = FaqIndex(items, rerank=False)
    ours_result = evaluate(rows, ask_ours)
    plain = PlainBM25(items)
    plain.calibrate([q for q, tag in rows if not tag], float(ours_result["false_answer_rate"] or 0))
    results: dict[str, Any] = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "entries": len(items),
        "threshold": THRESHOLD,
        "ours": ours_result,
        "ours_without_rerank": evaluate(rows, lambda q: result_from(no_rerank.search(q, 3))),
        "plain_bm25": {**evaluate(rows, plain.ask), "threshold": round(plain.threshold, 4)},
    }
    if SMP.exists():
        with SMP.open(encoding="utf-8", newline="") as handle:
            texts = [row["text"] for row in csv.DictReader(handle)]
        results["smp2017_dev770"] = {
            "n": len(texts),
            "ours_answered_share": answered_share(ask_ours, texts),
            "plain_bm25_answered_share": answered_share(plain.ask, texts),
        }
    else:
        print(f"skipped the out-of-domain check: {SMP} is absent")
    results["latency"] = latency_with_database(
        synthetic_base(items, LATENCY_ENTRIES), [q for q, _ in rows]
    )
    ours_figures, plain_figures = results["ours"], results["plain_bm25"]
    results["bars"] = {
        "top1": ours_figures["top1"] >= BARS["top1"],
        "top3": ours_figures["top3"] >= BARS["top3"],
        "beats_plain_bm25": ours_figures["top1"] > plain_figures["top1"]
        and ours_figures["top3"] >= plain_figures["top3"],
        "smp_answered_share": "smp2017_dev770" not in results
        or results["smp2017_dev770"]["ours_answered_share"] <= BARS["smp_answered_share"],
        "latency_ms": results["latency"]["search"]["p95_ms"] < BARS["latency_ms"],
    }
    RESULTS.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(results, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
