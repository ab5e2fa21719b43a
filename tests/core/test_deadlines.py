"""Deadline arithmetic: named cases on the sample city's rules and 2026 calendar."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from jiesu.city import load_city
from jiesu.config import PROJECT_ROOT
from jiesu.deadlines import (
    CalendarError,
    DeadlineRules,
    WorkCalendar,
    add_hours,
    add_working_days,
    due_dates,
)

CHINA_TZ = ZoneInfo("Asia/Shanghai")


@pytest.fixture(scope="module")
def rules() -> DeadlineRules:
    return load_city(PROJECT_ROOT / "data" / "city").deadline_rules


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=CHINA_TZ)


def ordinary(received_at: datetime, rules: DeadlineRules) -> datetime:
    return due_dates(
        received_at=received_at,
        urgency="normal",
        category="民政",
        subcategory="养老服务",
        complex_=False,
        rules=rules,
    ).reply_due_at


def test_friday_evening_plus_seven_working_days(rules: DeadlineRules) -> None:
    # Counting starts on Monday 9 March; the 7th working day is Tuesday 17 March.
    deadlines = due_dates(
        received_at=local(2026, 3, 6, 19, 30),
        urgency="normal",
        category="城乡建设",
        subcategory="物业管理",
        complex_=False,
        rules=rules,
    )
    assert deadlines.dispatch_due_at == local(2026, 3, 7, 19, 30)
    assert deadlines.reply_due_at == local(2026, 3, 18)


def test_friday_morning_counts_from_monday_too(rules: DeadlineRules) -> None:
    # The day of receipt never counts, whatever the hour.
    assert ordinary(local(2026, 3, 6, 9, 0), rules) == local(2026, 3, 18)


def test_received_in_utc_is_counted_in_china_time(rules: DeadlineRules) -> None:
    # 11:30 UTC is 19:30 in Shanghai, the same Friday evening as above.
    due = ordinary(datetime(2026, 3, 6, 11, 30, tzinfo=UTC), rules)
    assert due == local(2026, 3, 18)
    assert due.tzinfo == CHINA_TZ


def test_across_the_national_day_holiday(rules: DeadlineRules) -> None:
    # 1-7 October are off; Saturday 10 October is a make-up working day:
    # 8, 9, 10, 12, 13, 14, 15 October.
    assert ordinary(local(2026, 9, 30, 10, 0), rules) == local(2026, 10, 16)


def test_a_make_up_saturday_counts_as_a_working_day(rules: DeadlineRules) -> None:
    calendar = rules.calendar
    assert calendar.is_working_day(date(2026, 2, 28))  # 调休 Saturday after Spring Festival
    assert not calendar.is_working_day(date(2026, 2, 16))  # Monday in the holiday
    assert not calendar.is_working_day(date(2026, 3, 7))  # ordinary Saturday
    received = local(2026, 2, 27, 15, 0)  # Friday
    assert add_working_days(received, 1, calendar) == local(2026, 3, 1)


def test_received_on_a_make_up_saturday_counts_from_the_next_working_day(
    rules: DeadlineRules,
) -> None:
    assert add_working_days(local(2026, 10, 10, 9, 0), 1, rules.calendar) == local(2026, 10, 13)


def test_emergency_at_three_in_the_morning_runs_in_calendar_hours(rules: DeadlineRules) -> None:
    deadlines = due_dates(
        received_at=local(2026, 10, 2, 3, 0),  # a holiday night
        urgency="emergency",
        category="城乡建设",
        subcategory="燃气供暖",  # emergency outranks the utility service level
        complex_=True,  # and the complex one
        rules=rules,
    )
    assert deadlines.dispatch_due_at == local(2026, 10, 2, 4, 0)
    assert deadlines.reply_due_at == local(2026, 10, 2, 5, 0)


@pytest.mark.parametrize("subcategory", ["供水", "供电", "燃气供暖"])
def test_water_power_gas_heating_two_hours_and_twenty_four_hours(
    rules: DeadlineRules, subcategory: str
) -> None:
    deadlines = due_dates(
        received_at=local(2026, 10, 3, 22, 0),  # Saturday night in the holiday
        urgency="normal",
        category="城乡建设",
        subcategory=subcategory,
        complex_=True,  # utility service outranks the complex one
        rules=rules,
    )
    assert deadlines.dispatch_due_at == local(2026, 10, 4, 0, 0)
    assert deadlines.reply_due_at == local(2026, 10, 4, 22, 0)


def test_complex_fifteen_working_days(rules: DeadlineRules) -> None:
    # 1-5 May are off, Saturday 9 May is a make-up day: the 15th working day is 25 May.
    deadlines = due_dates(
        received_at=local(2026, 4, 30, 16, 0),
        urgency="normal",
        category="国土资源",
        subcategory="土地征收",
        complex_=True,
        rules=rules,
    )
    assert deadlines.dispatch_due_at == local(2026, 5, 1, 16, 0)
    assert deadlines.reply_due_at == local(2026, 5, 26)


def test_a_count_beyond_the_calendar_is_refused(rules: DeadlineRules) -> None:
    with pytest.raises(CalendarError, match="no holiday calendar for 2028"):
        ordinary(local(2027, 12, 28, 10, 0), rules)


def test_naive_datetimes_and_unknown_urgencies_are_refused(rules: DeadlineRules) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        ordinary(datetime(2026, 3, 6, 19, 30), rules)
    with pytest.raises(ValueError, match="timezone-aware"):
        add_hours(datetime(2026, 3, 6, 19, 30), 1)
    with pytest.raises(ValueError, match="urgent"):
        due_dates(
            received_at=local(2026, 3, 6, 9, 0),
            urgency="urgent",
            category="民政",
            subcategory=None,
            complex_=False,
            rules=rules,
        )


def test_working_days_on_a_calendar_given_as_data() -> None:
    calendar = WorkCalendar(
        years=frozenset({2030}),
        days_off=frozenset({date(2030, 1, 7)}),  # a Monday off
        make_up_days=frozenset({date(2030, 1, 12)}),  # a Saturday on
    )
    friday = local(2030, 1, 4, 23, 59)
    # Tue 8, Wed 9, Thu 10, Fri 11, Sat 12 (make-up), Mon 14.
    assert add_working_days(friday, 6, calendar) == local(2030, 1, 15)
    with pytest.raises(ValueError, match="at least one day"):
        add_working_days(friday, 0, calendar)
