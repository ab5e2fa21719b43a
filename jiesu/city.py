"""The city's own configuration: categories, departments, areas with grids, deadlines.

A city describes itself in four YAML files in one folder (`data/city/` ships a
fictional sample; `JIESU_CITY_DIR` selects another). `load_city` reads and
validates the whole folder and returns a `City` with the lookups routing and
dispatch need. It reports every problem at once, each naming its file and entry.

Lead departments: a department's `handles` lists first-level categories
(`环境保护`) or single subcategories (`城乡建设/供水`). A subcategory entry takes
precedence over a first-level one, so each subcategory resolves to exactly one
lead department; zero or two at the same level is an error.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Any, Final, TypeVar

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)
from pydantic_core import ErrorDetails

from jiesu.config import get_settings
from jiesu.deadlines import (
    DeadlineRules,
    ServiceLevel,
    ServiceTier,
    TimeLimit,
    TimeUnit,
    WorkCalendar,
)

# The first-level categories of the national 12345 hotline practice. They are a
# standard rather than a city's choice: a city may add categories, not drop these.
REQUIRED_CATEGORIES: Final = (
    "城乡建设", "环境保护", "交通运输", "教育文体", "劳动和社会保障",
    "商贸旅游", "卫生计生", "农村农业", "政法", "民政",
    "党务政务", "经济管理", "纪检监察", "国土资源", "科技与信息产业",
)  # fmt: skip

CATEGORIES_FILE: Final = "categories.yml"
DEPARTMENTS_FILE: Final = "departments.yml"
AREAS_FILE: Final = "areas.yml"
DEADLINES_FILE: Final = "deadlines.yml"

# Rasa treats any YAML file under data/ with a line starting with one of these
# keys as training data (rasa.shared.utils.io.is_key_in_yaml), nested or not.
_RASA_KEYS: Final = ("nlu:", "responses:", "stories:", "rules:")

# A road, optionally with a house-number range: 人民路 or 人民路1-99号.
_ROAD = re.compile(r"(?P<road>\D+?)(?:(?P<first>\d+)-(?P<last>\d+)号)?")

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$")]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
CategoryName = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[^/\s]+$")]


class CityConfigError(ValueError):
    """A city folder that cannot be used; each problem names its file and entry."""

    def __init__(self, folder: Path, problems: Iterable[str]) -> None:
        self.problems = tuple(problems)
        lines = "\n".join(f"  {problem}" for problem in self.problems)
        super().__init__(f"invalid city configuration in {folder}:\n{lines}")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# categories.yml


class Subcategory(_Model):
    """A second-level category and the words residents use for it."""

    name: CategoryName
    keywords: tuple[Name, ...] = Field(min_length=1)


class Category(_Model):
    """A first-level category."""

    name: CategoryName
    subcategories: tuple[Subcategory, ...] = Field(min_length=1)


class _CategoriesFile(_Model):
    categories: tuple[Category, ...]


# departments.yml


class Department(_Model):
    """A department and the categories it leads; one is the dispatch centre (12345)."""

    id: Slug
    name: Name
    dispatch_center: bool = False
    handles: tuple[Name, ...] = ()


class _DepartmentsFile(_Model):
    departments: tuple[Department, ...]


# areas.yml


@dataclass(frozen=True)
class RoadSegment:
    """A road, or the house numbers `first`-`last` of it, as written in `text`."""

    text: str
    road: str
    first: int | None = None
    last: int | None = None

    def covers(self, number: int) -> bool:
        """Whether house `number` of the road is in this segment."""
        return self.first is None or self.last is None or self.first <= number <= self.last


def _parse_road(value: object) -> RoadSegment:
    text = value.strip() if isinstance(value, str) else ""
    match = _ROAD.fullmatch(text)
    if match is None:
        raise ValueError(
            f"road {value!r}: expected a road name, optionally followed by a "
            "house-number range 'N-M号'"
        )
    if match["first"] is None:
        return RoadSegment(text=text, road=match["road"])
    first, last = int(match["first"]), int(match["last"])
    if not 1 <= first <= last:
        raise ValueError(f"road {value!r}: the house-number range is empty or starts below 1")
    return RoadSegment(text=text, road=match["road"], first=first, last=last)


Road = Annotated[RoadSegment, BeforeValidator(_parse_road)]


class Worker(_Model):
    """A grid worker (网格员) or a street's dispatcher."""

    id: Slug
    name: Name


