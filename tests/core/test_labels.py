"""Display has one home (jiesu.labels): times in the city's zone, department and grid
names, one wording for a ticket without a department, a label for every status."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from enum import StrEnum

import pytest
from sqlalchemy.orm import Session

from jiesu.city import current_city
from jiesu.db import session_scope
from jiesu.handoff.models import HandoffReason, HandoffStatus
from jiesu.labels import (
    category_label,
    date_text,
    department_name,
    duration_text,
    grid_label,
    label,
    minute_text,
    moment_text,
    month_day_text,
    stamp_text,
)
from jiesu.loop.models import AlertKind
from jiesu.monitoring.exports import ticket_table
from jiesu.staff.permissions import Action
from jiesu.staff.roles import Role
from jiesu.tickets import Status, status_label
from jiesu.tickets.models import ChangeKind
from jiesu.tickets.serialize import timestamp
from jiesu.tickets.workflow import DeadlineKind
from tests.factories import file_ticket

NEXT_DAY_LOCALLY = datetime(2026, 11, 28, 17, 30, tzinfo=UTC)  # 11-29 01:30 in Shanghai
MIDNIGHT = datetime(2026, 12, 8, 16, 0, tzinfo=UTC)  # 12-09 00:00 in Shanghai


@pytest.fixture
def session(database_url: str) -> Iterator[Session]:
    with session_scope(database_url) as session:
        yield session


def test_times_are_local_in_every_format() -> None:
    assert minute_text(NEXT_DAY_LOCALLY) == "2026-11-29 01:30"
    assert date_text(NEXT_DAY_LOCALLY) == "2026-11-29"
    assert month_day_text(NEXT_DAY_LOCALLY) == "11-29"
    assert month_day_text(date(2026, 11, 28)) == "11-28"  # a day is already local
    assert moment_text(NEXT_DAY_LOCALLY) == "11月29日（周日）01:30"


def test_a_serialized_time_reads_as_the_time_itself() -> None:
    assert stamp_text(timestamp(NEXT_DAY_LOCALLY)) == minute_text(NEXT_DAY_LOCALLY)
    assert stamp_text(NEXT_DAY_LOCALLY.isoformat()) == "2026-11-29 01:30"


def test_no_time_is_empty_in_a_table_and_spelled_out_on_a_page() -> None:
    assert minute_text(None) == ""
    assert stamp_text(None) == "无"


def test_residents_read_midnight_as_the_end_of_the_day_before() -> None:
    assert moment_text(MIDNIGHT) == "12月8日（周二）24:00"


def test_a_ticket_without_a_department_is_the_dispatch_centres() -> None:
    city = current_city()
    assert department_name(None) == city.dispatch_center.name
    assert department_name(city.dispatch_center.id) == department_name(None)
    assert department_name("housing") == "示例市住房和城乡建设局"
    assert department_name("closed-long-ago") == "closed-long-ago"


def test_the_export_names_no_department_as_every_staff_page_does(session: Session) -> None:
    ticket = file_ticket(session, "楼下烧烤油烟太大")
    assert ticket.department is None
    table = ticket_table([ticket])
    row = dict(zip(table.headers, table.rows[0], strict=True))
    assert row["承办单位"] == department_name(None)
    assert (row["分类"], row["网格"]) == ("未分类", "未定位")


def test_grid_and_category_labels() -> None:
    assert grid_label("hubin-sq-1") == "湖滨街道·湖滨社区第一网格"
    assert grid_label(None) == "未定位"
    assert grid_label("no-such-grid") == "no-such-grid"
    assert category_label("城乡建设", "物业管理") == "城乡建设/物业管理"
    assert category_label("城乡建设") == "城乡建设"
    assert category_label(None, None) == "未分类"


def test_every_status_has_its_own_label() -> None:
    named = {status_label(status) for status in Status}
    assert len(named) == len(Status)
    assert status_label(Status.DISPATCHED) == "派单"


@pytest.mark.parametrize(
    ("group", "kinds"),
    [
        ("alerts", AlertKind),
        ("deadlines", DeadlineKind),
        ("changes", ChangeKind),
        ("handoff_reasons", HandoffReason),
        ("handoff_statuses", HandoffStatus),
        ("roles", Role),
        ("actions", Action),
    ],
)
def test_every_kind_has_its_own_label(group: str, kinds: type[StrEnum]) -> None:
    named = {label(group, kind.value) for kind in kinds}
    assert len(named) == len(kinds)


def test_durations_as_staff_read_them() -> None:
    assert duration_text(None) == "—"
    assert duration_text(45) == "45秒"
    assert duration_text(200) == "3分20秒"
    assert duration_text(3900) == "1小时5分"
