"""Console ticket pages: the list with filters, the dispatch queue, one ticket and its actions."""

from __future__ import annotations

from datetime import date
from typing import Any, TypeVar

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from console.security import CurrentLogin, PostedForm, page_user
from console.templating import templates
from jiesu.city import current_city
from jiesu.config import Settings
from jiesu.db import session_scope
from jiesu.labels import department_name, grid_label
from jiesu.loop.alerts import is_supervised
from jiesu.models import utcnow
from jiesu.staff.models import StaffUser
from jiesu.staff.permissions import Action, action_label, allowed_actions
from jiesu.staff.privacy import phone_for
from jiesu.staff.queries import visible_ticket, visible_tickets
from jiesu.staff.sessions import Login
from jiesu.staff.work import ActionError, perform
from jiesu.tickets.attachments import attachment_path, attachments_of
from jiesu.tickets.models import AppealType, Ticket
from jiesu.tickets.serialize import describe_ticket, ticket_as_dict
from jiesu.tickets.service import TicketFilter
from jiesu.tickets.workflow import DISPATCH_QUEUE, Status, status_label
from jiesu.vocabulary import intent_label

router = APIRouter()

NOT_FOUND = "工单不存在，或您无权查看。"

_E = TypeVar("_E", Status, AppealType, Action)


def _row(ticket: Ticket, data: dict[str, Any]) -> dict[str, Any]:
    """`data` with the names and flags the pages show; the phone is left to `phone_for`."""
    data.pop("phone")
    data["department_name"] = department_name(ticket.department)
    data["grid_name"] = grid_label(ticket.grid)
    data["overdue"] = ticket.is_overdue(utcnow())
    return data


def _choices() -> dict[str, Any]:
    city = current_city()
    return {
        "statuses": [(s.value, status_label(s)) for s in Status],
        "categories": [c.name for c in city.categories],
        "category_options": [
            (value, value.replace("/", " / "))
            for c in city.categories
            for value in (c.name, *(f"{c.name}/{sub.name}" for sub in c.subcategories))
        ],
        "departments": [(d.id, d.name) for d in city.departments],
        "grids": [(g.grid.id, f"{g.street.name}·{g.grid.name}") for g in city.grids],
        "appeal_types": [(a.value, intent_label(a.value)) for a in AppealType],
    }


def _enum_or_none(kind: type[_E], value: str | None) -> _E | None:
    try:
        return kind(value) if value else None
    except ValueError:
        return None


def _date_or_none(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def ticket_filter(request: Request) -> TicketFilter:
    """The ticket filter the list page's query parameters describe (also used by exports)."""
    params = request.query_params
    status = _enum_or_none(Status, params.get("status"))
    statuses = DISPATCH_QUEUE if params.get("queue") == "dispatch" else ()
    return TicketFilter(
        statuses=(status,) if status else statuses,
        category=params.get("category") or None,
        department=params.get("department") or None,
        grid=params.get("grid") or None,
        appeal_type=_enum_or_none(AppealType, params.get("appeal_type")),
        overdue=params.get("overdue") == "1",
        created_from=_date_or_none(params.get("from")),
        created_to=_date_or_none(params.get("to")),
        text=params.get("q") or None,
    )


@router.get("/tickets", response_class=HTMLResponse)
def ticket_list(request: Request, login: CurrentLogin) -> Response:
    """Tickets the user may see, filtered; `?queue=dispatch` is the dispatchers' queue."""
    settings: Settings = request.app.state.settings
    with session_scope(settings.database_url) as session:
        found = visible_tickets(session, login.user, ticket_filter(request))
        supervised = is_supervised(session, [ticket.id for ticket in found])
        rows = [
            {**_row(ticket, ticket_as_dict(ticket)), "supervised": ticket.id in supervised}
            for ticket in found
        ]
    return templates.TemplateResponse(
        request=request,
        name="tickets.html",
        context={
            "me": page_user(login),
            "rows": rows,
            "params": request.query_params,
            "queue": request.query_params.get("queue") == "dispatch",
            **_choices(),
        },
    )


def _ticket_page(
    request: Request,
    session: Session,
    user: StaffUser,
    ticket: Ticket,
    login: Login,
    error: str | None = None,
) -> Response:
    data = _row(ticket, describe_ticket(session, ticket))
    data["supervised"] = bool(is_supervised(session, [ticket.id]))
    data["phone"] = phone_for(session, user, ticket)
    data["co_handler_names"] = [department_name(d) for d in ticket.co_departments]
    actions = allowed_actions(user, ticket)
    return templates.TemplateResponse(
        request=request,
        name="ticket.html",
        context={
            "me": page_user(login),
            "t": data,
            "timeline": data["history"],
            "actions": [(action.value, action_label(action)) for action in actions],
            "photos": [a.id for a in attachments_of(session, ticket)],
            "error": error,
            **_choices(),
        },
        status_code=400 if error else 200,
    )


def _visible_or_404(session: Session, user: StaffUser, number: str) -> Ticket:
    ticket = visible_ticket(session, user, number)
    if ticket is None:
        raise HTTPException(status_code=404, detail=NOT_FOUND)
    return ticket


@router.get("/tickets/{number}", response_class=HTMLResponse)
def ticket_page(request: Request, number: str, login: CurrentLogin) -> Response:
    """One ticket: the resident's words, where, deadlines, history, and the allowed actions."""
    settings: Settings = request.app.state.settings
    with session_scope(settings.database_url) as session:
        ticket = _visible_or_404(session, login.user, number)
        return _ticket_page(request, session, login.user, ticket, login)


@router.get("/tickets/{number}/photos/{photo_id}")
def ticket_photo(request: Request, number: str, photo_id: int, login: CurrentLogin) -> Response:
    """A photo of a ticket the staff member may see."""
    settings: Settings = request.app.state.settings
    with session_scope(settings.database_url) as session:
        ticket = _visible_or_404(session, login.user, number)
        photo = next((a for a in attachments_of(session, ticket) if a.id == photo_id), None)
        if photo is None or not attachment_path(photo).is_file():
            raise HTTPException(status_code=404, detail=NOT_FOUND)
        return FileResponse(attachment_path(photo), media_type=photo.content_type)


@router.post("/tickets/{number}/{action}")
def ticket_action(
    request: Request, number: str, action: str, login: CurrentLogin, form: PostedForm
) -> Response:
    """Do one action from the ticket page, then show the page again."""
    chosen = _enum_or_none(Action, action)
    if chosen is None:
        raise HTTPException(status_code=404, detail=NOT_FOUND)
    fields = {
        key: str(form.get(key) or "") or None for key in ("note", "department", "into", "category")
    }
    tell_resident = form.get("tell_resident") == "1"
    settings: Settings = request.app.state.settings
    error: str | None = None
    try:
        with session_scope(settings.database_url) as session:
            ticket = _visible_or_404(session, login.user, number)
            perform(session, login.user, ticket, chosen, **fields, tell_resident=tell_resident)
    except ActionError as refused:
        error = str(refused)
    if error is None:
        return RedirectResponse(f"/tickets/{number}", status_code=303)
    with session_scope(settings.database_url) as session:
        ticket = _visible_or_404(session, login.user, number)
        return _ticket_page(request, session, login.user, ticket, login, error)
