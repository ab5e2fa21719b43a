"""Console page of deadline alerts (临期提醒、超期督办) and overdue counters."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from console.security import CurrentLogin, page_user
from console.templating import minute, templates
from jiesu.appeals.wording import department_name
from jiesu.city import current_city
from jiesu.config import Settings
from jiesu.db import session_scope
from jiesu.loop.alerts import (
    ALERT_LABELS,
    DEADLINE_LABELS,
    AlertKind,
    AlertView,
    DeadlineKind,
    alerts_for,
    overdue_counts,
)
from jiesu.models import utcnow
from jiesu.tickets.serialize import timestamp

router = APIRouter()


def _grid_name(grid_id: str | None) -> str:
    if grid_id is None:
        return "未定"
    try:
        located = current_city().grid(grid_id)
    except KeyError:
        return grid_id
    return f"{located.street.name}·{located.grid.name}"


def _row(view: AlertView) -> dict[str, Any]:
    alert, ticket = view.alert, view.ticket
    return {
        "escalation": alert.kind == AlertKind.ESCALATION,
        "kind": ALERT_LABELS[AlertKind(alert.kind)],
        "deadline": DEADLINE_LABELS[DeadlineKind(alert.deadline)],
        "number": ticket.number,
        "description": ticket.description,
        "department": department_name(alert.department) if alert.department else "派单员",
        "due": minute(timestamp(alert.due_at)),
        "raised": minute(timestamp(alert.created_at)),
    }


def _counts(counts: dict[str | None, int], name: Any) -> list[tuple[str, int]]:
    return sorted(((name(key), count) for key, count in counts.items()),
                  key=lambda pair: (-pair[1], pair[0]))


@router.get("/alerts", response_class=HTMLResponse)
async def alerts_page(request: Request, login: CurrentLogin) -> HTMLResponse:
    """The alerts the user should see, newest first, and who has overdue tickets."""
    settings: Settings = request.app.state.settings
    now = utcnow()
    with session_scope(settings.database_url) as session:
        rows = [_row(view) for view in alerts_for(session, login.user)]
        departments = _counts(overdue_counts(session, now, "department"), department_name)
        grids = _counts(overdue_counts(session, now, "grid"), _grid_name)
    return templates.TemplateResponse(
        request=request,
        name="alerts.html",
        context={"me": page_user(login), "rows": rows, "departments": departments,
                 "grids": grids},
    )