class Grid(_Model):
    """A grid (网格), its worker, and the place names that locate an address in it."""

    id: Slug
    name: Name
    worker: Worker
    roads: tuple[Road, ...] = ()
    compounds: tuple[Name, ...] = ()
    landmarks: tuple[Name, ...] = ()

    @model_validator(mode="after")
    def _has_places(self) -> Grid:
        if not (self.roads or self.compounds or self.landmarks):
            raise ValueError("a grid needs roads, compounds or landmarks to locate addresses")
        return self

    @property
    def locating_names(self) -> tuple[str, ...]:
        """Every name that locates an address in this grid, roads as written."""
        return (*(road.text for road in self.roads), *self.compounds, *self.landmarks)


class Community(_Model):
    """A community (社区) or village (村)."""

    id: Slug
    name: Name
    grids: tuple[Grid, ...] = Field(min_length=1)


class Street(_Model):
    """A street (街道) or town (镇), with the dispatcher for addresses known only this far."""

    id: Slug
    name: Name
    dispatcher: Worker
    communities: tuple[Community, ...] = Field(min_length=1)


class District(_Model):
    """A district (区)."""

    id: Slug
    name: Name
    streets: tuple[Street, ...] = Field(min_length=1)


class _AreasFile(_Model):
    city: Name
    districts: tuple[District, ...] = Field(min_length=1)


@dataclass(frozen=True)
class LocatedGrid:
    """A grid with the community, street and district it lies in."""

    district: District
    street: Street
    community: Community
    grid: Grid


def _located_grids(districts: Iterable[District]) -> Iterator[LocatedGrid]:
    for district in districts:
        for street in district.streets:
            for community in street.communities:
                for grid in community.grids:
                    yield LocatedGrid(district, street, community, grid)


# deadlines.yml


class _TimeLimit(_Model):
    amount: int = Field(gt=0)
    unit: TimeUnit


class _ServiceLevel(_Model):
    dispatch: _TimeLimit
    reply: _TimeLimit


