"""Jinja2 templates shared by the console's routers (autoescaping on)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from fastapi.templating import Jinja2Templates

from jiesu.handoff.service import actor_label
from jiesu.labels import minute_text, month_day_text, stamp_text


def minute(moment: datetime | str | None) -> str:
    """A time (or its ISO 8601 text, as `jiesu.tickets.serialize` gives it) as
    `2026-11-28 10:00`, or 无 for none."""
    return minute_text(moment) if isinstance(moment, datetime) else stamp_text(moment)


templates = Jinja2Templates(directory=Path(__file__).with_name("templates"))
templates.env.filters["minute"] = minute
templates.env.filters["month_day"] = month_day_text
templates.env.filters["actor"] = actor_label
