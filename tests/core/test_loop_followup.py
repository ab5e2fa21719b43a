"""One ticket around the whole closed loop: dispatch, progress, answer, an unsatisfied
follow-up, 重办, a second answer and a satisfied follow-up; what the resident was sent, in
order, and the 三率 the audit trail gives.

Staff act through `jiesu.staff.work.perform`, as the console does (it stamps the real
time); the scheduler and the resident's answers take the clock, kept at the real time so
the audit trail stays in order.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy.orm import Session

from jiesu.db import session_scope
from jiesu.labels import department_name, moment_text
from jiesu.loop.followup import FollowupStep, answer_survey, give_reason, read_answers
from jiesu.loop.models import Answer
from jiesu.loop.rates import ALL, rates_by
from jiesu.models import utcnow
from jiesu.scheduler import sweep
from jiesu.staff.accounts import create_user
from jiesu.staff.models import StaffUser
from jiesu.staff.permissions import Action
from jiesu.staff.roles import Role
from jiesu.staff.work import perform
from jiesu.tickets import Status, Ticket, history
from jiesu.tickets.workflow import resident_actor
from jiesu.vocabulary import wording
from tests.core.test_loop_deadlines import outbox_texts
from tests.factories import file_ticket


def _staff(session: Session, role: Role, department: str | None = None) -> StaffUser:
    return create_user(
        session, f"{role.value}-{uuid.uuid4().hex[:6]}", "loop-pass-1", role, department=department
    )


def _answer(session: Session, ticket: Ticket, answer: Answer) -> FollowupStep:
    """The resident presses a survey button."""
    return answer_survey(
        session, ticket.sender_id, number=ticket.number, answers=[answer], text=None, now=utcnow()
    )


def test_a_ticket_around_the_closed_loop(database_url: str) -> None:
    start = utcnow()
    with session_scope(database_url) as session:
        dispatcher = _staff(session, Role.DISPATCHER)
        handler = _staff(session, Role.HANDLER, "housing")
        ticket = file_ticket(
            session,
            "幸福里小区3号楼楼道灯坏了一个月",
            start,
            category="城乡建设",
            grid="g-1",
            dispatch_due_at=start + timedelta(hours=24),
            reply_due_at=start + timedelta(days=7),
        )
        number = ticket.number
        perform(session, dispatcher, ticket, Action.DISPATCH, department="housing")
        perform(session, handler, ticket, Action.ACCEPT)
        perform(
            session, handler, ticket, Action.NOTE, note="已联系物业，明天上门", tell_resident=True
        )
        perform(session, handler, ticket, Action.REPLY, note="物业已更换灯泡")
        sweep(session, utcnow())

        asked_solved = _answer(session, ticket, Answer.UNSOLVED)
        assert asked_solved.text == wording("followup", "noted") + wording(
            "followup", "ask_satisfaction", number=number
        )
        assert [b["title"] for b in asked_solved.buttons] == ["满意", "基本满意", "不满意"]
        assert _answer(session, ticket, Answer.UNSATISFIED).needs_reason
        told = give_reason(session, ticket.sender_id, "灯泡换了第二天又不亮了", utcnow())
        assert ticket.status is Status.DISPATCHED and ticket.department == "housing"
        assert ticket.reply_due_at is not None
        assert told == wording(
            "followup",
            "reopened",
            number=number,
            department=department_name("housing"),
            reply_due=moment_text(ticket.reply_due_at),
        )
        reopened = [e for e in history(session, ticket) if e.to_status is Status.REOPENED]
        assert [e.note for e in reopened] == [
            "居民回访：未解决，不满意。原因：灯泡换了第二天又不亮了"
        ]
        assert reopened[0].actor == resident_actor(ticket.sender_id)
        sweep(session, utcnow())  # nothing new to ask while the department works on it

        perform(session, handler, ticket, Action.ACCEPT)
        perform(session, handler, ticket, Action.REPLY, note="已更换线路，灯已正常")
        sweep(session, utcnow())
        assert _answer(session, ticket, Answer.SOLVED).buttons
        closed = _answer(session, ticket, Answer.BASICALLY_SATISFIED)
        assert closed.text == wording("followup", "closed", number=number)
        assert ticket.status is Status.CLOSED
        assert history(session, ticket)[-1].actor == resident_actor(ticket.sender_id)
        assert _answer(session, ticket, Answer.SATISFIED).text == wording(
            "followup", "already_done", number=number
        )

        ask = wording("followup", "ask_solved_first", number=number)
        assert outbox_texts(session, ticket.sender_id) == [
            wording(
                "notices",
                "dispatched",
                number=number,
                department=department_name("housing"),
                reply_due=moment_text(start + timedelta(days=7)),
            ),
            wording("notices", "progress", number=number, note="已联系物业，明天上门"),
            wording("notices", "answered", number=number, answer="物业已更换灯泡"),
            ask,
            wording("notices", "answered", number=number, answer="已更换线路，灯已正常"),
            ask,
        ]

        end = utcnow() + timedelta(days=60)
        [(key_all, overall)] = rates_by(session, start=start, end=end).items()
        assert key_all == ALL
        assert (overall.due, overall.responded, overall.response_rate) == (2, 2, 1.0)
        assert (overall.surveyed, overall.solved, overall.satisfied) == (1, 1, 1)
        assert (overall.no_response, overall.solve_rate, overall.satisfaction_rate) == (0, 1.0, 1.0)
        assert set(rates_by(session, start=start, end=end, group="department")) == {"housing"}
        assert set(rates_by(session, start=start, end=end, group="grid")) == {"g-1"}
        assert set(rates_by(session, start=start, end=end, group="category")) == {"城乡建设"}


def test_typed_answers_are_read() -> None:
    assert read_answers("已经解决了，很满意") == [Answer.SOLVED, Answer.SATISFIED]
    assert read_answers("还没解决") == [Answer.UNSOLVED]
    assert read_answers("問題沒有解決，不滿意") == [Answer.UNSOLVED, Answer.UNSATISFIED]
    assert read_answers("还行吧") == [Answer.BASICALLY_SATISFIED]
    assert read_answers("你好") == []
