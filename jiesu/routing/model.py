"""The trainable router: TF-IDF over words and characters plus the knowledge prior, linear SVM,
with probabilities calibrated by cross-validation on its own training tickets.

Trained on past tickets labelled with their first-level category. The text is read
as `tokens.model_text` gives it (subject line repeated, body cut). Besides word
(jieba) and character (1-3 grams) TF-IDF, each message gets the out-of-the-box
knowledge (keyword evidence and the lexicon + examples probabilities per category,
see `prior.py`) as extra features, so the project's own knowledge still counts where
training data is thin. Classes are weighted by inverse frequency (routing cares for
rare categories as much as for common ones).

The SVM's inverse regularisation C and the weight of the prior's features beside
the text (`prior_scale`) are chosen by an inner cross-validation of the training
tickets: every pair of the grids below is scored by the macro-F1 of its out-of-fold
predictions (the model trained without each fold scores that fold), and the best
pair is refitted on all the tickets. Nothing outside the training tickets is looked
at, so a city's own model picks what suits its own letters.

Confidence is a softmax over the SVM's decision values. Its temperature is fitted on
the chosen pair's out-of-fold decisions, and the auto-dispatch threshold is read from
the same out-of-fold predictions: the lowest confidence above which TARGET_PRECISION
of them are right.
The measured precision suffices here, without the certainty margin the
out-of-the-box router needs (`calibration.CERTAINTY`): the held-out folds are the
city's own tickets, the very kind of message the model routes, whereas the
out-of-the-box router is calibrated on our own examples, which are easier than
residents' letters; and a few hundred tickets could never make 95% precision 95%
certain, so a city starting to train would dispatch nothing.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import joblib
import numpy as np
from scipy.sparse import csr_matrix, hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import f1_score
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.pipeline import FeatureUnion
from sklearn.svm import LinearSVC

from jiesu.routing.calibration import (
    TARGET_PRECISION,
    expected_calibration_error,
    fit_temperature,
    softmax,
    threshold_for_precision,
)
from jiesu.routing.examples import Examples, Knowledge, load_all_examples, load_knowledge
from jiesu.routing.lexicon import Lexicon
from jiesu.routing.prior import Assessment, KnowledgePrior, PriorSettings, load_settings
from jiesu.routing.tokens import model_text, model_words

FORMAT_VERSION: Final = 4
SEED: Final = 0
# The first release's fixed softmax temperature and threshold (uncalibrated models).
SOFTMAX_TEMPERATURE: Final = 0.25
FIXED_THRESHOLD: Final = 0.4
# Scale of the prior's features beside the unit-length TF-IDF vectors, at prior_scale
# 1: the keyword evidence (log counts, often 2-4) is damped, the probabilities (0..1)
# kept.
EVIDENCE_SCALE: Final = 0.05
PROBABILITY_SCALE: Final = 1.0
# The first release's constants, kept by an uncalibrated model.
SVM_C: Final = 2.0
PRIOR_SCALE: Final = 1.0
# What the inner cross-validation chooses from (log-spaced, set before any benchmark).
SVM_C_GRID: Final = (0.25, 0.5, 1.0, 2.0, 4.0)
PRIOR_SCALE_GRID: Final = (0.5, 1.0, 2.0, 4.0)
# Folds of the inner cross-validation that calibrates the confidence.
CALIBRATION_FOLDS: Final = 5
# Decision value given to a class a fold's model never saw.
_UNSEEN: Final = -10.0


def build_text_features() -> FeatureUnion:
    """The untrained word + character TF-IDF of the text."""
    return FeatureUnion(
        [
            ("words", TfidfVectorizer(analyzer=model_words, sublinear_tf=True, max_df=0.9)),
            (
                "chars",
                TfidfVectorizer(
                    analyzer="char",
                    preprocessor=model_text,
                    ngram_range=(1, 3),
                    sublinear_tf=True,
                    min_df=2,
                    max_df=0.9,
                ),
            ),
        ]
    )


@dataclass
class TrainedRouter:
    """Fitted text features, the knowledge prior they are combined with, the SVM, and
    the calibration: softmax temperature, auto-dispatch threshold, and what the
    out-of-fold predictions measured (`calibration`)."""

    text_features: FeatureUnion
    prior: KnowledgePrior
    svm: LinearSVC
    temperature: float = SOFTMAX_TEMPERATURE
    threshold: float = FIXED_THRESHOLD
    calibration: dict[str, float] | None = None
    prior_scale: float = PRIOR_SCALE

    @property
    def labels(self) -> list[str]:
        """The first-level categories the model knows."""
        return [str(label) for label in self.svm.classes_]

    def features(self, texts: list[str], assessments: list[Assessment]) -> csr_matrix:
        """The SVM's input: text TF-IDF beside the scaled prior features."""
        return _features(
            self.text_features.transform(texts),
            self.prior.features(assessments),
            len(self.prior.categories),
            self.prior_scale,
        )

    def probabilities(
        self, texts: list[str], assessments: list[Assessment] | None = None
    ) -> np.ndarray:
        """Rows of category probabilities (columns in `labels` order)."""
        if assessments is None:
            assessments = self.prior.assess(texts)
        decision = _decisions(self.svm, self.features(texts, assessments))
        return softmax(decision, self.temperature)

    def ranked(
        self, texts: list[str], assessments: list[Assessment] | None, n: int
    ) -> list[list[tuple[str, float]]]:
        """The `n` most probable categories of each text, with their probabilities."""
        labels = self.labels
        return [
            [(labels[int(i)], float(row[i])) for i in np.argsort(-row, kind="stable")[:n]]
            for row in self.probabilities(texts, assessments)
        ]

    def predict(
        self, texts: list[str], assessments: list[Assessment] | None = None
    ) -> list[tuple[str, float]]:
        """The predicted category and its confidence for each text; pass the prior's
        `assessments` of the texts when they are at hand, to avoid assessing twice."""
        return [ranked[0] for ranked in self.ranked(texts, assessments, 1)]


