"""Places and times found by rules (jiesu/spans.py): whole places, times as said."""

from __future__ import annotations

from pathlib import Path

import pytest

from jiesu.spans import (
    ADDRESS,
    TIME,
    Gazetteer,
    Span,
    find_places,
    find_spans,
    find_times,
    unnamed_place,
)

AREAS = Path(__file__).resolve().parents[2] / "data" / "city" / "areas.yml"


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    return Gazetteer.from_areas_file(AREAS)


def places(text: str, gazetteer: Gazetteer) -> list[str]:
    return [span.value for span in find_places(text, gazetteer)]


def times(text: str, gazetteer: Gazetteer) -> list[str]:
    return [span.value for span in find_times(text, gazetteer)]


def test_the_whole_place_without_the_problem_and_each_time_separately(
    gazetteer: Gazetteer,
) -> None:
    text = "我要投诉，幸福路18号楼下的烧烤摊每天晚上吵到凌晨两点"
    assert places(text, gazetteer) == ["幸福路18号楼下"]
    # Times next to each other are one time; the words between two times are the
    # problem, so "每天晚上吵到凌晨两点" is two times and the form keeps the first.
    assert times(text, gazetteer) == ["每天晚上", "凌晨两点"]
    assert find_spans(text, gazetteer) == [
        Span(5, 13, "幸福路18号楼下", ADDRESS),
        Span(17, 21, "每天晚上", TIME),
        Span(23, 27, "凌晨两点", TIME),
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("建设路18号的井盖丢了", "建设路18号"),
        ("幸福里小区3号楼2单元门口堆满垃圾", "幸福里小区3号楼2单元门口"),
        ("东湖区湖滨街道柳岸社区好几个月没人收垃圾了", "东湖区湖滨街道柳岸社区"),
        ("建设路和光明街路口红绿灯坏了", "建设路和光明街路口"),
        ("前天晚上在中山路和解放路交叉口出了车祸", "中山路和解放路交叉口"),
        ("建设路与中山路交叉口的红绿灯不亮", "建设路与中山路交叉口"),
        ("昨儿晚上十点多人民公园附近有人放烟花", "人民公园附近"),
        ("解放大道100号旁边的工地半夜还在打桩", "解放大道100号旁边"),
        ("金湖湾小区12栋楼下有人私搭乱建", "金湖湾小区12栋楼下"),
        ("西城区枫林小区15栋1单元301卫生间漏水", "西城区枫林小区15栋1单元301"),
        ("住在翠湖苑5栋2单元301室，楼上漏水", "翠湖苑5栋2单元301室"),
        ("请帮忙处理一下东关菜市场门口的垃圾", "东关菜市场门口"),
        ("实验小学门口早上七点半堵得水泄不通", "实验小学门口"),
        ("国贸大厦B座的空调外机噪音很大", "国贸大厦B座"),
        ("望湖苑2期6栋电梯今天下午困人了", "望湖苑2期6栋"),
        ("青石村一组的村道坑坑洼洼", "青石村一组"),
        ("上周五去第一人民医院看病排了三个小时队", "第一人民医院"),
        ("五一路上堵车", "五一路"),
        ("和平街上的路灯坏了三天了", "和平街"),
        ("投诉阳光小区物业乱收费", "阳光小区"),
        ("2026年11月3日早上7点在火车站被偷了手机", "火车站"),
        # a known name in the city's files, even without a suffix
        ("柳岸人家9栋的住户在楼顶养鸽子", "柳岸人家9栋"),
        ("和平里16号楼化粪池冒出来了", "和平里16号楼"),
        # the position is kept, but not what is wrong with it
        ("柳荫小区8栋楼道堆满杂物", "柳荫小区8栋楼道"),
        ("幸福里小区3号楼2单元楼道灯坏了", "幸福里小区3号楼2单元"),
        ("柳荫小区5号楼楼上漏水到我家", "柳荫小区5号楼"),
        ("文化路上的树枝快压到电线了", "文化路"),
        ("淮海路123弄5号楼道里堆满杂物", "淮海路123弄5号楼道"),
        ("万达广场B1层的厕所没水", "万达广场B1层"),
        ("丰收路桥下面有人睡觉", "丰收路桥下面"),
        ("和平街与新华街路口东北角的井盖", "和平街与新华街路口东北角"),
    ],
)
def test_places(text: str, expected: str, gazetteer: Gazetteer) -> None:
    assert places(text, gazetteer)[:1] == [expected]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("幸福路18號樓下的燒烤攤", "幸福路18號樓下"),
        ("東門菜市場旁邊的下水道堵了", "東門菜市場旁邊"),
        ("幸福路１８号楼下很吵", "幸福路１８号楼下"),
        ("人民路120號樓下每天晚上都在燒烤", "人民路120號樓下"),
    ],
)
def test_traditional_and_full_width_text_gives_the_original_substring(
    text: str, expected: str, gazetteer: Gazetteer
) -> None:
    found = find_places(text, gazetteer)
    assert [span.value for span in found] == [expected]
    assert text[found[0].start : found[0].end] == expected


