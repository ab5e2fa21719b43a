"""The trainable router: TF-IDF over words and characters plus the knowledge prior, linear SVM,
with probabilities calibrated by cross-validation on its own training tickets.

Trained on past tickets labelled with their first-level category. The text is read
as `tokens.model_text` gives it (subject line repeated, body cut). Besides word
(jieba) and character (1-3 grams) TF-IDF, each message gets the out-of-the-box
knowledge (keyword evidence and the lexicon + examples probabilities per category,
see `prior.py`) as extra features, so the project's own knowledge still counts where
training data is thin. Classes are weighted by inverse frequency (routing cares for
rare categories as much as for common ones).

Confidence is a softmax over the SVM's decision values. Its temperature is fitted on
out-of-fold decisions of the training tickets (the model trained without each fold
scores that fold), and the auto-dispatch threshold is read from the same out-of-fold
predictions: the lowest confidence above which TARGET_PRECISION of them are right.
The measured precision suffices here, without the certainty margin the
out-of-the-box router needs (`calibration.CERTAINTY`): the held-out folds are the
city's own tickets, the very kind of message the model routes, whereas the
out-of-the-box router is calibrated on our own examples, which are easier than
residents' letters; and a few hundred tickets could never make 95% precision 95%
certain, so a city starting to train would dispatch nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final

import joblib
import numpy as np
from scipy.sparse import csr_matrix, hstack
from sklearn.feature_extraction.text import TfidfVectorizer
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

FORMAT_VERSION: Final = 3
SEED: Final = 0
# The first release's fixed softmax temperature and threshold (uncalibrated models).
SOFTMAX_TEMPERATURE: Final = 0.25
FIXED_THRESHOLD: Final = 0.4
# Scale of the prior's features beside the unit-length TF-IDF vectors: the keyword
# evidence (log counts, often 2-4) is damped, the probabilities (0..1) kept.
EVIDENCE_SCALE: Final = 0.05
PROBABILITY_SCALE: Final = 1.0
SVM_C: Final = 2.0
# Folds of the inner cross-validation that calibrates the confidence.
CALIBRATION_FOLDS: Final = 5
# Decision value given to a class a fold's model never saw.
_UNSEEN: Final = -10.0


def build_text_features() -> FeatureUnion:
    """The untrained word + character TF-IDF of the text."""
    return FeatureUnion([
        ("words", TfidfVectorizer(analyzer=model_words, sublinear_tf=True, max_df=0.9)),
        ("chars", TfidfVectorizer(
            analyzer="char", preprocessor=model_text, ngram_range=(1, 3), sublinear_tf=True,
            min_df=2, max_df=0.9)),
    ])


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

    @property
    def labels(self) -> list[str]:
        """The first-level categories the model knows."""
        return [str(label) for label in self.svm.classes_]

    def features(self, texts: list[str], assessments: list[Assessment]) -> csr_matrix:
        """The SVM's input: text TF-IDF beside the scaled prior features."""
        return _features(self.text_features, self.prior, texts, assessments)

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


def _features(
    text_features: FeatureUnion, prior: KnowledgePrior, texts: list[str],
    assessments: list[Assessment],
) -> csr_matrix:
    values = prior.features(assessments)
    width = len(prior.categories)
    values[:, :width] *= EVIDENCE_SCALE
    values[:, width:] *= PROBABILITY_SCALE
    return csr_matrix(hstack([text_features.transform(texts), csr_matrix(values)]))


def _decisions(svm: LinearSVC, features: csr_matrix) -> np.ndarray:
    decision = np.asarray(svm.decision_function(features), dtype=np.float64)
    if decision.ndim == 1:  # two classes: one column, positive means the second
        decision = np.column_stack([-decision, decision])
    return decision


def _fit(
    texts: list[str], labels: list[str], prior: KnowledgePrior, assessments: list[Assessment]
) -> tuple[FeatureUnion, LinearSVC]:
    text_features = build_text_features().fit(texts)
    svm = LinearSVC(C=SVM_C, class_weight="balanced", random_state=SEED)
    svm.fit(_features(text_features, prior, texts, assessments), labels)
    return text_features, svm


def _out_of_fold(
    texts: list[str], labels: list[str], prior: KnowledgePrior,
    assessments: list[Assessment], classes: list[str],
) -> np.ndarray:
    """Decision values of each ticket by a model trained without its fold."""
    smallest = min(labels.count(label) for label in classes)
    folds = min(CALIBRATION_FOLDS, len(texts))
    splitter: StratifiedKFold | KFold = (
        StratifiedKFold(n_splits=folds, shuffle=True, random_state=SEED)
        if smallest >= folds else KFold(n_splits=folds, shuffle=True, random_state=SEED))
    decisions = np.full((len(texts), len(classes)), _UNSEEN)
    for train_idx, test_idx in splitter.split(texts, labels):
        train_labels = [labels[i] for i in train_idx]
        if len(set(train_labels)) < 2:
            continue
        features, svm = _fit([texts[i] for i in train_idx], train_labels, prior,
                             [assessments[i] for i in train_idx])
        fold = _decisions(svm, _features(features, prior, [texts[i] for i in test_idx],
                                         [assessments[i] for i in test_idx]))
        columns = [classes.index(str(label)) for label in svm.classes_]
        decisions[np.ix_(test_idx, columns)] = fold
    return decisions


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
    Without `calibrate`, the confidence keeps the first release's fixed temperature
    and threshold (kept for comparison)."""
    prior = KnowledgePrior(
        lexicon,
        load_all_examples() if examples is None else examples,
        load_knowledge() if knowledge is None and examples is None else knowledge,
        load_settings() if settings is None else settings,
    )
    assessments = prior.assess(texts)
    text_features, svm = _fit(texts, labels, prior, assessments)
    router = TrainedRouter(text_features, prior, svm)
    if calibrate and len(texts) >= CALIBRATION_FOLDS:
        classes = router.labels
        decisions = _out_of_fold(texts, labels, prior, assessments, classes)
        gold = [classes.index(label) for label in labels]
        router.temperature = fit_temperature(decisions, gold)
        probabilities = softmax(decisions, router.temperature)
        confidence = probabilities.max(axis=1)
        correct = probabilities.argmax(axis=1) == np.asarray(gold)
        router.threshold = threshold_for_precision(
            confidence, correct, TARGET_PRECISION, level=None)
        router.calibration = {
            "out_of_fold_accuracy": round(float(correct.mean()), 4),
            "ece": expected_calibration_error(confidence, correct),
            "target_precision": TARGET_PRECISION,
            "coverage_at_threshold": round(float((confidence >= router.threshold).mean()), 4),
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
