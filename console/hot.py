"""Hot issues (热点问题): clusters of recent tickets and trending words, and merging a
cluster's duplicates into one lead ticket."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from console.params import day_window
from console.security import CurrentLogin, PostedForm, page_user
from console.templating import templates
from jiesu.config import Settings
from jiesu.db import session_scope
from jiesu.monitoring.clusters import (
    DEFAULT_DAYS,
    MergeOutcome,
    hot_report,
    may_merge,
    merge_cluster,
    recent_tickets,
)
from jiesu.monitoring.exports import hot_tables
from jiesu.staff.sessions import Login
from jiesu.staff.work import ActionError
from jiesu.tables import Table

router = APIRouter()

DAY_CHOICES = (7, 30, 90)


def _days(value: str | None) -> int:
    return day_window(value, DAY_CHOICES, DEFAULT_DAYS)


def export_tables(request: Request, login: Login) -> list[Table]:
    """The page's clusters and rising keywords for `?days=`, for download."""
    days = _days(request.query_params.get("days"))
    settings: Settings = request.app.state.settings
    with session_scope(settings.database_url) as session:
        report = hot_report(recent_tickets(session, login.user, days=days), days=days)
    return hot_tables(report)


def _page(
    request: Request,
    login: Login,
    days: int,
    *,
    outcome: MergeOutcome | None = None,
    error: str | None = None,
) -> Response:
    settings: Settings = request.app.state.settings
    with session_scope(settings.database_url) as session:
        tickets = recent_tickets(session, login.user, days=days)
        report = hot_report(tickets, days=days)
        mergeable = may_merge(login.user, tickets)
    return templates.TemplateResponse(
        request=request,
        name="hot.html",
        context={
            "me": page_user(login),
            "report": report,
            "days": days,
            "day_choices": DAY_CHOICES,
            "may_merge": mergeable,
            "outcome": outcome,
            "error": error,
        },
        status_code=400 if error else 200,
    )


@router.get("/hot", response_class=HTMLResponse)
def hot_issues(request: Request, login: CurrentLogin) -> Response:
    """Clusters active in the last `days` days (7, 30 or 90), hottest first."""
    return _page(request, login, _days(request.query_params.get("days")))


@router.post("/hot/merge", response_class=HTMLResponse)
def merge(request: Request, login: CurrentLogin, form: PostedForm) -> Response:
    """Merge the posted tickets of a cluster into the chosen lead ticket."""
    days = _days(str(form.get("days") or ""))
    numbers = [str(n) for n in form.getlist("ticket")]
    settings: Settings = request.app.state.settings
    try:
        with session_scope(settings.database_url) as session:
            outcome = merge_cluster(
                session,
                login.user,
                lead=str(form.get("lead") or ""),
                numbers=numbers,
                note=str(form.get("note") or ""),
            )
    except ActionError as refused:
        return _page(request, login, days, error=str(refused))
    return _page(request, login, days, outcome=outcome)
