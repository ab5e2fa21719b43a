"""Choosing the out-of-the-box router's constants by cross-validation on its own
training data: the hand-written examples (`jiesu calibrate routing`).

Each fold's examples are held out while the example classifier learns from the
other folds, the keywords and the knowledge, and the keyword specificities
(`prior.keyword_specificity`) are counted on the other folds too. On these
out-of-fold predictions: the classifier's inverse regularisation, the specificity
power, the blend weight and the keyword smoothing are chosen by log-loss, the
temperatures are fitted by likelihood, and the auto-dispatch threshold is the
lowest confidence at which the routes above it are right at least
TARGET_PRECISION of the time. No ticket data is involved.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
import yaml
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedKFold

from jiesu.routing.calibration import (
    TARGET_PRECISION,
    coverage_at,
    expected_calibration_error,
    fit_temperature,
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
LEXICON_WEIGHT_GRID: Final = (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8)
SMOOTHING_GRID: Final = (0.05, 0.1, 0.2, 0.5, 1.0)
SPECIFICITY_GRID: Final = (0.0, 1.0, 2.0)


@dataclass(frozen=True)
class Tuned:
    """The chosen settings and what cross-validation measured with them."""

    settings: PriorSettings
    report: dict[str, Any]


def _log_loss(probabilities: np.ndarray, gold: np.ndarray) -> float:
    picked = probabilities[np.arange(len(gold)), gold]
    return float(-np.log(np.clip(picked, 1e-12, None)).mean())


def tune(
    lexicon: Lexicon, examples: Examples, knowledge: Knowledge | None, *,
    folds: int = FOLDS, seed: int = SEED,
) -> Tuned:
    """Settings for `KnowledgePrior(lexicon, examples, knowledge, settings)` by CV."""
    items = [(key, text) for key, texts in examples.items() for text in texts]
    texts = [text for _, text in items]
    extended = extended_lexicon(lexicon, knowledge)
    categories = LexiconRouter(extended).categories
    gold = np.array([categories.index(key[0]) for key, _ in items])
    splits = list(StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
                  .split(texts, gold))

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
                extended, keyword_specificity(extended, held_in(train_idx), power))
            found.update({int(i): scorer.score(texts[i]) for i in test_idx})
        scores_by_power[power] = [found[i] for i in range(len(items))]

    best: tuple[float, PriorSettings, np.ndarray] | None = None
    for c in C_GRID:
        decisions: np.ndarray | None = None
        subcategories: list[tuple[str, str]] = []
        for train_idx, test_idx in splits:
            classifier = ExampleClassifier(held_in(train_idx), lexicon, knowledge, c=c,
                                           model="svm")
            fold_decisions, _ = classifier.decisions([texts[i] for i in test_idx])
            if decisions is None:
                subcategories = classifier.subcategories
                decisions = np.zeros((len(items), len(subcategories)))
            if classifier.subcategories != subcategories:
                raise ValueError("every fold must know every subcategory (keywords cover them)")
            decisions[test_idx] = fold_decisions
        assert decisions is not None
        sub_gold = np.array([subcategories.index(key) for key, _ in items])
        examples_temperature = fit_temperature(decisions, sub_gold)
        by_examples = softmax(decisions, examples_temperature) @ category_columns(
            subcategories, categories)
        for power, weight, smoothing in itertools.product(
                SPECIFICITY_GRID, LEXICON_WEIGHT_GRID, SMOOTHING_GRID):
            by_keywords = np.array([keyword_probabilities(s, categories, smoothing)
                                    for s in scores_by_power[power]])
            settings = PriorSettings(
                model="svm", c=c, examples_temperature=examples_temperature,
                lexicon_weight=weight, smoothing=smoothing, specificity_power=power)
            mixed = blend(by_keywords, by_examples, settings)
            temperature = fit_temperature(np.log(np.clip(mixed, 1e-12, None)), gold)
            settings = PriorSettings(**{**settings.as_dict(), "temperature": temperature})
            probabilities = blend(by_keywords, by_examples, settings)
            loss = _log_loss(probabilities, gold)
            if best is None or loss < best[0]:
                best = (loss, settings, probabilities)
    assert best is not None
    loss, settings, probabilities = best
    predicted = probabilities.argmax(axis=1)
    confidence = probabilities.max(axis=1)
    correct = predicted == gold
    threshold = threshold_for_precision(confidence, correct, TARGET_PRECISION)
    coverage, precision = coverage_at(confidence, correct, threshold)
    settings = PriorSettings(**{**settings.as_dict(), "threshold": threshold})
    report = {
        "examples": len(items),
        "folds": folds,
        "seed": seed,
        "log_loss": round(loss, 4),
        "accuracy": round(float(correct.mean()), 4),
        "macro_f1": round(float(f1_score(gold, predicted, average="macro")), 4),
        "ece": expected_calibration_error(confidence, correct),
        "target_precision": TARGET_PRECISION,
        "coverage_at_threshold": coverage,
        "precision_at_threshold": precision,
    }
    return Tuned(settings, report)


def write_settings(tuned: Tuned, path: Path = SETTINGS_FILE) -> None:
    """Keep the tuned settings and their cross-validation report in `path`."""
    header = (
        "# 开箱即用分拨模型的常数：由 `jiesu calibrate routing` 在项目自撰例句上交叉验证选出，\n"
        "# 请勿手改（改了例句或知识库后重新运行该命令）。cv 一节是交叉验证的结果，仅供参考。\n"
    )
    data = {**tuned.settings.as_dict(), "cv": tuned.report}
    path.write_text(header + yaml.safe_dump(data, allow_unicode=True, sort_keys=False),
                    encoding="utf-8")
