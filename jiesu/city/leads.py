"""Lead departments: which department handles each subcategory.

A department's `handles` lists first-level categories (`环境保护`) or single
subcategories (`城乡建设/供水`). A subcategory entry takes precedence over a
first-level one, so each subcategory resolves to exactly one lead department;
zero or two at the same level is an error.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from jiesu.city.entries import Category, Department
from jiesu.city.files import DEPARTMENTS_FILE


def split_category(entry: str) -> tuple[str, str | None]:
    """`城乡建设/供水` as (`城乡建设`, `供水`), `环境保护` as (`环境保护`, None)."""
    first, separator, second = entry.partition("/")
    return (first, second) if separator else (first, None)


def unknown_categories(entries: Iterable[str], categories: Iterable[Category]) -> list[str]:
    """The category entries (`category` or `category/subcategory`) not in `categories`."""
    tree = {category.name: {s.name for s in category.subcategories} for category in categories}
    unknown = []
    for entry in entries:
        first, second = split_category(entry)
        if first not in tree or (second is not None and second not in tree[first]):
            unknown.append(entry)
    return unknown


@dataclass
class Leads:
    """The lead department of each subcategory and whole category, and the problems found."""

    by_subcategory: dict[tuple[str, str], Department] = field(default_factory=dict)
    by_category: dict[str, Department] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def resolve_leads(categories: Iterable[Category], departments: Iterable[Department]) -> Leads:
    """Each subcategory's lead department (see the module docstring), with the problems found."""
    categories = tuple(categories)
    leads = Leads()
    first_claims: dict[str, list[Department]] = defaultdict(list)
    second_claims: dict[tuple[str, str], list[Department]] = defaultdict(list)
    for department in departments:
        for entry in unknown_categories(department.handles, categories):
            leads.problems.append(
                f"{DEPARTMENTS_FILE}: departments[{department.id}].handles: "
                f"unknown category {entry!r}"
            )
        for entry in department.handles:
            first, second = split_category(entry)
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
