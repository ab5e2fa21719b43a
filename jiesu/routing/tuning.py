"""Choosing the out-of-the-box router's constants by cross-validation on its own
training data: the hand-written examples (`jiesu calibrate routing`).

The examples are of two kinds: short messages (examples.yml) and letters with a
title line and a body that tells background (letters*.yml), the kind that mixes in
other categories' words. The folds hold out whole subcategories: a fold's examples are
routed by a classifier that learnt from the other folds' examples and from every
subcategory's keywords and knowledge, never from an example of the same subcategory.
That is the situation of a real message, which words its request in ways none of our
examples do: folds of shuffled examples let near-identical sentences of one
subcategory vouch for each other and make the router look surer than it is on
letters it has never seen. The keyword specificities (`prior.keyword_specificity`)
are counted on the other folds too. On these out-of-fold predictions, each kind
weighing as much as the other: the classifier's inverse regularisation, the
specificity power, the blend weight and the keyword smoothing are chosen by log-loss,
and the temperatures are fitted by likelihood. The auto-dispatch threshold is read
from each kind's coverage/precision curve: the lowest confidence at which the routes
above it are right at least TARGET_PRECISION of the time, for short messages and for
letters alike (the higher of the two). No ticket data is involved.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
import yaml
from sklearn.metrics import f1_score
from sklearn.model_selection import GroupKFold

from jiesu.routing.calibration import (
    TARGET_PRECISION,
    coverage_at,
    curve_summary,
    expected_calibration_error,
    fit_temperature,
    log_loss,
    softmax,
    threshold_for_precision,
)
from jiesu.routing.examples import ExampleClassifier, Examples, Knowledge
from jiesu.routing.lexicon import Lexicon, LexiconRouter, LexiconScores
from jiesu.routing.prior import (
    SETTINGS_FILE,
    PriorSettings,
    blend,
    category_columns,
    extended_lexicon,
    keyword_probabilities,
    keyword_specificity,
)

FOLDS: Final = 5
SEED: Final = 0
C_GRID: Final = (0.3, 1.0, 3.0)
LEXICON_WEIGHT_GRID: Final = (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
SMOOTHING_GRID: Final = (0.05, 0.1, 0.2, 0.5, 1.0)
SPECIFICITY_GRID: Final = (0.0, 1.0, 2.0)
# The kinds of example, each with its own coverage/precision curve.
SHORT: Final = "short"
LETTERS: Final = "letters"


@dataclass(frozen=True)
class Tuned:
    """The chosen settings and what cross-validation measured with them."""

    settings: PriorSettings
    report: dict[str, Any]


def _kind_weights(kinds: np.ndarray) -> np.ndarray:
    """Row weights giving each kind of example the same total weight."""
    counts = {kind: int((kinds == kind).sum()) for kind in set(kinds.tolist())}
    return np.array([1.0 / counts[kind] for kind in kinds.tolist()])


def subcategory_splits(
    keys: list[tuple[str, str]], folds: int = FOLDS, seed: int = SEED
) -> list[tuple[np.ndarray, np.ndarray]]:
    """(training rows, held-out rows) of each fold; every subcategory's rows are held
    out together, in one fold."""
    groups = ["/".join(key) for key in keys]
    splitter = GroupKFold(n_splits=folds, shuffle=True, random_state=seed)
    return list(splitter.split(groups, groups=groups))


def dispatch_threshold(confidence: np.ndarray, correct: np.ndarray, kinds: np.ndarray) -> float:
    """The lowest confidence at which every kind's routes above it reach TARGET_PRECISION."""
    return max(
        threshold_for_precision(
            confidence[kinds == kind].tolist(), correct[kinds == kind].tolist(), TARGET_PRECISION
        )
        for kind in sorted(set(kinds.tolist()))
    )


def curve_report(confidence: list[float], correct: list[bool]) -> dict[str, Any]:
    """Examples, accuracy, calibration error and the coverage/precision curve."""
    return {
        "examples": len(correct),
        "accuracy": round(float(np.mean(correct)), 4),
        "ece": expected_calibration_error(confidence, correct),
        "threshold_at_target": threshold_for_precision(confidence, correct, TARGET_PRECISION),
        "curve": curve_summary(confidence, correct, steps=10),
    }


def per_category_f1(
    gold: np.ndarray, predicted: np.ndarray, categories: tuple[str, ...]
) -> dict[str, float]:
    """F1 of each first-level category that has examples."""
    present = sorted(set(gold.tolist()))
    scores = f1_score(gold, predicted, labels=present, average=None, zero_division=0)
    return {categories[i]: round(float(f), 4) for i, f in zip(present, scores, strict=True)}


def kind_of(text: str) -> str:
    """LETTERS for an example with a title line and a body, else SHORT."""
    return LETTERS if "\n" in text.strip() else SHORT


