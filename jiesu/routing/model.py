"""The trainable router: TF-IDF over words and characters plus the knowledge prior, linear SVM.

Trained on past tickets labelled with their first-level category. The text is read
as `tokens.model_text` gives it (subject line repeated, body cut). Besides word
(jieba) and character (1-3 grams) TF-IDF, each message gets the out-of-the-box
knowledge (keyword evidence and the lexicon + examples probabilities per category,
see `prior.py`) as extra features, so the project's own knowledge still counts where
training data is thin. Classes are weighted by inverse frequency (routing cares for
rare categories as much as for common ones). Confidence is a softmax over the SVM's
decision values.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final

import joblib
import numpy as np
from scipy.sparse import csr_matrix, hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion
from sklearn.svm import LinearSVC

from jiesu.routing.examples import Examples, load_examples
from jiesu.routing.lexicon import Lexicon
from jiesu.routing.prior import Assessment, KnowledgePrior
from jiesu.routing.tokens import model_text, model_words

FORMAT_VERSION: Final = 2
SEED: Final = 0
# Scales SVM decision values (roughly -1..1) before the softmax.
SOFTMAX_TEMPERATURE: Final = 0.25
# Scale of the prior's features beside the unit-length TF-IDF vectors: the keyword
# evidence (log counts, often 2-4) is damped, the probabilities (0..1) kept.
EVIDENCE_SCALE: Final = 0.05
PROBABILITY_SCALE: Final = 1.0
SVM_C: Final = 2.0


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
    """Fitted text features, the knowledge prior they are combined with, and the SVM."""

    text_features: FeatureUnion
    prior: KnowledgePrior
    svm: LinearSVC

    @property
    def labels(self) -> list[str]:
        """The first-level categories the model knows."""
        return [str(label) for label in self.svm.classes_]

    def features(self, texts: list[str], assessments: list[Assessment]) -> csr_matrix:
        """The SVM's input: text TF-IDF beside the scaled prior features."""
        prior = self.prior.features(assessments)
        width = len(self.prior.categories)
        prior[:, :width] *= EVIDENCE_SCALE
        prior[:, width:] *= PROBABILITY_SCALE
        return csr_matrix(hstack([self.text_features.transform(texts), csr_matrix(prior)]))

    def predict(
        self, texts: list[str], assessments: list[Assessment] | None = None
    ) -> list[tuple[str, float]]:
        """The predicted category and its confidence for each text; pass the prior's
        `assessments` of the texts when they are at hand, to avoid assessing twice."""
        if assessments is None:
            assessments = self.prior.assess(texts)
        decision = np.asarray(
            self.svm.decision_function(self.features(texts, assessments)), dtype=np.float64)
        if decision.ndim == 1:  # two classes: one column, positive means the second
            decision = np.column_stack([-decision, decision])
        logits = decision / SOFTMAX_TEMPERATURE
        logits -= logits.max(axis=1, keepdims=True)
        probs = np.exp(logits)
        probs /= probs.sum(axis=1, keepdims=True)
        labels = self.labels
        return [(labels[int(row.argmax())], float(row.max())) for row in probs]


def train(
    texts: list[str], labels: list[str], lexicon: Lexicon, examples: Examples | None = None
) -> TrainedRouter:
    """Fit a router on `texts` labelled with first-level categories; the prior uses
    `examples` (default: the project's hand-written examples)."""
    prior = KnowledgePrior(lexicon, load_examples() if examples is None else examples)
    text_features = build_text_features().fit(texts)
    svm = LinearSVC(C=SVM_C, class_weight="balanced", random_state=SEED)
    router = TrainedRouter(text_features, prior, svm)
    router.svm.fit(router.features(texts, prior.assess(texts)), labels)
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
    return data["router"]
