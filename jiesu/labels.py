"""How staff and residents read the things the app names: times, departments, grids, statuses.

One home for display: every layer formats a time, a department or a grid through
these functions, so no package imports another's display helpers (which tied
tickets to appeals and the closed loop to monitoring). Staff-facing words are in
`labels.yml`, beside `vocabulary.yml` (what residents read).

Times, all in the city's local time zone (`local_timezone`):

- `minute_text`: lists, exports, audit trails: `2026-11-28 10:00` (empty for none);
  `stamp_text` is the same for an ISO 8601 time from `jiesu.tickets.serialize`, 无 for none;
- `date_text`: a day: `2026-11-28`;
- `month_day_text`: a short span of days: `11-28`;
- `moment_text`: what residents read: `12月1日（周二）18:00`;
- `duration_text`: how long something took: `1小时5分`, `3分20秒`.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, Final

import yaml

from jiesu.city import current_city
from jiesu.config import local_timezone

_PATH = Path(__file__).with_name("labels.yml")
_WEEKDAYS: Final = "一二三四五六日"


@lru_cache(maxsize=1)
def _labels() -> dict[str, Any]:
    with _PATH.open(encoding="utf-8") as handle:
        loaded: dict[str, Any] = yaml.safe_load(handle)
    return loaded


def label(*path: str) -> str:
    """The staff-facing label at `path` in `labels.yml` (e.g. "statuses", "received")."""
    node: Any = _labels()
    for key in path:
        node = node[key]
    if not isinstance(node, str):
        raise KeyError(f"label {'.'.join(path)} is not a text")
    return node


def labels(*path: str) -> dict[str, str]:
    """The labels under `path` in `labels.yml`, by key."""
    node: Any = _labels()
    for key in path:
        node = node[key]
    if not isinstance(node, dict):
        raise KeyError(f"label {'.'.join(path)} is not a group of labels")
    return {str(key): str(value) for key, value in node.items()}


def local_time(moment: datetime) -> datetime:
    """`moment` in the city's local time zone."""
    return moment.astimezone(local_timezone())


def minute_text(moment: datetime | None) -> str:
    """`moment` to the minute, as lists and exports show it: `2026-11-28 10:00`; empty
    for none."""
    return f"{local_time(moment):%Y-%m-%d %H:%M}" if moment is not None else ""


def stamp_text(timestamp: str | None) -> str:
    """An ISO 8601 time (`jiesu.tickets.serialize.timestamp`) as `minute_text` shows it;
    无 for none."""
    return minute_text(datetime.fromisoformat(timestamp)) if timestamp else label("no_time")


def _day(moment: date) -> date:
    return local_time(moment) if isinstance(moment, datetime) else moment


def date_text(moment: date) -> str:
    """The (local) day of `moment`: `2026-11-28`."""
    return f"{_day(moment):%Y-%m-%d}"


def month_day_text(moment: date) -> str:
    """The (local) day of `moment` without the year, for short spans: `11-28`."""
    return f"{_day(moment):%m-%d}"


def moment_text(moment: datetime) -> str:
    """A moment as residents read it: "12月1日（周二）18:00".

    Midnight is the end of the day before ("12月8日（周二）24:00"), as deadlines
    counted in working days end then.
    """
    local = local_time(moment)
    clock = f"{local:%H:%M}"
    if clock == "00:00":
        local, clock = local - timedelta(days=1), "24:00"
    return f"{local.month}月{local.day}日（周{_WEEKDAYS[local.weekday()]}）{clock}"


def duration_text(seconds: int | None) -> str:
    """A duration as staff read it (`1小时5分`, `3分20秒`, `45秒`); — for none."""
    if seconds is None:
        return "—"
    minutes, secs = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours}小时{minutes}分"
    return f"{minutes}分{secs}秒" if minutes else f"{secs}秒"


def department_name(department_id: str | None) -> str:
    """The name of a department stored on a ticket or an account. None (no department
    yet) is the city's dispatch centre, which dispatches such tickets; a department the
    city files no longer list keeps its id."""
    city = current_city()
    if department_id is None:
        return city.dispatch_center.name
    try:
        return city.department(department_id).name
    except KeyError:
        return department_id


def category_label(category: str | None, subcategory: str | None = None) -> str:
    """A ticket's category as staff read it: `分类/子分类`; 未分类 for none."""
    return "/".join(part for part in (category, subcategory) if part) or label("no_category")


def grid_label(grid_id: str | None) -> str:
    """How staff pages and exports name a grid: `街道·网格`; 未定位 for none; the id when
    the city lists no such grid."""
    if grid_id is None:
        return label("no_grid")
    try:
        located = current_city().grid(grid_id)
    except KeyError:
        return grid_id
    return f"{located.street.name}·{located.grid.name}"
