"""`jiesu faq ask/load` and `jiesu eval faq`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from jiesu.cli import app
from jiesu.config import get_settings

runner = CliRunner()


@pytest.fixture(autouse=True)
def configured(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JIESU_DATABASE_URL", database_url)
    get_settings.cache_clear()


def test_ask_prints_the_documented_json() -> None:
    result = runner.invoke(app, ["faq", "ask", "身份证丢了怎么补办", "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["answered"] is True
    assert set(payload["matches"][0]) == {"id", "question", "answer", "tags", "score"}
    assert payload["matches"][0]["id"] == "id-card-lost"
    assert "身份证" in payload["matches"][0]["tags"]


def test_load_reports_counts_and_is_repeatable() -> None:
    first = runner.invoke(app, ["faq", "load"])
    again = runner.invoke(app, ["faq", "load"])
    assert first.exit_code == again.exit_code == 0
    assert "未变 " in again.output and "新增 0" in again.output


def test_load_refuses_a_broken_folder(tmp_path: Path) -> None:
    (tmp_path / "bad.yml").write_text("entries: {}\n", encoding="utf-8")
    result = runner.invoke(app, ["faq", "load", "--directory", str(tmp_path)])
    assert result.exit_code == 1
    assert "bad.yml" in result.output


def test_eval_reports_top1_top3_and_false_answers(tmp_path: Path) -> None:
    data = tmp_path / "eval.csv"
    data.write_text(
        "question,tag\n身份证丢了怎么补办,身份证\n暖气不热找谁,供暖\n今天天气怎么样,\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["eval", "faq", "--data", str(data)])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    assert (figures["n"], figures["top1"], figures["top3"]) == (2, 1.0, 1.0)
    assert figures["false_answer_rate"] == 0.0
