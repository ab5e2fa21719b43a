"""The entries a city's files describe: categories, departments and the area tree with grids."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Annotated, Final

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

# A road, optionally with a house-number range: 人民路 or 人民路1-99号.
_ROAD: Final = re.compile(r"(?P<road>\D+?)(?:(?P<first>\d+)-(?P<last>\d+)号)?")

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$")]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
CategoryName = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[^/\s]+$")]


class StrictModel(BaseModel):
    """A frozen model that rejects unknown keys."""

    model_config = ConfigDict(extra="forbid", frozen=True)


# categories.yml


class Subcategory(StrictModel):
    """A second-level category and the words residents use for it."""

    name: CategoryName
    keywords: tuple[Name, ...] = Field(min_length=1)


class Category(StrictModel):
    """A first-level category."""

    name: CategoryName
    subcategories: tuple[Subcategory, ...] = Field(min_length=1)


# departments.yml


class Department(StrictModel):
    """A department and the categories it leads; one is the dispatch centre (12345)."""

    id: Slug
    name: Name
    dispatch_center: bool = False
    handles: tuple[Name, ...] = ()


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


class Worker(StrictModel):
    """A grid worker (网格员) or a street's dispatcher."""

    id: Slug
    name: Name


class Grid(StrictModel):
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


class Community(StrictModel):
    """A community (社区) or village (村)."""

    id: Slug
    name: Name
    grids: tuple[Grid, ...] = Field(min_length=1)


class Street(StrictModel):
    """A street (街道) or town (镇), with the dispatcher for addresses known only this far."""

    id: Slug
    name: Name
    dispatcher: Worker
    communities: tuple[Community, ...] = Field(min_length=1)


class District(StrictModel):
    """A district (区)."""

    id: Slug
    name: Name
    streets: tuple[Street, ...] = Field(min_length=1)


@dataclass(frozen=True)
class LocatedGrid:
    """A grid with the community, street and district it lies in."""

    district: District
    street: Street
    community: Community
    grid: Grid


def located_grids(districts: Iterable[District]) -> Iterator[LocatedGrid]:
    """Every grid of `districts`, with where it lies, in file order."""
    for district in districts:
        for street in district.streets:
            for community in street.communities:
                for grid in community.grids:
                    yield LocatedGrid(district, street, community, grid)
