"""The in-memory search index over the knowledge base.

Each phrasing of an entry (its question and every alternative, with the entry's tags
appended) is one BM25 document; an entry scores as its best phrasing. A question's
terms carry weights (`jiesu.faq.tokens.weighted_terms`: the ask counts fully, the
situation told before it less). BM25 picks the candidates; each is described by a
few bounded measures of how well it covers the question:

- blend: 0.7 × term coverage (the weighted, IDF-weighted share of the question's
  terms found in the entry; a word the base never uses counts against the match)
  + 0.3 × character overlap (Dice of character bigrams with the entry's closest
  phrasing, which rescues typos and words jieba cuts differently), scaled down while
  the matched topic words (`tokens.generic` excluded) weigh less than
  `MIN_EVIDENCE`: the confidence of the first version, kept as one measure;
- coverage and overlap on their own;
- the most specific word of the ask the entry does not contain (IDF relative to a
  word the base never uses): "公积金贷款" is not "公积金还贷";
- how many topic words the entry matches (at most 4);
- the other way round, how much of the entry the question covers: the IDF-weighted
  share of a phrasing's topic words found among the question's terms (best
  phrasing): "新能源汽车免购置税" shares words with "新能源汽车充电" but leaves out
  what that entry is about.

An entry is the answer only if it names what the ask is about (`tokens.asked_about`:
the official thing and a particular operation, or for an ask that names nothing of its
own one of the things told before it, read against the entry's question, alternatives,
tags and applicable conditions; a thing named with a qualifier must be said together):
otherwise it is still offered among the closest questions.

The confidence is a logistic model over these measures (`WEIGHTS`, `BIAS`), fitted
on the splits of `bench/data/faq_situations.csv` seen while tuning (`bench/faq.py
--fit` chooses its regularisation and the answer threshold by cross-validation and
prints a new fit), and the candidates are re-ranked by it.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

import numpy as np
from scipy.sparse import csr_matrix

from jiesu.faq.entries import FaqItem
from jiesu.faq.tokens import (
    DEFAULT_READING,
    Reading,
    generic,
    normalized_terms,
    plain,
    read,
    spellings,
    synonyms,
    terms,
    variants,
)
from jiesu.text import normalize

# How many BM25 candidates the re-ranking looks at.
CANDIDATES: Final = 10
# Weight of term coverage against character overlap in the blend.
COVERAGE_WEIGHT: Final = 0.7
# IDF mass of matched topic words (two characters or more) below which the blend is
# scaled down: one shared single character or a stray word is no evidence of a topic.
MIN_EVIDENCE: Final = 3.5
# Weight of a query word the base never uses, as a multiple of the highest IDF.
UNKNOWN_WEIGHT: Final = 1.0
# At most this many matched topic words count.
MAX_TOPIC_WORDS: Final = 4
# Most characters between a qualifier and the word it qualifies for an entry to name
# them together ("创业担保贷款" names 创业贷款).
QUALIFIER_GAP: Final = 2
# BM25 constants (Lucene's variant, as bm25s computes it by default).
K1: Final = 1.5
B: Final = 0.75
# The logistic model over (blend, coverage, unmatched ask word, topic words, overlap,
# entry coverage).
WEIGHTS: Final = (4.902, -0.923, -0.606, 0.749, -1.024, 2.364)
BIAS: Final = -3.237


@dataclass(frozen=True)
class Scored:
    """An entry with its confidence for one question, and whether it names what the
    question asks about (an entry that does not is never the answer)."""

    item: FaqItem
    score: float
    covers: bool = True


@dataclass(frozen=True)
class _Phrasing:
    """What of one phrasing a question should cover: its topic words and their IDF mass."""

    topic: frozenset[str]
    mass: float


@dataclass(frozen=True)
class _Query:
    """A question as the index reads it: its terms with their weights (`importance`
    multiplies in each term's IDF), the topic words among its terms and of its ask."""

    terms: list[tuple[str, float]]
    words: frozenset[str]  # the terms without their weights
    importance: list[tuple[str, float]]
    total: float  # the sum of `importance`
    topic: frozenset[str]
    asked: frozenset[str]
    bigrams: frozenset[str]
    # What the ask is about: choices, of each of which an entry must name one thing.
    about: list[list[_Thing]]


@dataclass(frozen=True)
class _Thing:
    """A thing or operation the ask is about, as an entry may name it: per word, the
    ways of naming it; a thing named with a qualifier (经营 许可证) must be said together
    (`together`: at most `QUALIFIER_GAP` characters apart), so that "公积金贷款" is not
    named by "用公积金还商业贷款"."""

    ways: list[list[tuple[str, ...]]]
    together: re.Pattern[str] | None = None


@lru_cache(maxsize=4096)
def _together(qualifier: str, word: str) -> re.Pattern[str]:
    """`qualifier` then `word` (any of their synonyms) at most `QUALIFIER_GAP` characters
    apart within one phrase of an entry's text."""
    first, second = ("|".join(map(re.escape, variants(w))) for w in (qualifier, word))
    return re.compile(f"(?:{first})[^ ]{{0,{QUALIFIER_GAP}}}(?:{second})")


def _thing(words: tuple[str, ...]) -> _Thing:
    together = _together(*words) if len(words) == 2 else None
    return _Thing([spellings(word) for word in words], together)


def _bigrams(text: str) -> frozenset[str]:
    return frozenset(text[i : i + 2] for i in range(len(text) - 1)) or frozenset(text)


def _dice(a: frozenset[str], b: frozenset[str]) -> float:
    return 2 * len(a & b) / (len(a) + len(b)) if a and b else 0.0


class FaqIndex:
    """BM25 over every phrasing of `items`, re-ranked by confidence."""

    def __init__(self, items: list[FaqItem], reading: Reading = DEFAULT_READING) -> None:
        """`reading` says how questions are read (the benchmark turns ideas off)."""
        self.items = items
        self.reading = reading
        self._generic = generic() if reading.generic else frozenset()
        # Canonical synonyms are topic words even with one character (狗).
        self._named = frozenset(synonyms().values()) if reading.generic else frozenset()
        doc_entry: list[int] = []
        documents: list[list[str]] = []
        self._entry_terms: list[frozenset[str]] = []
        self._entry_bigrams: list[list[frozenset[str]]] = []
        # What each entry is about: its phrasings, tags and conditions, as text and terms.
        self._scope: list[tuple[str, frozenset[str]]] = []
        worded: list[list[list[str]]] = []  # each entry's phrasings, without its tags
        for number, item in enumerate(items):
            tag_terms = terms(" ".join(item.tags))
            normalized = [normalize(p) for p in item.phrasings]
            worded.append([normalized_terms(p) for p in normalized])
            phrasing_terms = [words + tag_terms for words in worded[-1]]
            documents += phrasing_terms
            doc_entry += [number] * len(phrasing_terms)
            self._entry_terms.append(frozenset(t for doc in phrasing_terms for t in doc))
            self._entry_bigrams.append([_bigrams(plain(p)) for p in normalized])
            scope = [*normalized, *(normalize(t) for t in item.tags), normalize(item.conditions)]
            scope_terms = frozenset(t for text in scope for t in normalized_terms(text))
            self._scope.append((" ".join(plain(text) for text in scope), scope_terms))
        frequency = Counter(t for doc in documents for t in set(doc))
        total = len(documents)
        self._idf = {
            t: math.log(1 + (total - df + 0.5) / (df + 0.5)) for t, df in frequency.items()
        }
        self._unknown_idf = UNKNOWN_WEIGHT * math.log(1 + (total + 0.5) / 0.5)
        self._column = {t: n for n, t in enumerate(frequency)}
        self._phrasings = [[self._phrasing(words) for words in entry] for entry in worded]
        # Each entry's number for each document, and the postings of each term: the
        # documents it occurs in (ascending) with its BM25 weight there.
        self._doc_entry = np.array(doc_entry, dtype=np.int64)
        postings = self._bm25_matrix(documents)
        self._starts, self._docs, self._weights = postings.indptr, postings.indices, postings.data

    def _bm25_matrix(self, documents: list[list[str]]) -> csr_matrix:
        """Terms × documents, each cell the term's BM25 weight in the document."""
        lengths = np.array([len(doc) for doc in documents], dtype=np.float64)
        average = float(lengths.mean()) if documents else 1.0
        rows, columns, values = [], [], []
        for number, doc in enumerate(documents):
            norm = K1 * (1 - B + B * lengths[number] / average)
            for term, count in Counter(doc).items():
                rows.append(number)
                columns.append(self._column[term])
                values.append(self._idf[term] * count / (count + norm))
        shape = (len(self._column), len(documents))
        return csr_matrix((values, (columns, rows)), shape=shape, dtype=np.float64)

    def _phrasing(self, words: list[str]) -> _Phrasing:
        topic = frozenset(t for t in words if self._is_topic(t))
        return _Phrasing(topic, sum(self._idf[t] for t in topic))

    def _is_topic(self, term: str) -> bool:
        """Whether `term` may tell a topic: two characters or a named synonym, not generic."""
        return (len(term) > 1 or term in self._named) and term not in self._generic

    def _read(self, question: str) -> _Query:
        normalized = normalize(question)
        reading = read(normalized, self.reading)
        query = reading.terms
        importance = [(t, w * self._idf.get(t, self._unknown_idf)) for t, w in query]
        topic = frozenset(t for t, _ in query if self._is_topic(t))
        asked = frozenset(t for t, w in query if w == 1.0 and t in topic)
        total = sum(w for _, w in importance)
        words = frozenset(t for t, _ in query)
        bigrams = _bigrams(plain(normalized))
        about = (
            [[_thing(thing) for thing in choice] for choice in reading.about]
            if self.reading.asked
            else []
        )
        return _Query(query, words, importance, total, topic, asked, bigrams, about)

    def _covers(self, number: int, query: _Query) -> bool:
        """Whether entry `number` names what the ask is about: of each choice, one thing
        or operation (each of its words, in one of the ways of naming it)."""
        text, scope_terms = self._scope[number]

        def named(term: str) -> bool:
            return term in scope_terms or term in text

        def names(thing: _Thing) -> bool:
            if thing.together is not None:
                return thing.together.search(text) is not None
            return all(any(all(named(t) for t in way) for way in ways) for ways in thing.ways)

        return all(any(names(thing) for thing in choice) for choice in query.about)

    def _candidates(self, query: _Query) -> list[int]:
        """The entries whose best phrasing scores highest in BM25, best first: only the
        documents holding a term of the question are scored."""
        known: dict[int, float] = {}
        for term, weight in query.terms:
            column = self._column.get(term)
            if column is not None:
                known[column] = known.get(column, 0.0) + weight
        if not known:
            return []
        spans = [(self._starts[c], self._starts[c + 1], w) for c, w in known.items()]
        docs = np.concatenate([self._docs[a:b] for a, b, _ in spans])
        values = np.concatenate([self._weights[a:b] * w for a, b, w in spans])
        doc_scores = np.bincount(docs, weights=values, minlength=len(self._doc_entry))
        touched = np.flatnonzero(doc_scores)
        doc_scores = doc_scores[touched]
        # Documents are in entry order, so each entry's touched documents are adjacent.
        entries = self._doc_entry[touched]
        first = np.flatnonzero(np.diff(entries, prepend=-1))
        best = np.maximum.reduceat(doc_scores, first)
        entries = entries[first]
        count = min(CANDIDATES, int(np.count_nonzero(best)))
        if count == 0:
            return []
        top = np.argpartition(-best, count - 1)[:count]
        return [int(entries[i]) for i in sorted(top.tolist(), key=lambda i: (-best[i], i))]

    def _measures(self, number: int, query: _Query) -> tuple[float, ...]:
        """(blend, coverage, unmatched ask word, topic words, overlap, entry coverage)
        of one candidate."""
        entry_terms = self._entry_terms[number]
        coverage = sum(w for t, w in query.importance if t in entry_terms) / query.total
        topic = query.topic & entry_terms
        evidence = sum(self._idf[t] for t in topic)
        overlap = max(_dice(query.bigrams, b) for b in self._entry_bigrams[number])
        blend = (COVERAGE_WEIGHT * coverage + (1 - COVERAGE_WEIGHT) * overlap) * min(
            1.0, evidence / MIN_EVIDENCE
        )
        unmatched = max(
            (self._idf.get(t, self._unknown_idf) for t in query.asked - entry_terms), default=0.0
        )
        covered = max(
            sum(self._idf[t] for t in p.topic & query.words) / p.mass if p.mass else 0.0
            for p in self._phrasings[number]
        )
        return (
            blend,
            coverage,
            unmatched / self._unknown_idf,
            float(min(len(topic), MAX_TOPIC_WORDS)),
            overlap,
            covered,
        )

    def _confidence(self, measures: tuple[float, ...]) -> float:
        if not self.reading.learned:
            return measures[0]
        logit = BIAS + sum(w * m for w, m in zip(WEIGHTS, measures, strict=True))
        return 1 / (1 + math.exp(-logit))

    def measured(self, question: str) -> list[tuple[FaqItem, tuple[float, ...], bool]]:
        """The candidates for `question` with their measures (for fitting the model) and
        whether each names what the ask is about."""
        query = self._read(question)
        return [
            (self.items[n], self._measures(n, query), self._covers(n, query))
            for n in self._candidates(query)
        ]

    def search(self, question: str, limit: int) -> list[Scored]:
        """The `limit` best entries for `question`, best first, with their confidence."""
        scored = [
            Scored(item, round(self._confidence(measures), 4), covers)
            for item, measures, covers in self.measured(question)
        ]
        scored.sort(key=lambda s: -s.score)
        return scored[:limit]
