"""The statistics dashboard (统计督办): tables for every figure, charts drawn from them."""

from __future__ import annotations

from typing import Any, Final

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from console.security import CurrentLogin, page_user
from console.templating import templates
from jiesu.config import Settings
from jiesu.db import session_scope
from jiesu.monitoring.stats import Period, dashboard_tables
from jiesu.tables import Table

router = APIRouter()

_COUNT: Final = ("工单数",)
_RATES: Final = ("响应率(%)", "解决率(%)", "满意率(%)")
# How each table is drawn: the chart kind and the columns plotted as series.
CHARTS: Final[dict[str, tuple[str, tuple[str, ...]]]] = {
    "by_day": ("line", _COUNT),
    "by_category": ("bar", _COUNT),
    "by_grid": ("bar", _COUNT),
    "by_appeal_type": ("pie", _COUNT),
    "overdue_by_department": ("bar", ("超期", "工单数")),
    "rates_trend": ("line", _RATES),
    "rates_by_department": ("bar", _RATES),
}


def period_of(request: Request) -> Period:
    """The period the `from` and `to` query parameters ask for (default: 30 days)."""
    return Period.parse(request.query_params.get("from"), request.query_params.get("to"))


def chart_data(table: Table) -> dict[str, Any] | None:
    """What charts.js draws for `table`, or None for a table without a chart."""
    spec = CHARTS.get(table.name)
    if spec is None or not table.rows:
        return None
    kind, names = spec
    columns = [table.headers.index(name) for name in names]
    # The trend has one row per week and scope; the label names both when scopes differ.
    scoped = table.name == "rates_trend" and len({row[1] for row in table.rows}) > 1
    labels = [f"{row[0]} {row[1]}" if scoped else str(row[0]) for row in table.rows]
    return {
        "kind": kind,
        "labels": labels,
        "series": [
            {"name": table.headers[c], "values": [row[c] for row in table.rows]} for c in columns
        ],
    }


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard(request: Request, login: CurrentLogin) -> Response:
    """Volume, overdue load and the 三率 for the period, within what the user may see."""
    settings: Settings = request.app.state.settings
    period = period_of(request)
    with session_scope(settings.database_url) as session:
        tables = dashboard_tables(session, login.user, period)
    by_day = next(table for table in tables if table.name == "by_day")
    total = sum(int(row[1] or 0) for row in by_day.rows)
    return templates.TemplateResponse(
        request=request,
        name="dashboard.html",
        context={
            "me": page_user(login),
            "period": period,
            "total": total,
            "sections": [(table, chart_data(table)) for table in tables],
            "query": f"from={period.start.isoformat()}&to={period.end.isoformat()}",
        },
    )