def _features(text: csr_matrix, prior_values: np.ndarray, width: int, scale: float) -> csr_matrix:
    """The text's TF-IDF beside the prior's values (`width` evidence columns, then the
    probabilities), scaled by `scale`."""
    values = np.array(prior_values, dtype=np.float64)
    values[:, :width] *= EVIDENCE_SCALE * scale
    values[:, width:] *= PROBABILITY_SCALE * scale
    return csr_matrix(hstack([text, csr_matrix(values)]))


def _decisions(svm: LinearSVC, features: csr_matrix) -> np.ndarray:
    decision = np.asarray(svm.decision_function(features), dtype=np.float64)
    if decision.ndim == 1:  # two classes: one column, positive means the second
        decision = np.column_stack([-decision, decision])
    return decision


def _svm(c: float) -> LinearSVC:
    return LinearSVC(C=c, class_weight="balanced", random_state=SEED)


# (C, prior scale) → decision values of every training ticket.
Choices = dict[tuple[float, float], np.ndarray]


def _out_of_fold(
    texts: list[str],
    labels: list[str],
    prior_values: np.ndarray,
    width: int,
    classes: list[str],
    grid: list[tuple[float, float]],
) -> Choices:
    """For each (C, prior scale) of `grid`: the decision values of each ticket by a
    model trained without its fold."""
    smallest = min(labels.count(label) for label in classes)
    folds = min(CALIBRATION_FOLDS, len(texts))
    splitter: StratifiedKFold | KFold = (
        StratifiedKFold(n_splits=folds, shuffle=True, random_state=SEED)
        if smallest >= folds
        else KFold(n_splits=folds, shuffle=True, random_state=SEED)
    )
    decisions = {choice: np.full((len(texts), len(classes)), _UNSEEN) for choice in grid}
    for train_idx, test_idx in splitter.split(texts, labels):
        train_labels = [labels[i] for i in train_idx]
        if len(set(train_labels)) < 2:
            continue
        text_features = build_text_features().fit([texts[i] for i in train_idx])
        train_text = text_features.transform([texts[i] for i in train_idx])
        test_text = text_features.transform([texts[i] for i in test_idx])
        for c, scale in grid:
            svm = _svm(c).fit(
                _features(train_text, prior_values[train_idx], width, scale), train_labels
            )
            fold = _decisions(svm, _features(test_text, prior_values[test_idx], width, scale))
            columns = [classes.index(str(label)) for label in svm.classes_]
            decisions[(c, scale)][np.ix_(test_idx, columns)] = fold
    return decisions


