"""The console's 403 and 404 as Chinese HTML pages; the JSON API and /healthz keep JSON."""

from __future__ import annotations

from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from console.security import current_login, page_user
from console.templating import templates

_TITLES = {403: "无权访问", 404: "页面不存在"}
_DEFAULT_DETAILS = {403: "您没有访问此页面的权限。", 404: "您要找的页面不存在，或您无权查看。"}
_JSON_PATHS = ("/api/", "/healthz")


def _detail(error: HTTPException) -> str:
    """The route's own Chinese detail, or ours instead of Starlette's English default."""
    if isinstance(error.detail, str) and error.detail != HTTPStatus(error.status_code).phrase:
        return error.detail
    return _DEFAULT_DETAILS[error.status_code]


async def _error_page(request: Request, error: Exception) -> Response:
    """403 and 404 of console pages as HTML; anything else as FastAPI answers it."""
    assert isinstance(error, HTTPException)
    if error.status_code not in _TITLES or request.url.path.startswith(_JSON_PATHS):
        return await http_exception_handler(request, error)
    login = await run_in_threadpool(current_login, request)
    return templates.TemplateResponse(
        request=request,
        name="error.html",
        context={
            "me": page_user(login) if login is not None else None,
            "title": _TITLES[error.status_code],
            "detail": _detail(error),
        },
        status_code=error.status_code,
        headers=error.headers,
    )


def install(app: FastAPI) -> None:
    """Register the error pages on `app`."""
    app.add_exception_handler(HTTPException, _error_page)
