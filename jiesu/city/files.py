"""The four files of a city folder: their schemas, and reading them with located errors."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Final, TypeVar

import yaml
from pydantic import BaseModel, Field, ValidationError, model_validator
from pydantic_core import ErrorDetails

from jiesu.city.entries import Category, Department, District, Name, StrictModel
from jiesu.deadlines import ServiceTier, TimeUnit

CATEGORIES_FILE: Final = "categories.yml"
DEPARTMENTS_FILE: Final = "departments.yml"
AREAS_FILE: Final = "areas.yml"
DEADLINES_FILE: Final = "deadlines.yml"

# Rasa treats any YAML file under data/ with a line starting with one of these
# keys as training data (rasa.shared.utils.io.is_key_in_yaml), nested or not.
_RASA_KEYS: Final = ("nlu:", "responses:", "stories:", "rules:")


class CategoriesFile(StrictModel):
    """categories.yml."""

    categories: tuple[Category, ...]


class DepartmentsFile(StrictModel):
    """departments.yml."""

    departments: tuple[Department, ...]


class AreasFile(StrictModel):
    """areas.yml: the city's name and its area tree down to the grids."""

    city: Name
    districts: tuple[District, ...] = Field(min_length=1)


class LimitEntry(StrictModel):
    """A time limit as written in deadlines.yml."""

    amount: int = Field(gt=0)
    unit: TimeUnit


class ServiceLevelEntry(StrictModel):
    """A service level as written in deadlines.yml."""

    dispatch: LimitEntry
    reply: LimitEntry


class Holiday(StrictModel):
    """An official holiday: its days off and the weekend days worked to make up for it."""

    name: Name
    first: date
    last: date
    make_up_working_days: tuple[date, ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> Holiday:
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
        """The days from `first` to `last`, both included."""
        day = self.first
        while day <= self.last:
            yield day
            day += timedelta(days=1)


class HolidayYear(StrictModel):
    """One year's official holiday schedule and where it was published."""

    year: int
    official: bool
    source: Name
    holidays: tuple[Holiday, ...]


class DeadlinesFile(StrictModel):
    """deadlines.yml."""

    service_levels: dict[ServiceTier, ServiceLevelEntry]
    utility_categories: tuple[Name, ...] = ()
    holiday_calendar: tuple[HolidayYear, ...] = Field(min_length=1)


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


def parse_file(folder: Path, filename: str, model: type[_M], problems: list[str]) -> _M | None:
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
