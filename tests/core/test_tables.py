"""Report tables as CSV and Excel: BOM, Chinese text, formula-injection escaping."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from jiesu.tables import Table, safe_cell, to_csv, to_xlsx

TABLE = Table(
    "t",
    "按分类",
    ("分类", "工单数"),
    (
        ("城乡建设", 3),
        ('=HYPERLINK("http://x")', 1),
        ("+86 123", 0),
        ("-1", -2),
        ("@SUM(A1)", None),
    ),
)


def test_formula_starts_get_an_apostrophe_and_numbers_do_not() -> None:
    assert safe_cell("=1+1") == "'=1+1"
    assert safe_cell("+1") == "'+1"
    assert safe_cell("-1") == "'-1"
    assert safe_cell("@x") == "'@x"
    assert safe_cell("\tx") == "'\tx"
    assert safe_cell("城乡建设") == "城乡建设"
    assert safe_cell(-2) == -2
    assert safe_cell(None) is None


def test_csv_has_a_bom_and_escapes_formulas() -> None:
    body = to_csv(TABLE)
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows == [
        ["分类", "工单数"],
        ["城乡建设", "3"],
        ['\'=HYPERLINK("http://x")', "1"],
        ["'+86 123", "0"],
        ["'-1", "-2"],
        ["'@SUM(A1)", ""],
    ]


def test_xlsx_reads_back_with_one_sheet_per_table_and_no_formulas() -> None:
    other = Table("u", "三率（按承办单位）", ("承办单位", "响应率(%)"), (("住建局", 87.5),))
    book = load_workbook(io.BytesIO(to_xlsx([TABLE, other])))
    assert book.sheetnames == ["按分类", "三率（按承办单位）"]
    first = [[c.value for c in row] for row in book["按分类"].iter_rows()]
    assert first[0] == ["分类", "工单数"]
    assert first[1] == ["城乡建设", 3]
    assert first[2] == ['\'=HYPERLINK("http://x")', 1]
    assert all(c.data_type != "f" for row in book["按分类"].iter_rows() for c in row)
    assert [c.value for c in book["三率（按承办单位）"][2]] == ["住建局", 87.5]


def test_sheet_names_are_cleaned_and_unique() -> None:
    table = Table("a", "a/b:c", ("x",), ())
    book = load_workbook(io.BytesIO(to_xlsx([table, table])))
    assert book.sheetnames == ["abc", "abc2"]
