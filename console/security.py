"""Console login state: the signed session cookie, the logged-in user, and CSRF checks.

The cookie holds a random session token signed with `JIESU_SECRET_KEY`
(itsdangerous); the session itself, with its CSRF token, lives in the database.
The login form, before any session exists, uses a signed double-submit cookie.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Coroutine
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, HTTPException, Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.datastructures import FormData

from console.nav import menu_for
from jiesu.config import Settings
from jiesu.db import session_scope
from jiesu.staff.permissions import Capability, can
from jiesu.staff.roles import role_label
from jiesu.staff.sessions import SESSION_LIFETIME, Login, find_login

SESSION_COOKIE = "jiesu_session"
LOGIN_CSRF_COOKIE = "jiesu_login_csrf"
_LOGIN_FORM_AGE = 3600

log = logging.getLogger(__name__)


def make_signer(settings: Settings) -> URLSafeTimedSerializer:
    """The cookie signer; without a configured key, one random per process (logins then
    end when the web app restarts)."""
    key = settings.secret_key
    if not key:
        log.warning("JIESU_SECRET_KEY is not set: console logins last until the app restarts")
        key = secrets.token_urlsafe(32)
    return URLSafeTimedSerializer(key, salt="jiesu-console")


def _signer(request: Request) -> URLSafeTimedSerializer:
    signer: URLSafeTimedSerializer = request.app.state.signer
    return signer


def _unsign(request: Request, cookie: str, max_age: int) -> str | None:
    value = request.cookies.get(cookie)
    if not value:
        return None
    try:
        token = _signer(request).loads(value, max_age=max_age)
    except BadSignature:
        return None
    return token if isinstance(token, str) else None


def _set_cookie(request: Request, response: Response, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name,
        _signer(request).dumps(value),
        max_age=max_age,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )


def session_token(request: Request) -> str | None:
    """The session token of the browser's cookie, if validly signed and not too old."""
    return _unsign(request, SESSION_COOKIE, int(SESSION_LIFETIME.total_seconds()))


def set_session_cookie(request: Request, response: Response, token: str) -> None:
    """Give the browser its session (HttpOnly, SameSite=Lax, Secure over HTTPS)."""
    _set_cookie(request, response, SESSION_COOKIE, token, int(SESSION_LIFETIME.total_seconds()))


def current_login(request: Request) -> Login | None:
    """Who is logged in on this request, if anyone."""
    token = session_token(request)
    if token is None:
        return None
    settings: Settings = request.app.state.settings
    with session_scope(settings.database_url) as session:
        return find_login(session, token)


def require_login(request: Request) -> Login:
    """The logged-in staff member; anyone else is sent to the login page."""
    login = current_login(request)
    if login is None:
        target = quote(request.url.path)
        raise HTTPException(status_code=303, headers={"Location": f"/login?next={target}"})
    return login


CurrentLogin = Annotated[Login, Depends(require_login)]

# Why a page or action is refused, by the capability it needs (else the general 403 text).
REFUSALS: dict[Capability, str] = {
    Capability.READ_HANDOFFS: "您无权查看人工接管。",
    Capability.ANSWER_HANDOFFS: "您无权处理人工接管会话。",
    Capability.READ_FAQ_GAPS: "您无权查看问答缺口。",
    Capability.EDIT_FAQ: "您无权新增问答条目。",
    Capability.MANAGE_USERS: "只有管理员可以管理用户。",
}


def ensure(login: Login, capability: Capability) -> None:
    """Refuse (403) unless the logged-in user's role has `capability`."""
    if not can(login.user, capability):
        raise HTTPException(status_code=403, detail=REFUSALS.get(capability))


def require(capability: Capability) -> Callable[[Login], Coroutine[Any, Any, Login]]:
    """A route dependency: the logged-in staff member if their role has `capability`,
    else 403 (and the login page for anyone not logged in). Declare it as
    `Annotated[Login, Depends(require(Capability.X))]`."""

    async def guard(login: CurrentLogin) -> Login:
        ensure(login, capability)
        return login

    return guard


async def require_csrf(request: Request, expected: str) -> None:
    """Refuse (403) a form post whose `csrf_token` field is not `expected`."""
    form = await request.form()
    given = form.get("csrf_token")
    if not isinstance(given, str) or not secrets.compare_digest(given, expected):
        raise HTTPException(status_code=403, detail="表单已失效，请刷新页面后重试。")


async def posted_form(request: Request, login: CurrentLogin) -> FormData:
    """The form a logged-in user posted, once its CSRF token matched (403 otherwise).

    Read on the event loop as a dependency, so that the route itself can be a plain `def`
    that FastAPI runs in its thread pool: database work never holds the event loop.
    """
    await require_csrf(request, login.csrf_token)
    return await request.form()


PostedForm = Annotated[FormData, Depends(posted_form)]


def set_login_csrf_cookie(request: Request, response: Response, token: str) -> None:
    """Remember the login form's token in a signed cookie, to compare on post."""
    _set_cookie(request, response, LOGIN_CSRF_COOKIE, token, _LOGIN_FORM_AGE)


async def require_login_csrf(request: Request) -> None:
    """Refuse (403) a login post whose form token does not match its cookie."""
    expected = _unsign(request, LOGIN_CSRF_COOKIE, _LOGIN_FORM_AGE)
    if expected is None:
        raise HTTPException(status_code=403, detail="表单已失效，请刷新页面后重试。")
    await require_csrf(request, expected)


def page_user(login: Login) -> dict[str, Any]:
    """What every console page shows of the logged-in user (the template's `me`)."""
    return {
        "username": login.user.username,
        "role": role_label(login.user.role),
        "menu": menu_for(login.user),
        "csrf_token": login.csrf_token,
    }
