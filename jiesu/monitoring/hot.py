"""Hot issues (热点问题): recurring appeals that share place, time and content.

Messages are linked when they are close in time, similar in wording (TF-IDF
cosine over jieba words, the title counted twice) and not about different
places; a shared place lowers the similarity needed. Linked messages form
clusters (connected components), ranked by size and growth.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path

import jieba
import jieba.analyse
import numpy as np
from scipy.sparse import coo_matrix, csr_matrix, triu
from scipy.sparse.csgraph import connected_components
from sklearn.feature_extraction.text import TfidfVectorizer

from jiesu.monitoring.places import (
    FRAMING_WORDS,
    Places,
    districts_in,
    fine_places,
    without_districts,
)
from jiesu.text import normalize
from jiesu.wordcut import project_tokenizer

_WORD = re.compile(r"[\u4e00-\u9fffA-Za-z]")
_STOP_WORDS = FRAMING_WORDS | frozenset(
    {
        "问题",
        "我们",
        "你们",
        "他们",
        "没有",
        "什么",
        "怎么",
        "这个",
        "那个",
        "可以",
        "现在",
        "已经",
        "一个",
        "进行",
        "相关",
        "部门",
        "领导",
        "政府",
        "情况",
        "谢谢",
        "您好",
        "请求",
        "要求",
        "为什么",
    }
)
EXAMPLE_TITLES = 3


@dataclass(frozen=True)
class Record:
    """One message or ticket; `title` may be empty when there is only a text."""

    id: str
    title: str
    body: str
    time: datetime
    place: str | None = None


@dataclass(frozen=True)
class HotIssueParams:
    """Thresholds of the detection; the defaults suit city appeals over months."""

    link_window: timedelta = timedelta(days=30)
    growth_window: timedelta = timedelta(days=30)
    min_similarity: float = 0.5
    place_similarity: float = 0.2
    min_size: int = 2
    body_chars: int = 600
    keywords: int = 5


@dataclass(frozen=True)
class HotIssue:
    """A cluster of messages about one recurring issue."""

    size: int
    first: datetime
    last: datetime
    places: tuple[str, ...]
    keywords: tuple[str, ...]
    member_ids: tuple[str, ...]
    example_titles: tuple[str, ...]
    recent: int
    previous: int

    @property
    def growth(self) -> int:
        """Messages in the latest growth window minus those in the window before."""
        return self.recent - self.previous

    @property
    def score(self) -> int:
        """Ranking score: the size, plus the growth when the issue is growing."""
        return self.size + max(self.growth, 0)


@lru_cache(maxsize=1)
def _tokenizer() -> jieba.Tokenizer:
    return project_tokenizer()


def words(text: str) -> list[str]:
    """Content words of normalised `text`: jieba words of two or more characters."""
    return [
        w
        for w in _tokenizer().lcut(text)
        if len(w) > 1 and _WORD.search(w) and w not in _STOP_WORDS
    ]


def places_of(record: Record) -> Places:
    """The places of `record`: its own place if given, else those named in its title
    (or the start of its body when the title names none)."""
    head = normalize(record.place or record.title or record.body[:80])
    fine = fine_places(_tokenizer().lcut(without_districts(head)))
    if not fine and not record.place and record.title:
        fine = fine_places(_tokenizer().lcut(without_districts(normalize(record.body[:80]))))
    if record.place and not fine:
        fine = frozenset({normalize(record.place)})
    return Places(districts=districts_in(head), fine=fine)


def _documents(records: Sequence[Record], body_chars: int) -> list[list[str]]:
    def text(raw: str) -> list[str]:
        return words(without_districts(normalize(raw)))

    return [2 * text(r.title) + text(r.body[:body_chars]) for r in records]


def _vectorise(documents: list[list[str]]) -> tuple[csr_matrix, np.ndarray]:
    """L2-normalised TF-IDF rows and the vocabulary (empty documents give zero rows)."""
    vectorizer = TfidfVectorizer(analyzer=lambda d: d, sublinear_tf=True)
    matrix = vectorizer.fit_transform(documents)
    return csr_matrix(matrix), vectorizer.get_feature_names_out()


def _linked(
    similarity: float, gap: timedelta, mine: Places, theirs: Places, params: HotIssueParams
) -> bool:
    if gap > params.link_window or mine.conflicts_with(theirs):
        return False
    if mine.shares_fine_place(theirs):
        return similarity >= params.place_similarity
    return similarity >= params.min_similarity


def _components(
    records: Sequence[Record], matrix: csr_matrix, places: list[Places], params: HotIssueParams
) -> np.ndarray:
    """The cluster label of each record."""
    candidates = triu(matrix @ matrix.T, k=1).tocoo()
    keep = candidates.data >= min(params.place_similarity, params.min_similarity)
    rows, cols, sims = candidates.row[keep], candidates.col[keep], candidates.data[keep]
    edges = [
        (i, j)
        for i, j, s in zip(rows.tolist(), cols.tolist(), sims.tolist(), strict=True)
        if _linked(s, abs(records[i].time - records[j].time), places[i], places[j], params)
    ]
    n = len(records)
    pairs = np.array(edges, dtype=np.int64).reshape(-1, 2)
    graph = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    return connected_components(graph, directed=False)[1]


def _top_terms(
    matrix: csr_matrix, members: list[int], vocabulary: np.ndarray, k: int
) -> tuple[str, ...]:
    weights = np.asarray(matrix[members].sum(axis=0)).ravel()
    top = np.argsort(-weights)[:k]
    return tuple(str(vocabulary[t]) for t in top if weights[t] > 0)


def _issue(
    records: Sequence[Record],
    members: list[int],
    places: list[Places],
    terms: tuple[str, ...],
    now: datetime,
    window: timedelta,
) -> HotIssue:
    times = [records[m].time for m in members]
    place_counts = Counter(p for m in members for p in places[m].fine | places[m].districts)
    shared = [p for p, c in place_counts.most_common() if c * 2 >= len(members)]
    ordered = sorted(members, key=lambda m: records[m].time)
    return HotIssue(
        size=len(members),
        first=min(times),
        last=max(times),
        places=tuple(shared),
        keywords=terms,
        member_ids=tuple(records[m].id for m in ordered),
        example_titles=tuple(
            (records[m].title or records[m].body[:30]) for m in ordered[:EXAMPLE_TITLES]
        ),
        recent=sum(now - window < t <= now for t in times),
        previous=sum(now - 2 * window < t <= now - window for t in times),
    )


def find_hot_issues(
    records: Sequence[Record],
    params: HotIssueParams | None = None,
    now: datetime | None = None,
) -> list[HotIssue]:
    """Clusters of at least `params.min_size` records, hottest first.

    Growth is counted over the `params.growth_window` ending at `now` (the
    latest record time by default) against the window before it.
    """
    params = params or HotIssueParams()
    if not records:
        return []
    now = now or max(r.time for r in records)
    places = [places_of(r) for r in records]
    matrix, vocabulary = _vectorise(_documents(records, params.body_chars))
    labels = _components(records, matrix, places, params)
    clusters: dict[int, list[int]] = {}
    for index, label in enumerate(labels.tolist()):
        clusters.setdefault(label, []).append(index)
    issues = [
        _issue(
            records,
            members,
            places,
            _top_terms(matrix, members, vocabulary, params.keywords),
            now,
            params.growth_window,
        )
        for members in clusters.values()
        if len(members) >= params.min_size
    ]
    return sorted(issues, key=lambda i: (-i.score, -i.recent, -i.last.timestamp()))


@lru_cache(maxsize=1)
def _keyword_extractor() -> jieba.analyse.TFIDF:
    extractor = jieba.analyse.TFIDF()
    extractor.tokenizer = _tokenizer()
    return extractor


def _keyword_counts(records: Iterable[Record], per_record: int) -> Counter[str]:
    """In how many records each word is among the record's top `per_record` keywords."""
    extractor = _keyword_extractor()
    counts: Counter[str] = Counter()
    for r in records:
        text = normalize(f"{r.title} {r.title} {r.body}")
        counts.update(
            w
            for w in extractor.extract_tags(text, topK=per_record)
            if len(w) > 1 and w not in _STOP_WORDS and _WORD.search(w)
        )
    return counts


