"""Gaps in the knowledge base (问答缺口): grouped unanswered questions, unhelpful
entries, and a form to add an entry, which the assistant answers from at once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from console.params import day_window
from console.security import CurrentLogin, PostedForm, page_user
from console.templating import templates
from jiesu.city import current_city
from jiesu.config import Settings
from jiesu.db import session_scope
from jiesu.faq.gaps import (
    EntryError,
    GapReport,
    add_entry,
    gap_report,
    may_edit,
    may_read,
)
from jiesu.models import utcnow
from jiesu.monitoring.exports import gap_tables
from jiesu.staff.sessions import Login
from jiesu.tables import Table

router = APIRouter(prefix="/faq/gaps")

DAY_CHOICES = (7, 30, 90, 365)
DEFAULT_DAYS = 30
_FIELDS = ("question", "alternatives", "answer", "department", "source")


def _reader(login: Login) -> Login:
    """The logged-in user if their role reads the gaps (see `jiesu.faq.gaps.READERS`)."""
    if not may_read(login.user):
        raise HTTPException(status_code=403, detail="您无权查看问答缺口。")
    return login


def _days(value: str | None) -> int:
    return day_window(value, DAY_CHOICES, DEFAULT_DAYS)


def _report(request: Request, days: int) -> GapReport:
    settings: Settings = request.app.state.settings
    with session_scope(settings.database_url) as session:
        return gap_report(session, utcnow() - timedelta(days=days), settings.database_url)


def export_tables(request: Request, login: Login) -> list[Table]:
    """The page's two lists for `?days=`, for download (for those who read the page)."""
    _reader(login)
    return gap_tables(_report(request, _days(request.query_params.get("days"))))


def _page(
    request: Request, login: Login, days: int, *, error: str | None = None,
    entered: dict[str, str] | None = None,
) -> Response:
    report = _report(request, days)
    context: dict[str, Any] = {
        "me": page_user(login),
        "days": days,
        "day_choices": DAY_CHOICES,
        "groups": report.groups,
        "unhelpful": report.unhelpful,
        "may_edit": may_edit(login.user),
        "departments": [d.name for d in current_city().departments],
        "added": request.query_params.get("added"),
        "error": error,
        "entered": entered,
    }
    return templates.TemplateResponse(
        request=request, name="faq_gaps.html", context=context,
        status_code=400 if error else 200,
    )


@router.get("", response_class=HTMLResponse)
def faq_gaps(request: Request, login: CurrentLogin) -> Response:
    """What residents asked that the base could not answer, and what they found unhelpful."""
    _reader(login)
    return _page(request, login, _days(request.query_params.get("days")))


@router.post("/entries", response_class=HTMLResponse)
def add(request: Request, login: CurrentLogin, form: PostedForm) -> Response:
    """Add a knowledge-base entry (admins and dispatchers); searches use it at once."""
    if not may_edit(login.user):
        raise HTTPException(status_code=403, detail="您无权新增问答条目。")
    entered = {key: str(form.get(key) or "") for key in _FIELDS}
    days = _days(str(form.get("days") or ""))
    settings: Settings = request.app.state.settings
    try:
        with session_scope(settings.database_url) as session:
            entry = add_entry(
                session, question=entered["question"], answer=entered["answer"],
                department=entered["department"], source=entered["source"],
                alternatives=tuple(entered["alternatives"].splitlines()),
            )
            entry_id = entry.id
    except EntryError as invalid:
        return _page(request, login, days, error=str(invalid), entered=entered)
    return RedirectResponse(f"/faq/gaps?days={days}&added={entry_id}", status_code=303)
