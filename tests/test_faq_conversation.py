"""Policy questions over the real Rasa REST webhook: answers with department and source,
feedback stored, and the honest fallback that can become a consultation ticket."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from jiesu.db import session_scope
from jiesu.faq.models import FaqFeedback, FaqUnanswered
from jiesu.tickets import AppealType, tickets_for_sender
from jiesu.vocabulary import wording
from tests.resident import Resident, payloads_of, text_of

pytestmark = pytest.mark.servers


def test_a_policy_question_is_answered_with_department_and_source(resident: Resident) -> None:
    replies = resident.says("办居住证要带什么材料")
    answer = text_of(replies)
    assert "居住证" in answer and "承办部门" in answer and "依据" in answer
    assert "这个回答有帮助吗" in answer
    assert {"/affirm", "/deny"} <= set(payloads_of(replies))
    assert "感谢您的反馈" in text_of(resident.says("/affirm"))
    with session_scope(resident.stack.database_url) as session:
        feedback = session.scalars(
            select(FaqFeedback).where(FaqFeedback.sender_id == resident.sender_id)
        ).one()
        assert feedback.helpful and feedback.entry_id == "residence-permit-apply"


def test_traditional_characters_get_the_same_answer(resident: Resident) -> None:
    assert "承办部门" in text_of(resident.says("辦居住證要帶什麼材料"))


def test_unhelpful_feedback_is_stored_too(resident: Resident) -> None:
    resident.says("办居住证要带什么材料")
    assert "反馈已记录" in text_of(resident.says("没有帮助"))
    with session_scope(resident.stack.database_url) as session:
        feedback = session.scalars(
            select(FaqFeedback).where(FaqFeedback.sender_id == resident.sender_id)
        ).one()
        assert not feedback.helpful


def test_no_sure_answer_is_said_honestly_and_can_become_a_consultation_ticket(
    resident: Resident,
) -> None:
    question = "请问无人机飞行需要审批吗"
    replies = resident.says(question)
    assert "没有把握" in text_of(replies)
    assert {"/affirm", "/request_human"} <= set(payloads_of(replies))
    with session_scope(resident.stack.database_url) as session:
        stored = session.scalars(
            select(FaqUnanswered).where(FaqUnanswered.sender_id == resident.sender_id)
        ).one()
        assert stored.question == question
    assert "联系电话" in text_of(resident.says("/affirm"))  # the question is not asked again
    summary = text_of(resident.says("/deny"))
    assert question in summary
    filed = text_of(resident.says("/affirm"))
    assert re.search(r"工单号 \d{8}-\d{4}", filed)
    with session_scope(resident.stack.database_url) as session:
        [ticket] = tickets_for_sender(session, resident.sender_id)
        assert ticket.appeal_type is AppealType.CONSULT and ticket.description == question


@pytest.mark.parametrize("opening", ["我想咨询一下", "请问一下"])
def test_a_request_to_ask_gets_asked_for_the_question(resident: Resident, opening: str) -> None:
    answer = text_of(resident.says(opening))
    assert answer == wording("faq", "ask_question")
    assert "承办部门" in text_of(resident.says("居住证怎么办理"))