class _Holiday(_Model):
    name: Name
    first: date
    last: date
    make_up_working_days: tuple[date, ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> _Holiday:
        if self.last < self.first:
            raise ValueError(f"last day {self.last} is before first day {self.first}")
        for day in self.make_up_working_days:
            if day.weekday() < 5:
                raise ValueError(
                    f"make-up working day {day} is a {day:%A}; only a Saturday or "
                    "Sunday can be declared a working day"
                )
        return self

    def days_off(self) -> Iterator[date]:
        day = self.first
        while day <= self.last:
            yield day
            day += timedelta(days=1)


class _HolidayYear(_Model):
    year: int
    official: bool
    source: Name
    holidays: tuple[_Holiday, ...]


class _DeadlinesFile(_Model):
    service_levels: dict[ServiceTier, _ServiceLevel]
    utility_categories: tuple[Name, ...] = ()
    holiday_calendar: tuple[_HolidayYear, ...] = Field(min_length=1)


# Loading


class _Loader(yaml.SafeLoader):
    """A safe loader that leaves dates as text, so that pydantic reports malformed ones."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}

_M = TypeVar("_M", bound=BaseModel)


def _label(item: object) -> str | None:
    if isinstance(item, dict):
        for key in ("id", "name", "year"):
            if isinstance(item.get(key), str | int):
                return str(item[key])
    return None


def _where(raw: object, loc: tuple[int | str, ...]) -> str:
    """A pydantic error location with list items named by their id, name or year."""
    path = ""
    node: object = raw
    for key in loc:
        if isinstance(key, int) and isinstance(node, list) and key < len(node):
            node = node[key]
            path += f"[{_label(node) or key}]"
        else:
            node = node.get(key) if isinstance(node, dict) else None
            path += f".{key}" if path else str(key)
    return path


def _message(error: ErrorDetails) -> str:
    if error["type"] == "value_error":
        return str(error.get("ctx", {}).get("error", error["msg"]))
    value = error["input"]
    if isinstance(value, str | int | float | bool | date):
        return f"{error['msg']} (got {value!r})"
    return error["msg"]


def _parse(folder: Path, filename: str, model: type[_M], problems: list[str]) -> _M | None:
    """Read and validate one file; add its problems to `problems`."""
    try:
        text = (folder / filename).read_text(encoding="utf-8")
    except FileNotFoundError:
        problems.append(f"{filename}: file not found")
        return None
    except UnicodeDecodeError:
        problems.append(f"{filename}: not UTF-8 text")
        return None
    for number, line in enumerate(text.splitlines(), start=1):
        if line.lstrip().startswith(_RASA_KEYS):
            problems.append(
                f"{filename}: line {number} starts with {line.strip().split(':')[0] + ':'!r}, "
                "so Rasa would read this file as training data"
            )
    try:
        raw: Any = yaml.load(text, Loader=_Loader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problems.append(f"{filename}: not valid YAML: {where}{error.problem}")
        return None
    except yaml.YAMLError as error:
        problems.append(f"{filename}: not valid YAML: {error}")
        return None
    if not isinstance(raw, dict):
        problems.append(f"{filename}: expected a mapping at the top level")
        return None
    try:
        return model.model_validate(raw)
    except ValidationError as error:
        details = error.errors()
        for detail in details:
            if detail["type"] == "too_short" and any(
                other["loc"][: len(detail["loc"])] == detail["loc"] and other is not detail
                for other in details
            ):
                continue  # a list emptied by its items' own errors, reported already
            where = _where(raw, detail["loc"])
            problems.append(f"{filename}: {where + ': ' if where else ''}{_message(detail)}")
        return None


def _duplicates(pairs: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    """The values that more than one owner uses, with their owners: (value, owner) pairs in."""
    owners: dict[str, list[str]] = defaultdict(list)
    for value, owner in pairs:
        owners[value].append(owner)
    return {value: found for value, found in owners.items() if len(found) > 1}


def _check_categories(parsed: _CategoriesFile) -> list[str]:
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


def _check_departments(parsed: _DepartmentsFile) -> list[str]:
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


def _check_areas(parsed: _AreasFile) -> list[str]:
    grids = list(_located_grids(parsed.districts))
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


def _check_deadlines(parsed: _DeadlinesFile) -> list[str]:
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


def _split_category(entry: str) -> tuple[str, str | None]:
    first, separator, second = entry.partition("/")
    return (first, second) if separator else (first, None)


def _unknown_categories(entries: Iterable[str], categories: Iterable[Category]) -> list[str]:
    tree = {category.name: {s.name for s in category.subcategories} for category in categories}
    unknown = []
    for entry in entries:
        first, second = _split_category(entry)
        if first not in tree or (second is not None and second not in tree[first]):
            unknown.append(entry)
    return unknown


@dataclass
class _Leads:
    by_subcategory: dict[tuple[str, str], Department] = field(default_factory=dict)
    by_category: dict[str, Department] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def _resolve_leads(categories: Iterable[Category], departments: Iterable[Department]) -> _Leads:
    """Each subcategory's lead department (see the module docstring), with the problems found."""
    categories = tuple(categories)
    leads = _Leads()
    first_claims: dict[str, list[Department]] = defaultdict(list)
    second_claims: dict[tuple[str, str], list[Department]] = defaultdict(list)
    for department in departments:
        for entry in _unknown_categories(department.handles, categories):
            leads.problems.append(
                f"{DEPARTMENTS_FILE}: departments[{department.id}].handles: "
                f"unknown category {entry!r}"
            )
        for entry in department.handles:
            first, second = _split_category(entry)
            claims = first_claims[first] if second is None else second_claims[(first, second)]
            if department not in claims:
                claims.append(department)

    def conflict(name: str, claims: list[Department]) -> str:
        ids = ", ".join(d.id for d in claims)
        return f"{DEPARTMENTS_FILE}: category {name!r} has {len(claims)} lead departments: {ids}"

    for category in categories:
        claims = first_claims.get(category.name, [])
        if len(claims) > 1:
            leads.problems.append(conflict(category.name, claims))
        elif claims:
            leads.by_category[category.name] = claims[0]
        for sub in category.subcategories:
            name = f"{category.name}/{sub.name}"
            sub_claims = second_claims.get((category.name, sub.name))
            if sub_claims and len(sub_claims) > 1:
                leads.problems.append(conflict(name, sub_claims))
            elif sub_claims or len(claims) == 1:
                leads.by_subcategory[(category.name, sub.name)] = (sub_claims or claims)[0]
            elif not claims:
                leads.problems.append(f"{DEPARTMENTS_FILE}: no lead department for {name!r}")
    return leads


def _deadline_rules(parsed: _DeadlinesFile) -> DeadlineRules:
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
        utility_categories=frozenset(_split_category(e) for e in parsed.utility_categories),
        calendar=WorkCalendar(
            years=frozenset(year.year for year in parsed.holiday_calendar),
            days_off=frozenset(day for h in holidays for day in h.days_off()),
            make_up_days=frozenset(day for h in holidays for day in h.make_up_working_days),
        ),
    )


