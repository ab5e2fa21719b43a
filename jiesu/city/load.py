"""Loading a city folder: read the four files, check them together, build the `City`."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from jiesu.city.checks import (
    check_areas,
    check_categories,
    check_deadlines,
    check_departments,
    check_utility_categories,
)
from jiesu.city.files import (
    AREAS_FILE,
    CATEGORIES_FILE,
    DEADLINES_FILE,
    DEPARTMENTS_FILE,
    AreasFile,
    CategoriesFile,
    DeadlinesFile,
    DepartmentsFile,
    parse_file,
)
from jiesu.city.leads import resolve_leads, split_category
from jiesu.city.model import City
from jiesu.config import get_settings
from jiesu.deadlines import DeadlineRules, ServiceLevel, TimeLimit, WorkCalendar


class CityConfigError(ValueError):
    """A city folder that cannot be used; each problem names its file and entry."""

    def __init__(self, folder: Path, problems: Iterable[str]) -> None:
        self.problems = tuple(problems)
        lines = "\n".join(f"  {problem}" for problem in self.problems)
        super().__init__(f"invalid city configuration in {folder}:\n{lines}")


def _deadline_rules(parsed: DeadlinesFile) -> DeadlineRules:
    levels = {
        tier: ServiceLevel(
            dispatch=TimeLimit(level.dispatch.amount, level.dispatch.unit),
            reply=TimeLimit(level.reply.amount, level.reply.unit),
        )
        for tier, level in parsed.service_levels.items()
    }
    holidays = [h for year in parsed.holiday_calendar for h in year.holidays]
    return DeadlineRules(
        service_levels=levels,
        utility_categories=frozenset(split_category(e) for e in parsed.utility_categories),
        calendar=WorkCalendar(
            years=frozenset(year.year for year in parsed.holiday_calendar),
            days_off=frozenset(day for h in holidays for day in h.days_off()),
            make_up_days=frozenset(day for h in holidays for day in h.make_up_working_days),
        ),
    )


def load_city(path: Path | None = None) -> City:
    """Load and validate the city folder `path` (default: the `city_dir` setting).

    Raises:
        CityConfigError: listing every problem found, each with its file and entry.
    """
    folder = path if path is not None else get_settings().city_dir
    problems: list[str] = []
    categories = parse_file(folder, CATEGORIES_FILE, CategoriesFile, problems)
    departments = parse_file(folder, DEPARTMENTS_FILE, DepartmentsFile, problems)
    areas = parse_file(folder, AREAS_FILE, AreasFile, problems)
    deadlines = parse_file(folder, DEADLINES_FILE, DeadlinesFile, problems)
    if categories is not None:
        problems += check_categories(categories)
    if departments is not None:
        problems += check_departments(departments)
    if categories is not None and departments is not None:
        problems += resolve_leads(categories.categories, departments.departments).problems
    if areas is not None:
        problems += check_areas(areas)
    if deadlines is not None:
        problems += check_deadlines(deadlines)
        if categories is not None:
            problems += check_utility_categories(deadlines, categories.categories)
    if problems or categories is None or departments is None or areas is None or deadlines is None:
        raise CityConfigError(folder, problems)
    return City(
        name=areas.city,
        categories=categories.categories,
        departments=departments.departments,
        districts=areas.districts,
        deadline_rules=_deadline_rules(deadlines),
    )


@lru_cache(maxsize=1)
def current_city() -> City:
    """The configured city, loaded and validated once per process."""
    return load_city()
