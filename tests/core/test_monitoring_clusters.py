"""Hot issues among tickets, and merging a cluster into a lead ticket."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from jiesu.cli import app
from jiesu.config import get_settings
from jiesu.db import session_scope
from jiesu.monitoring.clusters import hot_report, may_merge, merge_cluster, recent_tickets
from jiesu.staff.roles import Role
from jiesu.staff.work import ActionError
from jiesu.tickets import Status
from jiesu.tickets.service import get_by_number, merge
from tests.factories import file_ticket, staff

NOW = datetime(2026, 11, 28, 4, 0, tzinfo=UTC)
LAMP = (
    "建设路18号的路灯坏了，晚上很黑",
    "建设路18号路灯坏了好几天",
    "建设路18号路灯坏了一直没人修",
)


@pytest.fixture
def session(database_url: str) -> Iterator[Session]:
    with session_scope(database_url) as session:
        yield session


def _lamp_cluster(session: Session) -> list[str]:
    numbers = [
        file_ticket(
            session,
            text,
            NOW - timedelta(days=3 - n),
            address="建设路18号",
            department="urban-management",
        ).number
        for n, text in enumerate(LAMP)
    ]
    file_ticket(session, "楼下烧烤油烟太大", NOW - timedelta(days=1), address="幸福里小区")
    file_ticket(session, "建设路18号路灯坏了", NOW - timedelta(days=70), address="建设路18号")
    return numbers


def test_recent_similar_tickets_form_one_cluster_with_their_numbers(session: Session) -> None:
    numbers = _lamp_cluster(session)
    tickets = recent_tickets(session, None, days=30, now=NOW)
    assert len(tickets) == 4  # the 70-day-old ticket is outside twice the window
    report = hot_report(tickets, days=30, now=NOW)
    assert len(report.clusters) == 1
    cluster = report.clusters[0]
    assert [t.number for t in cluster.tickets] == numbers
    assert cluster.issue.recent == 3 and cluster.issue.previous == 0
    assert "路灯" in cluster.issue.keywords
    assert report.as_dict()["clusters"][0]["tickets"] == numbers
    assert any(word == "路灯" for word, _, _ in report.keywords)


def test_a_handler_sees_clusters_of_their_department_only(session: Session) -> None:
    _lamp_cluster(session)
    housing = staff(session, Role.HANDLER, department="housing")
    urban = staff(session, Role.HANDLER, department="urban-management")
    assert hot_report(recent_tickets(session, housing, now=NOW), now=NOW).clusters == []
    assert len(hot_report(recent_tickets(session, urban, now=NOW), now=NOW).clusters) == 1


def test_a_dispatcher_merges_a_cluster_skipping_what_cannot_be_merged(session: Session) -> None:
    lead, second, third = _lamp_cluster(session)
    dispatcher = staff(session, Role.DISPATCHER)
    lead_ticket, third_ticket = get_by_number(session, lead), get_by_number(session, third)
    assert lead_ticket is not None and third_ticket is not None
    merge(session, third_ticket, into=lead_ticket, actor="staff:earlier", note="重复")
    outcome = merge_cluster(
        session,
        dispatcher,
        lead=lead,
        numbers=[lead, second, third, "19990101-0001"],
        note="同一路灯问题",
    )
    assert outcome.merged == [second]
    assert [number for number, _ in outcome.skipped] == [third, "19990101-0001"]
    merged = get_by_number(session, second)
    assert merged is not None and merged.status is Status.MERGED
    assert merged.merged_into_id == lead_ticket.id
    assert lead_ticket.status is Status.RECEIVED


def test_a_handler_may_not_merge_and_a_lead_must_exist(session: Session) -> None:
    lead, second, _ = _lamp_cluster(session)
    handler = staff(session, Role.HANDLER, department="urban-management")
    assert not may_merge(handler, recent_tickets(session, handler, now=NOW))
    outcome = merge_cluster(session, handler, lead=lead, numbers=[lead, second], note="合并")
    assert outcome.merged == [] and [n for n, _ in outcome.skipped] == [second]
    dispatcher = staff(session, Role.DISPATCHER)
    assert may_merge(dispatcher, recent_tickets(session, dispatcher, now=NOW))
    with pytest.raises(ActionError, match="不存在"):
        merge_cluster(session, dispatcher, lead="19990101-0001", numbers=[second], note="合并")
    with pytest.raises(ActionError, match="合并原因"):
        merge_cluster(session, dispatcher, lead=lead, numbers=[second], note=" ")


def test_jiesu_hot_prints_the_clusters_as_text_and_json(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with session_scope(database_url) as session:
        numbers = [
            file_ticket(session, text, datetime.now(UTC), address="建设路18号").number
            for text in LAMP
        ]
    monkeypatch.setenv("JIESU_DATABASE_URL", database_url)
    get_settings.cache_clear()
    try:
        text = CliRunner().invoke(app, ["hot"])
        data = CliRunner().invoke(app, ["hot", "--json", "--days", "7"])
    finally:
        get_settings.cache_clear()
    assert text.exit_code == 0, text.output
    assert "1. 建设路：3 件" in text.output
    assert "、".join(numbers) in text.output
    assert data.exit_code == 0, data.output
    report = json.loads(data.output)
    assert report["days"] == 7
    assert report["clusters"][0]["tickets"] == numbers
