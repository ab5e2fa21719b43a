"""Downloads: the ticket list (the /tickets filters), the 三率 report, the dashboard
tables and the other console lists, as CSV (UTF-8 with BOM) or Excel, within what the
user may see."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Final, NamedTuple

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from console import alerts, faq_gaps, handoffs, hot, users
from console.dashboard import period_of
from console.security import CurrentLogin, ensure
from console.tickets import ticket_filter
from jiesu.config import Settings, local_timezone
from jiesu.db import session_scope
from jiesu.monitoring.exports import MAX_EXPORT, ticket_table
from jiesu.monitoring.stats import dashboard_tables, rates_by_unit, rates_trend
from jiesu.staff.permissions import Capability
from jiesu.staff.queries import visible_tickets
from jiesu.staff.sessions import Login
from jiesu.tables import Table, to_csv, to_xlsx

router = APIRouter(prefix="/exports")


class Listing(NamedTuple):
    """A console list's tables for its page's query, and the capability its page needs."""

    tables: Callable[[Request, Login], list[Table]]
    needs: Capability | None = None


# The console lists by export name.
LISTS: Final[dict[str, Listing]] = {
    "hot": Listing(hot.export_tables),
    "faq-gaps": Listing(faq_gaps.export_tables, Capability.READ_FAQ_GAPS),
    "alerts": Listing(alerts.export_tables),
    "handoffs": Listing(handoffs.export_tables, Capability.READ_HANDOFFS),
    "users": Listing(users.export_tables, Capability.MANAGE_USERS),
}

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _download(body: bytes, media_type: str, filename: str) -> Response:
    return Response(
        body,
        media_type=media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


def _send(tables: Sequence[Table], name: str, kind: str) -> Response:
    """One table as CSV, or the tables as one workbook, named `name-YYYYMMDD.kind`."""
    filename = f"{name}-{datetime.now(local_timezone()):%Y%m%d}.{kind}"
    if kind == "csv":
        return _download(to_csv(tables[0]), CSV_TYPE, filename)
    return _download(to_xlsx(tables), XLSX_TYPE, filename)


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


@router.get("/tickets.{kind}")
def export_tickets(request: Request, kind: str, login: CurrentLogin) -> Response:
    """The tickets the list page would show for the same query, without its 200-row cap."""
    if kind not in ("csv", "xlsx"):
        raise HTTPException(status_code=404)
    with session_scope(_settings(request).database_url) as session:
        found = visible_tickets(session, login.user, ticket_filter(request), limit=MAX_EXPORT)
        table = ticket_table(found)
    return _send([table], "tickets", kind)


@router.get("/rates.{kind}")
def export_rates(request: Request, kind: str, login: CurrentLogin) -> Response:
    """The 三率 by department (CSV), or with the weekly trend as a second sheet (Excel)."""
    if kind not in ("csv", "xlsx"):
        raise HTTPException(status_code=404)
    period = period_of(request)
    with session_scope(_settings(request).database_url) as session:
        tables = [
            rates_by_unit(session, login.user, period),
            rates_trend(session, login.user, period),
        ]
    return _send(tables, "rates", kind)


@router.get("/dashboard.xlsx")
def export_dashboard(request: Request, login: CurrentLogin) -> Response:
    """Every dashboard table, one sheet each."""
    with session_scope(_settings(request).database_url) as session:
        tables = dashboard_tables(session, login.user, period_of(request))
    return _send(tables, "dashboard", "xlsx")


@router.get("/dashboard/{name}.csv")
def export_dashboard_table(request: Request, name: str, login: CurrentLogin) -> Response:
    """One dashboard table as CSV."""
    with session_scope(_settings(request).database_url) as session:
        tables = dashboard_tables(session, login.user, period_of(request))
    chosen = [table for table in tables if table.name == name]
    if not chosen:
        raise HTTPException(status_code=404, detail="没有这张统计表。")
    return _send(chosen, name, "csv")


def _list_tables(request: Request, page: str, login: Login) -> list[Table]:
    listing = LISTS.get(page)
    if listing is None:
        raise HTTPException(status_code=404)
    if listing.needs is not None:
        ensure(login, listing.needs)
    return listing.tables(request, login)


@router.get("/{page}.{kind}")
def export_list(request: Request, page: str, kind: str, login: CurrentLogin) -> Response:
    """A console list (`LISTS`): its main table as CSV, or all its tables as one workbook.
    Declared after the fixed routes above, which take their own names first."""
    if kind not in ("csv", "xlsx"):
        raise HTTPException(status_code=404)
    return _send(_list_tables(request, page, login), page, kind)


@router.get("/{page}/{name}.csv")
def export_list_table(request: Request, page: str, name: str, login: CurrentLogin) -> Response:
    """One table of a console list as CSV, e.g. the alerts page's overdue count per grid."""
    chosen = [table for table in _list_tables(request, page, login) if table.name == name]
    if not chosen:
        raise HTTPException(status_code=404, detail="没有这张表。")
    return _send(chosen, name, "csv")
