"""Ticket deadlines: pure arithmetic over service levels and a holiday calendar given as data.

Conventions, all in the city's local time zone (the `timezone` setting,
Asia/Shanghai by default):

- A limit in calendar hours runs around the clock, through nights, weekends and
  holidays: a ticket received at 03:00 with a one-hour limit is due at 04:00.
- A limit in working days follows the Civil Code's rule for periods counted in
  days (arts. 201 and 203): the day the ticket is received is not counted,
  whatever the hour; the count starts on the first working day after it and the
  period ends at 24:00 of its last working day. A ticket received on Friday
  evening, at the weekend or during a holiday therefore starts counting on the
  next working day, exactly like one received on Friday morning.
- Working days are Monday to Friday, except the official days off, plus the
  调休 make-up working days (weekend days declared working days).
- A due time is the instant the period ends, so 24:00 of the last day is
  returned as 00:00 of the next calendar day: a ticket is overdue when
  `now >= due_at`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

from jiesu.config import local_timezone


class TimeUnit(StrEnum):
    """How a time limit is counted."""

    CALENDAR_HOURS = "calendar_hours"
    WORKING_DAYS = "working_days"


class ServiceTier(StrEnum):
    """The service level a ticket falls under, in order of precedence."""

    EMERGENCY = "emergency"
    UTILITY = "utility"
    COMPLEX = "complex"
    ORDINARY = "ordinary"


class Urgency(StrEnum):
    """How urgent the resident's appeal is."""

    NORMAL = "normal"
    EMERGENCY = "emergency"


class CalendarError(ValueError):
    """A working-day count reached a year the holiday calendar does not cover."""


@dataclass(frozen=True)
class TimeLimit:
    """An amount of time and the unit it is counted in."""

    amount: int
    unit: TimeUnit


@dataclass(frozen=True)
class ServiceLevel:
    """Time to dispatch a ticket and time to reply to the resident."""

    dispatch: TimeLimit
    reply: TimeLimit


@dataclass(frozen=True)
class WorkCalendar:
    """The official days off and make-up working days of the years it covers."""

    years: frozenset[int]
    days_off: frozenset[date]
    make_up_days: frozenset[date]

    def is_working_day(self, day: date) -> bool:
        """Whether `day` is a working day.

        Raises:
            CalendarError: `day` is in a year the calendar does not cover.
        """
        if day.year not in self.years:
            covered = ", ".join(str(year) for year in sorted(self.years))
            raise CalendarError(
                f"no holiday calendar for {day.year} (covered: {covered}); "
                "add that year's official schedule to the city's deadlines.yml"
            )
        if day in self.make_up_days:
            return True
        return day.weekday() < 5 and day not in self.days_off


@dataclass(frozen=True)
class DeadlineRules:
    """Service level per tier, the categories with utility service, and the calendar.

    `utility_categories` holds (category, subcategory) pairs; a subcategory of
    None stands for the whole first-level category.
    """

    service_levels: Mapping[ServiceTier, ServiceLevel]
    utility_categories: frozenset[tuple[str, str | None]]
    calendar: WorkCalendar


@dataclass(frozen=True)
class Deadlines:
    """When a ticket must be dispatched and when the resident must have a reply."""

    dispatch_due_at: datetime
    reply_due_at: datetime


def _local(moment: datetime) -> datetime:
    """`moment` in the local time zone; naive datetimes are refused."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"timezone-aware datetime required, got naive {moment.isoformat()}")
    return moment.astimezone(local_timezone())


def add_hours(start: datetime, hours: int) -> datetime:
    """`start` plus `hours` calendar hours, in the local time zone."""
    _local(start)
    return (start.astimezone(UTC) + timedelta(hours=hours)).astimezone(local_timezone())


def add_working_days(start: datetime, days: int, calendar: WorkCalendar) -> datetime:
    """The end of the `days`-th working day after the day of `start` (see module docstring).

    Raises:
        ValueError: `start` is naive or `days` is less than one.
        CalendarError: the count reaches a year `calendar` does not cover.
    """
    if days < 1:
        raise ValueError(f"a working-day limit must be at least one day, got {days}")
    day = _local(start).date()
    counted = 0
    while counted < days:
        day += timedelta(days=1)
        if calendar.is_working_day(day):
            counted += 1
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=local_timezone())


def service_tier(
    *, urgency: str, category: str, subcategory: str | None, complex_: bool, rules: DeadlineRules
) -> ServiceTier:
    """The tier whose service level applies: emergency, then utility, then complex, else ordinary.

    Raises:
        ValueError: `urgency` is not one of `Urgency`.
    """
    if Urgency(urgency) is Urgency.EMERGENCY:
        return ServiceTier.EMERGENCY
    utilities = rules.utility_categories
    if (category, subcategory) in utilities or (category, None) in utilities:
        return ServiceTier.UTILITY
    return ServiceTier.COMPLEX if complex_ else ServiceTier.ORDINARY


def _due(start: datetime, limit: TimeLimit, calendar: WorkCalendar) -> datetime:
    if limit.unit is TimeUnit.CALENDAR_HOURS:
        return add_hours(start, limit.amount)
    return add_working_days(start, limit.amount, calendar)


def due_dates(
    *,
    received_at: datetime,
    urgency: str,
    category: str,
    subcategory: str | None,
    complex_: bool,
    rules: DeadlineRules,
) -> Deadlines:
    """The dispatch and reply deadlines of a ticket received at `received_at`.

    Both limits count from `received_at`, under the tier chosen by `service_tier`.

    Raises:
        ValueError: `received_at` is naive or `urgency` is unknown.
        CalendarError: a working-day count reaches a year the calendar does not cover.
    """
    tier = service_tier(
        urgency=urgency,
        category=category,
        subcategory=subcategory,
        complex_=complex_,
        rules=rules,
    )
    level = rules.service_levels[tier]
    return Deadlines(
        dispatch_due_at=_due(received_at, level.dispatch, rules.calendar),
        reply_due_at=_due(received_at, level.reply, rules.calendar),
    )
