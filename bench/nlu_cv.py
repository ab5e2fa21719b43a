"""Choose the intent classifier's constants by cross-validation inside the training data
(engine environment): `.venv-rasa/bin/python bench/nlu_cv.py`.

For each candidate setting it trains the tokenizer, the intent classifier and the grouped
fallback of `config.yml` on k-1 folds of `data/nlu` and scores the held-out fold
(macro-F1 of the intent after the fallback, as Rasa's own cross-validation counts it),
and, where `bench/data/terse.csv` exists, the share of its dev half acted on (the test
half is never read here). No real resident data is read.
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

from bench.nlu import TERSE, acted_on  # noqa: E402


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
            storage, Resource("tokenizer"),
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


def terse_rows(split: str) -> list[dict[str, str]]:
    if not TERSE.exists():
        return []
    with TERSE.open(encoding="utf-8") as handle:
        return [row for row in csv.DictReader(handle) if row["split"] == split]


def cross_validate(settings: dict[str, dict[str, Any]], examples: list[Any], folds: int,
                   seed: int = 20261205) -> float:
    from sklearn.metrics import f1_score
    from sklearn.model_selection import StratifiedKFold

    labels = [e.get("intent") for e in examples]
    truth: list[str] = []
    predicted: list[str] = []
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for train_index, test_index in splitter.split(examples, labels):
        with tempfile.TemporaryDirectory() as storage:
            pipeline = Pipeline(settings, Path(storage))
            pipeline.train([examples[i] for i in train_index])
            results = pipeline.predict([examples[i].get("text") for i in test_index])
        truth += [labels[i] for i in test_index]
        predicted += [r["intent"]["name"] for r in results]
    return float(f1_score(truth, predicted, average="macro", labels=sorted(set(labels))))


def terse_dev_score(settings: dict[str, dict[str, Any]], examples: list[Any]) -> float | None:
    rows = terse_rows("dev")
    if not rows:
        return None
    with tempfile.TemporaryDirectory() as storage:
        pipeline = Pipeline(settings, Path(storage))
        pipeline.train(examples)
        results = pipeline.predict([row["text"] for row in rows])
    hits = [acted_on(row["intent"], r["intent"]["name"])
            for row, r in zip(rows, results, strict=True)]
    return sum(hits) / len(hits)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--C", type=float, nargs="+", default=None)
    parser.add_argument("--cue-weight", type=float, nargs="+", default=None)
    args = parser.parse_args()
    base = pipeline_config()
    examples = load_examples()
    grid_c = args.C or [base["classifier"].get("C", 20.0)]
    grid_w = args.cue_weight or [base["classifier"].get("cue_weight", 1.0)]
    for c, weight in itertools.product(grid_c, grid_w):
        settings = {**base, "classifier": {**base["classifier"], "C": c, "cue_weight": weight}}
        print(json.dumps({
            "C": c, "cue_weight": weight,
            "cv_macro_f1": round(cross_validate(settings, examples, args.folds), 4),
            "terse_dev_acted_on": terse_dev_score(settings, examples),
        }), flush=True)


if __name__ == "__main__":
    main()
