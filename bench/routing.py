"""Routing benchmark (app environment): `make bench` runs it.

On the labelled TipDM 2020 C messages in ../shared/data/ (measurement only; the
project never trains its shipped router on them), writes bench/results/routing.json with
- the out-of-the-box router's (the city's keywords and the hand-written examples in
  data/routing/) first-level accuracy and macro-F1, and the share it would send to a
  dispatcher for confirmation (its best guess still counts as its prediction);
- a 5-fold stratified cross-validation of the trainable router against a plain
  TF-IDF (jieba words) + LinearSVC baseline, on the same folds in the same run;
- routing latency per message, out of the box and with a trained model.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.svm import LinearSVC

from jiesu.routing import model as trained
from jiesu.routing import route
from jiesu.routing.data import evaluate, read_labelled
from jiesu.routing.router import lexicon_router
from jiesu.routing.tokens import tokenize

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "routing.json"
DATA = ROOT.parent / "shared" / "data" / "tipdm2020c_messages_dev455.csv"
FOLDS = 5
SEED = 0


def _summary(metrics: dict[str, Any]) -> dict[str, Any]:
    return {k: metrics[k] for k in ("n", "accuracy", "macro_f1")}


def out_of_the_box(texts: list[str], labels: list[str]) -> dict[str, Any]:
    """The knowledge-only router: the city's keywords and the hand-written examples."""
    routes = [route(text) for text in texts]
    predicted = [r.category for r in routes]
    flagged = sum(r.needs_dispatcher for r in routes)
    return {
        **evaluate(labels, predicted),
        "abstained": predicted.count(None),
        "needs_dispatcher_share": round(flagged / len(routes), 4),
    }


def cross_validate(texts: list[str], labels: list[str]) -> dict[str, Any]:
    """Ours vs the baseline, trained and tested on the same stratified folds."""
    lexicon = lexicon_router().lexicon
    ours: list[str | None] = [None] * len(texts)
    baseline: list[str | None] = [None] * len(texts)
    folds = StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=SEED)
    for train_idx, test_idx in folds.split(texts, labels):
        train_texts = [texts[i] for i in train_idx]
        train_labels = [labels[i] for i in train_idx]
        test_texts = [texts[i] for i in test_idx]
        router = trained.train(train_texts, train_labels, lexicon)
        plain = Pipeline([
            ("tfidf", TfidfVectorizer(analyzer=tokenize)),
            ("svm", LinearSVC(random_state=SEED)),
        ]).fit(train_texts, train_labels)
        for i, (label, _) in zip(test_idx, router.predict(test_texts), strict=True):
            ours[i] = label
        for i, label in zip(test_idx, plain.predict(test_texts), strict=True):
            baseline[i] = str(label)
    return {
        "folds": FOLDS,
        "seed": SEED,
        "ours": evaluate(labels, ours),
        "baseline_tfidf_linearsvc": evaluate(labels, baseline),
    }


def latency(texts: list[str], model: Path | None) -> dict[str, Any]:
    """Milliseconds per `route` call, after a warm-up call has loaded everything."""
    route(texts[0], model=model)
    times = []
    for text in texts:
        started = time.perf_counter()
        route(text, model=model)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {
        "messages": len(times),
        "p50_ms": round(statistics.median(times), 2),
        "p95_ms": round(times[int(0.95 * (len(times) - 1))], 2),
    }


def main() -> None:
    if not DATA.exists():
        print(f"{DATA} not found: skipping the routing benchmark", file=sys.stderr)
        return
    texts, labels = read_labelled(DATA, ("title", "body"), "label")
    results: dict[str, Any] = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "data": "TipDM 2020 C labelled messages (455, 7 first-level categories), ../shared/data",
        "out_of_the_box": out_of_the_box(texts, labels),
        "cross_validation": cross_validate(texts, labels),
    }
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "routing.joblib"
        trained.save(trained.train(texts, labels, lexicon_router().lexicon), path)
        results["latency"] = {
            "out_of_the_box": latency(texts, None),
            "trained_model": latency(texts, path),
        }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    cv = results["cross_validation"]
    print(json.dumps({
        "out_of_the_box": _summary(results["out_of_the_box"]),
        "cv_ours": _summary(cv["ours"]),
        "cv_baseline": _summary(cv["baseline_tfidf_linearsvc"]),
        "latency_ms": {k: v["p95_ms"] for k, v in results["latency"].items()},
    }, ensure_ascii=False))


if __name__ == "__main__":
    main()
