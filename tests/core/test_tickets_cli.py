"""`jiesu tickets list` and `jiesu tickets show` on tickets filed with the real services."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from jiesu.cli import app
from jiesu.config import get_settings
from jiesu.conversations import ConversationId
from jiesu.db import session_scope
from jiesu.labels import department_name
from jiesu.tickets import (
    AppealType,
    Status,
    Ticket,
    TicketFilter,
    change_status,
    list_tickets,
    merge,
    resident_actor,
    staff_actor,
)
from jiesu.tickets.assignment import assign_department
from jiesu.tickets.models import TicketNote
from tests.factories import file_ticket

T0 = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
DISPATCHER = staff_actor("dispatcher")
LEAK, NOISE, DUPLICATE = "20261128-0001", "20261128-0002", "20261128-0003"


@pytest.fixture
def tickets(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Three tickets in the database the CLI is configured with.

    LEAK is in progress with deadlines, NOISE just received, DUPLICATE merged into LEAK.
    """
    monkeypatch.setenv("JIESU_DATABASE_URL", database_url)
    get_settings.cache_clear()
    with session_scope(database_url) as session:

        def file(message_id: str, sender_id: str, minutes: int, **fields: Any) -> Ticket:
            return file_ticket(
                session,
                when=T0 + timedelta(minutes=minutes),
                channel=ConversationId.parse(sender_id).channel,
                source_message_id=message_id,
                sender_id=sender_id,
                actor=resident_actor(sender_id),
                **fields,
            )

        leak = file(
            "m1",
            "telegram:42",
            0,
            appeal_type=AppealType.SEEK_HELP,
            description="楼上漏水，家里天花板在滴水。",
            address="幸福里小区3栋2单元501",
            phone="13800138000",
            category="城乡建设",
            subcategory="物业管理",
            department="housing",
            grid="hubin-sq-1",
        )
        leak.dispatch_due_at = T0 + timedelta(hours=24)
        leak.reply_due_at = T0 + timedelta(days=9)
        change_status(
            session, leak, Status.DISPATCHED, actor=DISPATCHER, now=T0 + timedelta(hours=1)
        )
        change_status(
            session,
            leak,
            Status.IN_PROGRESS,
            actor=staff_actor("housing"),
            now=T0 + timedelta(hours=2),
        )
        file(
            "m2",
            "web:7",
            30,
            appeal_type=AppealType.COMPLAIN,
            description="东湖广场晚上跳广场舞，音响太吵。",
            department="ecology",
            grid="wanghu-1",
        )
        duplicate = file(
            "m3",
            "telegram:42",
            60,
            appeal_type=AppealType.SEEK_HELP,
            description="还是漏水，没人来修。",
            department="housing",
            grid="hubin-sq-1",
        )
        merge(
            session,
            duplicate,
            into=leak,
            actor=DISPATCHER,
            note="同一漏水问题",
            now=T0 + timedelta(hours=3),
        )
    yield
    get_settings.cache_clear()


def run(*args: str) -> Result:
    return CliRunner().invoke(app, ["tickets", *args])


def listed(*args: str) -> list[str]:
    result = run("list", "--json", *args)
    assert result.exit_code == 0, result.output
    return [ticket["number"] for ticket in json.loads(result.stdout)]


def test_show_prints_every_field_and_the_history(tickets: None) -> None:
    result = run("show", LEAK, "--json")
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    history = shown.pop("history")
    assert shown == {
        "number": LEAK,
        "status": "in_progress",
        "status_label": "办理中",
        "appeal_type": "seek_help",
        "appeal_type_label": "求助",
        "category": "城乡建设",
        "subcategory": "物业管理",
        "department": "housing",
        "grid": "hubin-sq-1",
        "urgency": "normal",
        "description": "楼上漏水，家里天花板在滴水。",
        "address": "幸福里小区3栋2单元501",
        "phone": "13800138000",
        "anonymous": False,
        "channel": "telegram",
        "sender_id": "telegram:42",
        "merged_into": None,
        "dispatch_due_at": "2026-11-29T10:00:00+08:00",
        "reply_due_at": "2026-12-07T10:00:00+08:00",
        "created_at": "2026-11-28T10:00:00+08:00",
        "updated_at": "2026-11-28T12:00:00+08:00",
    }
    assert history == [
        {
            "entry": "status",
            "actor": "resident:telegram:42",
            "at": "2026-11-28T10:00:00+08:00",
            "from": None,
            "from_label": None,
            "to": "received",
            "to_label": "受理",
            "note": None,
        },
        {
            "entry": "status",
            "actor": DISPATCHER,
            "at": "2026-11-28T11:00:00+08:00",
            "from": "received",
            "from_label": "受理",
            "to": "dispatched",
            "to_label": "派单",
            "note": None,
        },
        {
            "entry": "status",
            "actor": "staff:housing",
            "at": "2026-11-28T12:00:00+08:00",
            "from": "dispatched",
            "from_label": "派单",
            "to": "in_progress",
            "to_label": "办理中",
            "note": None,
        },
    ]


