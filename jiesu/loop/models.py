"""Closed-loop tables: staff alerts, reply rounds, follow-up surveys and their answers,
and the scheduler's daily retention purges.

Unique keys make every scheduler step idempotent: a restarted or concurrent
sweep finds the row it would write and does nothing. Reply rounds and survey
answers are never updated; with the tickets' status events they are the audit
trail the rates (`jiesu.loop.rates`) are computed from.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from jiesu.db import Base, UtcDateTime
from jiesu.models import utcnow


class AlertKind(StrEnum):
    """What a staff alert says about a deadline."""

    REMINDER = "reminder"  # 临期提醒: most of the time allowed has gone
    ESCALATION = "escalation"  # 超期督办: the deadline has passed


class Question(StrEnum):
    """The follow-up's questions, in the order they are asked."""

    SOLVED = "solved"
    SATISFACTION = "satisfaction"
    REASON = "reason"  # asked only after 未解决 or 不满意


class Answer(StrEnum):
    """An answer to a follow-up question; NO_RESPONSE is recorded when the survey expires."""

    SOLVED = "solved"
    UNSOLVED = "unsolved"
    SATISFIED = "satisfied"
    BASICALLY_SATISFIED = "basically_satisfied"
    UNSATISFIED = "unsatisfied"
    GIVEN = "given"  # the reason, whose words are in `SurveyAnswer.text`
    NO_RESPONSE = "no_response"


class StaffAlert(Base):
    """A reminder or escalation about one deadline of one ticket, raised once.

    `department` is who must act: the handling department for a reply deadline,
    None (the dispatch desk) for a dispatch deadline. An escalation is also the
    ticket's 督办 mark.
    """

    __tablename__ = "staff_alerts"
    __table_args__ = (
        UniqueConstraint("ticket_id", "kind", "deadline", "due_at", name="uq_staff_alerts_once"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("tickets.id", name="fk_staff_alerts_ticket_id_tickets"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    deadline: Mapped[str] = mapped_column(String(16))
    department: Mapped[str | None] = mapped_column(String(64), index=True, default=None)
    due_at: Mapped[datetime] = mapped_column(UtcDateTime())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, index=True)


class ReplyRound(Base):
    """One period in which the resident was owed an answer: from filing, then one per 重办.

    Recorded because the ticket's `reply_due_at` is overwritten when it is reopened.
    """

    __tablename__ = "reply_rounds"
    __table_args__ = (UniqueConstraint("ticket_id", "round", name="uq_reply_rounds_ticket_round"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("tickets.id", name="fk_reply_rounds_ticket_id_tickets"), index=True
    )
    round: Mapped[int]
    started_at: Mapped[datetime] = mapped_column(UtcDateTime())
    due_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)


class Survey(Base):
    """The follow-up (回访) sent after one answer (the REPLIED status event) of a ticket."""

    __tablename__ = "followup_surveys"
    __table_args__ = (
        UniqueConstraint("reply_event_id", name="uq_followup_surveys_reply_event_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("tickets.id", name="fk_followup_surveys_ticket_id_tickets"), index=True
    )
    reply_event_id: Mapped[int] = mapped_column(
        ForeignKey("status_events.id", name="fk_followup_surveys_reply_event_id_status_events")
    )
    sender_id: Mapped[str] = mapped_column(String(161), index=True)
    sent_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    # Set once, when the ticket was closed or reopened from it.
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)


class SurveyAnswer(Base):
    """One answer to one question of a survey, the resident's or NO_RESPONSE. Never updated."""

    __tablename__ = "survey_answers"
    __table_args__ = (
        UniqueConstraint("survey_id", "question", name="uq_survey_answers_survey_question"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(
        ForeignKey("followup_surveys.id", name="fk_survey_answers_survey_id_followup_surveys"),
        index=True,
    )
    question: Mapped[str] = mapped_column(String(16))
    answer: Mapped[str] = mapped_column(String(24))
    # The resident's words: the message that answered, or the reason.
    text: Mapped[str | None] = mapped_column(Text, default=None)
    # "resident:<sender id>" or "system" (no response).
    actor: Mapped[str] = mapped_column(String(192))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class RetentionPurge(Base):
    """One day's retention purge by the scheduler (`jiesu.privacy.purge_expired`) and how
    many records it erased, as `jiesu.privacy.Erased` counts them.

    `day` is the city's local date; its unique key makes the purge run once a day however
    many schedulers sweep, and however often they restart.
    """

    __tablename__ = "retention_purges"
    __table_args__ = (UniqueConstraint("day", name="uq_retention_purges_day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    ran_at: Mapped[datetime] = mapped_column(UtcDateTime())
    retention_days: Mapped[int]
    tickets: Mapped[int]
    photos: Mapped[int]
    messages: Mapped[int]
    outbox: Mapped[int]
    notes: Mapped[int]
    questions: Mapped[int]
    transcripts: Mapped[int]
    conversations: Mapped[int]
