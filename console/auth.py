"""Console login and logout."""

from __future__ import annotations

import secrets

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from console.security import (
    SESSION_COOKIE,
    CurrentLogin,
    current_login,
    posted_form,
    require_login_csrf,
    session_token,
    set_login_csrf_cookie,
    set_session_cookie,
)
from console.templating import templates
from jiesu.config import Settings
from jiesu.db import session_scope
from jiesu.staff.accounts import admin_exists, authenticate
from jiesu.staff.ratelimit import clear_failures, is_blocked, record_failure
from jiesu.staff.sessions import end_session, start_session

router = APIRouter()


def _next_page(target: str | None) -> str:
    """Where to go after logging in: a path on this site only."""
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return "/tickets"


def _login_page(
    request: Request, *, error: str | None = None, status_code: int = 200, username: str = ""
) -> Response:
    settings: Settings = request.app.state.settings
    with session_scope(settings.database_url) as session:
        no_admin = not admin_exists(session)
    token = secrets.token_urlsafe(32)
    response = templates.TemplateResponse(
        request=request,
        name="login.html",
        context={
            "csrf_token": token,
            "error": error,
            "no_admin": no_admin,
            "username": username,
            "next": _next_page(request.query_params.get("next")),
        },
        status_code=status_code,
    )
    set_login_csrf_cookie(request, response, token)
    return response


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request) -> Response:
    """The login page (already logged in: straight to the tickets)."""
    if current_login(request) is not None:
        return RedirectResponse("/tickets", status_code=303)
    return _login_page(request)


def _check_login(
    settings: Settings, username: str, password: str, client_ip: str
) -> tuple[bool, str | None]:
    """Whether the login is blocked, else the new session's token if the password is right.
    Slow on purpose (argon2) and on the database: run in a worker thread."""
    with session_scope(settings.database_url) as session:
        if is_blocked(session, username, client_ip):
            return True, None
        user = authenticate(session, username, password)
        if user is None:
            record_failure(session, username, client_ip)
            return False, None
        clear_failures(session, username, client_ip)
        return False, start_session(session, user)


@router.post("/login", dependencies=[Depends(require_login_csrf)])
async def login(request: Request) -> Response:
    """Check the password, at most 5 failures per username and address (20 per username)
    in 15 minutes; the check runs off the event loop, which goes on serving residents."""
    form = await request.form()
    username = str(form.get("username", "")).strip()
    password = str(form.get("password", ""))
    client_ip = request.client.host if request.client else "unknown"
    settings: Settings = request.app.state.settings
    blocked, token = await run_in_threadpool(_check_login, settings, username, password, client_ip)
    if blocked:
        return await run_in_threadpool(
            _login_page,
            request,
            error="登录失败次数过多，请 15 分钟后再试。",
            status_code=429,
            username=username,
        )
    if token is None:
        return await run_in_threadpool(
            _login_page,
            request,
            error="用户名或密码错误。",
            status_code=401,
            username=username,
        )
    response = RedirectResponse(_next_page(str(form.get("next", ""))), status_code=303)
    set_session_cookie(request, response, token)
    return response


@router.post("/logout", dependencies=[Depends(posted_form)])
def logout(request: Request, login: CurrentLogin) -> Response:
    """End the session on the server and in the browser."""
    token = session_token(request)
    if token is not None:
        settings: Settings = request.app.state.settings
        with session_scope(settings.database_url) as session:
            end_session(session, token)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response
