"""The intent classifier's lexicon cues (jiesu_nlu/classifier.py over
data/lexicon/cues.yml) read as a resident means them. Runs in the engine environment."""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.servers import RASA, ROOT

FOUND = """
import json, sys
from jiesu.text import normalize
from jiesu_nlu.classifier import Cues, read_cues

cues = Cues(read_cues("data/lexicon/cues.yml", "data/city/categories.yml"))
texts = json.loads(sys.argv[1])
print(json.dumps({t: [n for n, v in zip(cues.names, cues.row(normalize(t).lower())) if v == 1.0]
                  for t in texts}, ensure_ascii=False))
"""

PRAISE = [
    "社区网格员工作很负责，第二天就来修好了",
    "感谢环卫工人，非常及时",
    "办事员态度热情，耐心解答",
]
NOT_PRAISE = [
    "物业根本不负责，也不及时处理",
    "窗口工作人员态度不热情，没耐心",
    "我找了负责人好几次都没人管",
    "希望有关部门及时处理",
]
# (text, cue, whether it is found). Something about to fall, leaning or hanging is a problem
# before anyone is hurt; a complaint that ends in an angry question is rhetorical, a plain
# question is not; a gas leak is urgent, a leak of personal information is not; 受理 is
# said of any application ("护照受理后多久"), not only of a ticket filed here.
ONE_CUE = [
    *(
        (text, "problem", True)
        for text in (
            "树枝快掉下来了",
            "路边的树斜了",
            "小区那棵老槐树往一边斜",
            "电线杆快倒了",
            "广告牌悬在半空",
        )
    ),
    *(
        (text, "rhetorical", True)
        for text in ("垃圾一周没人收，还有没有人管？", "物业费又涨了这合理吗", "凭什么不让业主停车")
    ),
    *((text, "rhetorical", False) for text in ("办居住证需要什么材料？", "社保断缴了能补吗")),
    # danger happening now is a cue of its own, a hazard ahead is not
    ("天然气管子裂了，正往外喷气", "danger_now", True),
    ("对面楼的窗户里全是火光", "danger_now", True),
    ("围墙倒了压着两个人", "danger_now", True),
    ("燃气管道外面锈得厉害", "danger_now", False),
    ("井盖丢了，万一有人掉下去", "risk_ahead", True),
    ("燃气泄露了", "urgent", True),
    ("煤气泄漏", "urgent", True),
    ("个人信息被泄露了", "urgent", False),
    ("我的工单到哪了", "progress", True),
    ("查一下进度", "progress", True),
    ("居住证受理以后多久能拿到", "progress", False),
]


@pytest.fixture(scope="module")
def cues_of() -> dict[str, list[str]]:
    completed = subprocess.run(
        [
            str(RASA.parent / "python"),
            "-c",
            FOUND,
            json.dumps(PRAISE + NOT_PRAISE + [text for text, _, _ in ONE_CUE]),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr
    found: dict[str, list[str]] = json.loads(completed.stdout.strip().splitlines()[-1])
    return found


@pytest.mark.parametrize("text", PRAISE)
def test_praise_words_are_a_praise_cue(cues_of: dict[str, list[str]], text: str) -> None:
    assert "praise" in cues_of[text]


@pytest.mark.parametrize("text", NOT_PRAISE)
def test_negated_or_neutral_praise_words_are_not(cues_of: dict[str, list[str]], text: str) -> None:
    assert "praise" not in cues_of[text]


@pytest.mark.parametrize(("text", "cue", "found"), ONE_CUE)
def test_a_cue_is_found_only_where_it_is_meant(
    cues_of: dict[str, list[str]], text: str, cue: str, found: bool
) -> None:
    assert (cue in cues_of[text]) is found
