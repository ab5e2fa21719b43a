"""Routing benchmark (app environment): `make bench` runs it.

On the labelled TipDM 2020 C messages in ../shared/data/ (measurement only; the
project never trains its shipped router on them, nor chooses its constants by
them), writes bench/results/routing.json with, old and new side by side in one run:
- out of the box: the first release (the city's keywords, the examples frozen in
  bench/data/routing_v1/, its hand-picked constants) and the current one (keywords,
  the structured knowledge, examples and letters of data/routing/, constants and
  threshold chosen by cross-validation on those examples): accuracy, macro-F1, the
  calibration error (ECE), the coverage/precision curve, coverage and precision at
  the router's own auto-dispatch threshold, and the best coverage any threshold
  reaches at 95% precision on these letters (an oracle figure, for reference);
- a 5-fold stratified cross-validation of the trainable router, old (first-release
  prior, fixed softmax temperature and threshold) and new (current prior, temperature
  and threshold fitted, SVM C and prior scale chosen, by an inner cross-validation of
  each training fold), beside a
  plain TF-IDF (jieba words) + LinearSVC baseline, on the same folds;
- where the current auto-dispatch threshold comes from: the cross-validation curves of
  our own examples (short messages and letters) that `jiesu calibrate routing` kept in
  data/routing/prior.yml;
- our own letters (bench/data/routing_letters.yml, and the categories of the NLU's
  letters in bench/data/letters.csv; never trained on), out of the box: the dev halves
  looked at while developing, the test halves only reported;
- the fresh held-out letters (bench/data/routing_fresh.yml: written before the knowledge
  was broadened, scored once at the end, never looked at while developing), out of the
  box and with the router trained on the 455, in all and by length (one-line messages,
  letters with a title); the same for the third held-out set
  (bench/data/routing_holdout.yml, the 455's seven categories, see bench/README.md);
- whether the shipped threshold is the one cross-validation gives now (`jiesu calibrate
  routing` recomputed: the knowledge or examples changed without it otherwise);
- the short-text check: the letters' titles alone, out of the box;
- routing latency per message, out of the box and with a trained model.
"""

from __future__ import annotations

import csv
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.svm import LinearSVC

from jiesu.routing import model as trained
from jiesu.routing import route
from jiesu.routing.calibration import (
    TARGET_PRECISION,
    best_coverage_at_precision,
    coverage_at,
    curve_summary,
    expected_calibration_error,
)
from jiesu.routing.data import evaluate, read_labelled
from jiesu.routing.examples import load_all_examples, load_examples, load_knowledge
from jiesu.routing.prior import SETTINGS_FILE, KnowledgePrior, PriorSettings, load_settings
from jiesu.routing.router import knowledge_prior, lexicon_router
from jiesu.routing.tokens import tokenize
from jiesu.routing.tuning import tune

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "routing.json"
# ../shared/data beside the checkout; JIESU_SHARED_DATA names it for a git worktree elsewhere.
SHARED = Path(os.environ.get("JIESU_SHARED_DATA") or ROOT.parent / "shared" / "data")
DATA = SHARED / "tipdm2020c_messages_dev455.csv"
# The first release's examples, frozen for comparison (its constants are PriorSettings()).
FIRST_RELEASE_EXAMPLES = ROOT / "bench" / "data" / "routing_v1" / "examples.yml"
# Letters we wrote ourselves, split dev/test (the router never trains on them).
OWN_LETTERS = ROOT / "bench" / "data" / "routing_letters.yml"
# The NLU benchmark's own letters, also labelled with a first-level category, split dev/test.
NLU_LETTERS = ROOT / "bench" / "data" / "letters.csv"
# Fresh letters of our own, written before the current knowledge, test only.
FRESH_LETTERS = ROOT / "bench" / "data" / "routing_fresh.yml"
# The third held-out set, written before complement naive Bayes was compared (scored once
# in that round; see bench/README.md).
HOLDOUT_LETTERS = ROOT / "bench" / "data" / "routing_holdout.yml"
FOLDS = 5
SEED = 0

Ranked = list[tuple[str, float]]


def first_release_prior() -> KnowledgePrior:
    """The out-of-the-box router as first released."""
    return KnowledgePrior(
        lexicon_router().lexicon, load_examples(FIRST_RELEASE_EXAMPLES), None, PriorSettings()
    )


def _summary(metrics: dict[str, Any]) -> dict[str, Any]:
    return {k: metrics[k] for k in ("n", "accuracy", "macro_f1")}