class City:
    """A validated city configuration, with the lookups routing and dispatch need."""

    def __init__(
        self,
        *,
        name: str,
        categories: tuple[Category, ...],
        departments: tuple[Department, ...],
        districts: tuple[District, ...],
        deadline_rules: DeadlineRules,
    ) -> None:
        self.name = name
        self.categories = categories
        self.departments = departments
        self.districts = districts
        self.deadline_rules = deadline_rules
        self.grids = tuple(_located_grids(districts))
        self.dispatch_center = next(d for d in departments if d.dispatch_center)
        self._leads = _resolve_leads(categories, departments)
        self._categories = {category.name: category for category in categories}
        self._departments = {department.id: department for department in departments}
        self._grids = {located.grid.id: located for located in self.grids}
        self._places = {
            name: located
            for located in self.grids
            for name in (*located.grid.compounds, *located.grid.landmarks)
        }
        self._roads: dict[str, list[tuple[RoadSegment, LocatedGrid]]] = defaultdict(list)
        for located in self.grids:
            for segment in located.grid.roads:
                self._roads[segment.road].append((segment, located))
        streets = [street for district in districts for street in district.streets]
        self._streets = {key: s for s in streets for key in (s.id, s.name)}

    def category(self, name: str) -> Category:
        """The first-level category `name`; KeyError if there is none."""
        try:
            return self._categories[name]
        except KeyError:
            raise KeyError(f"unknown category {name!r}") from None

    def department(self, department_id: str) -> Department:
        """The department with id `department_id`; KeyError if there is none."""
        try:
            return self._departments[department_id]
        except KeyError:
            raise KeyError(f"unknown department {department_id!r}") from None

    def department_for(self, category: str, subcategory: str | None = None) -> Department:
        """The lead department of a subcategory, or of a whole first-level category.

        Without a subcategory, the department leading the whole first level is
        returned, or the dispatch centre when several departments share it.
        Raises KeyError for an unknown category or subcategory.
        """
        self.category(category)
        if subcategory is None:
            return self._leads.by_category.get(category, self.dispatch_center)
        try:
            return self._leads.by_subcategory[(category, subcategory)]
        except KeyError:
            raise KeyError(f"unknown subcategory {category}/{subcategory}") from None

    def grid(self, grid_id: str) -> LocatedGrid:
        """The grid with id `grid_id`; KeyError if there is none."""
        try:
            return self._grids[grid_id]
        except KeyError:
            raise KeyError(f"unknown grid {grid_id!r}") from None

    def grid_for_place(self, name: str) -> LocatedGrid | None:
        """The grid of a residential compound or landmark named exactly `name`."""
        return self._places.get(name)

    def grid_for_road(self, road: str, number: int | None = None) -> LocatedGrid | None:
        """The grid of house `number` on `road`.

        Without a number, the grid is known only when the whole road lies in one.
        """
        segments = self._roads.get(road, [])
        if number is None:
            return segments[0][1] if len(segments) == 1 else None
        return next((grid for segment, grid in segments if segment.covers(number)), None)

    def street(self, key: str) -> Street:
        """The street or town whose id or name is `key`; KeyError if there is none."""
        try:
            return self._streets[key]
        except KeyError:
            raise KeyError(f"unknown street {key!r}") from None

    def street_dispatcher(self, street: str) -> Worker:
        """The dispatcher for addresses known only as far as `street` (its id or name)."""
        return self.street(street).dispatcher


def load_city(path: Path | None = None) -> City:
    """Load and validate the city folder `path` (default: the `city_dir` setting).

    Raises:
        CityConfigError: listing every problem found, each with its file and entry.
    """
    folder = path if path is not None else get_settings().city_dir
    problems: list[str] = []
    categories = _parse(folder, CATEGORIES_FILE, _CategoriesFile, problems)
    departments = _parse(folder, DEPARTMENTS_FILE, _DepartmentsFile, problems)
    areas = _parse(folder, AREAS_FILE, _AreasFile, problems)
    deadlines = _parse(folder, DEADLINES_FILE, _DeadlinesFile, problems)
    if categories is not None:
        problems += _check_categories(categories)
    if departments is not None:
        problems += _check_departments(departments)
    if categories is not None and departments is not None:
        problems += _resolve_leads(categories.categories, departments.departments).problems
    if areas is not None:
        problems += _check_areas(areas)
    if deadlines is not None:
        problems += _check_deadlines(deadlines)
        if categories is not None:
            unknown = _unknown_categories(deadlines.utility_categories, categories.categories)
            problems += [
                f"{DEADLINES_FILE}: utility_categories: unknown category {entry!r}"
                for entry in unknown
            ]
    if problems or categories is None or departments is None or areas is None or deadlines is None:
        raise CityConfigError(folder, problems)
    return City(
        name=areas.city,
        categories=categories.categories,
        departments=departments.departments,
        districts=areas.districts,
        deadline_rules=_deadline_rules(deadlines),
    )
