"""Dashboard figures: the period, ticket counts within what a user may see, the 三率
narrowed the same way, and the ticket export table."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from jiesu.db import session_scope
from jiesu.loop.rework import record_first_round
from jiesu.monitoring.exports import TICKET_HEADERS, ticket_table
from jiesu.monitoring.stats import (
    MAX_DAYS,
    Period,
    dashboard_tables,
    rates_by_unit,
    rates_trend,
    ticket_stats,
)
from jiesu.staff.roles import Role
from jiesu.tickets import AppealType, Status
from jiesu.tickets.service import change_status
from tests.factories import file_ticket, staff

# 2026-11-02 10:00 in Shanghai; the period is the first two weeks of November.
T0 = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)
PERIOD = Period(date(2026, 11, 1), date(2026, 11, 14))
NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


@pytest.fixture
def session(database_url: str) -> Iterator[Session]:
    with session_scope(database_url) as session:
        yield session


def _seed(session: Session) -> None:
    """Housing: 3 tickets (one overdue, one answered in time); urban management: 1;
    one outside the period."""
    due = T0 + timedelta(days=3)
    overdue = file_ticket(
        session,
        "楼道灯坏了",
        T0,
        category="城乡建设",
        department="housing",
        grid="hubin-sq-1",
        reply_due_at=due,
    )
    change_status(session, overdue, Status.DISPATCHED, actor="system", now=T0)
    answered = file_ticket(
        session,
        "电梯停运",
        T0 + timedelta(days=1),
        category="城乡建设",
        department="housing",
        grid="hubin-sq-1",
        reply_due_at=due + timedelta(days=1),
    )
    for step in (Status.DISPATCHED, Status.IN_PROGRESS):
        change_status(session, answered, step, actor="system", now=T0)
    change_status(session, answered, Status.REPLIED, actor="system", note="已修好", now=due)
    file_ticket(
        session,
        "想了解公租房",
        T0 + timedelta(days=1),
        appeal_type=AppealType.CONSULT,
        category="城乡建设",
        department="housing",
    )
    file_ticket(
        session,
        "夜间施工噪音",
        T0 + timedelta(days=8),
        category="环境保护",
        department="urban-management",
        grid="liuan-1",
    )
    file_ticket(session, "十月的工单", T0 - timedelta(days=10), category="环境保护")
    for ticket in (overdue, answered):
        record_first_round(session, ticket)


def test_the_period_defaults_to_30_days_and_tolerates_bad_input() -> None:
    today = date(2026, 11, 28)
    assert Period.parse(None, None, today=today) == Period(date(2026, 10, 30), today)
    assert Period.parse("2026-11-10", "2026-11-01") == Period(date(2026, 11, 1), date(2026, 11, 10))
    assert Period.parse("bad", "2026-11-10") == Period(date(2026, 10, 12), date(2026, 11, 10))
    long = Period.parse("1900-01-01", "2026-11-10")
    assert len(long.days()) == MAX_DAYS
    weeks = PERIOD.weeks()
    assert [w.label for w in weeks] == ["11-01至11-07", "11-08至11-14"]
    assert Period(date(2026, 11, 1), date(2026, 11, 9)).weeks()[-1].days() == [
        date(2026, 11, 8),
        date(2026, 11, 9),
    ]


def test_counts_cover_the_period_by_day_category_grid_type_and_overdue(session: Session) -> None:
    _seed(session)
    admin = staff(session, Role.ADMIN)
    stats = ticket_stats(session, admin, PERIOD, now=NOW)
    assert stats.total == 4
    assert len(stats.by_day) == 14
    assert dict(stats.by_day) == {
        **{f"11-{d:02d}": 0 for d in range(1, 15)},
        "11-02": 1,
        "11-03": 2,
        "11-10": 1,
    }
    assert stats.by_category == [("城乡建设", 3), ("环境保护", 1)]
    assert stats.by_grid == [
        ("湖滨街道·湖滨社区第一网格", 2),
        ("未定位", 1),
        ("湖滨街道·柳岸社区网格", 1),
    ]
    assert stats.by_appeal_type == [("投诉或反映问题", 3), ("政策和办事咨询", 1)]
    assert [(d.department, d.overdue, d.total) for d in stats.overdue_by_department] == [
        ("示例市住房和城乡建设局", 1, 3),
    ]


def test_a_handler_counts_only_their_departments_tickets(session: Session) -> None:
    _seed(session)
    handler = staff(session, Role.HANDLER, department="urban-management")
    stats = ticket_stats(session, handler, PERIOD, now=NOW)
    assert stats.total == 1
    assert stats.by_category == [("环境保护", 1)]
    assert stats.overdue_by_department == []


def test_rates_are_narrowed_to_what_the_user_may_see(session: Session) -> None:
    _seed(session)
    admin = staff(session, Role.ADMIN)
    housing = staff(session, Role.HANDLER, department="housing")
    urban = staff(session, Role.HANDLER, department="urban-management")
    trend = rates_trend(session, admin, PERIOD)
    assert [row[:5] for row in trend.rows] == [
        ("11-01至11-07", "全部", 2, 1, 0),
        ("11-08至11-14", "全部", 0, 0, 0),
    ]
    assert trend.rows[0][trend.headers.index("响应率(%)")] == 50.0
    assert trend.rows[1][trend.headers.index("响应率(%)")] is None
    assert [row[:3] for row in rates_by_unit(session, admin, PERIOD).rows] == [
        ("示例市住房和城乡建设局", 2, 1),
    ]
    assert [row[:3] for row in rates_by_unit(session, housing, PERIOD).rows] == [
        ("示例市住房和城乡建设局", 2, 1),
    ]
    assert rates_by_unit(session, urban, PERIOD).rows == ()
    assert {row[1] for row in rates_trend(session, housing, PERIOD).rows} == {
        "示例市住房和城乡建设局",
    }
    names = [t.name for t in dashboard_tables(session, urban, PERIOD, now=NOW)]
    assert names == [
        "by_day",
        "by_category",
        "by_grid",
        "by_appeal_type",
        "overdue_by_department",
        "rates_trend",
        "rates_by_department",
    ]


def test_the_ticket_export_names_everything_and_leaves_out_phones(session: Session) -> None:
    ticket = file_ticket(
        session,
        "=cmd|' /C calc'!A0",
        T0,
        category="城乡建设",
        department="housing",
        grid="hubin-sq-1",
        phone="13812345678",
        address="人民路5号",
        reply_due_at=T0 + timedelta(days=1),
    )
    change_status(session, ticket, Status.DISPATCHED, actor="system", now=T0)
    table = ticket_table([ticket], now=NOW)
    assert table.headers == TICKET_HEADERS
    row = dict(zip(table.headers, table.rows[0], strict=True))
    assert row["编号"] == ticket.number
    assert row["状态"] == "派单"
    assert row["承办单位"] == "示例市住房和城乡建设局"
    assert row["网格"] == "湖滨街道·湖滨社区第一网格"
    assert row["受理时间"] == "2026-11-02 10:00"
    assert row["是否超期"] == "是"
    assert row["诉求内容"] == "=cmd|' /C calc'!A0"  # escaped when written, not here
    assert "13812345678" not in str(table.rows)