def scored(labels: list[str], best: list[tuple[str, float]], threshold: float) -> dict[str, Any]:
    """Quality, calibration and dispatch figures of predictions with confidences."""
    predicted = [category for category, _ in best]
    confidences = [confidence for _, confidence in best]
    correct = [p == g for p, g in zip(predicted, labels, strict=True)]
    coverage, precision = coverage_at(confidences, correct, threshold)
    return {
        **evaluate(labels, predicted),
        "ece": expected_calibration_error(confidences, correct),
        "threshold": threshold,
        "dispatched_share": coverage,
        "dispatched_precision": precision,
        "needs_dispatcher_share": round(1 - coverage, 4),
        "oracle_coverage_at_95_precision": best_coverage_at_precision(
            confidences, correct, TARGET_PRECISION
        ),
        "curve": curve_summary(confidences, correct),
    }


def out_of_the_box(texts: list[str], labels: list[str], prior: KnowledgePrior) -> dict[str, Any]:
    """A knowledge-only router on the letters."""
    return scored(labels, [a.best() for a in prior.assess(texts)], prior.settings.threshold)


def _without_lists(metrics: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in metrics.items() if k not in ("per_class", "curve")}


def own_letters(old: KnowledgePrior, new: KnowledgePrior) -> dict[str, Any]:
    """Both out-of-the-box routers on each half of our own letters."""
    rows = yaml.safe_load(OWN_LETTERS.read_text(encoding="utf-8"))["letters"]
    with NLU_LETTERS.open(encoding="utf-8", newline="") as handle:
        nlu_rows = list(csv.DictReader(handle))
    results: dict[str, Any] = {
        "data": "bench/data/routing_letters.yml (our own); nlu_letters: bench/data/letters.csv"
    }
    for name, source in (("", rows), ("nlu_letters_", nlu_rows)):
        for split in ("dev", "test"):
            texts = [row["text"] for row in source if row["split"] == split]
            labels = [row["category"] for row in source if row["split"] == split]
            results[name + split] = {
                version: _without_lists(out_of_the_box(texts, labels, prior))
                for version, prior in (("first_release", old), ("current", new))
            }
    return results


def letter_set(
    path: Path, old: KnowledgePrior, new: KnowledgePrior, router: trained.TrainedRouter
) -> dict[str, Any]:
    """Our held-out letters of `path`: both out-of-the-box routers and the router trained
    on the 455, in all, one-line messages and letters with a title line."""
    rows = yaml.safe_load(path.read_text(encoding="utf-8"))["letters"]
    results: dict[str, Any] = {"data": f"bench/data/{path.name} (our own, held out)"}
    for part, chosen in (
        ("all", rows),
        ("one_line", [row for row in rows if "\n" not in row["text"]]),
        ("with_title", [row for row in rows if "\n" in row["text"]]),
    ):
        if not chosen:
            continue
        texts = [row["text"] for row in chosen]
        labels = [row["category"] for row in chosen]
        results[part] = {
            version: _without_lists(out_of_the_box(texts, labels, prior))
            for version, prior in (("first_release", old), ("current", new))
        }
        results[part]["trained_on_455"] = _without_lists(
            scored(labels, router.predict(texts), router.threshold)
        )
    return results


def threshold_check() -> dict[str, Any]:
    """The shipped settings beside those cross-validation gives for the current
    knowledge and examples (they differ when calibrate was not re-run)."""
    tuned = tune(lexicon_router().lexicon, load_all_examples(), load_knowledge()).settings
    shipped = load_settings()
    return {
        "shipped_threshold": shipped.threshold,
        "recomputed_threshold": tuned.threshold,
        "shipped_settings_are_current": shipped == tuned,
    }


