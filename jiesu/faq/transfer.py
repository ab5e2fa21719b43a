"""A city's knowledge base as a spreadsheet (Excel or CSV): reading it with
validation (`read_table`) and writing the base in the same format (`write_table`).

One row per entry, one column per GB/T 44191-2024 field, headed in Chinese (the
English field names are accepted too). Alternative phrasings are one per line of
their cell; topics are separated by 、 or commas; dates are written 2026-11-01. A
row that cannot be an entry is refused with its row number and the reason.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Final

from openpyxl import load_workbook

from jiesu.faq.entries import FaqItem
from jiesu.tables import Table, to_csv, to_xlsx

# (field, header) in the order of the file's columns.
COLUMNS: Final = (
    ("id", "编号"),
    ("question", "标题"),
    ("alternatives", "其他问法"),
    ("conditions", "适用条件"),
    ("answer", "答复内容"),
    ("department", "承办部门"),
    ("source", "政策依据"),
    ("tags", "主题"),
    ("valid_from", "生效日期"),
    ("valid_until", "失效日期"),
    ("reviewed", "最近审核日期"),
)
HEADERS: Final = {field: header for field, header in COLUMNS}
REQUIRED: Final = ("id", "question", "answer", "department", "source")
# Longest text each field may hold (the database columns and what a reply can carry).
LIMITS: Final = {
    "id": 64,
    "question": 2000,
    "answer": 4000,
    "department": 128,
    "source": 255,
    "conditions": 2000,
}
SUFFIXES: Final = (".xlsx", ".csv")
_DATES: Final = ("valid_from", "valid_until", "reviewed")
_ID: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
_TAG_SEPARATORS: Final = re.compile(r"[、,，;；\s]+")
_DATE: Final = re.compile(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?")
# Export writes a leading apostrophe before these (spreadsheet formula injection).
_DEFUSED: Final = re.compile(r"^'(?=[=+\-@\t\r])")


class TableError(ValueError):
    """The file cannot be read as a knowledge base at all (format, missing columns)."""


@dataclass(frozen=True)
class Refusal:
    """A row that cannot be an entry: its row number in the file (the header is row 1),
    its id if any, and why, in Chinese."""

    row: int
    id: str
    reason: str


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return _DEFUSED.sub("", str(value)).strip()


def _rows(path: Path) -> list[list[str]]:
    """The cells of the file's first sheet as text, header first."""
    if path.suffix.lower() == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as handle:
            return [[_text(cell) for cell in row] for row in csv.reader(handle)]
    if path.suffix.lower() == ".xlsx":
        try:
            sheet = load_workbook(path, read_only=True, data_only=True).worksheets[0]
        except Exception as error:  # openpyxl raises many kinds for a damaged file
            raise TableError(f"{path.name}：无法作为 Excel 文件读取（{error}）") from error
        return [[_text(cell) for cell in row] for row in sheet.iter_rows(values_only=True)]
    raise TableError(f"{path.name}：只支持 .xlsx 或 .csv 文件")


def _date(value: str, header: str) -> date | None:
    if not value:
        return None
    match = _DATE.fullmatch(value.split(" ")[0])
    try:
        if match is None:
            raise ValueError(value)
        return date(*(int(part) for part in match.groups()))
    except ValueError:
        raise ValueError(f"{header}「{value}」不是日期，应写作 2026-11-01") from None


def _item(cells: dict[str, str]) -> FaqItem:
    """The entry of one row; ValueError with the reason in Chinese."""
    missing = [HEADERS[f] for f in REQUIRED if not cells.get(f)]
    if missing:
        raise ValueError(f"缺少{'、'.join(missing)}")
    if not _ID.fullmatch(cells["id"]):
        raise ValueError("编号只能由字母、数字和 - _ . 组成")
    too_long = [HEADERS[f] for f, limit in LIMITS.items() if len(cells.get(f, "")) > limit]
    if too_long:
        raise ValueError(f"{'、'.join(too_long)}过长")
    dates = {f: _date(cells.get(f, ""), HEADERS[f]) for f in _DATES}
    if dates["valid_from"] and dates["valid_until"] and dates["valid_until"] < dates["valid_from"]:
        raise ValueError("失效日期早于生效日期")
    alternatives = [a.strip() for a in cells.get("alternatives", "").splitlines()]
    return FaqItem(
        id=cells["id"],
        question=cells["question"],
        alternatives=tuple(dict.fromkeys(a for a in alternatives if a)),
        answer=cells["answer"],
        department=cells["department"],
        tags=tuple(dict.fromkeys(t for t in _TAG_SEPARATORS.split(cells.get("tags", "")) if t)),
        source=cells["source"],
        reviewed=dates["reviewed"],
        conditions=cells.get("conditions", ""),
        valid_from=dates["valid_from"],
        valid_until=dates["valid_until"],
    )


def read_table(path: Path) -> tuple[list[FaqItem], list[Refusal]]:
    """The entries of `path` (.xlsx or .csv) and the rows refused; TableError when the
    file or its header cannot be read. A repeated id refuses every row carrying it."""
    rows = _rows(path)
    if not rows:
        raise TableError(f"{path.name}：文件是空的")
    by_name = {name: field for field, header in COLUMNS for name in (field, header)}
    header = [by_name.get(cell) for cell in rows[0]]
    missing = [HEADERS[f] for f in REQUIRED if f not in header]
    if missing:
        raise TableError(f"{path.name}：表头缺少列 {'、'.join(missing)}")
    items: list[tuple[int, FaqItem]] = []
    refusals: list[Refusal] = []
    for number, row in enumerate(rows[1:], start=2):
        if not any(row):
            continue
        cells = {field: cell for field, cell in zip(header, row, strict=False) if field}
        try:
            items.append((number, _item(cells)))
        except ValueError as error:
            refusals.append(Refusal(number, cells.get("id", ""), str(error)))
    seen: dict[str, int] = {}
    for _, item in items:
        seen[item.id] = seen.get(item.id, 0) + 1
    refusals += [Refusal(n, i.id, "编号重复") for n, i in items if seen[i.id] > 1]
    refusals.sort(key=lambda r: r.row)
    return [item for _, item in items if seen[item.id] == 1], refusals


def _cell(item: FaqItem, field: str) -> str:
    value = getattr(item, field)
    if field == "alternatives":
        return "\n".join(value)
    if field == "tags":
        return "、".join(value)
    if isinstance(value, date):
        return value.isoformat()
    return "" if value is None else str(value)


def write_table(items: list[FaqItem], path: Path) -> None:
    """`items` as a spreadsheet `path` (.xlsx or .csv) that `read_table` reads back."""
    table = Table(
        name="faq",
        title="政策问答知识库",
        headers=tuple(h for _, h in COLUMNS),
        rows=tuple(tuple(_cell(item, field) for field, _ in COLUMNS) for item in items),
    )
    if path.suffix.lower() not in SUFFIXES:
        raise TableError(f"{path.name}：只支持 .xlsx 或 .csv 文件")
    path.write_bytes(to_csv(table) if path.suffix.lower() == ".csv" else to_xlsx([table]))