def select(choices: Choices, gold: np.ndarray) -> tuple[float, float]:
    """The (C, prior scale) whose out-of-fold predictions have the best macro-F1; of
    equals, the first in grid order (the most regularised, the least prior)."""

    def score(choice: tuple[float, float]) -> float:
        predicted = choices[choice].argmax(axis=1)
        return float(f1_score(gold, predicted, average="macro", zero_division=0))

    best = max(score(choice) for choice in choices)
    return next(choice for choice in choices if score(choice) == best)


def train(
    texts: list[str],
    labels: list[str],
    lexicon: Lexicon,
    examples: Examples | None = None,
    knowledge: Knowledge | None = None,
    settings: PriorSettings | None = None,
    *,
    calibrate: bool = True,
) -> TrainedRouter:
    """Fit a router on `texts` labelled with first-level categories. The prior uses
    `examples`, `knowledge` and `settings` (default: the project's shipped ones).
    C and the prior scale are chosen by inner cross-validation (`select`). Without
    `calibrate`, the model keeps the first release's fixed C, prior scale, temperature
    and threshold (kept for comparison)."""
    prior = KnowledgePrior(
        lexicon,
        load_all_examples() if examples is None else examples,
        load_knowledge() if knowledge is None and examples is None else knowledge,
        load_settings() if settings is None else settings,
    )
    prior_values = prior.features(prior.assess(texts))
    width = len(prior.categories)
    classes = sorted(set(labels))
    c, scale = SVM_C, PRIOR_SCALE
    decisions: np.ndarray | None = None
    gold = np.array([classes.index(label) for label in labels])
    if calibrate and len(texts) >= CALIBRATION_FOLDS:
        choices = _out_of_fold(
            texts,
            labels,
            prior_values,
            width,
            classes,
            list(itertools.product(SVM_C_GRID, PRIOR_SCALE_GRID)),
        )
        c, scale = select(choices, gold)
        decisions = choices[(c, scale)]
    text_features = build_text_features().fit(texts)
    svm = _svm(c).fit(_features(text_features.transform(texts), prior_values, width, scale), labels)
    router = TrainedRouter(text_features, prior, svm, prior_scale=scale)
    if decisions is not None:
        router.temperature = fit_temperature(decisions, gold)
        probabilities = softmax(decisions, router.temperature)
        confidence = probabilities.max(axis=1)
        correct = probabilities.argmax(axis=1) == np.asarray(gold)
        router.threshold = threshold_for_precision(
            confidence, correct, TARGET_PRECISION, level=None
        )
        router.calibration = {
            "out_of_fold_accuracy": round(float(correct.mean()), 4),
            "ece": expected_calibration_error(confidence, correct),
            "target_precision": TARGET_PRECISION,
            "coverage_at_threshold": round(float((confidence >= router.threshold).mean()), 4),
            "svm_c": c,
            "prior_scale": scale,
        }
    return router


def save(router: TrainedRouter, path: Path) -> None:
    """Write `router` to `path` with joblib."""
    path.parent.mkdir(parents=True, exist_ok=True)
    joblib.dump({"format": FORMAT_VERSION, "router": router}, path)


def load(path: Path) -> TrainedRouter:
    """Read a router written by `save`; ValueError for any other file."""
    data = joblib.load(path)
    if not isinstance(data, dict) or data.get("format") != FORMAT_VERSION:
        raise ValueError(f"{path} is not a jiesu routing model (format {FORMAT_VERSION})")
    router = data["router"]
    if not isinstance(router, TrainedRouter):
        raise ValueError(f"{path} is not a jiesu routing model")
    return router
