"""The city's own configuration: categories, departments, areas with grids, deadlines.

A city describes itself in four YAML files in one folder (`data/city/` ships a
fictional sample; `JIESU_CITY_DIR` selects another). `load_city` reads and
validates the whole folder and returns a `City` with the lookups routing and
dispatch need. It reports every problem at once, each naming its file and entry.

Modules: `entries` (the entry types), `files` (the file schemas and parsing),
`leads` (lead departments), `checks` (what the schemas cannot check), `model`
(`City`) and `load` (`load_city`).
"""

from jiesu.city.checks import REQUIRED_CATEGORIES
from jiesu.city.entries import (
    Category,
    Community,
    Department,
    District,
    Grid,
    LocatedGrid,
    RoadSegment,
    Street,
    Subcategory,
    Worker,
)
from jiesu.city.files import AREAS_FILE, CATEGORIES_FILE, DEADLINES_FILE, DEPARTMENTS_FILE
from jiesu.city.load import CityConfigError, current_city, load_city
from jiesu.city.model import City

__all__ = [
    "AREAS_FILE",
    "CATEGORIES_FILE",
    "DEADLINES_FILE",
    "DEPARTMENTS_FILE",
    "REQUIRED_CATEGORIES",
    "Category",
    "City",
    "CityConfigError",
    "Community",
    "Department",
    "District",
    "Grid",
    "LocatedGrid",
    "RoadSegment",
    "Street",
    "Subcategory",
    "Worker",
    "current_city",
    "load_city",
]
