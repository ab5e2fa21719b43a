"""The console's time filters are the labels' time family (jiesu.labels), for a time or
its serialized text alike."""

from __future__ import annotations

from datetime import UTC, datetime

from console.templating import templates
from jiesu.tickets.serialize import timestamp

MOMENT = datetime(2026, 11, 28, 17, 30, tzinfo=UTC)  # 11-29 01:30 in Shanghai


def test_minute_and_month_day_filters() -> None:
    page = templates.env.from_string(
        "{{ at | minute }}|{{ text | minute }}|{{ none | minute }}|{{ at | month_day }}"
    )
    shown = page.render(at=MOMENT, text=timestamp(MOMENT), none=None)
    assert shown == "2026-11-29 01:30|2026-11-29 01:30|无|11-29"