def trending_keywords(
    records: Sequence[Record],
    window: timedelta,
    now: datetime | None = None,
    top: int = 20,
    min_count: int = 2,
    per_record: int = 8,
) -> list[tuple[str, int, int]]:
    """Words whose use grew most: (word, records in the latest `window`, records in
    the window before), largest growth first; a word must be among the
    `jieba.analyse` keywords of at least `min_count` recent records."""
    if not records:
        return []
    now = now or max(r.time for r in records)
    recent = _keyword_counts((r for r in records if now - window < r.time <= now), per_record)
    previous = _keyword_counts(
        (r for r in records if now - 2 * window < r.time <= now - window), per_record
    )
    rising = [(w, c, previous[w]) for w, c in recent.items() if c >= min_count and c > previous[w]]
    return sorted(rising, key=lambda t: (t[2] - t[1], -t[1], t[0]))[:top]


_TIME_FORMATS = ("%Y/%m/%d %H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y-%m-%d")


def parse_time(text: str) -> datetime:
    """A timestamp as written in message exports ("2019/2/28 11:25:05", "2019-02-28 …")."""
    for fmt in _TIME_FORMATS:
        try:
            return datetime.strptime(text.strip(), fmt)
        except ValueError:
            continue
    raise ValueError(f"unrecognised time: {text!r}")


def read_records(path: Path) -> list[Record]:
    """Records from a CSV with columns id, title, body, time and optionally place."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return [
            Record(
                id=row["id"],
                title=row.get("title") or "",
                body=row.get("body") or "",
                time=parse_time(row["time"]),
                place=row.get("place") or None,
            )
            for row in csv.DictReader(handle)
        ]
