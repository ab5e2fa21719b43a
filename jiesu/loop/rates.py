"""三率: the response, solve and satisfaction rates, defined here and nowhere else.

Only audit rows count: the tickets' status events, the reply rounds (each
deadline a ticket had) and the survey answers, none of which is ever updated.
The ticket's own columns serve only to group (its current department, grid
and category).

- 响应率 (response rate) = responded / due. `due` counts the reply rounds whose
  deadline falls in the period: the first from filing, one more per 重办. A
  round is `responded` when the ticket was answered (REPLIED) or closed after
  the round began and before its deadline. Rounds of tickets merged before
  their deadline are left out: the lead ticket carries the work.
- 解决率 (solve rate) = solved / surveyed and 满意率 (satisfaction rate) =
  satisfied / surveyed, from the follow-up (回访). A survey is complete when
  both questions have an answer, the resident's or NO_RESPONSE; it counts in
  the period of its last answer. Each ticket counts once, by its latest
  survey complete in the period, so a ticket reopened and then resolved counts
  by its final verdict. `solved` answered 已解决, `satisfied` 满意 or 基本满意;
  `no_response` answered neither question, and stays in the denominators.
- A rate is None when its denominator is zero.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import ColumnElement, func, literal, select
from sqlalchemy.orm import Session

from jiesu.loop.models import Answer, Question, ReplyRound, Survey, SurveyAnswer
from jiesu.tickets.models import StatusEvent, Ticket
from jiesu.tickets.workflow import Status

ALL: Final = "全部"
UNASSIGNED: Final = "未定"
GROUPS: Final = ("department", "grid", "category")

_RESPONSES: Final = (Status.REPLIED, Status.CLOSED)
_SATISFIED: Final = frozenset({Answer.SATISFIED.value, Answer.BASICALLY_SATISFIED.value})
_RATED: Final = (Question.SOLVED.value, Question.SATISFACTION.value)


@dataclass(frozen=True)
class Rates:
    """The counts behind 三率 and the rates themselves (None: nothing to divide by)."""

    due: int
    responded: int
    surveyed: int
    solved: int
    satisfied: int
    no_response: int
    response_rate: float | None
    solve_rate: float | None
    satisfaction_rate: float | None


@dataclass
class _Tally:
    due: int = 0
    responded: int = 0
    surveyed: int = 0
    solved: int = 0
    satisfied: int = 0
    no_response: int = 0

    def rates(self) -> Rates:
        def share(part: int, whole: int) -> float | None:
            return part / whole if whole else None

        return Rates(
            due=self.due,
            responded=self.responded,
            surveyed=self.surveyed,
            solved=self.solved,
            satisfied=self.satisfied,
            no_response=self.no_response,
            response_rate=share(self.responded, self.due),
            solve_rate=share(self.solved, self.surveyed),
            satisfaction_rate=share(self.satisfied, self.surveyed),
        )


def _group_column(group: str | None) -> ColumnElement[str | None]:
    if group is None:
        return literal(ALL)
    if group not in GROUPS:
        raise ValueError(f"group must be None or one of {', '.join(GROUPS)}, not {group!r}")
    column: ColumnElement[str | None] = getattr(Ticket, group)
    return column


def _responses(
    session: Session,
    start: datetime,
    end: datetime,
    group: str | None,
    tallies: defaultdict[str, _Tally],
) -> None:
    rounds = session.execute(
        select(ReplyRound, _group_column(group))
        .join(Ticket, Ticket.id == ReplyRound.ticket_id)
        .where(ReplyRound.due_at >= start, ReplyRound.due_at < end)
    ).all()
    events: defaultdict[int, list[StatusEvent]] = defaultdict(list)
    for event in session.scalars(
        select(StatusEvent).where(
            StatusEvent.ticket_id.in_({r.ticket_id for r, _ in rounds}),
            StatusEvent.to_status.in_((*_RESPONSES, Status.MERGED)),
        )
    ):
        events[event.ticket_id].append(event)
    for round_, key in rounds:
        mine = events[round_.ticket_id]
        if any(e.to_status is Status.MERGED and e.created_at < round_.due_at for e in mine):
            continue
        tally = tallies[key or UNASSIGNED]
        tally.due += 1
        if any(
            e.to_status in _RESPONSES and round_.started_at <= e.created_at < round_.due_at
            for e in mine
        ):
            tally.responded += 1


def _surveys(
    session: Session,
    start: datetime,
    end: datetime,
    group: str | None,
    tallies: defaultdict[str, _Tally],
) -> None:
    complete = (
        select(SurveyAnswer.survey_id, func.max(SurveyAnswer.created_at).label("at"))
        .where(SurveyAnswer.question.in_(_RATED))
        .group_by(SurveyAnswer.survey_id)
        .having(func.count() == len(_RATED))
        .subquery()
    )
    settled = session.execute(
        select(Survey.id, Survey.ticket_id, complete.c.at, _group_column(group))
        .join(complete, complete.c.survey_id == Survey.id)
        .join(Ticket, Ticket.id == Survey.ticket_id)
    ).all()
    final: dict[int, tuple[datetime, int, str]] = {}
    for survey_id, ticket_id, at, key in settled:
        if start <= at < end and (ticket_id not in final or final[ticket_id][:2] < (at, survey_id)):
            final[ticket_id] = (at, survey_id, key or UNASSIGNED)
    answers: defaultdict[int, dict[str, str]] = defaultdict(dict)
    for row in session.scalars(
        select(SurveyAnswer).where(
            SurveyAnswer.survey_id.in_({survey_id for _, survey_id, _ in final.values()}),
            SurveyAnswer.question.in_(_RATED),
        )
    ):
        answers[row.survey_id][row.question] = row.answer
    for _, survey_id, key in final.values():
        given = answers[survey_id]
        tally = tallies[key]
        tally.surveyed += 1
        tally.solved += given[Question.SOLVED.value] == Answer.SOLVED.value
        tally.satisfied += given[Question.SATISFACTION.value] in _SATISFIED
        tally.no_response += all(value == Answer.NO_RESPONSE.value for value in given.values())


def rates_by(
    session: Session, *, start: datetime, end: datetime, group: str | None = None
) -> dict[str, Rates]:
    """三率 over [start, end) (see the module docstring), in one entry keyed 全部, or per
    department id, grid id or category name (`group`); 未定 holds tickets without one."""
    tallies: defaultdict[str, _Tally] = defaultdict(_Tally)
    _responses(session, start, end, group, tallies)
    _surveys(session, start, end, group, tallies)
    if group is None and not tallies:
        return {ALL: _Tally().rates()}
    return {key: tally.rates() for key, tally in sorted(tallies.items())}
