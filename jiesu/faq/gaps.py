"""Gaps in the knowledge base (问答缺口): questions it could not answer, grouped by
similarity, the entries residents most often found unhelpful, and new entries staff
write for them.

Questions are grouped with the search's own terms (`jiesu.faq.tokens.terms`):
TF-IDF cosine over those terms links two questions, and linked questions form a
group. A new entry goes straight into the database; the search notices the changed
base on its next question (see `jiesu.faq.retrieval`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Final

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components
from sklearn.feature_extraction.text import TfidfVectorizer
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from jiesu.faq.models import FaqEntry, FaqFeedback, FaqUnanswered
from jiesu.faq.retrieval import search
from jiesu.faq.store import STAFF_PREFIX
from jiesu.faq.tokens import terms
from jiesu.models import utcnow

# Cosine similarity of term vectors from which two questions are the same gap.
MIN_SIMILARITY: Final = 0.5
EXAMPLES: Final = 3
MAX_QUESTIONS: Final = 5000
LIMITS: Final = {"question": 2000, "answer": 4000, "department": 128, "source": 255}


@dataclass(frozen=True)
class GapGroup:
    """Similar unanswered questions: how many, the latest ones, and when last asked."""

    count: int
    latest: datetime
    examples: tuple[str, ...]

    @property
    def question(self) -> str:
        """The group's most recent wording, offered as the new entry's question."""
        return self.examples[0]


@dataclass(frozen=True)
class UnhelpfulEntry:
    """An entry with its 没有帮助 and 有帮助 counts, and the latest unhappy questions."""

    id: str
    question: str
    unhelpful: int
    helpful: int
    examples: tuple[str, ...]


def group_questions(questions: list[tuple[str, datetime]]) -> list[GapGroup]:
    """`questions` (text, when asked) grouped by similarity, largest group first,
    then the most recently asked."""
    if not questions:
        return []
    documents = [terms(text) for text, _ in questions]
    vectorizer = TfidfVectorizer(analyzer=lambda doc: doc, sublinear_tf=True)
    matrix = csr_matrix(vectorizer.fit_transform(documents)) if any(documents) else None
    if matrix is None:
        labels = np.arange(len(questions))
    else:
        similar = matrix @ matrix.T
        similar.data = (similar.data >= MIN_SIMILARITY).astype(np.float64)
        similar.eliminate_zeros()
        labels = connected_components(similar, directed=False)[1]
    members: dict[int, list[int]] = {}
    for index, label in enumerate(labels.tolist()):
        members.setdefault(label, []).append(index)
    groups = []
    for indexes in members.values():
        ordered = sorted(indexes, key=lambda i: questions[i][1], reverse=True)
        texts = list(dict.fromkeys(questions[i][0].strip() for i in ordered))
        groups.append(
            GapGroup(
                count=len(indexes),
                latest=questions[ordered[0]][1],
                examples=tuple(texts[:EXAMPLES]),
            )
        )
    return sorted(groups, key=lambda g: (-g.count, -g.latest.timestamp()))


def answered_now(question: str, url: str | None = None) -> str | None:
    """The question of the entry that now answers `question`, if the base has one
    (a gap filled since it was asked)."""
    result = search(question, limit=1, url=url)
    return result.matches[0].question if result.answered else None


@dataclass(frozen=True)
class GapReport:
    """What the 问答缺口 page lists: the unanswered groups, each with the question of the
    entry that answers it now (None while still a gap), and the unhelpful entries."""

    groups: list[tuple[GapGroup, str | None]]
    unhelpful: list[UnhelpfulEntry]


def gap_report(session: Session, since: datetime, url: str | None = None) -> GapReport:
    """The gaps since `since`; `url` is the database the search reads."""
    groups = unanswered_groups(session, since)
    return GapReport(
        groups=[(g, answered_now(g.question, url)) for g in groups],
        unhelpful=unhelpful_entries(session, since),
    )


def unanswered_groups(session: Session, since: datetime) -> list[GapGroup]:
    """The questions the base could not answer since `since`, grouped."""
    rows = session.execute(
        select(FaqUnanswered.question, FaqUnanswered.created_at)
        .where(FaqUnanswered.created_at >= since)
        .order_by(FaqUnanswered.created_at.desc())
        .limit(MAX_QUESTIONS)
    ).all()
    return group_questions([(q, at) for q, at in rows if q.strip()])


def unhelpful_entries(session: Session, since: datetime, limit: int = 10) -> list[UnhelpfulEntry]:
    """The entries with the most 没有帮助 answers since `since`, most first."""
    unhelpful = func.sum(case((FaqFeedback.helpful.is_(False), 1), else_=0))
    helpful = func.sum(case((FaqFeedback.helpful.is_(True), 1), else_=0))
    rows = session.execute(
        select(FaqFeedback.entry_id, unhelpful, helpful)
        .where(FaqFeedback.created_at >= since)
        .group_by(FaqFeedback.entry_id)
        .having(unhelpful > 0)
        .order_by(unhelpful.desc(), FaqFeedback.entry_id)
        .limit(limit)
    ).all()
    entries = select(FaqEntry.id, FaqEntry.question).where(FaqEntry.id.in_([r[0] for r in rows]))
    questions = {entry_id: question for entry_id, question in session.execute(entries)}
    found = []
    for entry_id, bad, good in rows:
        asked = session.scalars(
            select(FaqFeedback.question)
            .where(
                FaqFeedback.entry_id == entry_id,
                FaqFeedback.helpful.is_(False),
                FaqFeedback.question.is_not(None),
                FaqFeedback.created_at >= since,
            )
            .order_by(FaqFeedback.created_at.desc())
            .limit(EXAMPLES * 3)
        )
        distinct = dict.fromkeys(q.strip() for q in asked if q and q.strip())
        examples = tuple(list(distinct)[:EXAMPLES])
        found.append(
            UnhelpfulEntry(
                id=entry_id,
                question=questions.get(entry_id, entry_id),
                unhelpful=int(bad),
                helpful=int(good),
                examples=examples,
            )
        )
    return found


class EntryError(ValueError):
    """A new entry is incomplete or too long; the message says what to fix, in Chinese."""


_FIELD_NAMES: Final = {
    "question": "问题",
    "answer": "答案",
    "department": "负责部门",
    "source": "政策依据",
}


def add_entry(
    session: Session,
    *,
    question: str,
    answer: str,
    department: str,
    source: str,
    alternatives: tuple[str, ...] = (),
) -> FaqEntry:
    """Store a new enabled entry written by staff; searches answer from it at once.

    Its id starts with `STAFF_PREFIX`, so reloading the YAML seed leaves it alone.
    """
    fields = {"question": question, "answer": answer, "department": department, "source": source}
    cleaned = {key: value.strip() for key, value in fields.items()}
    missing = [_FIELD_NAMES[k] for k, v in cleaned.items() if not v]
    if missing:
        raise EntryError(f"请填写{'、'.join(missing)}。")
    too_long = [_FIELD_NAMES[k] for k, v in cleaned.items() if len(v) > LIMITS[k]]
    if too_long:
        raise EntryError(f"{'、'.join(too_long)}过长，请精简。")
    others = tuple(dict.fromkeys(a.strip() for a in alternatives if a.strip()))
    entry = FaqEntry(
        id=f"{STAFF_PREFIX}{utcnow():%Y%m%d}-{uuid.uuid4().hex[:8]}",
        alternatives=[a for a in others if a != cleaned["question"]],
        tags=[],
        enabled=True,
        updated_at=utcnow(),
        **cleaned,
    )
    session.add(entry)
    session.flush()
    return entry
