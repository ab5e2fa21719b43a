"""Staff console home and the health endpoint."""

from __future__ import annotations

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse
from sqlalchemy import text
from starlette.concurrency import run_in_threadpool

from console.templating import templates
from jiesu.config import Settings
from jiesu.db import get_engine, session_scope
from jiesu.staff.accounts import admin_exists

router = APIRouter()


async def _reachable(url: str) -> bool:
    try:
        async with httpx.AsyncClient(timeout=2.0) as client:
            return (await client.get(url)).status_code == 200
    except httpx.HTTPError:
        return False


def _admin_missing(settings: Settings) -> bool:
    """Whether the database answers and holds no admin (the page then says how to add one)."""
    try:
        with session_scope(settings.database_url) as session:
            return not admin_exists(session)
    except Exception:
        return False


def _database_ok(settings: Settings) -> bool:
    try:
        with get_engine(settings.database_url).connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception:
        return False
    return True


@router.get("/", response_class=HTMLResponse)
async def console_home(request: Request) -> HTMLResponse:
    """The console's landing page: what runs, how to log in, and what is coming."""
    settings: Settings = request.app.state.settings
    services = [
        ("对话引擎（Rasa）", await _reachable(settings.rasa_url)),
        ("动作服务", await _reachable(f"{settings.action_server_url}/health")),
        ("业务数据库", await run_in_threadpool(_database_ok, settings)),
    ]
    no_admin = await run_in_threadpool(_admin_missing, settings)
    return templates.TemplateResponse(
        request=request,
        name="home.html",
        context={"services": services, "no_admin": no_admin},
    )


@router.get("/healthz")
def healthz(request: Request) -> JSONResponse:
    """Liveness of the web app and its database (used by `make run` and tests)."""
    ok = _database_ok(request.app.state.settings)
    return JSONResponse(
        {"status": "ok" if ok else "database unavailable"}, status_code=200 if ok else 503
    )
