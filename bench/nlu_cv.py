"""Choose the intent classifier's constants by cross-validation inside the training data
(engine environment): `.venv-rasa/bin/python bench/nlu_cv.py`.

For each candidate setting it trains the tokenizer and the intent classifier of
`config.yml` on k-1 folds of `data/nlu` and scores the held-out fold after the grouped
fallback at each candidate threshold: macro-F1 of the intent (as Rasa's own
cross-validation counts it), the share of our out-of-scope examples that would open an
appeal, and the share acted on of the dev halves of our own sets, short messages
(`bench/data/terse.csv`) and long letters (`bench/data/letters.csv`); their test halves
are never read here. No real resident data is read.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.nlu import APPEAL_GROUP, OWN_LETTERS, TERSE, acted_on  # noqa: E402


def pipeline_config() -> dict[str, dict[str, Any]]:
    """The classifier's and the fallback's settings as config.yml gives them."""
    import yaml

    config = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))
    by_name = {step["name"].rsplit(".", 1)[-1]: step for step in config["pipeline"]}
    strip = lambda step: {k: v for k, v in step.items() if k != "name"}  # noqa: E731
    return {
        "tokenizer": strip(by_name["JiesuTokenizer"]),
        "classifier": strip(by_name["LinearIntentClassifier"]),
        "fallback": strip(by_name["GroupedFallbackClassifier"]),
    }


class Pipeline:
    """The three components, trained on given examples, predicting final intents."""

    def __init__(self, settings: dict[str, dict[str, Any]], storage_dir: Path) -> None:
        from rasa.engine.storage.local_model_storage import LocalModelStorage
        from rasa.engine.storage.resource import Resource

        from jiesu_nlu.classifier import LinearIntentClassifier
        from jiesu_nlu.fallback import GroupedFallbackClassifier
        from jiesu_nlu.tokenizer import JiesuTokenizer

        storage = LocalModelStorage(storage_dir)
        self.tokenizer = JiesuTokenizer(
            {**JiesuTokenizer.get_default_config(), **settings["tokenizer"]},
            storage,
            Resource("tokenizer"),
        )
        self.tokenizer_loaded = False
        self.classifier = LinearIntentClassifier(
            settings["classifier"], storage, Resource(f"classifier-{id(self)}")
        )
        self.fallback = GroupedFallbackClassifier(
            {**GroupedFallbackClassifier.get_default_config(), **settings["fallback"]},
        )

    def train(self, examples: list[Any]) -> None:
        from rasa.shared.nlu.training_data.training_data import TrainingData

        data = TrainingData(training_examples=examples)
        self.tokenizer.process_training_data(data)
        self.classifier.train(data)

    def predict(self, texts: list[str]) -> list[dict[str, Any]]:
        from rasa.shared.nlu.training_data.message import Message

        messages = [Message(data={"text": t}) for t in texts]
        self.tokenizer.process(messages)
        self.classifier.process(messages)
        self.fallback.process(messages)
        return [m.as_dict_nlu() for m in messages]


def load_examples() -> list[Any]:
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(str(ROOT / "data" / "nlu"))
    return [e for e in data.intent_examples if e.get("intent") and e.get("text")]


def dev_rows(path: Path) -> dict[str, list[dict[str, str]]]:
    """The dev splits of one of our own sets ("dev", "dev2"…), each apart; the test
    splits are never read here."""
    if not path.exists():
        return {}
    splits: dict[str, list[dict[str, str]]] = {}
    with path.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["split"].startswith("dev"):
                splits.setdefault(row["split"], []).append(row)
    return splits


def cross_validate(
    settings: dict[str, dict[str, Any]], examples: list[Any], folds: int, seed: int = 20261205
) -> tuple[list[str], list[dict[str, Any]]]:
    """The held-out examples' intents and how each was parsed, over all folds."""
    from sklearn.model_selection import StratifiedKFold

    labels = [e.get("intent") for e in examples]
    truth: list[str] = []
    parsed: list[dict[str, Any]] = []
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for train_index, test_index in splitter.split(examples, labels):
        with tempfile.TemporaryDirectory() as storage:
            pipeline = Pipeline(settings, Path(storage))
            pipeline.train([examples[i] for i in train_index])
            parsed += pipeline.predict([examples[i].get("text") for i in test_index])
        truth += [labels[i] for i in test_index]
    return truth, parsed


def refallback(parsed: list[dict[str, Any]], fallback: dict[str, Any]) -> list[str]:
    """The intents `parsed` would get with other fallback settings."""
    from rasa.shared.nlu.training_data.message import Message

    from jiesu_nlu.fallback import GroupedFallbackClassifier

    classifier = GroupedFallbackClassifier(
        {**GroupedFallbackClassifier.get_default_config(), **fallback}
    )
    decided = []
    for result in parsed:
        ranking = [r for r in result["intent_ranking"] if r["name"] != "nlu_fallback"]
        message = Message(
            data={"text": result["text"], "intent": dict(ranking[0]), "intent_ranking": ranking}
        )
        classifier.process([message])
        decided.append(message.get("intent")["name"])
    return decided


