"""Policy questions (政策问答) from the knowledge base, their feedback, and what happens
when there is no sure answer: a consultation ticket (咨询工单) or a person.

Out-of-scope messages come here too: a policy question the NLU took for small talk
still gets its answer when the knowledge base is sure of one.
"""

from __future__ import annotations

import logging

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions.base import DomainDict, Events
from jiesu.appeals.dialogue import DESCRIPTION, SLOTS, TYPE
from jiesu.db import session_scope
from jiesu.faq import Match, SearchResult, record_feedback, record_unanswered, search
from jiesu.faq.openings import is_bare_question
from jiesu.tickets import AppealType
from jiesu.vocabulary import wording

log = logging.getLogger(__name__)
ENTRY = "faq_entry"  # the entry just answered, for its feedback
QUESTION = "faq_question"  # the question just asked


def _faq(key: str, **values: object) -> str:
    return wording("faq", key, **values)


def _answer(match: Match) -> str:
    return _faq(
        "answer", answer=match.answer.strip(), department=match.department, source=match.source
    )


def _out_of_scope(dispatcher: CollectingDispatcher) -> None:
    dispatcher.utter_message(
        text=_faq("out_of_scope"),
        buttons=[
            {"title": _faq("out_of_scope_consult_button"), "payload": "/consult"},
            {"title": _faq("out_of_scope_complain_button"), "payload": "/complain"},
            {"title": _faq("out_of_scope_status_button"), "payload": "/query_ticket"},
            {"title": _faq("human_button"), "payload": "/request_human"},
        ],
    )


def _not_sure(dispatcher: CollectingDispatcher, result: SearchResult) -> None:
    buttons = [{"title": m.question, "payload": m.question} for m in result.matches[:3]]
    buttons += [
        {"title": _faq("record_button"), "payload": "/affirm"},
        {"title": _faq("human_button"), "payload": "/request_human"},
    ]
    dispatcher.utter_message(text=_faq("not_sure"), buttons=buttons)


class ActionAnswerPolicy(Action):
    """Answers from the knowledge base, or says honestly it has no sure answer."""

    def name(self) -> str:
        return "action_answer_policy"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Events:
        question = (tracker.latest_message.get("text") or "").strip()
        if question.startswith("/") or is_bare_question(question):  # 政策咨询, 我想问个事
            dispatcher.utter_message(text=_faq("ask_question"))
            return [SlotSet(ENTRY, None), SlotSet(QUESTION, None)]
        in_form = bool(tracker.active_loop.get("name"))
        out_of_scope = tracker.get_intent_of_latest_message() == "out_of_scope"
        try:
            result = search(question)
            if not result.answered and not out_of_scope:
                with session_scope() as session:
                    record_unanswered(session, tracker.sender_id, question, result)
        except SQLAlchemyError:
            log.exception("knowledge base unavailable for %s", tracker.sender_id)
            dispatcher.utter_message(text=_faq("unavailable"))
            return []
        if result.answered:
            best = result.matches[0]
            dispatcher.utter_message(text=_answer(best))
            if not in_form:
                dispatcher.utter_message(
                    text=_faq("was_it_helpful"),
                    buttons=[
                        {"title": _faq("helpful_button"), "payload": "/affirm"},
                        {"title": _faq("unhelpful_button"), "payload": "/deny"},
                    ],
                )
            return [SlotSet(ENTRY, best.id), SlotSet(QUESTION, question)]
        if out_of_scope:
            _out_of_scope(dispatcher)
        elif in_form:
            dispatcher.utter_message(text=_faq("not_sure_in_form"))
        else:
            _not_sure(dispatcher, result)
        return [SlotSet(ENTRY, None), SlotSet(QUESTION, None if out_of_scope else question)]


class ActionFaqFollowup(Action):
    """After an answer: stores 有/没有帮助. After no sure answer: yes opens a
    consultation ticket with the question already filled in; no closes the topic."""

    def name(self) -> str:
        return "action_faq_followup"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Events:
        yes = tracker.get_intent_of_latest_message() == "affirm"
        entry, question = tracker.get_slot(ENTRY), tracker.get_slot(QUESTION)
        cleared: Events = [SlotSet(ENTRY, None), SlotSet(QUESTION, None)]
        if entry:
            try:
                with session_scope() as session:
                    record_feedback(session, entry, tracker.sender_id, yes, question)
            except SQLAlchemyError:
                log.exception("feedback of %s on %s not stored", tracker.sender_id, entry)
            dispatcher.utter_message(text=_faq("thanks_for_feedback" if yes else "sorry_unhelpful"))
            return cleared
        if yes and question:
            prefilled = [SlotSet(name, None) for name in SLOTS if name not in (TYPE, DESCRIPTION)]
            return [
                *cleared,
                *prefilled,
                SlotSet(TYPE, AppealType.CONSULT.value),
                SlotSet(DESCRIPTION, question),
                FollowupAction("appeal_form"),
            ]
        dispatcher.utter_message(text=_faq("no_ticket"))
        return cleared
