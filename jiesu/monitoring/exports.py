"""The console's lists as tables for download (CSV, Excel), with the names staff read.

Each table is built from the same rows its page shows (the ticket list, hot issues,
FAQ gaps, alerts, handoffs, staff accounts), so a file never says more or other than
the page. Residents' phone numbers are in none of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Final

from jiesu.labels import category_label, date_text, department_name, grid_label, minute_text
from jiesu.models import utcnow
from jiesu.tables import Table
from jiesu.tickets.models import Ticket
from jiesu.tickets.workflow import status_label
from jiesu.vocabulary import intent_label

if TYPE_CHECKING:  # types only: importing these modules would load the FAQ search
    from jiesu.faq.gaps import GapReport
    from jiesu.handoff.service import HandoffRow
    from jiesu.loop.alerts import AlertRow
    from jiesu.monitoring.clusters import HotReport
    from jiesu.staff.accounts import UserRow

# The most tickets one export holds.
MAX_EXPORT: Final = 100_000

TICKET_HEADERS: Final = (
    "编号",
    "状态",
    "诉求类型",
    "分类",
    "子分类",
    "承办单位",
    "网格",
    "地址",
    "受理时间",
    "答复期限",
    "是否超期",
    "诉求内容",
)
# Several values in one cell (places, keywords, ticket numbers, example questions).
_JOIN: Final = "、"


def _yes(flag: bool) -> str:
    return "是" if flag else "否"


def ticket_table(tickets: Sequence[Ticket], now: datetime | None = None) -> Table:
    """`tickets` as export rows; residents' phone numbers are left out."""
    moment = now or utcnow()
    rows = tuple(
        (
            t.number,
            status_label(t.status),
            intent_label(t.appeal_type.value),
            category_label(t.category),
            t.subcategory or "",
            department_name(t.department),
            grid_label(t.grid),
            t.address or "",
            minute_text(t.created_at),
            minute_text(t.reply_due_at),
            _yes(t.is_overdue(moment)),
            t.description,
        )
        for t in tickets
    )
    return Table("tickets", "工单列表", TICKET_HEADERS, rows)


def hot_tables(report: HotReport) -> list[Table]:
    """The hot-issue clusters, hottest first, and the rising keywords."""
    days = report.days
    clusters = Table(
        "hot",
        "热点问题",
        (
            "排名",
            "工单数",
            f"最近{days}天",
            f"此前{days}天",
            "增长",
            "地点",
            "起始日期",
            "最近日期",
            "关键词",
            "工单编号",
        ),
        tuple(
            (
                rank,
                c.issue.size,
                c.issue.recent,
                c.issue.previous,
                c.issue.growth,
                " / ".join(c.issue.places) or "未识别地点",
                date_text(c.issue.first),
                date_text(c.issue.last),
                _JOIN.join(c.issue.keywords),
                _JOIN.join(t.number for t in c.tickets),
            )
            for rank, c in enumerate(report.clusters, start=1)
        ),
    )
    keywords = Table(
        "hot_keywords",
        "上升关键词",
        ("关键词", f"最近{days}天", f"此前{days}天", "增长"),
        tuple((word, recent, before, recent - before) for word, recent, before in report.keywords),
    )
    return [clusters, keywords]


def gap_tables(report: GapReport) -> list[Table]:
    """The unanswered-question groups, largest first, and the unhelpful entries."""
    groups = Table(
        "faq_gaps",
        "未能回答的问题",
        ("次数", "问题", "其他问法", "最近提问时间", "现已可回答", "回答条目"),
        tuple(
            (
                g.count,
                g.question,
                _JOIN.join(g.examples[1:]),
                minute_text(g.latest),
                _yes(answered is not None),
                answered or "",
            )
            for g, answered in report.groups
        ),
    )
    unhelpful = Table(
        "faq_unhelpful",
        "没有帮助的条目",
        ("条目编号", "条目", "没有帮助", "有帮助", "居民原话"),
        tuple(
            (e.id, e.question, e.unhelpful, e.helpful, _JOIN.join(e.examples))
            for e in report.unhelpful
        ),
    )
    return [groups, unhelpful]


def alert_tables(
    rows: Sequence[AlertRow],
    departments: Sequence[tuple[str, int]],
    grids: Sequence[tuple[str, int]],
) -> list[Table]:
    """The alerts, newest first, and the overdue counts per department and per grid."""
    alerts = Table(
        "alerts",
        "督办提醒",
        ("提醒", "是否督办", "时限", "工单编号", "诉求内容", "责任方", "期限", "提醒时间"),
        tuple(
            (
                a.kind,
                _yes(a.escalation),
                a.deadline,
                a.number,
                a.description,
                a.department,
                a.due,
                a.raised,
            )
            for a in rows
        ),
    )
    return [
        alerts,
        Table(
            "overdue_by_department",
            "超期工单（按承办单位）",
            ("承办单位", "超期工单"),
            tuple(departments),
        ),
        Table("overdue_by_grid", "超期工单（按网格）", ("网格", "超期工单"), tuple(grids)),
    ]


def handoff_table(rows: Sequence[HandoffRow]) -> Table:
    """The handoffs as the inbox lists them: no transcript, no full chat id."""
    return Table(
        "handoffs",
        "转人工会话",
        ("会话", "原因", "状态", "接待人", "转入时间", "等待时长", "首次响应", "居民最新留言时间"),
        tuple(
            (
                h.conversation,
                h.reason,
                h.status_label,
                h.claimed_by or "",
                h.created_at,
                h.waiting,
                h.first_response,
                h.last_resident_at,
            )
            for h in rows
        ),
    )


def user_table(rows: Sequence[UserRow]) -> Table:
    """The staff accounts, by username."""
    return Table(
        "users",
        "用户",
        ("用户名", "角色", "承办单位", "网格", "状态"),
        tuple(
            (u.username, u.role, u.department, u.grids, "启用" if u.active else "已停用")
            for u in rows
        ),
    )
