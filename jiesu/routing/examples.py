"""Hand-written example sentences per subcategory (`data/routing/examples.yml`) and a
small classifier trained on them together with the keyword lists.

The examples are the project's own wording of what residents typically write about
each subcategory; no ticket data is involved. They let the out-of-the-box router
recognise requests phrased without any listed keyword.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

import numpy as np
import yaml
from scipy.sparse import csr_matrix
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion

from jiesu.config import PROJECT_ROOT
from jiesu.routing.lexicon import Lexicon
from jiesu.routing.tokens import model_text, model_words

EXAMPLES_FILE: Final = PROJECT_ROOT / "data" / "routing" / "examples.yml"
# Inverse regularisation of the example classifier (few, short, clean examples).
EXAMPLES_C: Final = 3.0

Examples = dict[tuple[str, str], tuple[str, ...]]


def load_examples(path: Path = EXAMPLES_FILE) -> Examples:
    """Example sentences per (category, subcategory) from `path`."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(raw, dict) or not isinstance(raw.get("examples"), dict):
        raise ValueError(f"{path}: expected a top-level 'examples' mapping")
    return {
        (str(category), str(sub)): tuple(str(text) for text in texts)
        for category, subs in raw["examples"].items()
        for sub, texts in subs.items()
    }


def check_examples(examples: Examples, lexicon: Lexicon) -> None:
    """ValueError when an example names a subcategory the lexicon does not have."""
    unknown = sorted(f"{cat}/{sub}" for cat, sub in examples if (cat, sub) not in lexicon)
    if unknown:
        raise ValueError(f"examples for unknown subcategories: {', '.join(unknown)}")


class ExampleClassifier:
    """Subcategory probabilities from a TF-IDF + logistic regression model of the
    examples and of each subcategory's keyword list (one document per subcategory)."""

    def __init__(self, examples: Examples, lexicon: Lexicon) -> None:
        check_examples(examples, lexicon)
        documents = [(key, text) for key, texts in examples.items() for text in texts]
        documents += [(key, " ".join(words)) for key, words in lexicon.items()]
        self.features = FeatureUnion([
            ("words", TfidfVectorizer(analyzer=model_words, sublinear_tf=True)),
            ("chars", TfidfVectorizer(
                analyzer="char", preprocessor=model_text, ngram_range=(2, 3), sublinear_tf=True)),
        ])
        matrix = self.features.fit_transform([text for _, text in documents])
        self.vocabulary_size = len(self.features.named_transformers["words"].vocabulary_)
        self.classifier = LogisticRegression(C=EXAMPLES_C, max_iter=2000)
        self.classifier.fit(matrix, [_label(key) for key, _ in documents])
        self.subcategories = [_key(str(label)) for label in self.classifier.classes_]

    def probabilities(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Rows of subcategory probabilities (columns in `self.subcategories` order),
        and whether each text shares any word with the training documents (character
        n-grams alone, such as digits, are no evidence)."""
        features = csr_matrix(self.features.transform(texts))
        known = features[:, : self.vocabulary_size].getnnz(axis=1) > 0
        probabilities = np.asarray(self.classifier.predict_proba(features), dtype=np.float64)
        return probabilities, np.asarray(known)


def _label(key: tuple[str, str]) -> str:
    return "/".join(key)


def _key(label: str) -> tuple[str, str]:
    category, sub = label.split("/", 1)
    return category, sub
