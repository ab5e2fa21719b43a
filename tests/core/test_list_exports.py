"""The console lists as export tables (hot issues, FAQ gaps, alerts, handoffs, staff
accounts): their columns, and rows built from seeded data as the pages show them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from jiesu.city import current_city
from jiesu.db import session_scope
from jiesu.faq import load_entries, record_feedback, record_unanswered, sync_entries
from jiesu.faq.gaps import add_entry, gap_report
from jiesu.faq.retrieval import SearchResult
from jiesu.handoff import service
from jiesu.handoff.models import HandoffReason
from jiesu.labels import department_name
from jiesu.loop.alerts import alert_rows, overdue_by_name, raise_alerts
from jiesu.monitoring.clusters import hot_report, recent_tickets
from jiesu.monitoring.exports import (
    alert_tables,
    gap_tables,
    handoff_table,
    hot_tables,
    user_table,
)
from jiesu.staff.accounts import set_active, user_rows
from jiesu.staff.roles import Role
from jiesu.tables import Table
from jiesu.tickets import Status, change_status
from tests.factories import file_ticket, staff

NOW = datetime(2026, 11, 28, 4, 0, tzinfo=UTC)  # 12:00 in the city's time zone
# Questions the seeded FAQ base cannot answer.
ALIENS = ("外星人降落在广场上怎么办", "外星人降落在广场上找谁", "外星人降落在广场上谁来管")
MARS = "火星移民签证怎么办"


@pytest.fixture
def session(database_url: str) -> Iterator[Session]:
    with session_scope(database_url) as session:
        yield session


def _by_first(table: Table) -> dict[object, tuple[object, ...]]:
    return {row[0]: row for row in table.rows}


def test_hot_issues_table_ranks_the_clusters_with_their_ticket_numbers(session: Session) -> None:
    texts = (
        "建设路18号的路灯坏了，晚上很黑",
        "建设路18号路灯坏了好几天",
        "建设路18号路灯坏了一直没人修",
    )
    numbers = [
        file_ticket(session, text, NOW - timedelta(days=3 - n), address="建设路18号").number
        for n, text in enumerate(texts)
    ]
    file_ticket(session, "楼下烧烤油烟太大", NOW - timedelta(days=1), address="幸福里小区")
    report = hot_report(recent_tickets(session, None, days=7, now=NOW), days=7, now=NOW)
    clusters, keywords = hot_tables(report)
    assert clusters.headers == (
        "排名",
        "工单数",
        "最近7天",
        "此前7天",
        "增长",
        "地点",
        "起始日期",
        "最近日期",
        "关键词",
        "工单编号",
    )
    assert len(clusters.rows) == 1
    rank, size, recent, previous, growth, place, first, last, words, members = clusters.rows[0]
    assert (rank, size, recent, previous, growth) == (1, 3, 3, 0, 3)
    assert (place, first, last) == ("建设路", "2026-11-25", "2026-11-27")
    assert "路灯" in str(words).split("、")
    assert members == "、".join(numbers)
    assert keywords.headers == ("关键词", "最近7天", "此前7天", "增长")
    assert "路灯" in _by_first(keywords)


def test_faq_gap_tables_flag_groups_answered_since_and_list_unhelpful_entries(
    database_url: str,
) -> None:
    empty = SearchResult(answered=False)
    with session_scope(database_url) as session:
        sync_entries(session, load_entries())
        for minutes, text in enumerate(ALIENS):
            asked = record_unanswered(session, "web:a", text, empty)
            asked.created_at = NOW + timedelta(minutes=minutes)
        record_unanswered(session, "web:b", MARS, empty)
        record_feedback(session, "public-rental-rent", "web:c", False, "公租房租金太贵")
        record_feedback(session, "public-rental-rent", "web:d", True, None)
        add_entry(
            session,
            question=MARS,
            answer="本市不受理火星移民。",
            department="示例市外事办",
            source="《示例文件》",
        )
    with session_scope(database_url) as session:
        report = gap_report(session, NOW - timedelta(days=30), database_url)
    groups, unhelpful = gap_tables(report)
    assert groups.headers == ("次数", "问题", "其他问法", "最近提问时间", "现已可回答", "回答条目")
    aliens, mars = groups.rows
    assert aliens[:3] == (3, ALIENS[-1], "、".join(reversed(ALIENS[:-1])))  # latest first
    assert aliens[3:] == ("2026-11-28 12:02", "否", "")
    assert mars[:3] == (1, MARS, "")
    assert mars[4:] == ("是", MARS)
    assert unhelpful.headers == ("条目编号", "条目", "没有帮助", "有帮助", "居民原话")
    rent = _by_first(unhelpful)["public-rental-rent"]
    assert rent[2:] == (1, 1, "公租房租金太贵")


def _overdue_tickets(session: Session) -> list[str]:
    """Three overdue tickets: ecology's in a grid, housing's without, and one left in the
    dispatch queue; their alerts raised."""
    filed = NOW - timedelta(days=6)
    ecology = file_ticket(
        session,
        "河道里有人倾倒建筑垃圾",
        filed,
        department="ecology",
        grid="hubin-sq-1",
        phone="13812345678",
        reply_due_at=NOW - timedelta(hours=1),
    )
    housing = file_ticket(
        session,
        "楼道灯坏了",
        filed,
        department="housing",
        phone="13812345678",
        reply_due_at=NOW - timedelta(hours=2),
    )
    for ticket in (ecology, housing):
        change_status(session, ticket, Status.DISPATCHED, actor="system", now=filed)
    queued = file_ticket(session, "噪音扰民", filed, dispatch_due_at=NOW - timedelta(days=1))
    assert raise_alerts(session, NOW, 0.8) == 3
    return [ecology.number, housing.number, queued.number]


def test_alert_tables_hold_what_the_user_may_see_and_the_overdue_counts(
    session: Session,
) -> None:
    ecology, housing, queued = _overdue_tickets(session)
    handler = staff(session, Role.HANDLER, department="ecology")
    supervisor = staff(session, Role.SUPERVISOR)
    departments = overdue_by_name(session, NOW, "department")
    grids = overdue_by_name(session, NOW, "grid")
    alerts, by_department, by_grid = alert_tables(alert_rows(session, handler), departments, grids)
    assert alerts.headers == (
        "提醒",
        "是否督办",
        "时限",
        "工单编号",
        "诉求内容",
        "责任方",
        "期限",
        "提醒时间",
    )
    assert alerts.rows == (
        (
            "超期督办",
            "是",
            "答复时限",
            ecology,
            "河道里有人倾倒建筑垃圾",
            department_name("ecology"),
            "2026-11-28 11:00",
            "2026-11-28 12:00",
        ),
    )
    everyone = alert_tables(alert_rows(session, supervisor), departments, grids)[0]
    assert {row[3] for row in everyone.rows} == {ecology, housing, queued}
    # The ticket still to dispatch is the dispatch centre's, in the alert and in the counts.
    centre = current_city().dispatch_center.name
    assert {row[3]: row[5] for row in everyone.rows}[queued] == centre
    assert {name: count for name, count in by_department.rows} == {
        department_name("ecology"): 1,
        department_name("housing"): 1,
        centre: 1,
    }
    assert by_grid.headers == ("网格", "超期工单")
    assert by_grid.rows == (("未定位", 2), ("湖滨街道·湖滨社区第一网格", 1))
    assert not any(
        "13812345678" in str(cell) for t in (alerts, everyone) for r in t.rows for cell in r
    )


def test_handoff_table_shows_the_inbox_times_without_the_full_chat_id(session: Session) -> None:
    answered, _ = service.open_handoff(
        session, "web:0123456789abcdef", HandoffReason.REQUESTED, now=NOW
    )
    service.record_staff_reply(answered, "alice", now=NOW + timedelta(minutes=4))
    service.open_handoff(
        session, "telegram:555000111", HandoffReason.FALLBACK, now=NOW + timedelta(minutes=10)
    )
    old, _ = service.open_handoff(
        session, "web:old", HandoffReason.REQUESTED, now=NOW - timedelta(days=3)
    )
    service.close(old, "bob", now=NOW - timedelta(days=2))
    now = NOW + timedelta(hours=1, minutes=10)
    table = handoff_table(service.inbox_rows(session, now=now, closed_since=now - timedelta(1)))
    assert table.headers == (
        "会话",
        "原因",
        "状态",
        "接待人",
        "转入时间",
        "等待时长",
        "首次响应",
        "居民最新留言时间",
    )
    assert table.rows == (
        (
            "Telegram · …0111",
            "助手无法理解",
            "等待接入",
            "",
            "2026-11-28 12:10",
            "1小时0分",
            "—",
            "",
        ),
        ("网页 · …cdef", "居民要求", "接待中", "alice", "2026-11-28 12:00", "4分0秒", "4分0秒", ""),
    )


def test_user_table_names_roles_departments_and_grids_and_never_the_password(
    session: Session,
) -> None:
    admin = staff(session, Role.ADMIN)
    handler = staff(session, Role.HANDLER, department="housing")
    worker = staff(session, Role.GRID_WORKER, grids=["hubin-sq-1"])
    set_active(session, worker, False, by=admin)
    table = user_table(user_rows(session))
    assert table.headers == ("用户名", "角色", "承办单位", "网格", "状态")
    assert table.rows == tuple(
        sorted(
            [
                (admin.username, "管理员", "", "", "启用"),
                (handler.username, "承办人", department_name("housing"), "", "启用"),
                (worker.username, "网格员", "", "湖滨街道·湖滨社区第一网格", "已停用"),
            ]
        )
    )
    assert not any(admin.password_hash in str(cell) for row in table.rows for cell in row)