def macro_f1(truth: list[str], predicted: list[str]) -> float:
    from sklearn.metrics import f1_score

    return float(f1_score(truth, predicted, average="macro", labels=sorted(set(truth))))


def out_of_scope_as_appeal(truth: list[str], predicted: list[str]) -> float:
    """The share of our own out-of-scope examples that would open an appeal."""
    pairs = [(t, p) for t, p in zip(truth, predicted, strict=True) if t == "out_of_scope"]
    return sum(p in APPEAL_GROUP | {"emergency"} for _, p in pairs) / len(pairs)


DEV_SETS = {"terse": TERSE, "letters": OWN_LETTERS}


def dev_parsed(
    settings: dict[str, dict[str, Any]],
    examples: list[Any],
) -> dict[str, tuple[list[str], list[dict[str, Any]]]]:
    """Each dev split of our own sets ("terse_dev", "letters_dev2"…): its intents and how
    a model of all `examples` parses it."""
    with tempfile.TemporaryDirectory() as storage:
        pipeline = Pipeline(settings, Path(storage))
        pipeline.train(examples)
        return {
            f"{name}_{split}": (
                [row["intent"] for row in rows],
                pipeline.predict([row["text"] for row in rows]),
            )
            for name, path in DEV_SETS.items()
            for split, rows in dev_rows(path).items()
        }


def acted_on_share(truth: list[str], predicted: list[str]) -> float | None:
    if not truth:
        return None
    return sum(acted_on(t, p) for t, p in zip(truth, predicted, strict=True)) / len(truth)


def write_errors(
    path: Path,
    cv: tuple[list[str], list[dict[str, Any]]],
    dev: dict[str, tuple[list[str], list[dict[str, Any]]]],
    fallback: dict[str, Any],
) -> None:
    """The examples not acted on (CV: not given their own intent), with what they got."""
    errors: dict[str, list[dict[str, Any]]] = {}
    for name, (truth, parsed) in {"cv": cv, **dev}.items():
        decided = refallback(parsed, fallback)
        wrong = (
            (t, d, p)
            for t, d, p in zip(truth, decided, parsed, strict=True)
            if (t != d if name == "cv" else not acted_on(t, d))
        )
        errors[name] = [
            {
                "text": p["text"],
                "intent": t,
                "got": d,
                "ranking": [
                    [r["name"], round(r["confidence"], 3)] for r in p["intent_ranking"][:3]
                ],
            }
            for t, d, p in wrong
        ]
    path.write_text(json.dumps(errors, ensure_ascii=False, indent=1), encoding="utf-8")


def grid_of(specs: list[str]) -> list[dict[str, float]]:
    """Every combination of the classifier settings given as NAME=V1,V2,..."""
    axes = [
        (name, [float(v) for v in values.split(",")])
        for name, values in (spec.split("=", 1) for spec in specs)
    ]
    return [
        dict(zip([name for name, _ in axes], combo, strict=True))
        for combo in itertools.product(*(values for _, values in axes))
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument(
        "--grid",
        action="append",
        default=[],
        metavar="NAME=V1,V2",
        help="classifier settings to try, e.g. --grid C=10,20",
    )
    parser.add_argument(
        "--threshold",
        type=float,
        nargs="+",
        default=None,
        help="fallback thresholds to score on the same predictions",
    )
    parser.add_argument(
        "--errors",
        type=Path,
        default=None,
        metavar="FILE",
        help="write every misread example (CV and dev splits) of the last setting as JSON",
    )
    args = parser.parse_args()
    base = pipeline_config()
    examples = load_examples()
    thresholds = args.threshold or [base["fallback"]["threshold"]]
    for setting in grid_of(args.grid):
        settings = {**base, "classifier": {**base["classifier"], **setting}}
        truth, parsed = cross_validate(settings, examples, args.folds)
        dev = dev_parsed(settings, examples)
        for threshold in thresholds:
            fallback = {**base["fallback"], "threshold": threshold}
            predicted = refallback(parsed, fallback)
            print(
                json.dumps(
                    {
                        **setting,
                        "threshold": threshold,
                        "cv_macro_f1": round(macro_f1(truth, predicted), 4),
                        "cv_out_of_scope_as_appeal": round(
                            out_of_scope_as_appeal(truth, predicted), 4
                        ),
                        **{
                            f"{name}_acted_on": acted_on_share(rows, refallback(parse, fallback))
                            for name, (rows, parse) in dev.items()
                        },
                    }
                ),
                flush=True,
            )
        if args.errors:
            write_errors(args.errors, (truth, parsed), dev, base["fallback"])


if __name__ == "__main__":
    main()
