"""Smart routing: the out-of-the-box lexicon router, the trainable router, the CLI."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner, Result

from jiesu.city import load_city
from jiesu.cli import app
from jiesu.config import PROJECT_ROOT
from jiesu.routing import Route, route
from jiesu.routing.examples import ExampleClassifier, Examples, load_examples
from jiesu.routing.lexicon import Lexicon, LexiconRouter
from jiesu.routing.prior import keyword_specificity
from jiesu.routing.router import lexicon_router
from jiesu.routing.tokens import BODY_CHARS, model_text
from tests.core.routing_tickets import TICKETS

CITY = load_city()


@pytest.mark.parametrize(
    ("text", "category", "subcategory"),
    [
        ("小区电梯坏了一个星期没人修", "城乡建设", "物业管理"),
        ("工厂偷排污水，河里的鱼都死了", "环境保护", "水污染"),
        ("公交车不准点，等了四十分钟", "交通运输", "公交地铁"),
        ("老板欠薪三个月不给", "劳动和社会保障", "劳动关系"),
        ("孩子上学划片不合理", "教育文体", "义务教育"),
        ("楼上装修噪音太大，晚上十点还在施工", "环境保护", "噪声污染"),
        ("异地就医的医保报销太麻烦", "劳动和社会保障", "医疗保险"),
    ],
)
def test_routes_own_sentences(text: str, category: str, subcategory: str) -> None:
    result = route(text)
    assert (result.category, result.subcategory) == (category, subcategory)
    assert result.department == CITY.department_for(category, subcategory).name
    assert 0.0 <= result.confidence <= 1.0


def test_subcategory_lead_department() -> None:
    result = route("我家停水两天了")
    assert (result.category, result.subcategory) == ("城乡建设", "供水")
    assert result.department == CITY.department("water-supply").name


def test_traditional_characters_route_like_simplified() -> None:
    assert route("小區電梯壞了，物業不管") == route("小区电梯坏了，物业不管")


def test_gibberish_goes_to_the_dispatcher() -> None:
    result = route("asdf qwer 123 ？？")
    assert result.category is None
    assert result.confidence < result.threshold
    assert result.needs_dispatcher
    assert result.department == CITY.dispatch_center.name


def test_clear_message_does_not_need_a_dispatcher() -> None:
    assert not route("工厂偷排污水，河道污染严重").needs_dispatcher


def test_subject_line_outweighs_the_body() -> None:
    lexicon = LexiconRouter({("甲", "一"): ("停水",), ("乙", "二"): ("噪音",)})
    scores = lexicon.score("小区停水\n楼下噪音，噪音很大，小区停水三天")
    assert scores.categories["甲"] > scores.categories["乙"]
    assert lexicon.score("停水").categories == {"甲": 1.0}


def test_model_text_repeats_the_subject_and_cuts_the_body() -> None:
    text = model_text("标题\n" + "正" * (BODY_CHARS + 50))
    assert text.startswith("标题\n标题\n")
    assert text.count("正") == BODY_CHARS


def test_examples_route_messages_without_keywords() -> None:
    lexicon: Lexicon = {("甲", "一"): ("停水",), ("乙", "二"): ("噪音",)}
    examples: Examples = {
        ("甲", "一"): ("家里的水龙头一滴水也放不出来",),
        ("乙", "二"): ("楼上半夜唱歌吵得睡不着",),
    }
    classifier = ExampleClassifier(examples, lexicon)
    probabilities, known = classifier.probabilities(["楼上邻居半夜唱歌", "xyz 123"])
    assert classifier.subcategories[int(probabilities[0].argmax())] == ("乙", "二")
    assert list(known) == [True, False]


def test_examples_must_name_known_subcategories() -> None:
    with pytest.raises(ValueError, match="甲/三"):
        ExampleClassifier({("甲", "三"): ("一句话",)}, {("甲", "一"): ("停水",)})


def test_project_examples_cover_every_subcategory() -> None:
    examples = load_examples()
    assert set(examples) == set(lexicon_router().lexicon)
    assert all(texts for texts in examples.values())


def test_knowledge_routes_a_message_without_the_citys_keywords() -> None:
    assert not lexicon_router().score("老板三个月没发钱了").categories
    result = route("老板三个月没发钱了")
    assert (result.category, result.subcategory) == ("劳动和社会保障", "劳动关系")


def test_a_vague_message_waits_with_three_guesses() -> None:
    result = route("这个事情一直没人处理，希望尽快解决")
    assert result.needs_dispatcher
    assert len(result.guesses) == 3
    assert result.guesses[0].category == result.category
    assert [g.confidence for g in result.guesses] == sorted(
        (g.confidence for g in result.guesses), reverse=True
    )


def test_letter_with_title_and_body() -> None:
    title = "关于某小区开发商延期交房的投诉"
    body = "我们是该楼盘的购房者，合同约定去年交房，至今没有交付，孩子上学也受到影响。"
    result = route(f"{title}\n{body}")
    assert result.category == "城乡建设"
    assert result.subcategory == "住房与建筑"


def test_keywords_belong_to_one_subcategory_each() -> None:
    raw = yaml.safe_load((PROJECT_ROOT / "data/city/categories.yml").read_text("utf-8"))
    seen: dict[str, str] = {}
    for category in raw["categories"]:
        for sub in category["subcategories"]:
            for word in sub["keywords"]:
                assert word not in seen, f"{word} in {seen.get(word)} and {sub['name']}"
                seen[word] = sub["name"]


@pytest.fixture
def tickets(tmp_path: Path) -> Path:
    path = tmp_path / "tickets.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["title", "body", "label"])
        for label, texts in TICKETS.items():
            for text in texts:
                writer.writerow([text, f"市民反映：{text}，请尽快处理。", label])
    return path


def _reading(tickets: Path) -> list[str]:
    """The CLI options reading the tickets CSV."""
    return ["--data", str(tickets), "--text-columns", "title,body", "--label-column", "label"]


def _train(tickets: Path, out: Path) -> Result:
    """`jiesu train routing` on the tickets CSV, writing the model to `out`."""
    return CliRunner().invoke(app, ["train", "routing", *_reading(tickets), "--out", str(out)])


def test_train_and_eval_round_trip(tickets: Path, tmp_path: Path) -> None:
    model = tmp_path / "routing.joblib"
    trained = _train(tickets, model)
    assert trained.exit_code == 0, trained.output
    assert model.exists()

    evaluated = CliRunner().invoke(
        app, ["eval", "routing", *_reading(tickets), "--model", str(model)]
    )
    assert evaluated.exit_code == 0, evaluated.output
    report = json.loads(evaluated.output)
    assert report["n"] == 18
    assert report["accuracy"] >= 0.9
    assert set(report["per_class"]) == set(TICKETS)
    assert {"precision", "recall", "f1"} <= set(report["per_class"]["交通运输"])

    result = route("公交车一直不来", model=model)
    assert result.category == "交通运输"
    assert result.subcategory == "公交地铁"


def test_cli_route_json() -> None:
    result = CliRunner().invoke(app, ["route", "小区电梯坏了", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert set(data) == {
        "category",
        "subcategory",
        "department",
        "confidence",
        "threshold",
        "guesses",
    }
    assert data["category"] == "城乡建设"
    assert data["department"] == CITY.department_for("城乡建设", "物业管理").name
    assert "城乡建设" in result.output  # ensure_ascii=False
    assert Route.from_dict(data) == route("小区电梯坏了")


def test_keywords_our_examples_use_across_categories_weigh_less() -> None:
    lexicon = {("甲", "一"): ("小区", "停水"), ("乙", "二"): ("噪音",)}
    examples = {("甲", "一"): ("小区停水了",), ("乙", "二"): ("小区噪音太大", "小区里噪音")}
    weights = keyword_specificity(lexicon, examples, 1.0)
    assert weights[("停水", ("甲", "一"))] == 1.0
    assert weights[("小区", ("甲", "一"))] == pytest.approx(2 / 4)
    assert keyword_specificity(lexicon, examples, 0.0) == {}
    scores = LexiconRouter(lexicon, weights).score("小区停水")
    assert scores.subcategories[("甲", "一")] == pytest.approx(1.5)


def test_the_deployed_model_routes_and_an_unreadable_one_is_skipped(
    tickets: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    deployed = tmp_path / "deployed.joblib"
    monkeypatch.setenv("JIESU_ROUTING_MODEL", str(deployed))
    out_of_the_box = route("公交车一直不来")
    deployed.write_bytes(b"not a model")
    assert route("公交车一直不来") == out_of_the_box
    result = _train(tickets, deployed)
    assert result.exit_code == 0, result.output
    assert route("公交车一直不来") == route("公交车一直不来", model=deployed)
