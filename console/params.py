"""Reading query and form parameters the console pages share."""

from __future__ import annotations

from collections.abc import Collection


def day_window(value: str | None, choices: Collection[int], default: int) -> int:
    """The number of days `value` asks for, if it is one of `choices`; else `default`."""
    try:
        days = int(value or default)
    except ValueError:
        return default
    return days if days in choices else default
