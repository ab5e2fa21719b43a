"""Gaps in the knowledge base (问答缺口): grouped unanswered questions, unhelpful
entries, and a form to add an entry, which the assistant answers from at once."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from console.params import day_window
from console.security import PostedForm, page_user, require
from console.templating import templates
from jiesu.city import current_city
from jiesu.config import Settings
from jiesu.db import session_scope
from jiesu.faq.gaps import EntryError, GapReport, add_entry, gap_report
from jiesu.models import utcnow
from jiesu.monitoring.exports import gap_tables
from jiesu.staff.permissions import Capability, can
from jiesu.staff.sessions import Login
from jiesu.tables import Table

router = APIRouter(prefix="/faq/gaps")

DAY_CHOICES = (7, 30, 90, 365)
DEFAULT_DAYS = 30
_FIELDS = ("question", "alternatives", "answer", "department", "source")

Reader = Annotated[Login, Depends(require(Capability.READ_FAQ_GAPS))]
Editor = Annotated[Login, Depends(require(Capability.EDIT_FAQ))]


def _days(value: str | None) -> int:
    return day_window(value, DAY_CHOICES, DEFAULT_DAYS)


def _report(request: Request, days: int) -> GapReport:
    settings: Settings = request.app.state.settings
    with session_scope(settings.database_url) as session:
        return gap_report(session, utcnow() - timedelta(days=days), settings.database_url)


def export_tables(request: Request, login: Login) -> list[Table]:
    """The page's two lists for `?days=`, for download."""
    return gap_tables(_report(request, _days(request.query_params.get("days"))))


def _page(
    request: Request,
    login: Login,
    days: int,
    *,
    error: str | None = None,
    entered: dict[str, str] | None = None,
) -> Response:
    report = _report(request, days)
    context: dict[str, Any] = {
        "me": page_user(login),
        "days": days,
        "day_choices": DAY_CHOICES,
        "groups": report.groups,
        "unhelpful": report.unhelpful,
        "may_edit": can(login.user, Capability.EDIT_FAQ),
        "departments": [d.name for d in current_city().departments],
        "added": request.query_params.get("added"),
        "error": error,
        "entered": entered,
    }
    return templates.TemplateResponse(
        request=request,
        name="faq_gaps.html",
        context=context,
        status_code=400 if error else 200,
    )


@router.get("", response_class=HTMLResponse)
def faq_gaps(request: Request, login: Reader) -> Response:
    """What residents asked that the base could not answer, and what they found unhelpful."""
    return _page(request, login, _days(request.query_params.get("days")))


@router.post("/entries", response_class=HTMLResponse)
def add(request: Request, login: Editor, form: PostedForm) -> Response:
    """Add a knowledge-base entry (admins and dispatchers); searches use it at once."""
    entered = {key: str(form.get(key) or "") for key in _FIELDS}
    days = _days(str(form.get("days") or ""))
    settings: Settings = request.app.state.settings
    try:
        with session_scope(settings.database_url) as session:
            entry = add_entry(
                session,
                question=entered["question"],
                answer=entered["answer"],
                department=entered["department"],
                source=entered["source"],
                alternatives=tuple(entered["alternatives"].splitlines()),
            )
            entry_id = entry.id
    except EntryError as invalid:
        return _page(request, login, days, error=str(invalid), entered=entered)
    return RedirectResponse(f"/faq/gaps?days={days}&added={entry_id}", status_code=303)
