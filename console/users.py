"""User management pages (用户管理), for administrators only: list, add, deactivate, reset."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from console.security import PostedForm, page_user, require
from console.templating import templates
from jiesu.city import current_city
from jiesu.config import Settings
from jiesu.db import session_scope
from jiesu.monitoring.exports import user_table
from jiesu.staff.accounts import (
    AccountError,
    check_confirmation,
    create_user,
    reset_password,
    set_active,
    user_rows,
)
from jiesu.staff.models import StaffUser
from jiesu.staff.permissions import Capability
from jiesu.staff.roles import Role, role_label
from jiesu.staff.sessions import Login
from jiesu.tables import Table

router = APIRouter()

# What the list says after a change (the redirect names the key, never free text).
NOTICES = {
    "created": "账号已创建。",
    "deactivated": "账号已停用，其登录已失效。",
    "reactivated": "账号已重新启用。",
    "password": "密码已重置，该用户需用新密码重新登录。",
}

Admin = Annotated[Login, Depends(require(Capability.MANAGE_USERS))]


def _grid_names() -> dict[str, str]:
    return {g.grid.id: f"{g.street.name}·{g.grid.name}" for g in current_city().grids}


def export_tables(request: Request, login: Login) -> list[Table]:
    """Every account as the list shows it, for download."""
    settings: Settings = request.app.state.settings
    with session_scope(settings.database_url) as session:
        return [user_table(user_rows(session))]


def _page(
    request: Request,
    login: Login,
    *,
    error: str | None = None,
    form: dict[str, Any] | None = None,
) -> Response:
    settings: Settings = request.app.state.settings
    with session_scope(settings.database_url) as session:
        rows = user_rows(session)
    return templates.TemplateResponse(
        request=request,
        name="users.html",
        context={
            "me": page_user(login),
            "rows": rows,
            "roles": [(role.value, role_label(role)) for role in Role],
            "departments": [(d.id, d.name) for d in current_city().departments],
            "grids": list(_grid_names().items()),
            "notice": NOTICES.get(request.query_params.get("done", "")),
            "error": error,
            "form": form or {},
        },
        status_code=400 if error else 200,
    )


@router.get("/users", response_class=HTMLResponse)
def users_page(request: Request, login: Admin) -> Response:
    """Every staff account, with the forms to add one and to change each."""
    return _page(request, login)


def _text(form: FormData, key: str) -> str:
    value = form.get(key)
    return value if isinstance(value, str) else ""


@router.post("/users")
def add_user(request: Request, login: Admin, form: PostedForm) -> Response:
    """Create an account; the form comes back with the reason if it cannot be made."""
    username, chosen = _text(form, "username").strip(), _text(form, "role")
    department = _text(form, "department") or None
    grids = [g for g in form.getlist("grids") if isinstance(g, str) and g]
    entered = {"username": username, "role": chosen, "department": department, "grids": grids}
    settings: Settings = request.app.state.settings
    try:
        role = Role(chosen)
    except ValueError:
        return _page(request, login, error="请选择角色。", form=entered)
    try:
        check_confirmation(_text(form, "password"), _text(form, "confirmation"))
        with session_scope(settings.database_url) as session:
            create_user(
                session,
                username,
                _text(form, "password"),
                role,
                # Only the binding the role uses is kept: the form offers both.
                department=department if role is Role.HANDLER else None,
                grids=grids if role is Role.GRID_WORKER else (),
            )
    except AccountError as refused:
        return _page(request, login, error=str(refused), form=entered)
    return RedirectResponse("/users?done=created", status_code=303)


def _user_or_404(session: Session, user_id: int) -> StaffUser:
    user = session.get(StaffUser, user_id)
    if user is None:
        raise HTTPException(status_code=404, detail="没有这个用户。")
    return user


@router.post("/users/{user_id}/active")
def change_active(request: Request, user_id: int, login: Admin, form: PostedForm) -> Response:
    """Deactivate (停用) or reactivate (启用) an account."""
    active = _text(form, "active") == "1"
    settings: Settings = request.app.state.settings
    try:
        with session_scope(settings.database_url) as session:
            set_active(session, _user_or_404(session, user_id), active, by=login.user)
    except AccountError as refused:
        return _page(request, login, error=str(refused))
    return RedirectResponse(
        f"/users?done={'reactivated' if active else 'deactivated'}", status_code=303
    )


@router.post("/users/{user_id}/password")
def change_password(request: Request, user_id: int, login: Admin, form: PostedForm) -> Response:
    """Reset an account's password (重置密码), typed twice."""
    password = _text(form, "password")
    settings: Settings = request.app.state.settings
    try:
        check_confirmation(password, _text(form, "confirmation"))
        with session_scope(settings.database_url) as session:
            reset_password(session, _user_or_404(session, user_id), password)
    except AccountError as refused:
        return _page(request, login, error=str(refused))
    return RedirectResponse("/users?done=password", status_code=303)
