"""The follow-up (回访) after a ticket is answered, from the first question to closing or 重办.

The scheduler sends the first question (solved?) through the outbox once per
answer a ticket receives; the resident's answers come back through the
assistant. Both questions are always asked, solved and then satisfied; 未解决
or 不满意 asks for the reason, and the ticket is reopened with it, back to the
same department. 已解决 with 满意 or 基本满意 closes the ticket in the resident's
name. A survey unanswered for the `survey_timeout_hours` setting records
NO_RESPONSE for what is missing (never a satisfied answer) and is settled by
the system: reopened if the resident had said 未解决 or 不满意, else closed with
the lack of response stated. Every answer is a `SurveyAnswer` row.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from jiesu.config import get_settings
from jiesu.labels import department_name, moment_text
from jiesu.loop.models import Answer, Question, Survey, SurveyAnswer
from jiesu.loop.rework import reopen_for_rework
from jiesu.outbox import notify
from jiesu.text import normalize
from jiesu.tickets.models import StatusEvent, Ticket
from jiesu.tickets.service import change_status
from jiesu.tickets.workflow import SYSTEM_ACTOR, Status, can_transition, resident_actor
from jiesu.vocabulary import wording

Button = dict[str, str]

INTENT: Final = "rate_ticket"
ANSWER_ENTITY: Final = "followup_answer"
NUMBER_ENTITY: Final = "ticket_id"

QUESTION_OF: Final[dict[Answer, Question]] = {
    Answer.SOLVED: Question.SOLVED,
    Answer.UNSOLVED: Question.SOLVED,
    Answer.SATISFIED: Question.SATISFACTION,
    Answer.BASICALLY_SATISFIED: Question.SATISFACTION,
    Answer.UNSATISFIED: Question.SATISFACTION,
}
NEGATIVE: Final = frozenset({Answer.UNSOLVED, Answer.UNSATISFIED})
SATISFIED: Final = frozenset({Answer.SATISFIED, Answer.BASICALLY_SATISFIED})
_BUTTONS: Final[dict[Question, tuple[Answer, ...]]] = {
    Question.SOLVED: (Answer.SOLVED, Answer.UNSOLVED),
    Question.SATISFACTION: (Answer.SATISFIED, Answer.BASICALLY_SATISFIED, Answer.UNSATISFIED),
}
# Typed answers, the more specific pattern of each question first.
_TYPED: Final[tuple[tuple[re.Pattern[str], Answer], ...]] = (
    (
        re.compile(r"[没未]有?(能|被)?(解决|修好|处理好|弄好)|还是(没|不)|不算解决|依然|仍然"),
        Answer.UNSOLVED,
    ),
    (re.compile(r"解决|修好|处理好|弄好|搞定"), Answer.SOLVED),
    (re.compile(r"不满意|不太满意|差评|很差|太差"), Answer.UNSATISFIED),
    (re.compile(r"基本满意|还行|还可以|凑合|一般般?"), Answer.BASICALLY_SATISFIED),
    (re.compile(r"满意|好评"), Answer.SATISFIED),
)


@dataclass(frozen=True)
class FollowupStep:
    """What to tell the resident after an answer: a text with buttons, or ask for the reason."""

    text: str | None
    buttons: list[Button] = field(default_factory=list)
    needs_reason: bool = False


def answer_label(answer: Answer) -> str:
    """The Chinese label of `answer` (its button title)."""
    return wording("followup", "answers", answer.value)


def read_answers(text: str) -> list[Answer]:
    """The answers a typed message gives, at most one per question ("解决了，很满意": two)."""
    plain = normalize(text)
    found: dict[Question, Answer] = {}
    for pattern, answer in _TYPED:
        question = QUESTION_OF[answer]
        if question not in found and pattern.search(plain):
            found[question] = answer
    return list(found.values())


def _payload(number: str, answer: Answer) -> str:
    entities = {NUMBER_ENTITY: number, ANSWER_ENTITY: answer.value}
    return f"/{INTENT}" + json.dumps(entities, separators=(",", ":"), ensure_ascii=False)


def _buttons(question: Question, number: str) -> list[Button]:
    return [{"title": answer_label(a), "payload": _payload(number, a)} for a in _BUTTONS[question]]


def _ask(question: Question, ticket: Ticket, *, first: bool = False) -> FollowupStep:
    key = "ask_solved_first" if first else f"ask_{question.value}"
    return FollowupStep(
        wording("followup", key, number=ticket.number), _buttons(question, ticket.number)
    )


def start_surveys(session: Session, now: datetime) -> int:
    """Ask about every answered ticket not yet asked about its latest answer; how many."""
    latest_reply = (
        select(StatusEvent.ticket_id, func.max(StatusEvent.id).label("event_id"))
        .where(StatusEvent.to_status == Status.REPLIED)
        .group_by(StatusEvent.ticket_id)
        .subquery()
    )
    due = session.execute(
        select(Ticket, latest_reply.c.event_id)
        .join(latest_reply, latest_reply.c.ticket_id == Ticket.id)
        .where(
            Ticket.status == Status.REPLIED,
            Ticket.sender_id.contains(":"),  # a conversation to ask in
            ~select(Survey.id).where(Survey.reply_event_id == latest_reply.c.event_id).exists(),
        )
        .order_by(Ticket.id)
    ).all()
    timeout = timedelta(hours=get_settings().survey_timeout_hours)
    for ticket, event_id in due:
        session.add(
            Survey(
                ticket_id=ticket.id,
                reply_event_id=event_id,
                sender_id=ticket.sender_id,
                sent_at=now,
                expires_at=now + timeout,
            )
        )
        step = _ask(Question.SOLVED, ticket, first=True)
        notify(session, ticket.sender_id, step.text or "", step.buttons)
    session.flush()
    return len(due)


def _recorded(session: Session, survey: Survey) -> dict[Question, SurveyAnswer]:
    rows = session.scalars(select(SurveyAnswer).where(SurveyAnswer.survey_id == survey.id))
    return {Question(row.question): row for row in rows}


def _record(
    session: Session,
    survey: Survey,
    recorded: dict[Question, SurveyAnswer],
    question: Question,
    answer: Answer,
    *,
    text: str | None,
    actor: str,
    now: datetime,
) -> None:
    if question in recorded:
        return
    row = SurveyAnswer(
        survey_id=survey.id,
        question=question.value,
        answer=answer.value,
        text=text,
        actor=actor,
        created_at=now,
    )
    session.add(row)
    recorded[question] = row


def _negative(recorded: dict[Question, SurveyAnswer]) -> bool:
    return any(row.answer in NEGATIVE for row in recorded.values())


def pending_survey(session: Session, sender_id: str, number: str | None = None) -> Survey | None:
    """The newest unsettled survey sent to `sender_id`, about ticket `number` if given."""
    query = select(Survey).where(Survey.sender_id == sender_id, Survey.finished_at.is_(None))
    if number:
        query = query.join(Ticket, Ticket.id == Survey.ticket_id).where(Ticket.number == number)
    return session.scalars(query.order_by(Survey.sent_at.desc(), Survey.id.desc())).first()


def answer_survey(
    session: Session,
    sender_id: str,
    *,
    number: str | None,
    answers: Sequence[Answer],
    text: str | None,
    now: datetime,
) -> FollowupStep:
    """Record the resident's answers and say what comes next.

    `text` is the message they typed, kept with the answers (None for a button).
    Answers to questions already answered are ignored, so a button pressed twice
    counts once.
    """
    survey = pending_survey(session, sender_id, number)
    if survey is None:
        key = "already_done" if number else "nothing_pending"
        return FollowupStep(wording("followup", key, number=number))
    recorded = _recorded(session, survey)
    for answer in answers:
        _record(
            session,
            survey,
            recorded,
            QUESTION_OF[answer],
            answer,
            text=text,
            actor=resident_actor(sender_id),
            now=now,
        )
    ticket = session.get_one(Ticket, survey.ticket_id)
    for question in (Question.SOLVED, Question.SATISFACTION):
        if question not in recorded:
            step = _ask(question, ticket)
            if answers:
                return FollowupStep(f"{wording('followup', 'noted')}{step.text}", step.buttons)
            return step
    if _negative(recorded) and Question.REASON not in recorded:
        return FollowupStep(None, needs_reason=True)
    settled = _settle(session, survey, recorded, ticket, actor=resident_actor(sender_id), now=now)
    return FollowupStep(settled or wording("followup", "thanks", number=ticket.number))


def give_reason(session: Session, sender_id: str, reason: str, now: datetime) -> str:
    """Record why the resident is not satisfied and reopen the ticket; what to tell them."""
    unsettled = session.scalars(
        select(Survey)
        .where(Survey.sender_id == sender_id, Survey.finished_at.is_(None))
        .order_by(Survey.sent_at.desc(), Survey.id.desc())
    ).all()
    awaiting = ((survey, _recorded(session, survey)) for survey in unsettled)
    found = next(
        (
            (survey, recorded)
            for survey, recorded in awaiting
            if _negative(recorded) and Question.REASON not in recorded
        ),
        None,
    )
    if found is None:
        return wording("followup", "reason_without_survey")
    survey, recorded = found
    actor = resident_actor(sender_id)
    _record(
        session, survey, recorded, Question.REASON, Answer.GIVEN, text=reason, actor=actor, now=now
    )
    ticket = session.get_one(Ticket, survey.ticket_id)
    settled = _settle(session, survey, recorded, ticket, actor=actor, now=now)
    return settled or wording("followup", "thanks", number=ticket.number)


def _verdict(recorded: dict[Question, SurveyAnswer]) -> str:
    return "，".join(
        answer_label(Answer(recorded[q].answer)) for q in (Question.SOLVED, Question.SATISFACTION)
    )


def _settle(
    session: Session,
    survey: Survey,
    recorded: dict[Question, SurveyAnswer],
    ticket: Ticket,
    *,
    actor: str,
    now: datetime,
) -> str | None:
    """Close or reopen the ticket the answers call for; the message for the resident.

    Nothing moves, and None is returned, if the ticket has left the state the
    answers apply to (staff closed or reopened it meanwhile); the answers still count.
    """
    survey.finished_at = now
    verdict = _verdict(recorded)
    if _negative(recorded):
        if not can_transition(ticket.status, Status.REOPENED):
            return None
        reason = recorded.get(Question.REASON)
        note = (
            wording("followup", "notes", "reopened", verdict=verdict, reason=reason.text)
            if reason is not None and reason.text
            else wording("followup", "notes", "reopened_no_reason", verdict=verdict)
        )
        due = reopen_for_rework(session, ticket, actor=actor, reason=note, now=now)
        return wording(
            "followup",
            "reopened",
            number=ticket.number,
            department=department_name(ticket.department),
            reply_due=moment_text(due),
        )
    if ticket.status is not Status.REPLIED:
        return None
    if actor == SYSTEM_ACTOR:
        note = wording(
            "followup",
            "notes",
            "closed_no_response",
            verdict=verdict,
            hours=f"{get_settings().survey_timeout_hours:g}",
        )
        message = wording("followup", "closed_no_response", number=ticket.number)
    else:
        note = wording("followup", "notes", "closed", verdict=verdict)
        message = wording("followup", "closed", number=ticket.number)
    change_status(session, ticket, Status.CLOSED, actor=actor, note=note, now=now)
    return message


def expire_surveys(session: Session, now: datetime) -> int:
    """Settle every survey past its time: NO_RESPONSE for what is missing, then close or
    reopen as the answers given call for, telling the resident; how many."""
    expired = session.scalars(
        select(Survey)
        .where(Survey.finished_at.is_(None), Survey.expires_at <= now)
        .order_by(Survey.id)
    ).all()
    for survey in expired:
        recorded = _recorded(session, survey)
        missing = [Question.SOLVED, Question.SATISFACTION]
        if _negative(recorded):
            missing.append(Question.REASON)
        for question in missing:
            _record(
                session,
                survey,
                recorded,
                question,
                Answer.NO_RESPONSE,
                text=None,
                actor=SYSTEM_ACTOR,
                now=now,
            )
        ticket = session.get_one(Ticket, survey.ticket_id)
        message = _settle(session, survey, recorded, ticket, actor=SYSTEM_ACTOR, now=now)
        if message is not None:
            notify(session, survey.sender_id, message)
    session.flush()
    return len(expired)
