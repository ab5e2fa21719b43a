"""Normalisation before NLU and retrieval."""

from __future__ import annotations

import pytest

from jiesu.text import normalize, strip_control


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("我們社區的路燈壞了", "我们社区的路灯坏了"),
        ("頭髮", "头发"),
        ("ＡＢＣ１２３", "ABC123"),
        ("電話１３８００００１１１１", "电话13800001111"),
        ("请问，居住证怎么办？", "请问,居住证怎么办?"),
        ("已经是简体", "已经是简体"),
    ],
)
def test_normalize_folds_traditional_and_full_width(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


@pytest.mark.parametrize("raw", ["😡路燈壞了🙏", "㈠號樓", "a\u3000b", "", "\u202e右到左"])
def test_normalize_keeps_length_so_entity_offsets_stay_valid(raw: str) -> None:
    assert len(normalize(raw)) == len(raw)


def test_strip_control_removes_nul_and_bidi_overrides_but_keeps_lines() -> None:
    assert strip_control("a\u0000b\u0007\u202ec\n\td😡") == "abc\n\td😡"
