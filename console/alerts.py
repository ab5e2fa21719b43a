"""Console page of deadline alerts (临期提醒、超期督办) and overdue counters."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from console.security import CurrentLogin, page_user
from console.templating import templates
from jiesu.config import Settings
from jiesu.db import session_scope
from jiesu.loop.alerts import alert_rows, overdue_by_name
from jiesu.models import utcnow
from jiesu.monitoring.exports import alert_tables
from jiesu.staff.sessions import Login
from jiesu.tables import Table

router = APIRouter()


def _lists(request: Request, login: Login) -> dict[str, Any]:
    """The alerts `login` may see, and the overdue counts per department and per grid."""
    settings: Settings = request.app.state.settings
    now = utcnow()
    with session_scope(settings.database_url) as session:
        return {
            "rows": alert_rows(session, login.user),
            "departments": overdue_by_name(session, now, "department"),
            "grids": overdue_by_name(session, now, "grid"),
        }


def export_tables(request: Request, login: Login) -> list[Table]:
    """The page's three tables, for download."""
    return alert_tables(**_lists(request, login))


@router.get("/alerts", response_class=HTMLResponse)
def alerts_page(request: Request, login: CurrentLogin) -> HTMLResponse:
    """The alerts the user should see, newest first, and who has overdue tickets."""
    return templates.TemplateResponse(
        request=request,
        name="alerts.html",
        context={"me": page_user(login), **_lists(request, login)},
    )