def tune(
    lexicon: Lexicon,
    examples: Examples,
    knowledge: Knowledge | None,
    *,
    folds: int = FOLDS,
    seed: int = SEED,
) -> Tuned:
    """Settings for `KnowledgePrior(lexicon, examples, knowledge, settings)` by CV."""
    items = [(key, text, kind_of(text)) for key, texts in examples.items() for text in texts]
    texts = [text for _, text, _ in items]
    kinds = np.array([kind for _, _, kind in items])
    weights = _kind_weights(kinds)
    extended = extended_lexicon(lexicon, knowledge)
    categories = LexiconRouter(extended).categories
    gold = np.array([categories.index(key[0]) for key, _, _ in items])
    splits = subcategory_splits([key for key, _, _ in items], folds, seed)

    def held_in(train_idx: np.ndarray) -> Examples:
        grouped: dict[tuple[str, str], list[str]] = {}
        for i in train_idx:
            grouped.setdefault(items[i][0], []).append(texts[i])
        return {key: tuple(group) for key, group in grouped.items()}

    # Keyword evidence of each example, with specificities learnt from the other folds.
    scores_by_power: dict[float, list[LexiconScores]] = {}
    for power in SPECIFICITY_GRID:
        found: dict[int, LexiconScores] = {}
        for train_idx, test_idx in splits:
            scorer = LexiconRouter(
                extended, keyword_specificity(extended, held_in(train_idx), power)
            )
            found.update({int(i): scorer.score(texts[i]) for i in test_idx})
        scores_by_power[power] = [found[i] for i in range(len(items))]

    best: tuple[float, PriorSettings, np.ndarray] | None = None
    for c in C_GRID:
        decisions: np.ndarray | None = None
        subcategories: list[tuple[str, str]] = []
        for train_idx, test_idx in splits:
            classifier = ExampleClassifier(held_in(train_idx), lexicon, knowledge, c=c, model="svm")
            fold_decisions, _ = classifier.decisions([texts[i] for i in test_idx])
            if decisions is None:
                subcategories = classifier.subcategories
                decisions = np.zeros((len(items), len(subcategories)))
            if classifier.subcategories != subcategories:
                raise ValueError("every fold must know every subcategory (keywords cover them)")
            decisions[test_idx] = fold_decisions
        assert decisions is not None
        sub_gold = np.array([subcategories.index(key) for key, _, _ in items])
        examples_temperature = fit_temperature(decisions, sub_gold, weights)
        by_examples = softmax(decisions, examples_temperature) @ category_columns(
            subcategories, categories
        )
        for power, weight, smoothing in itertools.product(
            SPECIFICITY_GRID, LEXICON_WEIGHT_GRID, SMOOTHING_GRID
        ):
            by_keywords = np.array(
                [keyword_probabilities(s, categories, smoothing) for s in scores_by_power[power]]
            )
            settings = PriorSettings(
                model="svm",
                c=c,
                examples_temperature=examples_temperature,
                lexicon_weight=weight,
                smoothing=smoothing,
                specificity_power=power,
            )
            mixed = blend(by_keywords, by_examples, settings)
            temperature = fit_temperature(np.log(np.clip(mixed, 1e-12, None)), gold, weights)
            settings = PriorSettings(**{**settings.as_dict(), "temperature": temperature})
            probabilities = blend(by_keywords, by_examples, settings)
            loss = log_loss(probabilities, gold, weights)
            if best is None or loss < best[0]:
                best = (loss, settings, probabilities)
    assert best is not None
    loss, settings, probabilities = best
    predicted = probabilities.argmax(axis=1)
    confidence = probabilities.max(axis=1)
    correct = predicted == gold
    by_kind = {
        kind: curve_report(confidence[kinds == kind].tolist(), correct[kinds == kind].tolist())
        for kind in (SHORT, LETTERS)
    }
    threshold = dispatch_threshold(confidence, correct, kinds)
    coverage, precision = coverage_at(confidence, correct, threshold)
    settings = PriorSettings(**{**settings.as_dict(), "threshold": threshold})
    report = {
        "examples": len(items),
        "folds": folds,
        "seed": seed,
        "log_loss": round(loss, 4),
        "accuracy": round(float(correct.mean()), 4),
        "macro_f1": round(float(f1_score(gold, predicted, average="macro")), 4),
        "per_category_f1": per_category_f1(gold, predicted, categories),
        "ece": expected_calibration_error(confidence, correct),
        "target_precision": TARGET_PRECISION,
        "coverage_at_threshold": coverage,
        "precision_at_threshold": precision,
        **{kind: by_kind[kind] for kind in (SHORT, LETTERS)},
    }
    return Tuned(settings, report)


def write_settings(tuned: Tuned, path: Path = SETTINGS_FILE) -> None:
    """Keep the tuned settings and their cross-validation report in `path`."""
    header = (
        "# 开箱即用分拨模型的常数：由 `jiesu calibrate routing` 在项目自撰例句上交叉验证选出，\n"
        "# 请勿手改（改了例句或知识库后重新运行该命令）。交叉验证按二级分类整组留出例句；\n"
        "# cv 一节是其结果；自动派单阈值取自其中短句和信件两条覆盖率/准确率曲线，\n"
        "# 即两类例句各自准确率达标的最低置信度中较高的一个。\n"
    )
    data = {**tuned.settings.as_dict(), "cv": tuned.report}
    path.write_text(
        header + yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
