"""Hot issues (热点问题) and trending keywords on small hand-written records."""

from __future__ import annotations

from datetime import datetime, timedelta

from jiesu.monitoring.hot import HotIssueParams, Record, find_hot_issues, trending_keywords

DAY = timedelta(days=1)
START = datetime(2024, 3, 1, 9, 0)
EVERY_SIZE = HotIssueParams(min_size=1)


def record(id: str, title: str, body: str, day: float) -> Record:
    return Record(id=id, title=title, body=body, time=START + day * DAY)


WATER = [
    record("w1", "幸福里小区停水三天了", "幸福里小区从周一开始停水，居民生活很不方便。", 0),
    record("w2", "幸福里小区停水", "我们幸福里小区又停水了，好几天没有自来水，请尽快恢复供水。", 2),
    record("w3", "幸福里小区一直停水", "幸福里小区停水好几天了，物业也没人管，请尽快供水。", 4),
]
OTHERS = [
    record("s1", "建设路路灯坏了", "建设路上的路灯晚上不亮，走夜路很危险。", 1),
    record("s2", "咨询居住证办理", "请问外地户口办理居住证需要带哪些材料？", 3),
]


def test_one_week_of_water_outage_in_one_estate_is_one_cluster_above_singletons() -> None:
    issues = find_hot_issues([*OTHERS, *WATER], EVERY_SIZE)
    assert [i.size for i in issues] == [3, 1, 1]
    top = issues[0]
    assert set(top.member_ids) == {"w1", "w2", "w3"}
    assert top.places == ("幸福里小区",)
    assert "停水" in top.keywords
    assert (top.first, top.last) == (START, START + 4 * DAY)
    assert top.example_titles[0] == "幸福里小区停水三天了"


def test_singletons_are_left_out_by_default() -> None:
    assert [i.size for i in find_hot_issues([*OTHERS, *WATER])] == [3]


def test_same_complaint_in_different_places_is_not_merged() -> None:
    text = "小区停水三天了，一直没有来水，请尽快恢复供水。"
    records = [
        record("a", "幸福里小区停水三天了", text, 0),
        record("b", "阳光花园停水三天了", text, 1),
        record("c", "幸福里小区停水", text, 2),
    ]
    clusters = {frozenset(i.member_ids) for i in find_hot_issues(records, EVERY_SIZE)}
    assert clusters == {frozenset({"a", "c"}), frozenset({"b"})}


def test_messages_months_apart_are_not_linked() -> None:
    records = [WATER[0], record("late", WATER[1].title, WATER[1].body, 200)]
    assert find_hot_issues(records) == []


def test_a_growing_issue_ranks_above_a_larger_older_one() -> None:
    noise = [
        record(f"n{k}", "东风路施工噪音扰民", "东风路工地夜间施工噪音很大，影响休息。", 30 + k)
        for k in range(4)
    ]
    water = [
        record(f"w{k}", "幸福里小区停水", "幸福里小区停水好几天了，请尽快恢复供水。", 40 + k)
        for k in range(3)
    ]
    params = HotIssueParams(growth_window=7 * DAY)
    issues = find_hot_issues([*noise, *water], params, now=START + 43 * DAY)
    assert [i.size for i in issues] == [3, 4]
    assert issues[0].member_ids == ("w0", "w1", "w2")
    assert (issues[0].recent, issues[0].previous, issues[0].growth) == (3, 0, 3)
    assert issues[1].growth == -4


def test_trending_keywords_are_words_whose_use_grew_in_the_latest_window() -> None:
    before = [
        record(f"b{k}", "建设路路灯不亮", "建设路路灯晚上不亮，存在安全隐患。", k) for k in range(3)
    ]
    latest = [
        record(f"l{k}", "小区停水", "小区停水好几天了，请尽快恢复供水。", 8 + k) for k in range(3)
    ]
    trending = trending_keywords([*before, *latest], window=7 * DAY, now=START + 11 * DAY)
    words = [word for word, _, _ in trending]
    assert "停水" in words
    assert "路灯" not in words
    assert ("停水", 3, 0) in trending
