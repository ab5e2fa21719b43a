"""The validated city and the lookups routing and dispatch need."""

from __future__ import annotations

from collections import defaultdict

from jiesu.city.entries import (
    Category,
    Department,
    District,
    LocatedGrid,
    RoadSegment,
    Street,
    Worker,
    located_grids,
)
from jiesu.city.leads import resolve_leads
from jiesu.city.locate import AddressIndex, Location
from jiesu.deadlines import DeadlineRules


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
        self.grids = tuple(located_grids(districts))
        self.dispatch_center = next(d for d in departments if d.dispatch_center)
        self._leads = resolve_leads(categories, departments)
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
        self._addresses = AddressIndex(name, districts)

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

    def locate(self, address: str) -> Location:
        """Where an address as a resident typed it lies: its grid, else its street, else neither.

        See `jiesu.city.locate` for how names are found and combined.
        """
        return self._addresses.locate(address)

    def street(self, key: str) -> Street:
        """The street or town whose id or name is `key`; KeyError if there is none."""
        try:
            return self._streets[key]
        except KeyError:
            raise KeyError(f"unknown street {key!r}") from None

    def street_dispatcher(self, street: str) -> Worker:
        """The dispatcher for addresses known only as far as `street` (its id or name)."""
        return self.street(street).dispatcher
