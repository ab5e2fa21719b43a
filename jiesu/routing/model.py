"""The trainable router: TF-IDF over words and characters plus lexicon evidence, linear SVM.

Trained on past tickets labelled with their first-level category. Besides word
(jieba, 1-2 grams) and character (2-3 grams) TF-IDF, each message gets the
lexicon's keyword evidence per first-level category as extra features, so the
project's own knowledge still counts where training data is thin. Confidence is
a softmax over the SVM's decision values.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import joblib
import numpy as np
from scipy.sparse import csr_matrix
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.svm import LinearSVC

from jiesu.routing.lexicon import LexiconRouter
from jiesu.routing.tokens import tokenize
from jiesu.text import normalize

FORMAT_VERSION = 1
SEED = 0
# Scales SVM decision values (roughly -1..1) before the softmax.
SOFTMAX_TEMPERATURE = 0.25


def _char_text(text: str) -> str:
    return normalize(text).lower()


class LexiconFeatures(TransformerMixin, BaseEstimator):
    """Each text's keyword evidence per first-level category, log-scaled."""

    def __init__(self, lexicon: dict[tuple[str, str], tuple[str, ...]]) -> None:
        self.lexicon = lexicon

    def fit(self, texts: list[str], labels: Any = None) -> LexiconFeatures:
        self.router_ = LexiconRouter(self.lexicon)
        return self

    def transform(self, texts: list[str]) -> csr_matrix:
        categories = self.router_.categories
        rows = []
        for text in texts:
            scores = self.router_.score(text).categories
            rows.append([np.log1p(scores.get(name, 0.0)) for name in categories])
        return csr_matrix(np.asarray(rows, dtype=np.float64))


def build_pipeline(lexicon: dict[tuple[str, str], tuple[str, ...]]) -> Pipeline:
    """The untrained pipeline: word + character TF-IDF and lexicon evidence, LinearSVC."""
    features = FeatureUnion([
        ("words", TfidfVectorizer(
            analyzer=tokenize, sublinear_tf=True, min_df=1, max_df=0.9)),
        ("chars", TfidfVectorizer(
            analyzer="char", preprocessor=_char_text, ngram_range=(2, 3), sublinear_tf=True,
            min_df=2, max_df=0.9)),
        ("lexicon", LexiconFeatures(lexicon)),
    ])
    return Pipeline([("features", features), ("svm", LinearSVC(C=0.5, random_state=SEED))])


@dataclass
class TrainedRouter:
    """A fitted pipeline predicting first-level categories with softmax confidence."""

    pipeline: Pipeline

    @property
    def labels(self) -> list[str]:
        """The first-level categories the model knows."""
        return [str(label) for label in self.pipeline.classes_]

    def predict(self, texts: list[str]) -> list[tuple[str, float]]:
        """The predicted category and its confidence for each text."""
        decision = np.asarray(self.pipeline.decision_function(texts), dtype=np.float64)
        if decision.ndim == 1:  # two classes: one column, positive means the second
            decision = np.column_stack([-decision, decision])
        logits = decision / SOFTMAX_TEMPERATURE
        logits -= logits.max(axis=1, keepdims=True)
        probs = np.exp(logits)
        probs /= probs.sum(axis=1, keepdims=True)
        labels = self.labels
        return [(labels[int(row.argmax())], float(row.max())) for row in probs]


def train(
    texts: list[str], labels: list[str], lexicon: dict[tuple[str, str], tuple[str, ...]]
) -> TrainedRouter:
    """Fit a router on `texts` labelled with first-level categories."""
    pipeline = build_pipeline(lexicon)
    pipeline.fit(texts, labels)
    return TrainedRouter(pipeline)


def save(router: TrainedRouter, path: Path) -> None:
    """Write `router` to `path` with joblib."""
    path.parent.mkdir(parents=True, exist_ok=True)
    joblib.dump({"format": FORMAT_VERSION, "pipeline": router.pipeline}, path)


def load(path: Path) -> TrainedRouter:
    """Read a router written by `save`; ValueError for any other file."""
    data = joblib.load(path)
    if not isinstance(data, dict) or data.get("format") != FORMAT_VERSION:
        raise ValueError(f"{path} is not a jiesu routing model (format {FORMAT_VERSION})")
    return TrainedRouter(data["pipeline"])
