"""Dashboard figures (统计督办): ticket volume by day, category, grid and appeal type,
overdue tickets by department, and the 三率 (response, solve, satisfaction rates).

Ticket figures are counted in the database over the tickets the staff member may
see (`jiesu.tickets.service.select_tickets` within `jiesu.staff.queries.scope`); the
三率 come from `jiesu.loop.rates`, narrowed to the member's department or grids the
same way.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Final

from sqlalchemy import Select, case, func
from sqlalchemy.orm import InstrumentedAttribute, Session

from jiesu.config import local_timezone
from jiesu.labels import category_label, department_name, grid_label, month_day_text
from jiesu.loop.rates import Rates, rates_by
from jiesu.models import utcnow
from jiesu.staff.models import StaffUser
from jiesu.staff.permissions import Scope, scope_of
from jiesu.staff.queries import scope
from jiesu.tables import Cell, Table
from jiesu.tickets.models import AppealType, Ticket
from jiesu.tickets.service import TicketFilter, select_tickets
from jiesu.vocabulary import intent_label

DEFAULT_DAYS: Final = 30
# The longest period a dashboard covers, so a typo in a year cannot scan decades.
MAX_DAYS: Final = 366
TOP_DEPARTMENTS: Final = 10


@dataclass(frozen=True)
class Period:
    """Local calendar days from `start` to `end`, both included."""

    start: date
    end: date

    @classmethod
    def parse(
        cls,
        start: str | None,
        end: str | None,
        *,
        today: date | None = None,
        days: int = DEFAULT_DAYS,
    ) -> Period:
        """The period of the `from`/`to` query values (ISO dates); a missing or bad end
        is today, a missing or bad start `days` before the end. Swapped dates are
        put in order and the span is capped at MAX_DAYS."""
        last = _date(end) or today or datetime.now(local_timezone()).date()
        first = _date(start) or last - timedelta(days=days - 1)
        first, last = min(first, last), max(first, last)
        first = max(first, last - timedelta(days=MAX_DAYS - 1))
        return cls(first, last)

    def bounds(self) -> tuple[datetime, datetime]:
        """Local midnight at the start, and local midnight after the last day."""
        zone = local_timezone()
        return (
            datetime.combine(self.start, time(), tzinfo=zone),
            datetime.combine(self.end + timedelta(days=1), time(), tzinfo=zone),
        )

    def days(self) -> list[date]:
        """Every day of the period, in order."""
        return [self.start + timedelta(days=n) for n in range((self.end - self.start).days + 1)]

    def weeks(self) -> list[Period]:
        """Consecutive 7-day periods from the start; the last may be shorter."""
        days = self.days()
        chunks = (days[i : i + 7] for i in range(0, len(days), 7))
        return [Period(chunk[0], chunk[-1]) for chunk in chunks]

    @property
    def label(self) -> str:
        """`MM-DD至MM-DD`, the week labels of the 三率 trend."""
        return f"{self.start:%m-%d}至{self.end:%m-%d}"


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


@dataclass(frozen=True)
class DepartmentLoad:
    """Overdue, still-open and all tickets of one department in the period."""

    department: str
    overdue: int
    total: int


@dataclass(frozen=True)
class TicketStats:
    """Ticket counts for one staff member and period; each list is (label, count)."""

    period: Period
    total: int
    by_day: list[tuple[str, int]]
    by_category: list[tuple[str, int]]
    by_grid: list[tuple[str, int]]
    by_appeal_type: list[tuple[str, int]]
    overdue_by_department: list[DepartmentLoad]


def _ranked(counts: Counter[str]) -> list[tuple[str, int]]:
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def _counts(
    session: Session, chosen: Select[Ticket], key: InstrumentedAttribute[Any]
) -> dict[Any, int]:
    """How many of the `chosen` tickets have each value of `key`, counted in SQL."""
    grouped = chosen.with_only_columns(key, func.count()).group_by(key).order_by(None)
    return {value: count for value, count in session.execute(grouped).all()}


def _labelled(counts: dict[Any, int], label: Callable[[Any], str]) -> Counter[str]:
    """`counts` under the labels staff read (two values may share one, e.g. none and 未分类)."""
    named: Counter[str] = Counter()
    for value, count in counts.items():
        named[label(value)] += count
    return named


def ticket_stats(
    session: Session, user: StaffUser, period: Period, now: datetime | None = None
) -> TicketStats:
    """The dashboard's counts over the tickets `user` may see that were filed in `period`."""
    moment = now or utcnow()
    wanted = TicketFilter(created_from=period.start, created_to=period.end)
    chosen = select_tickets(wanted, scope=scope(user), now=moment)
    zone = local_timezone()
    # Local days are counted here, not in SQL: time zones are not portable between dialects.
    per_day = Counter(
        created.astimezone(zone).date()
        for created in session.scalars(chosen.with_only_columns(Ticket.created_at))
    )
    types = _counts(session, chosen, Ticket.appeal_type)
    overdue_sum = func.sum(case((Ticket.is_overdue(moment), 1), else_=0))
    by_department = (
        chosen.with_only_columns(Ticket.department, func.count(), overdue_sum)
        .group_by(Ticket.department)
        .order_by(None)
    )
    totals: Counter[str] = Counter()
    overdue: Counter[str] = Counter()
    for department, total, late in session.execute(by_department).all():
        totals[department_name(department)] += total
        overdue[department_name(department)] += late or 0
    loads = [DepartmentLoad(name, overdue[name], totals[name]) for name in overdue if overdue[name]]
    loads.sort(key=lambda d: (-d.overdue, -d.total, d.department))
    return TicketStats(
        period=period,
        total=sum(totals.values()),
        by_day=[(month_day_text(day), per_day[day]) for day in period.days()],
        by_category=_ranked(_labelled(_counts(session, chosen, Ticket.category), category_label)),
        by_grid=_ranked(_labelled(_counts(session, chosen, Ticket.grid), grid_label)),
        by_appeal_type=[(intent_label(a.value), types[a]) for a in AppealType if types.get(a)],
        overdue_by_department=loads[:TOP_DEPARTMENTS],
    )


