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
# Something about to fall, leaning or hanging is a problem before anyone is hurt.
HAZARDS = [
    "树枝快掉下来了",
    "路边的树斜了",
    "小区那棵老槐树往一边斜",
    "电线杆快倒了",
    "广告牌悬在半空",
]
# A complaint that ends in an angry question is no question about a policy.
RHETORICAL = ["垃圾一周没人收，还有没有人管？", "物业费又涨了这合理吗", "凭什么不让业主停车"]
NOT_RHETORICAL = ["办居住证需要什么材料？", "社保断缴了能补吗"]
# A gas leak is an emergency; a leak of personal information is not.
URGENT = ["燃气泄露了", "煤气泄漏"]
NOT_URGENT = ["个人信息被泄露了"]
# 受理 is said of any application ("护照受理后多久"), not only of a ticket filed here.
NOT_PROGRESS = ["居住证受理以后多久能拿到"]
PROGRESS = ["我的工单到哪了", "查一下进度"]


@pytest.fixture(scope="module")
def cues_of() -> dict[str, list[str]]:
    completed = subprocess.run(
        [
            str(RASA.parent / "python"),
            "-c",
            FOUND,
            json.dumps(
                PRAISE
                + NOT_PRAISE
                + HAZARDS
                + RHETORICAL
                + NOT_RHETORICAL
                + URGENT
                + NOT_URGENT
                + NOT_PROGRESS
                + PROGRESS
            ),
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


@pytest.mark.parametrize("text", HAZARDS)
def test_a_hazard_is_a_problem(cues_of: dict[str, list[str]], text: str) -> None:
    assert "problem" in cues_of[text]


@pytest.mark.parametrize("text", RHETORICAL)
def test_an_angry_question_is_a_rhetorical_cue(cues_of: dict[str, list[str]], text: str) -> None:
    assert "rhetorical" in cues_of[text]


@pytest.mark.parametrize("text", NOT_RHETORICAL)
def test_a_plain_question_is_not_rhetorical(cues_of: dict[str, list[str]], text: str) -> None:
    assert "rhetorical" not in cues_of[text]


@pytest.mark.parametrize(
    ("text", "urgent"), [(t, True) for t in URGENT] + [(t, False) for t in NOT_URGENT]
)
def test_only_a_gas_leak_is_urgent(cues_of: dict[str, list[str]], text: str, urgent: bool) -> None:
    assert ("urgent" in cues_of[text]) is urgent


@pytest.mark.parametrize(
    ("text", "progress"), [(t, True) for t in PROGRESS] + [(t, False) for t in NOT_PROGRESS]
)
def test_acceptance_of_an_application_is_no_ticket_progress(
    cues_of: dict[str, list[str]], text: str, progress: bool
) -> None:
    assert ("progress" in cues_of[text]) is progress
