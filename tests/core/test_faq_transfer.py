"""A city's knowledge base as a spreadsheet: `jiesu faq import/export`, validity dates
and the review list."""

from __future__ import annotations

import csv
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from jiesu.cli import app
from jiesu.config import get_settings
from jiesu.db import session_scope
from jiesu.faq import load_entries, search, sync_entries
from jiesu.faq.review import due_for_review
from jiesu.faq.store import enabled_items, local_today
from jiesu.faq.transfer import COLUMNS, read_table, write_table

runner = CliRunner()
HEADER = [header for _, header in COLUMNS]


@pytest.fixture(autouse=True)
def configured(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JIESU_DATABASE_URL", database_url)
    get_settings.cache_clear()


def _write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([HEADER, *rows])
    return path


def _row(entry_id: str, **fields: str) -> list[str]:
    values = {
        "编号": entry_id,
        "标题": "问题",
        "其他问法": "说法一\n说法二",
        "适用条件": "",
        "答复内容": "答案",
        "承办部门": "某局",
        "政策依据": "《某条例》",
        "主题": "居住证",
        "生效日期": "",
        "失效日期": "",
        "最近审核日期": "2026-11-01",
    } | fields
    return [values[header] for header in HEADER]


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_the_shipped_base_round_trips_through_a_spreadsheet(tmp_path: Path, suffix: str) -> None:
    items = load_entries()
    write_table(items, tmp_path / f"base{suffix}")
    read, refusals = read_table(tmp_path / f"base{suffix}")
    assert refusals == []
    assert sorted(read, key=lambda i: i.id) == sorted(items, key=lambda i: i.id)


def test_export_then_import_of_the_database_changes_nothing(tmp_path: Path) -> None:
    exported = runner.invoke(app, ["faq", "export", str(tmp_path / "base.xlsx")])
    assert exported.exit_code == 0, exported.output
    imported = runner.invoke(app, ["faq", "import", str(tmp_path / "base.xlsx")])
    assert imported.exit_code == 0, imported.output
    assert "新增 0：" in imported.output and "修改 0：" in imported.output
    assert "停用 0：" in imported.output and f"未变 {len(load_entries())}" in imported.output


def test_a_dry_run_lists_added_changed_and_removed_and_changes_nothing(
    tmp_path: Path, database_url: str
) -> None:
    with session_scope(database_url) as session:
        sync_entries(session, load_entries()[:3])
    first, second, _ = load_entries()[:3]
    path = _write_csv(
        tmp_path / "base.csv",
        [
            _row(first.id, 标题=first.question + "（新）"),
            _row("new-entry"),
        ],
    )
    dry = runner.invoke(app, ["faq", "import", str(path), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "新增 1：new-entry" in dry.output
    assert f"修改 1：{first.id}（question、" in dry.output
    assert "停用 2：" in dry.output and second.id in dry.output
    assert "试运行" in dry.output
    with session_scope(database_url) as session:
        assert [i.id for i in enabled_items(session)] == [i.id for i in load_entries()[:3]]
    applied = runner.invoke(app, ["faq", "import", str(path)])
    assert applied.exit_code == 0, applied.output
    with session_scope(database_url) as session:
        assert {i.id for i in enabled_items(session)} == {first.id, "new-entry"}


def test_refused_rows_are_named_with_the_reason_and_nothing_changes(
    tmp_path: Path, database_url: str
) -> None:
    path = _write_csv(
        tmp_path / "base.csv",
        [
            _row("ok"),
            _row("no-answer", 答复内容=""),
            _row("bad-date", 失效日期="下个月"),
            _row("reversed", 生效日期="2026-12-01", 失效日期="2026-01-01"),
            _row("twice"),
            _row("twice"),
            _row("空格 编号"),
        ],
    )
    result = runner.invoke(app, ["faq", "import", str(path)])
    assert result.exit_code == 1
    assert "第 3 行（编号 no-answer）被拒绝：缺少答复内容" in result.output
    assert "第 4 行（编号 bad-date）被拒绝：失效日期「下个月」不是日期" in result.output
    assert "第 5 行（编号 reversed）被拒绝：失效日期早于生效日期" in result.output
    assert "第 6 行（编号 twice）被拒绝：编号重复" in result.output
    assert "第 7 行（编号 twice）被拒绝：编号重复" in result.output
    assert "第 8 行" in result.output and "编号只能由" in result.output
    with session_scope(database_url) as session:
        assert "ok" not in {i.id for i in enabled_items(session)}


def test_a_file_without_the_required_columns_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "base.csv"
    path.write_text("编号,标题\nx,问题\n", encoding="utf-8")
    result = runner.invoke(app, ["faq", "import", str(path)])
    assert result.exit_code == 1
    assert "表头缺少列 答复内容、承办部门、政策依据" in result.output


def test_an_expired_entry_is_not_answered(database_url: str) -> None:
    question = "身份证丢了怎么补办"
    assert search(question, url=database_url).matches[0].id == "id-card-lost"
    yesterday = local_today() - timedelta(days=1)
    items = [
        replace(i, valid_until=yesterday) if i.id == "id-card-lost" else i for i in load_entries()
    ]
    with session_scope(database_url) as session:
        sync_entries(session, items)
    result = search(question, url=database_url)
    assert "id-card-lost" not in [m.id for m in result.matches]


def test_an_entry_not_yet_in_force_is_not_answered(database_url: str) -> None:
    tomorrow = local_today() + timedelta(days=1)
    items = [
        replace(i, valid_from=tomorrow) if i.id == "id-card-lost" else i for i in load_entries()
    ]
    with session_scope(database_url) as session:
        sync_entries(session, items)
    assert "id-card-lost" not in [
        m.id for m in search("身份证丢了怎么补办", url=database_url).matches
    ]


def test_the_review_list_puts_what_lapsed_first() -> None:
    today = date(2026, 12, 5)
    base = load_entries()[0]
    items = [
        replace(base, id="fresh", reviewed=date(2026, 11, 1)),
        replace(base, id="stale", reviewed=date(2025, 1, 1)),
        replace(base, id="never", reviewed=None),
        replace(base, id="lapsing", valid_until=date(2026, 12, 20)),
        replace(base, id="lapsed", valid_until=date(2026, 12, 1)),
    ]
    due = due_for_review(items, today)
    assert [d.id for d in due] == ["lapsed", "lapsing", "never", "stale"]
    assert due[0].reason == "已于 2026-12-01 失效，不再答复"


def test_the_review_command_lists_entries_due(tmp_path: Path) -> None:
    result = runner.invoke(app, ["faq", "review", "--days", "1", "--json"])
    assert result.exit_code == 0, result.output
    assert "id-card-lost" in result.output


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_text_a_spreadsheet_would_run_as_a_formula_reads_back_unchanged(
    tmp_path: Path, suffix: str
) -> None:
    item = replace(load_entries()[0], answer="=1+1 不是公式", alternatives=("-说法", "@说法"))
    write_table([item], tmp_path / f"base{suffix}")
    assert read_table(tmp_path / f"base{suffix}") == ([item], [])
