"""FAQ gaps: grouping unanswered questions, unhelpful entries, staff-added entries."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from jiesu.db import session_scope
from jiesu.faq import load_entries, record_feedback, record_unanswered, search, sync_entries
from jiesu.faq.gaps import (
    EntryError,
    add_entry,
    answered_now,
    group_questions,
    unanswered_groups,
    unhelpful_entries,
)
from jiesu.faq.models import FaqEntry
from jiesu.faq.retrieval import SearchResult

T0 = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)
NEW_QUESTION = "无人机飞行备案怎么办理"


@pytest.fixture
def session(database_url: str) -> Iterator[Session]:
    with session_scope(database_url) as session:
        yield session


def test_similar_questions_are_grouped_and_the_largest_group_comes_first() -> None:
    questions = [
        ("充电桩安装补贴怎么申请", T0),
        ("小区充电桩安装补贴如何申请", T0 + timedelta(hours=1)),
        ("申请充电桩安装补贴要什么材料", T0 + timedelta(hours=2)),
        ("宠物医院营业时间", T0 + timedelta(hours=3)),
    ]
    groups = group_questions(questions)
    assert [g.count for g in groups] == [3, 1]
    assert groups[0].question == "申请充电桩安装补贴要什么材料"  # the latest wording
    assert groups[0].latest == T0 + timedelta(hours=2)
    assert len(groups[0].examples) == 3
    assert groups[1].examples == ("宠物医院营业时间",)
    assert group_questions([]) == []


def test_unanswered_groups_count_only_the_period(session: Session) -> None:
    empty = SearchResult(answered=False)
    for text in ("充电桩安装补贴怎么申请", "充电桩安装补贴如何申请", "充电桩安装补贴标准"):
        record_unanswered(session, "web:a", text, empty)
    old = record_unanswered(session, "web:b", "充电桩安装补贴哪里办", empty)
    old.created_at = datetime.now(UTC) - timedelta(days=60)
    session.flush()
    groups = unanswered_groups(session, datetime.now(UTC) - timedelta(days=30))
    assert [g.count for g in groups] == [3]


def test_entries_with_most_unhelpful_feedback_first(session: Session) -> None:
    answers = ((False, "公租房租金太贵"), (False, "公租房租金怎么减免"), (True, None))
    for helpful, question in answers:
        record_feedback(session, "public-rental-rent", "web:a", helpful, question)
    record_feedback(session, "public-rental-apply", "web:b", False, "怎么申请")
    record_feedback(session, "public-rental-waiting", "web:c", True, None)
    found = unhelpful_entries(session, T0 - timedelta(days=3650))
    assert [(e.id, e.unhelpful, e.helpful) for e in found] == [
        ("public-rental-rent", 2, 1),
        ("public-rental-apply", 1, 0),
    ]
    assert set(found[0].examples) == {"公租房租金太贵", "公租房租金怎么减免"}


def test_a_staff_entry_is_answered_at_once_and_survives_reloading_the_seed(
    database_url: str,
) -> None:
    assert not search(NEW_QUESTION, url=database_url).answered  # builds the cached index
    with session_scope(database_url) as session:
        entry = add_entry(
            session,
            question=NEW_QUESTION,
            answer="在民航局无人驾驶航空器综合管理平台实名登记。",
            department="示例市公安局",
            source="《无人驾驶航空器飞行管理暂行条例》",
            alternatives=("无人机要去哪里登记", ""),
        )
        entry_id = entry.id
    assert entry_id.startswith("staff-")
    result = search("无人机飞行要备案吗", url=database_url)
    assert result.answered
    assert result.matches[0].id == entry_id
    assert answered_now(NEW_QUESTION, database_url) == NEW_QUESTION
    with session_scope(database_url) as session:
        counts = sync_entries(session, load_entries())
        assert counts["disabled"] == 0
        stored = session.get(FaqEntry, entry_id)
        assert stored is not None and stored.enabled
        assert stored.alternatives == ["无人机要去哪里登记"]


def test_an_incomplete_entry_is_refused(session: Session) -> None:
    with pytest.raises(EntryError, match="答案、政策依据"):
        add_entry(session, question="问题", answer=" ", department="民政局", source="")
    with pytest.raises(EntryError, match="过长"):
        add_entry(session, question="问" * 2001, answer="答", department="民政局", source="文件")
