"""The in-memory search index over the knowledge base.

Each phrasing of an entry (its question and every alternative, with the entry's tags
appended) is one BM25 document; an entry scores as its best phrasing. BM25 picks the
candidates; they are re-ranked and given a confidence in [0, 1] from two bounded
measures of how well the question is covered:

- term coverage: the IDF-weighted share of the question's terms found in the entry
  (a word the base never uses counts against the match, so out-of-scope questions
  that share one common word with an entry stay low);
- character overlap: the Dice coefficient of character bigrams between the question
  and the entry's closest phrasing, which rescues typos and words jieba cuts
  differently.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from typing import Final

import bm25s
import numpy as np

from jiesu.faq.entries import FaqItem
from jiesu.faq.tokens import clean, terms

# How many BM25 candidates the re-ranking looks at.
CANDIDATES: Final = 10
# Weight of term coverage against character overlap in the confidence.
COVERAGE_WEIGHT: Final = 0.7
# IDF mass of matched words (two characters or more) below which confidence is scaled
# down: one shared single character or a stray common word is no evidence of a topic.
MIN_EVIDENCE: Final = 3.5
# Weight of a query word the base never uses, as a multiple of the highest IDF.
UNKNOWN_WEIGHT: Final = 1.0


@dataclass(frozen=True)
class Scored:
    """An entry with its confidence for one question."""

    item: FaqItem
    score: float


def _bigrams(text: str) -> frozenset[str]:
    return frozenset(text[i : i + 2] for i in range(len(text) - 1)) or frozenset(text)


def _dice(a: frozenset[str], b: frozenset[str]) -> float:
    return 2 * len(a & b) / (len(a) + len(b)) if a and b else 0.0


class FaqIndex:
    """BM25 over every phrasing of `items`, with coverage re-ranking."""

    def __init__(self, items: list[FaqItem], rerank: bool = True) -> None:
        """`rerank=False` keeps BM25's order (the benchmark's ablation); scores are
        the same confidence either way."""
        self.items = items
        self.rerank = rerank
        self._doc_entry: list[int] = []
        documents: list[list[str]] = []
        self._entry_terms: list[frozenset[str]] = []
        self._entry_bigrams: list[list[frozenset[str]]] = []
        for number, item in enumerate(items):
            tag_terms = terms(" ".join(item.tags))
            phrasing_terms = [terms(p) + tag_terms for p in item.phrasings]
            documents += phrasing_terms
            self._doc_entry += [number] * len(phrasing_terms)
            self._entry_terms.append(frozenset(t for doc in phrasing_terms for t in doc))
            self._entry_bigrams.append([_bigrams(clean(p)) for p in item.phrasings])
        self._doc_entry_array = np.array(self._doc_entry)
        frequency = Counter(t for doc in documents for t in set(doc))
        total = len(documents)
        self._idf = {
            t: math.log(1 + (total - df + 0.5) / (df + 0.5)) for t, df in frequency.items()
        }
        self._unknown_idf = UNKNOWN_WEIGHT * math.log(1 + (total + 0.5) / 0.5)
        self._bm25 = bm25s.BM25()
        if documents:
            self._bm25.index(documents, show_progress=False)

    def _entry_scores(self, known: list[str]) -> np.ndarray:
        """The best BM25 score of each entry's phrasings."""
        doc_scores = self._bm25.get_scores(known)
        best = np.zeros(len(self.items))
        np.maximum.at(best, self._doc_entry_array, doc_scores)
        return best

    def _confidence(self, number: int, query: list[str], query_bigrams: frozenset[str]) -> float:
        weights = [self._idf.get(t, self._unknown_idf) for t in query]
        entry_terms = self._entry_terms[number]
        matched = [(t, w) for t, w in zip(query, weights, strict=True) if t in entry_terms]
        coverage = sum(w for _, w in matched) / sum(weights)
        evidence = sum(w for t, w in matched if len(t) > 1)
        overlap = max(_dice(query_bigrams, b) for b in self._entry_bigrams[number])
        blended = COVERAGE_WEIGHT * coverage + (1 - COVERAGE_WEIGHT) * overlap
        return blended * min(1.0, evidence / MIN_EVIDENCE)

    def search(self, question: str, limit: int) -> list[Scored]:
        """The `limit` best entries for `question`, best first, with their confidence."""
        query = terms(question)
        known = [t for t in query if t in self._idf]
        if not known:
            return []
        entry_scores = self._entry_scores(known)
        candidates = [int(n) for n in np.argsort(-entry_scores)[:CANDIDATES] if entry_scores[n] > 0]
        query_bigrams = _bigrams(clean(question))
        scored = [
            Scored(self.items[n], round(self._confidence(n, query, query_bigrams), 4))
            for n in candidates
        ]
        if self.rerank:
            scored.sort(key=lambda s: -s.score)
        return scored[:limit]
