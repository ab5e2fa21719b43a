"""The ticket list as a table for download (CSV, Excel), with the names staff read."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Final

from jiesu.appeals.wording import department_name
from jiesu.config import local_timezone
from jiesu.models import utcnow
from jiesu.monitoring.stats import grid_label
from jiesu.monitoring.tables import Table
from jiesu.staff.queries import is_overdue
from jiesu.tickets.models import Ticket
from jiesu.tickets.workflow import status_label
from jiesu.vocabulary import intent_label

# The most tickets one export holds.
MAX_EXPORT: Final = 100_000

TICKET_HEADERS: Final = (
    "编号", "状态", "诉求类型", "分类", "子分类", "承办单位", "网格", "地址", "受理时间",
    "答复期限", "是否超期", "诉求内容",
)


def _minute(moment: datetime | None) -> str:
    return moment.astimezone(local_timezone()).strftime("%Y-%m-%d %H:%M") if moment else ""


def ticket_table(tickets: Sequence[Ticket], now: datetime | None = None) -> Table:
    """`tickets` as export rows; residents' phone numbers are left out."""
    moment = now or utcnow()
    rows = tuple(
        (
            t.number, status_label(t.status), intent_label(t.appeal_type.value),
            t.category or "未分类", t.subcategory or "",
            department_name(t.department) if t.department else "未派单", grid_label(t.grid),
            t.address or "", _minute(t.created_at), _minute(t.reply_due_at),
            "是" if is_overdue(t, moment) else "否", t.description,
        )
        for t in tickets
    )
    return Table("tickets", "工单列表", TICKET_HEADERS, rows)
