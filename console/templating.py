"""Jinja2 templates shared by the console's routers (autoescaping on)."""

from __future__ import annotations

from pathlib import Path

from fastapi.templating import Jinja2Templates

from jiesu.handoff.service import actor_label


def minute(timestamp: str | None) -> str:
    """An ISO 8601 time as `2026-11-28 10:00`, or 无 for none."""
    return timestamp[:16].replace("T", " ") if timestamp else "无"


templates = Jinja2Templates(directory=Path(__file__).with_name("templates"))
templates.env.filters["minute"] = minute
templates.env.filters["actor"] = actor_label
