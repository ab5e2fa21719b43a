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
from scipy.sparse import csr_matrix, hstack, vstack
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
# Weight of each of the project's hand-written examples (labelled with their first-level
# category) added to the training tickets, beside a ticket's weight of 1; 0 trains on the
# tickets alone. Chosen by the inner cross-validation like C and the prior scale.
KNOWLEDGE_WEIGHT_GRID: Final = (0.0, 0.1, 0.3)
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


# (C, prior scale, knowledge weight) → decision values of every training ticket.
Choices = dict[tuple[float, float, float], np.ndarray]


@dataclass(frozen=True)
class Labelled:
    """Texts with their first-level categories and the prior's values of each."""

    texts: list[str]
    labels: list[str]
    prior_values: np.ndarray

    def subset(self, rows: np.ndarray) -> Labelled:
        """The rows `rows`."""
        return Labelled(
            [self.texts[i] for i in rows], [self.labels[i] for i in rows], self.prior_values[rows]
        )


def knowledge_rows(prior: KnowledgePrior, examples: Examples, classes: list[str]) -> Labelled:
    """The hand-written examples of the categories in `classes`, labelled with their
    first-level category. Their prior values are zero: the prior learnt from these very
    examples, so its view of them would teach the SVM to trust it more than it deserves."""
    texts = [
        text for (category, _), group in examples.items() if category in classes for text in group
    ]
    labels = [
        category for (category, _), group in examples.items() if category in classes for _ in group
    ]
    width = 2 * len(prior.categories)
    return Labelled(texts, labels, np.zeros((len(texts), width)))


class _Fitter:
    """Fits SVMs on tickets, with the knowledge rows at a given weight, sharing the
    TF-IDF fitted for each (with or without the knowledge rows)."""

    def __init__(self, tickets: Labelled, knowledge: Labelled, width: int) -> None:
        self.tickets, self.knowledge, self.width = tickets, knowledge, width
        self._text: dict[bool, tuple[FeatureUnion, csr_matrix, csr_matrix]] = {}

    def text(self, with_knowledge: bool) -> tuple[FeatureUnion, csr_matrix, csr_matrix]:
        """The TF-IDF fitted on the tickets (and the knowledge rows), and both's vectors."""
        if with_knowledge not in self._text:
            extra = self.knowledge.texts if with_knowledge else []
            features = build_text_features().fit(self.tickets.texts + extra)
            self._text[with_knowledge] = (
                features,
                features.transform(self.tickets.texts),
                features.transform(extra) if extra else csr_matrix((0, 0)),
            )
        return self._text[with_knowledge]

    def fit(self, c: float, scale: float, weight: float) -> tuple[FeatureUnion, LinearSVC]:
        """The TF-IDF and the SVM trained with C `c`, prior scale `scale`, and each
        knowledge row weighing `weight`."""
        with_knowledge = weight > 0 and bool(self.knowledge.texts)
        features, tickets, knowledge = self.text(with_knowledge)
        x = _features(tickets, self.tickets.prior_values, self.width, scale)
        y = list(self.tickets.labels)
        weights = np.ones(len(y))
        if with_knowledge:
            rows = _features(knowledge, self.knowledge.prior_values, self.width, scale)
            x = csr_matrix(vstack([x, rows]))
            y += self.knowledge.labels
            weights = np.concatenate([weights, np.full(len(self.knowledge.labels), weight)])
        return features, _svm(c).fit(x, y, sample_weight=weights)


def _out_of_fold(
    tickets: Labelled,
    knowledge: Labelled,
    width: int,
    classes: list[str],
    grid: list[tuple[float, float, float]],
) -> Choices:
    """For each (C, prior scale, knowledge weight) of `grid`: the decision values of
    each ticket by a model trained without its fold."""
    labels = tickets.labels
    smallest = min(labels.count(label) for label in classes)
    folds = min(CALIBRATION_FOLDS, len(labels))
    splitter: StratifiedKFold | KFold = (
        StratifiedKFold(n_splits=folds, shuffle=True, random_state=SEED)
        if smallest >= folds
        else KFold(n_splits=folds, shuffle=True, random_state=SEED)
    )
    decisions = {choice: np.full((len(labels), len(classes)), _UNSEEN) for choice in grid}
    for train_idx, test_idx in splitter.split(tickets.texts, labels):
        held_in, held_out = tickets.subset(train_idx), tickets.subset(test_idx)
        if len(set(held_in.labels)) < 2:
            continue
        fitter = _Fitter(held_in, knowledge, width)
        for c, scale, weight in grid:
            features, svm = fitter.fit(c, scale, weight)
            test = _features(
                features.transform(held_out.texts), held_out.prior_values, width, scale
            )
            columns = [classes.index(str(label)) for label in svm.classes_]
            decisions[(c, scale, weight)][np.ix_(test_idx, columns)] = _decisions(svm, test)
    return decisions


def select(choices: Choices, gold: np.ndarray) -> tuple[float, float, float]:
    """The (C, prior scale, knowledge weight) whose out-of-fold predictions have the
    best macro-F1; of equals, the first in grid order (the most regularised, the least
    prior, the least knowledge)."""

    def score(choice: tuple[float, float, float]) -> float:
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
    knowledge_weights: tuple[float, ...] = KNOWLEDGE_WEIGHT_GRID,
) -> TrainedRouter:
    """Fit a router on `texts` labelled with first-level categories. The prior uses
    `examples`, `knowledge` and `settings` (default: the project's shipped ones).
    C, the prior scale and the weight of the hand-written examples as extra training
    rows (from `knowledge_weights`) are chosen by inner cross-validation (`select`).
    Without `calibrate`, the model keeps the first release's fixed C, prior scale,
    temperature and threshold, and trains on the tickets alone (kept for comparison)."""
    shipped = examples is None
    examples = load_all_examples() if examples is None else examples
    prior = KnowledgePrior(
        lexicon,
        examples,
        load_knowledge() if knowledge is None and shipped else knowledge,
        load_settings() if settings is None else settings,
    )
    width = len(prior.categories)
    classes = sorted(set(labels))
    tickets = Labelled(list(texts), list(labels), prior.features(prior.assess(texts)))
    rows = knowledge_rows(prior, examples, classes)
    c, scale, weight = SVM_C, PRIOR_SCALE, 0.0
    decisions: np.ndarray | None = None
    gold = np.array([classes.index(label) for label in labels])
    if calibrate and len(texts) >= CALIBRATION_FOLDS:
        choices = _out_of_fold(
            tickets,
            rows,
            width,
            classes,
            list(itertools.product(SVM_C_GRID, PRIOR_SCALE_GRID, knowledge_weights)),
        )
        c, scale, weight = select(choices, gold)
        decisions = choices[(c, scale, weight)]
    text_features, svm = _Fitter(tickets, rows, width).fit(c, scale, weight)
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
            "knowledge_weight": weight,
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
