"""Locating an address as residents type it: free text → grid, or street, or unknown.

Every locating name of the city files is looked for in the normalised text
(simplified characters, half-width digits, no spaces): compounds and landmarks,
roads with an optional house number, communities, streets and districts. Each
name found narrows the grids the address can be in; the address is in the grids
every name agrees on. One grid locates it; several grids of one street leave it
to that street's dispatcher; anything else goes to the dispatch centre. Names
that contradict each other (no grid has them all) count as a conflict, and the
address is then only as precise as all of them together.

Residents also drop a compound's 小区 (幸福里 for 幸福里小区) and the city or
district at the start of a landmark (图书馆 for 示例市图书馆). These short forms
are used only where they name one grid: no other place shortens to the same
form, and every name of the city containing it lies in that grid alone.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from jiesu.city.entries import District, LocatedGrid, RoadSegment, Street, Worker, located_grids
from jiesu.text import normalize

_COMPOUND_SUFFIX: Final = "小区"
_DIGITS: Final = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_UNITS: Final = {"十": 10, "百": 100, "千": 1000}
# Arabic digits, or Chinese numerals that must be followed by 号 (建设路一带 is no number).
_HOUSE_NUMBER: Final = re.compile(r"(\d+)|([零〇一二两三四五六七八九十百千]+)(?=号)")


class Match(StrEnum):
    """The most specific kind of name that located an address."""

    PLACE = "place"  # a compound or landmark
    HOUSE_NUMBER = "house_number"  # a road and one of its house numbers
    ROAD = "road"  # a road without a house number of the city files
    COMMUNITY = "community"
    STREET = "street"
    DISTRICT = "district"
    NONE = "none"


# When two names narrow an address equally, the earlier kind is named as the match.
_PRECISION: Final = tuple(Match)


@dataclass(frozen=True)
class Location:
    """Where an address lies, as far as the city files tell, and what told it."""

    grid: LocatedGrid | None
    street: Street | None
    match: Match
    names: tuple[str, ...] = ()
    conflict: bool = False

    @property
    def dispatcher(self) -> Worker | None:
        """Who takes it: the grid worker, else the street's dispatcher, else None (the centre)."""
        if self.grid is not None:
            return self.grid.grid.worker
        return self.street.dispatcher if self.street is not None else None


@dataclass(frozen=True)
class _Evidence:
    """One name found in an address and the grids it allows."""

    name: str
    match: Match
    grids: frozenset[str]


def house_number(text: str) -> int | None:
    """The house number `text` starts with: 18, １８ (normalised), 十八号, 一百零五号, 三二一号."""
    found = _HOUSE_NUMBER.match(text)
    if found is None:
        return None
    if found[1]:
        return int(found[1])
    numerals = found[2]
    if not any(char in _UNITS for char in numerals):
        return int("".join(str(_DIGITS[char]) for char in numerals))
    total, digit = 0, None
    for char in numerals:
        if char in _UNITS:
            total += (1 if digit is None else digit) * _UNITS[char]
            digit = None
        else:
            digit = _DIGITS[char]
    return total + (digit or 0)


def _short_forms(
    city: str, districts: tuple[District, ...], grids: Iterable[LocatedGrid]
) -> Iterator[tuple[str, LocatedGrid]]:
    """(short form, grid) for each compound without 小区 and landmark without city or district."""
    prefixes = (city, *(district.name for district in districts))
    for located in grids:
        for compound in located.grid.compounds:
            stem = compound.removesuffix(_COMPOUND_SUFFIX)
            if stem != compound and len(stem) >= 2:
                yield stem, located
        for landmark in located.grid.landmarks:
            for prefix in prefixes:
                rest = landmark.removeprefix(prefix)
                if rest != landmark and len(rest) >= 2:
                    yield rest, located


class AddressIndex:
    """The locating names of a city, ready to find in addresses."""

    def __init__(self, city: str, districts: tuple[District, ...]) -> None:
        grids = tuple(located_grids(districts))
        self._grids = {located.grid.id: located for located in grids}
        self._names: dict[str, _Evidence] = {}
        for located in grids:
            for place in (*located.grid.compounds, *located.grid.landmarks):
                self._add(place, Match.PLACE, [located])
        for district in districts:
            self._add(district.name, Match.DISTRICT, self._in(district.name, grids))
            for street in district.streets:
                self._add(street.name, Match.STREET, self._in(street.name, grids))
                for community in street.communities:
                    in_community = [g for g in grids if g.community is community]
                    self._add(community.name, Match.COMMUNITY, in_community)
        self._roads: dict[str, list[tuple[RoadSegment, str]]] = defaultdict(list)
        for located in grids:
            for segment in located.grid.roads:
                self._roads[segment.road].append((segment, located.grid.id))
        self._add_short_forms(_short_forms(city, districts, grids))
        alternatives = sorted([*self._names, *self._roads], key=len, reverse=True)
        self._pattern = re.compile("|".join(map(re.escape, alternatives)))

    @staticmethod
    def _in(name: str, grids: Iterable[LocatedGrid]) -> list[LocatedGrid]:
        return [g for g in grids if name in (g.district.name, g.street.name)]

    def _add(self, name: str, match: Match, grids: Iterable[LocatedGrid]) -> None:
        self._names[name] = _Evidence(name, match, frozenset(g.grid.id for g in grids))

    def _add_short_forms(self, forms: Iterable[tuple[str, LocatedGrid]]) -> None:
        by_form: dict[str, set[str]] = defaultdict(set)
        located: dict[str, LocatedGrid] = {}
        for form, grid in forms:
            by_form[form].add(grid.grid.id)
            located[form] = grid
        official = {name: evidence.grids for name, evidence in self._names.items()}
        official |= {road: frozenset(g for _, g in found) for road, found in self._roads.items()}
        for form, grid_ids in by_form.items():
            elsewhere = any(form in name and grids != grid_ids for name, grids in official.items())
            if len(grid_ids) == 1 and not elsewhere:
                self._add(form, Match.PLACE, [located[form]])

    def _evidence(self, text: str) -> Iterator[_Evidence]:
        for found in self._pattern.finditer(text):
            name = found[0]
            if name in self._names:
                yield self._names[name]
                continue
            segments = self._roads[name]
            number = house_number(text[found.end() :])
            covering = [grid for segment, grid in segments if number and segment.covers(number)]
            if covering:
                yield _Evidence(f"{name}{number}号", Match.HOUSE_NUMBER, frozenset(covering))
            else:
                yield _Evidence(name, Match.ROAD, frozenset(grid for _, grid in segments))

    def locate(self, address: str) -> Location:
        """Where `address` lies (see the module docstring)."""
        text = "".join(normalize(address).split())
        evidence = list(self._evidence(text))
        if not evidence:
            return Location(grid=None, street=None, match=Match.NONE)
        names = tuple(e.name for e in evidence)
        grids = frozenset.intersection(*(e.grids for e in evidence))
        conflict = not grids
        if conflict:
            grids = frozenset.union(*(e.grids for e in evidence))
        decisive = min(evidence, key=lambda e: (len(e.grids), _PRECISION.index(e.match)))
        streets = {self._grids[grid_id].street.id: self._grids[grid_id].street for grid_id in grids}
        if len(grids) == 1:
            grid = self._grids[next(iter(grids))]
            return Location(grid, grid.street, decisive.match, names, conflict)
        if len(streets) == 1:
            street = next(iter(streets.values()))
            return Location(None, street, decisive.match, names, conflict)
        return Location(None, None, Match.NONE, names, conflict)