def stats_tables(stats: TicketStats) -> list[Table]:
    """The ticket counts as the dashboard's tables (and its export sheets)."""
    return [
        Table("by_day", "每日受理量", ("日期", "工单数"), tuple(stats.by_day)),
        Table("by_category", "按分类", ("分类", "工单数"), tuple(stats.by_category)),
        Table("by_grid", "按网格", ("网格", "工单数"), tuple(stats.by_grid)),
        Table("by_appeal_type", "按诉求类型", ("诉求类型", "工单数"), tuple(stats.by_appeal_type)),
        Table(
            "overdue_by_department",
            "超期工单最多的承办单位",
            ("承办单位", "超期", "工单数"),
            tuple((d.department, d.overdue, d.total) for d in stats.overdue_by_department),
        ),
    ]


# The 三率: jiesu.loop.rates groups by department or grid but knows nothing of users.


def _rates_scope(user: StaffUser) -> tuple[str | None, frozenset[str] | None]:
    """The `rates_by` grouping and the keys `user` may see (None: everything), by the
    same role rules as the ticket lists."""
    sees = scope_of(user)
    if sees is Scope.ALL:
        return None, None
    if sees is Scope.GRIDS:
        return "grid", frozenset(user.grids)
    return "department", frozenset({user.department} if user.department else ())


def _percent(rate: float | None) -> float | None:
    return None if rate is None else round(100 * rate, 1)


def _scope_label(group: str | None, key: str) -> str:
    if group == "grid":
        return grid_label(key)
    if group == "department":
        return department_name(key)
    return key


def _rates_row(label: str, rates: Rates) -> tuple[Cell, ...]:
    return (
        label,
        rates.due,
        rates.responded,
        rates.surveyed,
        rates.solved,
        rates.satisfied,
        rates.no_response,
        _percent(rates.response_rate),
        _percent(rates.solve_rate),
        _percent(rates.satisfaction_rate),
    )


RATES_HEADERS: Final = (
    "应响应",
    "已响应",
    "已回访",
    "已解决",
    "满意",
    "回访未应答",
    "响应率(%)",
    "解决率(%)",
    "满意率(%)",
)


def _visible_rates(
    session: Session, user: StaffUser, period: Period, group: str | None
) -> list[tuple[str, Rates]]:
    """`rates_by` over `period` for `group`, keeping only what `user` may see, as
    (label, rates) in label order."""
    scope_group, keys = _rates_scope(user)
    start, end = period.bounds()
    if keys is not None:
        group = scope_group
    found = rates_by(session, start=start, end=end, group=group)
    visible = [
        (_scope_label(group, key), rates)
        for key, rates in found.items()
        if keys is None or key in keys
    ]
    return sorted(visible, key=lambda pair: pair[0])


def rates_trend(session: Session, user: StaffUser, period: Period) -> Table:
    """The 三率 week by week: one row per week (and per department or grid the user
    is limited to)."""
    rows = tuple(
        (week.label, *_rates_row(label, rates))
        for week in period.weeks()
        for label, rates in _visible_rates(session, user, week, None)
    )
    return Table("rates_trend", "三率周趋势", ("周", "范围", *RATES_HEADERS), rows)


def rates_by_unit(session: Session, user: StaffUser, period: Period) -> Table:
    """The 三率 over the whole period, one row per department (per grid for grid workers)."""
    scope_group, _ = _rates_scope(user)
    unit = "网格" if scope_group == "grid" else "承办单位"
    rows = tuple(
        _rates_row(label, rates)
        for label, rates in _visible_rates(session, user, period, "department")
    )
    return Table("rates_by_department", f"三率（按{unit}）", (unit, *RATES_HEADERS), rows)


def dashboard_tables(
    session: Session, user: StaffUser, period: Period, now: datetime | None = None
) -> list[Table]:
    """Every table of the dashboard for `user` over `period`, in page order."""
    stats = ticket_stats(session, user, period, now)
    return [
        *stats_tables(stats),
        rates_trend(session, user, period),
        rates_by_unit(session, user, period),
    ]