def test_show_a_merged_ticket(tickets: None) -> None:
    shown = json.loads(run("show", DUPLICATE, "--json").stdout)
    assert (shown["status_label"], shown["merged_into"]) == ("已合并", LEAK)
    assert shown["history"][-1]["note"] == "同一漏水问题"
    assert shown["dispatch_due_at"] is None


def test_show_an_unknown_number_fails_on_stderr(tickets: None) -> None:
    result = run("show", "20991231-0001", "--json")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "工单不存在：20991231-0001" in result.stderr
    assert "no ticket numbered 20991231-0001" in result.stderr


def test_list_is_newest_first_without_history(tickets: None) -> None:
    result = run("list", "--json")
    rows = json.loads(result.stdout)
    assert [row["number"] for row in rows] == [DUPLICATE, NOISE, LEAK]
    assert all("history" not in row for row in rows)
    assert rows[0]["merged_into"] == LEAK


@pytest.mark.parametrize(
    ("args", "numbers"),
    [
        (["--status", "in_progress"], [LEAK]),
        (["--status", "受理", "--status", "merged"], [DUPLICATE, NOISE]),
        (["--department", "housing"], [DUPLICATE, LEAK]),
        (["--grid", "wanghu-1"], [NOISE]),
        (["--sender", "telegram:42"], [DUPLICATE, LEAK]),
        (["--sender", "telegram:42", "--status", "in_progress"], [LEAK]),
        (["--limit", "2"], [DUPLICATE, NOISE]),
        (["--grid", "no-such-grid"], []),
    ],
)
def test_list_filters(tickets: None, args: list[str], numbers: list[str]) -> None:
    assert listed(*args) == numbers


def test_an_unknown_status_is_refused_with_the_choices(tickets: None) -> None:
    result = run("list", "--status", "lost")
    assert result.exit_code == 2
    assert "unknown lost" in result.stderr
    assert "dispatched (派单)" in result.stderr


def test_the_human_readable_list_and_ticket(tickets: None) -> None:
    table = run("list", "--department", "housing").stdout.splitlines()
    assert " ".join(table[0].split()) == "编号 状态 类型 分类 承办单位 网格 受理时间 诉求"
    assert table[1].split()[:3] == [DUPLICATE, "已合并", "求助"]
    assert "2026-11-28 10:00" in table[2]
    assert run("list", "--grid", "no-such-grid").stdout == "没有符合条件的工单。\n"
    shown = run("show", DUPLICATE).stdout
    assert f"工单 {DUPLICATE}  已合并  求助" in shown
    assert "受理：2026-11-28 11:00  派单时限：无  答复时限：无" in shown
    assert "承办单位：示例市住房和城乡建设局  网格：湖滨街道·湖滨社区第一网格" in shown
    assert "2026-11-28 13:00  staff:dispatcher  受理 → 已合并  同一漏水问题" in shown


def test_show_gives_the_timeline_the_ticket_page_shows(tickets: None, database_url: str) -> None:
    """Department changes and progress notes come between the status events, by time."""
    with session_scope(database_url) as session:
        [leak] = list_tickets(session, TicketFilter(statuses=[Status.IN_PROGRESS]))
        assign_department(
            session,
            leak,
            "ecology",
            actor=DISPATCHER,
            note="属于生态环境",
            now=T0 + timedelta(hours=1, minutes=30),
        )
        session.add(
            TicketNote(
                ticket_id=leak.id,
                actor="staff:housing",
                text="已联系物业",
                told_resident=True,
                created_at=T0 + timedelta(hours=4),
            )
        )
    shown = json.loads(run("show", LEAK, "--json").stdout)["history"]
    assert [entry["entry"] for entry in shown] == ["status", "status", "change", "status", "note"]
    text = run("show", LEAK).stdout
    assert (
        f"2026-11-28 11:30  {DISPATCHER}  承办单位：示例市住房和城乡建设局 → "
        f"{department_name('ecology')}  属于生态环境"
    ) in text
    assert "2026-11-28 14:00  staff:housing  办理进展：已联系物业（已告知居民）" in text