@pytest.mark.parametrize(
    "text",
    [
        "13800000004",
        "１３８００００００００４",
        "20261205-0001",
        "楼道灯坏了",
        "停水了",
        "我家楼下的超市卖过期食品",
        "我们小区的物业不作为",
        "马路上有个大坑",
        "十字路口红绿灯坏了",
        "这两天小区门口一直有人摆摊",
        "楼上装修吵了半个月了",
        "58路公交车司机态度差",
        "小区广场舞太吵了",
        "居住证到期了续签在哪里弄",
        "厨余垃圾和其他垃圾怎么区分",
        "小区门口天天有人卖菜堵路",
        "货车占路卸货",
        "施工围挡挡路了",
    ],
)
def test_no_place(text: str, gazetteer: Gazetteer) -> None:
    assert places(text, gazetteer) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("昨儿晚上十点多人民公园附近有人放烟花", "昨儿晚上十点多"),
        ("昨儿个下午停的水", "昨儿个下午"),
        ("今早又没热水", "今早"),
        ("前天晚上锦绣华庭南门有人打架", "前天晚上"),
        ("上周五在老街菜场买的鱼是死的", "上周五"),
        ("上个月交的物业费没开发票", "上个月"),
        ("晚上十点以后还有人跳广场舞", "晚上十点以后"),
        ("半夜施工太吵了", "半夜"),
        ("这两天自来水是浑的", "这两天"),
        ("电梯坏了三天了", "三天"),
        ("3天了还没人来修", "3天"),
        ("最近小区附近的菜市场很脏", "最近"),
        ("年前就报修了，到现在都没人管", "年前"),
        ("2026年11月3日早上7点在火车站被偷了手机", "2026年11月3日早上7点"),
        ("11月3号下午停电", "11月3号下午"),
        ("早上7点半堵得水泄不通", "早上7点半"),
        ("今天下午三点开始停电", "今天下午三点"),
        ("去年年底修完又坏了", "去年年底"),
        ("最近一周都没开门", "最近一周"),
        ("健身器材坏了一年多", "一年多"),
        ("本月5号交的钱", "本月5号"),
        ("昨天下午三点左右在学府路", "昨天下午三点左右"),
        ("昨晚停电到现在", "昨晚"),
        ("今天早上7點半在金色家園", "今天早上7點半"),
        ("十一月初开始就没暖气", "十一月初"),
        ("晚8点以后还在施工", "晚8点以后"),
        ("上周末幸福小区停水", "上周末"),
        ("夜里两三点还有人唱歌", "夜里两三点"),
    ],
)
def test_times_as_said(text: str, expected: str, gazetteer: Gazetteer) -> None:
    assert times(text, gazetteer)[:1] == [expected]


@pytest.mark.parametrize(
    "text",
    [
        "13800000004",
        "停水了",
        "快一点处理",
        "有两点建议",
        "建设路18号的井盖丢了",
        "五一路上堵车",
        "幸福里小区3号楼漏水",
        "早上好",
        "导航去最近的加油站",
    ],
)
def test_no_time(text: str, gazetteer: Gazetteer) -> None:
    assert times(text, gazetteer) == []


def test_patterns_alone_find_places_a_gazetteer_does_not_know() -> None:
    found = find_places("金色家园12号楼1单元暖气片漏水") + find_places("新华路菜市场门口垃圾堆成山")
    assert [s.value for s in found] == ["金色家园12号楼1单元", "新华路菜市场门口"]


def test_gazetteer_reads_the_city_files_with_short_forms(gazetteer: Gazetteer) -> None:
    assert {
        "东湖区",
        "湖滨街道",
        "柳岸社区",
        "人民路",
        "幸福里小区",
        "幸福里",
        "人民公园",
        "示例市图书馆",
        "图书馆",
    } <= set(gazetteer.names)
    assert not any(name.endswith("号") for name in gazetteer.names)


@pytest.mark.parametrize(
    ("text", "unnamed"),
    [
        ("3栋", True),
        ("我家在三号楼二单元", True),
        ("B座楼下", True),
        ("阳光花园3栋", False),
        ("幸福路18号", False),
        ("楼下", False),
        ("13800000004", False),
    ],
)
def test_a_building_alone_is_an_unnamed_place(text: str, unnamed: bool) -> None:
    assert unnamed_place(text) is unnamed