def cross_validate(texts: list[str], labels: list[str]) -> dict[str, Any]:
    """Old and new trainable router and the baseline, on the same stratified folds."""
    lexicon = lexicon_router().lexicon
    old_examples = load_examples(FIRST_RELEASE_EXAMPLES)
    variants: dict[str, Callable[[list[str], list[str]], trained.TrainedRouter]] = {
        "first_release": lambda x, y: trained.train(
            x, y, lexicon, old_examples, None, PriorSettings(), calibrate=False
        ),
        "current": lambda x, y: trained.train(x, y, lexicon),
    }
    best: dict[str, list[tuple[str, float]]] = {name: [("", 0.0)] * len(texts) for name in variants}
    thresholds: dict[str, list[float]] = {name: [] for name in variants}
    # Each fold's (C, prior scale), chosen by the inner cross-validation of its training part.
    choices: dict[str, list[dict[str, float]]] = {name: [] for name in variants}
    baseline: list[str | None] = [None] * len(texts)
    folds = StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=SEED)
    for train_idx, test_idx in folds.split(texts, labels):
        train_texts = [texts[i] for i in train_idx]
        train_labels = [labels[i] for i in train_idx]
        test_texts = [texts[i] for i in test_idx]
        for name, fit in variants.items():
            router = fit(train_texts, train_labels)
            thresholds[name].append(router.threshold)
            choices[name].append({"svm_c": router.svm.C, "prior_scale": router.prior_scale})
            for i, guess in zip(test_idx, router.predict(test_texts), strict=True):
                best[name][i] = guess
        plain = Pipeline(
            [
                ("tfidf", TfidfVectorizer(analyzer=tokenize)),
                ("svm", LinearSVC(random_state=SEED)),
            ]
        ).fit(train_texts, train_labels)
        for i, label in zip(test_idx, plain.predict(test_texts), strict=True):
            baseline[i] = str(label)
    results: dict[str, Any] = {"folds": FOLDS, "seed": SEED}
    for name in variants:
        # Each fold's own threshold applies to its test letters; the figures use their mean.
        threshold = round(statistics.mean(thresholds[name]), 4)
        results[name] = {
            **scored(labels, best[name], threshold),
            "fold_thresholds": thresholds[name],
            "fold_choices": choices[name],
        }
    results["baseline_tfidf_linearsvc"] = evaluate(labels, baseline)
    return results


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
    titles, _ = read_labelled(DATA, ("title",), "label")
    old, new = first_release_prior(), knowledge_prior()
    results: dict[str, Any] = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "data": "TipDM 2020 C labelled messages (455, 7 first-level categories), ../shared/data",
        "target_precision": TARGET_PRECISION,
        "out_of_the_box": {
            "first_release": out_of_the_box(texts, labels, old),
            "current": out_of_the_box(texts, labels, new),
            "current_settings": new.settings.as_dict(),
            "current_threshold_from": yaml.safe_load(SETTINGS_FILE.read_text(encoding="utf-8"))[
                "cv"
            ],
        },
        "own_letters": own_letters(old, new),
        "titles_only": {
            "first_release": _summary(out_of_the_box(titles, labels, old)),
            "current": _summary(out_of_the_box(titles, labels, new)),
        },
        "cross_validation": cross_validate(texts, labels),
    }
    results["threshold_check"] = threshold_check()
    router = trained.train(texts, labels, lexicon_router().lexicon)
    results["fresh_letters"] = letter_set(FRESH_LETTERS, old, new, router)
    results["holdout_letters"] = letter_set(HOLDOUT_LETTERS, old, new, router)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "routing.joblib"
        trained.save(router, path)
        os.environ["JIESU_ROUTING_MODEL"] = str(Path(folder) / "none.joblib")
        results["latency"] = {
            "out_of_the_box": latency(texts, None),
            "trained_model": latency(texts, path),
        }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    box, cv = results["out_of_the_box"], results["cross_validation"]
    print(
        json.dumps(
            {
                "out_of_the_box": {
                    name: _summary(box[name])
                    | {
                        "dispatched": box[name]["dispatched_share"],
                        "precision": box[name]["dispatched_precision"],
                        "ece": box[name]["ece"],
                    }
                    for name in ("first_release", "current")
                },
                "own_letters_test": {
                    name: _summary(results["own_letters"]["test"][name])
                    | {
                        "dispatched": results["own_letters"]["test"][name]["dispatched_share"],
                        "precision": results["own_letters"]["test"][name]["dispatched_precision"],
                    }
                    for name in ("first_release", "current")
                },
                "fresh_letters": {
                    name: _summary(results["fresh_letters"]["all"][name])
                    | {
                        "dispatched": results["fresh_letters"]["all"][name]["dispatched_share"],
                        "precision": results["fresh_letters"]["all"][name]["dispatched_precision"],
                    }
                    for name in ("first_release", "current", "trained_on_455")
                },
                "threshold_check": results["threshold_check"],
                "cv": {name: _summary(cv[name]) for name in ("first_release", "current")},
                "cv_baseline": _summary(cv["baseline_tfidf_linearsvc"]),
                "latency_ms": {k: v["p95_ms"] for k, v in results["latency"].items()},
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
