"""The city folder: the shipped sample loads, and broken copies are refused clearly."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from jiesu.city import REQUIRED_CATEGORIES, City, CityConfigError, load_city
from jiesu.city.locate import Location, Match, house_number
from jiesu.config import PROJECT_ROOT, get_settings

SAMPLE = PROJECT_ROOT / "data" / "city"


@pytest.fixture(scope="module")
def city() -> City:
    return load_city(SAMPLE)


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    target = tmp_path / "city"
    shutil.copytree(SAMPLE, target)
    return target


def edit(folder: Path, filename: str, change: Callable[[dict[str, Any]], None]) -> None:
    path = folder / filename
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def replace_text(folder: Path, filename: str, old: str, new: str) -> None:
    path = folder / filename
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def problems(folder: Path) -> str:
    with pytest.raises(CityConfigError) as caught:
        load_city(folder)
    return str(caught.value)


def department(data: dict[str, Any], department_id: str) -> dict[str, Any]:
    found: dict[str, Any] = next(d for d in data["departments"] if d["id"] == department_id)
    return found


def grids(data: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for district in data["districts"]:
        for street in district["streets"]:
            for community in street["communities"]:
                yield from community["grids"]


def grid(data: dict[str, Any], grid_id: str) -> dict[str, Any]:
    return next(g for g in grids(data) if g["id"] == grid_id)


# The shipped sample


def test_the_sample_city_loads(city: City) -> None:
    assert city.name == "示例市"
    assert [c.name for c in city.categories][: len(REQUIRED_CATEGORIES)] == list(
        REQUIRED_CATEGORIES
    )
    for category in city.categories:
        assert 3 <= len(category.subcategories) <= 8, category.name
        for sub in category.subcategories:
            assert sub.keywords, sub.name
            assert city.department_for(category.name, sub.name) in city.departments
    assert 15 <= len(city.departments) <= 25
    assert city.dispatch_center.id == "hotline"
    assert len(city.districts) == 2
    for district in city.districts:
        assert 2 <= len(district.streets) <= 3
        for street in district.streets:
            assert 2 <= len(street.communities) <= 3
            for community in street.communities:
                assert 1 <= len(community.grids) <= 3
    assert all(located.grid.worker.name for located in city.grids)


def test_a_subcategory_entry_takes_precedence_over_its_first_level(city: City) -> None:
    assert city.department_for("城乡建设", "物业管理").id == "housing"
    assert city.department_for("城乡建设", "供水").id == "water-supply"
    assert city.department_for("城乡建设", "供电").id == "power-supply"
    assert city.department_for("城乡建设", "燃气供暖").id == "gas-heating"
    assert city.department_for("政法", "治安管理").id == "public-security"
    assert city.department_for("政法", "法律服务").id == "justice"
    assert city.department_for("政法").id == "public-security"
    assert city.department_for("交通运输", "交通秩序").id == "public-security"
    with pytest.raises(KeyError, match="unknown subcategory"):
        city.department_for("城乡建设", "不存在")
    with pytest.raises(KeyError, match="unknown category"):
        city.department_for("不存在")


def test_places_roads_and_street_dispatchers_locate_grids(city: City) -> None:
    located = city.grid_for_place("幸福里小区")
    assert located is not None
    assert (located.district.name, located.street.name, located.community.name) == (
        "东湖区",
        "湖滨街道",
        "湖滨社区",
    )
    assert "人民路1-99号" in located.grid.locating_names
    assert city.grid_for_place("不存在的小区") is None

    def grid_id(road: str, number: int | None = None) -> str | None:
        found = city.grid_for_road(road, number)
        return found.grid.id if found else None

    assert grid_id("人民路", 99) == "hubin-sq-1"
    assert grid_id("人民路", 100) == "hubin-sq-2"
    assert grid_id("人民路", 250) == "chunhua-sq-1"  # the road runs on into another street
    assert grid_id("人民路", 999) is None
    assert grid_id("人民路") is None  # several grids: a number is needed
    assert grid_id("柳岸街") == "liuan-1"  # the whole road lies in one grid
    assert city.street_dispatcher("hubin").name == city.street_dispatcher("湖滨街道").name
    assert city.grid("shuxiang-2").street.dispatcher.id == "d0202"


def where(location: Location) -> str:
    """The grid id, `street:<id>` or `none`, as in bench/data/addresses.csv."""
    if location.grid is not None:
        return location.grid.grid.id
    return f"street:{location.street.id}" if location.street is not None else "none"


@pytest.mark.parametrize(
    ("address", "expected", "match"),
    [
        ("我家住在幸福里小区，楼上很吵", "hubin-sq-1", Match.PLACE),
        ("幸福里5号楼", "hubin-sq-1", Match.PLACE),  # 小区 dropped
        ("市图书馆", "wanghu-2", Match.PLACE),  # 示例市 dropped
        ("人民路100号", "hubin-sq-2", Match.HOUSE_NUMBER),
        ("人民路 250 号", "chunhua-sq-1", Match.HOUSE_NUMBER),
        ("人民路一百二十號", "hubin-sq-2", Match.HOUSE_NUMBER),
        ("人民路１８号", "hubin-sq-1", Match.HOUSE_NUMBER),
        ("陽光花園", "hubin-sq-1", Match.PLACE),
        ("柳岸街", "liuan-1", Match.ROAD),  # the whole road lies in one grid
        ("望湖路", "street:hubin", Match.ROAD),  # its grids lie in one street
        ("青石大道800号", "street:qingshi", Match.ROAD),  # no such house number
        ("解放大道和望湖路路口", "wanghu-2", Match.ROAD),  # the one grid both roads cross
        ("柳岸社区", "liuan-1", Match.COMMUNITY),
        ("湖滨社区", "street:hubin", Match.COMMUNITY),
        ("青石村三组", "qingshi-village-2", Match.PLACE),  # not the village 青石村
        ("春华街道", "street:chunhua", Match.STREET),
        ("人民路", "none", Match.NONE),  # the road runs through two streets
        ("东湖区", "none", Match.NONE),
        ("北京路12号", "none", Match.NONE),
    ],
)
def test_locate_an_address(city: City, address: str, expected: str, match: Match) -> None:
    location = city.locate(address)
    assert (where(location), location.match) == (expected, match)
    assert not location.conflict


def test_contradicting_names_are_a_conflict(city: City) -> None:
    within_a_street = city.locate("人民公园和东湖广场之间")
    assert (where(within_a_street), within_a_street.conflict) == ("street:hubin", True)
    across_streets = city.locate("春华街道人民路50号")
    assert (where(across_streets), across_streets.conflict) == ("none", True)
    assert across_streets.names == ("春华街道", "人民路50号")


def test_short_forms_shared_by_two_places_or_inside_other_names_are_not_used(
    city: City,
) -> None:
    assert where(city.locate("人民医院")) == "none"  # 东湖区人民医院 and 西山区人民医院
    assert where(city.locate("春华")) == "none"  # 春华小区, but also 春华路 and 春华街道


def test_the_dispatcher_of_a_location(city: City) -> None:
    assert city.locate("湖滨路30号").dispatcher == city.grid("hubin-sq-1").grid.worker
    assert city.locate("湖滨社区").dispatcher == city.street_dispatcher("hubin")
    assert city.locate("我家门口").dispatcher is None


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("18号", 18),
        ("18", 18),
        ("十八号", 18),
        ("一百零五号", 105),
        ("三二一号", 321),
        ("两百号", 200),
        ("一带", None),
        ("号", None),
    ],
)
def test_house_number(text: str, number: int | None) -> None:
    assert house_number(text) == number


def test_the_sample_files_stay_invisible_to_rasa() -> None:
    # Rasa reads a YAML file under data/ as training data when any line starts
    # with one of these keys (rasa.shared.utils.io.is_key_in_yaml).
    rasa_keys = ("nlu:", "responses:", "stories:", "rules:", "version:", "intents:")
    for path in SAMPLE.glob("*.yml"):
        text = path.read_text(encoding="utf-8")
        assert text.startswith("# 示例数据，实际使用时由所在城市替换"), path.name
        assert not [line for line in text.splitlines() if line.lstrip().startswith(rasa_keys)]


def test_the_folder_comes_from_the_settings(copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    edit(copy, "areas.yml", lambda data: data.update(city="另一市"))
    monkeypatch.setenv("JIESU_CITY_DIR", str(copy))
    get_settings.cache_clear()
    try:
        assert load_city().name == "另一市"
    finally:
        get_settings.cache_clear()


# Broken copies


def test_unknown_category_in_a_department(copy: Path) -> None:
    edit(
        copy,
        "departments.yml",
        lambda d: department(d, "housing")["handles"].append("城乡建设/不存在"),
    )
    assert "departments.yml: departments[housing].handles: unknown category '城乡建设/不存在'" in (
        problems(copy)
    )


def test_a_subcategory_without_a_lead_department(copy: Path) -> None:
    edit(copy, "departments.yml", lambda d: d["departments"].remove(department(d, "housing")))
    found = problems(copy)
    assert "departments.yml: no lead department for '城乡建设/物业管理'" in found
    assert "'城乡建设/供水'" not in found  # still led by the water company


def test_without_its_own_lead_a_subcategory_falls_back_to_the_first_level(copy: Path) -> None:
    edit(copy, "departments.yml", lambda d: d["departments"].remove(department(d, "water-supply")))
    assert load_city(copy).department_for("城乡建设", "供水").id == "housing"


def test_a_subcategory_with_two_lead_departments(copy: Path) -> None:
    edit(
        copy,
        "departments.yml",
        lambda d: department(d, "power-supply")["handles"].append("城乡建设/供水"),
    )
    assert (
        "departments.yml: category '城乡建设/供水' has 2 lead departments: "
        "power-supply, water-supply" in problems(copy)
    )


def test_a_first_level_category_with_two_lead_departments(copy: Path) -> None:
    edit(
        copy, "departments.yml", lambda d: department(d, "transport")["handles"].append("环境保护")
    )
    assert "category '环境保护' has 2 lead departments: ecology, transport" in problems(copy)


def test_duplicate_department_ids(copy: Path) -> None:
    edit(copy, "departments.yml", lambda d: department(d, "justice").update(id="education"))
    assert "departments.yml: department id 'education' is used 2 times" in problems(copy)


def test_duplicate_grid_ids(copy: Path) -> None:
    edit(copy, "areas.yml", lambda d: grid(d, "liuan-1").update(id="hubin-sq-1"))
    assert (
        "areas.yml: id 'hubin-sq-1' is used by grid 湖滨社区第一网格 and grid 柳岸社区网格"
        in problems(copy)
    )


def test_a_locating_name_in_two_grids(copy: Path) -> None:
    edit(copy, "areas.yml", lambda d: grid(d, "liuan-1")["compounds"].append("幸福里小区"))
    assert (
        "areas.yml: place name '幸福里小区' locates more than one place: "
        "grid hubin-sq-1 and grid liuan-1" in problems(copy)
    )


def test_overlapping_house_numbers_of_one_road(copy: Path) -> None:
    edit(copy, "areas.yml", lambda d: grid(d, "liuan-1")["roads"].append("人民路50-120号"))
    found = problems(copy)
    assert (
        "road '人民路': 人民路1-99号 (grid hubin-sq-1) overlaps 人民路50-120号 (grid liuan-1)"
        in found
    )
    assert "人民路100-199号 (grid hubin-sq-2) overlaps 人民路50-120号 (grid liuan-1)" in found


def test_a_malformed_road(copy: Path) -> None:
    edit(copy, "areas.yml", lambda d: grid(d, "liuan-1")["roads"].append("人民路99-1号"))
    assert "road '人民路99-1号': the house-number range is empty" in problems(copy)


def test_missing_required_first_level_categories(copy: Path) -> None:
    def drop(data: dict[str, Any]) -> None:
        data["categories"] = [c for c in data["categories"] if c["name"] not in ("政法", "民政")]

    edit(copy, "categories.yml", drop)
    found = problems(copy)
    assert "categories.yml: missing required first-level categories: 政法, 民政" in found
    assert "departments[civil-affairs].handles: unknown category '民政'" in found


def test_a_grid_without_worker(copy: Path) -> None:
    edit(copy, "areas.yml", lambda d: grid(d, "hubin-sq-1").pop("worker"))
    assert (
        "areas.yml: districts[donghu].streets[hubin].communities[hubin-sq].grids[hubin-sq-1]"
        ".worker: Field required" in problems(copy)
    )


def test_an_id_that_is_not_an_ascii_slug(copy: Path) -> None:
    edit(copy, "areas.yml", lambda d: grid(d, "liuan-1").update(id="柳岸1"))
    assert "grids[柳岸1].id: String should match pattern" in problems(copy)


def test_a_malformed_date(copy: Path) -> None:
    replace_text(copy, "deadlines.yml", "last: 2026-10-07", "last: 2026-10-32")
    found = problems(copy)
    assert (
        "deadlines.yml: holiday_calendar[2026].holidays[国庆节].last: Input should be a valid date"
        in (found)
    )
    assert "'2026-10-32'" in found


def test_a_make_up_working_day_on_a_weekday(copy: Path) -> None:
    replace_text(copy, "deadlines.yml", "[2026-05-09]", "[2026-05-08]")
    assert (
        "holiday_calendar[2026].holidays[劳动节]: make-up working day 2026-05-08 is a Friday"
        in problems(copy)
    )


def test_a_holiday_outside_its_year(copy: Path) -> None:
    replace_text(copy, "deadlines.yml", "last: 2026-06-21", "last: 2062-06-21")
    assert "holidays[端午节]: 2062-06-21 is outside 2026" in problems(copy)


def test_an_unknown_utility_category(copy: Path) -> None:
    edit(copy, "deadlines.yml", lambda d: d["utility_categories"].append("城乡建设/自来水"))
    assert "deadlines.yml: utility_categories: unknown category '城乡建设/自来水'" in problems(copy)


def test_a_missing_service_tier(copy: Path) -> None:
    edit(copy, "deadlines.yml", lambda d: d["service_levels"].pop("complex"))
    assert "deadlines.yml: service_levels: missing tier 'complex'" in problems(copy)


def test_no_dispatch_center(copy: Path) -> None:
    edit(copy, "departments.yml", lambda d: department(d, "hotline").pop("dispatch_center"))
    assert "exactly one department needs dispatch_center: true, found 0" in problems(copy)


def test_a_line_rasa_would_take_for_training_data(copy: Path) -> None:
    replace_text(copy, "categories.yml", "categories:\n", "categories:\n  rules: []\n")
    assert "categories.yml: line" in problems(copy)
    assert "starts with 'rules:', so Rasa would read this file as training data" in problems(copy)


def test_invalid_yaml_names_the_file_and_line(copy: Path) -> None:
    replace_text(copy, "areas.yml", "name: 王丽}", "name: 王丽]")
    assert "areas.yml: not valid YAML: line 16, column" in problems(copy)


def test_a_missing_file(copy: Path) -> None:
    (copy / "departments.yml").unlink()
    assert "departments.yml: file not found" in problems(copy)


def test_every_problem_is_reported_at_once(copy: Path) -> None:
    edit(copy, "areas.yml", lambda d: grid(d, "hubin-sq-1").pop("worker"))
    edit(copy, "departments.yml", lambda d: department(d, "housing")["handles"].append("不存在"))
    found = problems(copy)
    assert "areas.yml: " in found
    assert "departments.yml: " in found
