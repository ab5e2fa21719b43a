"""What staff review later: answer feedback and the questions the base could not answer."""

from __future__ import annotations

from sqlalchemy.orm import Session

from jiesu.faq.models import FaqFeedback, FaqUnanswered
from jiesu.faq.retrieval import SearchResult


def record_feedback(
    session: Session, entry_id: str, sender_id: str, helpful: bool, question: str | None
) -> FaqFeedback:
    """Store a resident's 有/没有 to "这个回答有帮助吗？" for entry `entry_id`."""
    feedback = FaqFeedback(
        entry_id=entry_id, sender_id=sender_id, helpful=helpful, question=question
    )
    session.add(feedback)
    session.flush()
    return feedback


def record_unanswered(
    session: Session, sender_id: str, question: str, result: SearchResult
) -> FaqUnanswered:
    """Store a question the base had no sure answer to, with its closest candidates."""
    unanswered = FaqUnanswered(
        sender_id=sender_id,
        question=question,
        best_score=result.matches[0].score if result.matches else 0.0,
        candidate_ids=[m.id for m in result.matches],
    )
    session.add(unanswered)
    session.flush()
    return unanswered
