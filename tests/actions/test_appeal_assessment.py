"""One assessment per appeal: the summary's route and place are what gets filed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions.appeal import ActionAskAppealConfirmed, ActionSubmitAppeal
from jiesu.appeals import filing
from jiesu.appeals.filing import ASSESSMENT_SLOT
from jiesu.city import current_city
from jiesu.config import get_settings
from jiesu.db import _session_factory, get_engine, session_scope
from jiesu.routing import Route
from jiesu.tickets import Ticket

SLOTS = {
    "appeal_type": "complain",
    "appeal_description": "小区门口的路灯坏了好几天，晚上很黑",
    "appeal_address": "建设路18号",
    "appeal_phone": "13812345678",
    "appeal_confirmed": True,
}


def _tracker(slots: dict[str, Any]) -> Tracker:
    return Tracker.from_dict(
        {
            "sender_id": "web:assessment",
            "slots": slots,
            "latest_message": {
                "text": "确认",
                "intent": {"name": "affirm", "confidence": 0.99},
                "entities": [],
            },
            "events": [{"event": "user", "text": "确认", "metadata": {"message_id": "confirm-1"}}],
            "paused": False,
            "followup_action": None,
            "active_loop": {"name": "appeal_form"},
            "latest_action_name": "action_listen",
        }
    )


@pytest.fixture
def configured(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    def forget() -> None:  # the configured database's engine is cached per process
        get_settings.cache_clear()
        get_engine.cache_clear()
        _session_factory.cache_clear()

    monkeypatch.setenv("JIESU_DATABASE_URL", database_url)
    forget()
    yield database_url
    forget()


async def test_the_filed_department_is_the_one_in_the_summary(
    configured: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    dispatcher = CollectingDispatcher()
    events = await ActionAskAppealConfirmed().run(dispatcher, _tracker(SLOTS), {})
    [stored] = [e for e in events if e.get("event") == "slot" and e["name"] == ASSESSMENT_SLOT]
    shown = filing.Assessment.from_dict(stored["value"])
    assert not shown.route.needs_dispatcher
    assert shown.route.department in dispatcher.messages[0]["text"]

    # Were the router asked again (a new model, other wording weights), it would disagree.
    elsewhere = current_city().department_for("教育文体", "义务教育").name
    monkeypatch.setattr(
        filing, "route", lambda text: Route("教育文体", "义务教育", elsewhere, 0.99, 0.5)
    )
    dispatcher = CollectingDispatcher()
    events = await ActionSubmitAppeal().run(
        dispatcher, _tracker({**SLOTS, ASSESSMENT_SLOT: stored["value"]}), {}
    )
    assert SlotSet(ASSESSMENT_SLOT, None) in events
    with session_scope(configured) as session:
        ticket = session.scalars(select(Ticket)).one()
        department = current_city().department(ticket.department or "").name
        assert (ticket.category, ticket.subcategory) == (
            shown.route.category,
            shown.route.subcategory,
        )
        assert ticket.grid == shown.grid_id
    assert department == shown.route.department != elsewhere
    assert department in dispatcher.messages[0]["text"]


async def test_an_assessment_of_another_draft_is_not_filed(
    configured: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    dispatcher = CollectingDispatcher()
    events = await ActionAskAppealConfirmed().run(dispatcher, _tracker(SLOTS), {})
    [stored] = [e for e in events if e.get("event") == "slot" and e["name"] == ASSESSMENT_SLOT]
    edited = {**SLOTS, "appeal_description": "孩子上学划片不合理"}
    await ActionSubmitAppeal().run(
        CollectingDispatcher(), _tracker({**edited, ASSESSMENT_SLOT: stored["value"]}), {}
    )
    with session_scope(configured) as session:
        assert session.scalars(select(Ticket)).one().category == "教育文体"
