"""The checks the file schemas cannot express: duplicates, overlaps, missing entries."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from typing import Final

from jiesu.city.entries import Category, RoadSegment, located_grids
from jiesu.city.files import (
    AREAS_FILE,
    CATEGORIES_FILE,
    DEADLINES_FILE,
    DEPARTMENTS_FILE,
    AreasFile,
    CategoriesFile,
    DeadlinesFile,
    DepartmentsFile,
)
from jiesu.city.leads import unknown_categories
from jiesu.deadlines import ServiceTier

# The first-level categories of the national 12345 hotline practice. They are a
# standard rather than a city's choice: a city may add categories, not drop these.
REQUIRED_CATEGORIES: Final = (
    "城乡建设",
    "环境保护",
    "交通运输",
    "教育文体",
    "劳动和社会保障",
    "商贸旅游",
    "卫生计生",
    "农村农业",
    "政法",
    "民政",
    "党务政务",
    "经济管理",
    "纪检监察",
    "国土资源",
    "科技与信息产业",
)


def _duplicates(pairs: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    """The values that more than one owner uses, with their owners: (value, owner) pairs in."""
    owners: dict[str, list[str]] = defaultdict(list)
    for value, owner in pairs:
        owners[value].append(owner)
    return {value: found for value, found in owners.items() if len(found) > 1}


def check_categories(parsed: CategoriesFile) -> list[str]:
    """Duplicate names and missing required first-level categories."""
    problems = [
        f"{CATEGORIES_FILE}: category {name!r} is defined {len(found)} times"
        for name, found in _duplicates((c.name, c.name) for c in parsed.categories).items()
    ]
    for category in parsed.categories:
        subcategories = ((s.name, s.name) for s in category.subcategories)
        problems += [
            f"{CATEGORIES_FILE}: categories[{category.name}]: subcategory {name!r} "
            f"is defined {len(found)} times"
            for name, found in _duplicates(subcategories).items()
        ]
    names = {category.name for category in parsed.categories}
    missing = [name for name in REQUIRED_CATEGORIES if name not in names]
    if missing:
        problems.append(
            f"{CATEGORIES_FILE}: missing required first-level categories: {', '.join(missing)}"
        )
    return problems


def check_departments(parsed: DepartmentsFile) -> list[str]:
    """Duplicate ids and a dispatch centre other than exactly one."""
    departments = parsed.departments
    problems = [
        f"{DEPARTMENTS_FILE}: department id {value!r} is used {len(found)} times"
        for value, found in _duplicates((d.id, d.name) for d in departments).items()
    ]
    centers = [d.id for d in departments if d.dispatch_center]
    if len(centers) != 1:
        problems.append(
            f"{DEPARTMENTS_FILE}: exactly one department needs dispatch_center: true, "
            f"found {len(centers)}{': ' + ', '.join(centers) if centers else ''}"
        )
    return problems


def check_areas(parsed: AreasFile) -> list[str]:
    """Duplicate ids and names, and place names or road segments that locate two grids."""
    grids = list(located_grids(parsed.districts))
    streets = [street for district in parsed.districts for street in district.streets]
    communities = [community for street in streets for community in street.communities]
    problems: list[str] = []

    ids = [(d.id, f"district {d.name}") for d in parsed.districts]
    ids += [(s.id, f"street {s.name}") for s in streets]
    ids += [(c.id, f"community {c.name}") for c in communities]
    ids += [(g.grid.id, f"grid {g.grid.name}") for g in grids]
    problems += [
        f"{AREAS_FILE}: id {value!r} is used by {' and '.join(found)}"
        for value, found in _duplicates(ids).items()
    ]
    for level, names in (
        ("district", [(d.name, d.id) for d in parsed.districts]),
        ("street", [(s.name, s.id) for s in streets]),
        ("community", [(c.name, c.id) for c in communities]),
    ):
        problems += [
            f"{AREAS_FILE}: {level} name {value!r} is used by {' and '.join(found)}"
            for value, found in _duplicates(names).items()
        ]

    places = [(name, f"grid {g.grid.id}") for g in grids for name in g.grid.compounds]
    places += [(name, f"grid {g.grid.id}") for g in grids for name in g.grid.landmarks]
    problems += [
        f"{AREAS_FILE}: place name {value!r} locates more than one place: {' and '.join(found)}"
        for value, found in _duplicates(places).items()
    ]

    segments: dict[str, list[tuple[RoadSegment, str]]] = defaultdict(list)
    for located in grids:
        for segment in located.grid.roads:
            segments[segment.road].append((segment, located.grid.id))
    for road, found in segments.items():
        for index, (one, one_grid) in enumerate(found):
            for other, other_grid in found[index + 1 :]:
                if _overlap(one, other):
                    problems.append(
                        f"{AREAS_FILE}: road {road!r}: {one.text} (grid {one_grid}) overlaps "
                        f"{other.text} (grid {other_grid})"
                    )
    return problems


def _overlap(one: RoadSegment, other: RoadSegment) -> bool:
    if one.first is None or one.last is None or other.first is None or other.last is None:
        return True  # a whole road overlaps every segment of it
    return one.first <= other.last and other.first <= one.last


def check_deadlines(parsed: DeadlinesFile) -> list[str]:
    """Missing tiers, duplicate years, and holiday days outside their year or contradictory."""
    problems = [
        f"{DEADLINES_FILE}: service_levels: missing tier {tier.value!r}"
        for tier in ServiceTier
        if tier not in parsed.service_levels
    ]
    problems += [
        f"{DEADLINES_FILE}: holiday_calendar: year {year} is defined {len(found)} times"
        for year, found in _duplicates(
            (str(y.year), str(y.year)) for y in parsed.holiday_calendar
        ).items()
    ]
    days_off = {day for y in parsed.holiday_calendar for h in y.holidays for day in h.days_off()}
    for entry in parsed.holiday_calendar:
        # A year's schedule may start in the December before it (元旦, its make-up days).
        earliest = date(entry.year - 1, 12, 1)
        for holiday in entry.holidays:
            where = f"{DEADLINES_FILE}: holiday_calendar[{entry.year}].holidays[{holiday.name}]"
            problems += [
                f"{where}: {day} is outside {entry.year}"
                for day in (holiday.first, holiday.last, *holiday.make_up_working_days)
                if not earliest <= day <= date(entry.year, 12, 31)
            ]
            problems += [
                f"{where}: make-up working day {day} is also a day off"
                for day in holiday.make_up_working_days
                if day in days_off
            ]
    return problems


def check_utility_categories(parsed: DeadlinesFile, categories: Iterable[Category]) -> list[str]:
    """Utility categories of deadlines.yml that categories.yml does not define."""
    return [
        f"{DEADLINES_FILE}: utility_categories: unknown category {entry!r}"
        for entry in unknown_categories(parsed.utility_categories, categories)
    ]
