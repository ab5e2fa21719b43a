"""The knowledge-base files: validation errors name the file and entry; the shipped base
covers every topic the issue requires."""

from __future__ import annotations

from pathlib import Path

import pytest

from jiesu.faq import FaqDataError, load_entries

REQUIRED_TOPICS = (
    "居住证",
    "户口迁移",
    "新生儿落户",
    "身份证",
    "社保参保",
    "医保报销",
    "异地就医",
    "养老金",
    "低保",
    "临时救助",
    "残疾人补贴",
    "高龄津贴",
    "失业保险金",
    "公积金提取",
    "生育津贴",
    "入学",
    "垃圾分类",
    "加装电梯",
    "老旧小区改造",
    "业主委员会",
    "物业",
    "公租房",
    "租赁备案",
    "不动产登记",
    "劳动仲裁",
    "营业执照",
    "创业补贴",
    "预防接种",
    "法律援助",
    "人民调解",
    "婚姻登记",
    "居家养老",
    "电动车充电",
    "养犬",
    "供暖",
    "燃气",
    "停车",
    "噪音",
    "个税",
    "出入境",
    "驾驶证",
    "退役军人",
    "消费者权益",
    "志愿服务",
)

VALID = """\
entries:
  - id: a
    question: 问题一
    alternatives: [说法一, 说法二]
    answer: 答案
    department: 某局
    tags: [居住证]
    source: 《某条例》
    reviewed: 2026-11-01
"""


def _write(folder: Path, name: str, text: str) -> Path:
    (folder / name).write_text(text, encoding="utf-8")
    return folder


def test_a_valid_file_loads(tmp_path: Path) -> None:
    [item] = load_entries(_write(tmp_path, "a.yml", VALID))
    assert item.id == "a" and item.phrasings == ("问题一", "说法一", "说法二")
    assert item.tags == ("居住证",) and str(item.reviewed) == "2026-11-01"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("nlu: []\n", "top-level 'entries'"),
        ("entries: [oops\n", "not valid YAML"),
        (VALID.replace("    answer: 答案\n", ""), "missing or empty answer"),
        (VALID.replace("tags: [居住证]", "tags: []"), "at least one topic"),
        (VALID.replace("alternatives: [说法一, 说法二]", "alternatives: 说法"), "'alternatives'"),
        (VALID.replace("reviewed: 2026-11-01", "reviewed: 上个月"), "'reviewed'"),
        (VALID.replace("reviewed: 2026-11-01", "valid_until: 明年"), "'valid_until'"),
        (
            VALID.replace(
                "reviewed: 2026-11-01", "valid_from: 2026-12-01\n    valid_until: 2026-01-01"
            ),
            "'valid_until' is before 'valid_from'",
        ),
    ],
)
def test_invalid_files_are_reported_with_where_and_what(
    tmp_path: Path, text: str, message: str
) -> None:
    with pytest.raises(FaqDataError, match=message) as error:
        load_entries(_write(tmp_path, "bad.yml", text))
    assert "bad.yml" in str(error.value)


def test_duplicate_ids_across_files_are_refused(tmp_path: Path) -> None:
    _write(tmp_path, "one.yml", VALID)
    with pytest.raises(FaqDataError, match="duplicate entry ids: a"):
        load_entries(_write(tmp_path, "two.yml", VALID))


def test_an_empty_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(FaqDataError, match=r"no \*\.yml"):
        load_entries(tmp_path)


def test_shipped_base_covers_every_required_topic_with_several_entries() -> None:
    items = load_entries()
    for topic in REQUIRED_TOPICS:
        assert sum(topic in item.tags for item in items) >= 2, topic
    assert all(3 <= len(item.alternatives) <= 8 for item in items)
