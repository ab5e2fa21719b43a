"""Hand-written example sentences per subcategory (`data/routing/examples.yml`), the
structured knowledge of each subcategory (`data/routing/knowledge.yml`), and a small
classifier trained on them together with the keyword lists.

The examples are the project's own wording of what residents typically write about
each subcategory; the knowledge lists, per subcategory, the things residents write
about (objects), what goes wrong with them (problems) and the colloquial ways of
saying it (wording). No ticket data is involved. They let the out-of-the-box router
recognise requests phrased without any of the city's keywords.
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
from sklearn.svm import LinearSVC

from jiesu.config import PROJECT_ROOT
from jiesu.routing.calibration import softmax
from jiesu.routing.lexicon import Lexicon
from jiesu.routing.tokens import model_text, model_words

ROUTING_DATA: Final = PROJECT_ROOT / "data" / "routing"
EXAMPLES_FILE: Final = ROUTING_DATA / "examples.yml"
# Letter-style examples: a title line and a body with background, as residents write
# to a mayor's mailbox.
LETTERS_FILE: Final = ROUTING_DATA / "letters.yml"
# Harder letters: vague titles, bodies with other categories' words around one request.
MIXED_LETTERS_FILE: Final = ROUTING_DATA / "letters_mixed.yml"
LETTER_FILES: Final = (LETTERS_FILE, MIXED_LETTERS_FILE)
KNOWLEDGE_FILE: Final = ROUTING_DATA / "knowledge.yml"
# The parts of a subcategory's knowledge; objects and wording name it, problems only
# hint at it (many subcategories share 坏了 or 不处理).
KNOWLEDGE_PARTS: Final = ("objects", "problems", "wording")
NAMING_PARTS: Final = ("objects", "wording")

Examples = dict[tuple[str, str], tuple[str, ...]]
# Per subcategory: part name → terms.
Knowledge = dict[tuple[str, str], dict[str, tuple[str, ...]]]


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


def load_all_examples(paths: tuple[Path, ...] = (EXAMPLES_FILE, *LETTER_FILES)) -> Examples:
    """The examples of every file in `paths`, merged per subcategory."""
    merged: dict[tuple[str, str], tuple[str, ...]] = {}
    for path in paths:
        for key, texts in load_examples(path).items():
            merged[key] = merged.get(key, ()) + texts
    return merged


def load_knowledge(path: Path = KNOWLEDGE_FILE) -> Knowledge:
    """Objects, problems and wording per (category, subcategory) from `path`."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(raw, dict) or not isinstance(raw.get("knowledge"), dict):
        raise ValueError(f"{path}: expected a top-level 'knowledge' mapping")
    knowledge: Knowledge = {}
    for category, subs in raw["knowledge"].items():
        for sub, parts in subs.items():
            unknown = set(parts) - set(KNOWLEDGE_PARTS)
            if unknown:
                raise ValueError(f"{path}: {category}/{sub}: unknown parts {sorted(unknown)}")
            knowledge[(str(category), str(sub))] = {
                part: tuple(str(term) for term in parts.get(part) or ()) for part in KNOWLEDGE_PARTS
            }
    return knowledge


def naming_terms(knowledge: Knowledge) -> Lexicon:
    """The knowledge's terms that name a subcategory (objects and wording), as a lexicon."""
    return {
        key: tuple(term for part in NAMING_PARTS for term in parts.get(part, ()))
        for key, parts in knowledge.items()
    }


def check_examples(examples: Examples, lexicon: Lexicon) -> None:
    """ValueError when an example names a subcategory the lexicon does not have."""
    unknown = sorted(f"{cat}/{sub}" for cat, sub in examples if (cat, sub) not in lexicon)
    if unknown:
        raise ValueError(f"examples for unknown subcategories: {', '.join(unknown)}")


def knowledge_documents(
    lexicon: Lexicon, knowledge: Knowledge
) -> list[tuple[tuple[str, str], str]]:
    """One training document per subcategory's keyword list and per part of its knowledge."""
    documents = [(key, " ".join(words)) for key, words in lexicon.items()]
    documents += [
        (key, " ".join(terms))
        for key, parts in knowledge.items()
        if key in lexicon
        for terms in parts.values()
        if terms
    ]
    return documents


class ExampleClassifier:
    """Subcategory probabilities from a TF-IDF + linear model of the examples and of
    each subcategory's keywords and knowledge (one document per list).

    `model` is "svm" (a linear SVM whose decision values go through a softmax at
    `temperature`, fitted by cross-validation) or "logistic" (logistic regression, the
    first release's model).
    """

    def __init__(
        self,
        examples: Examples,
        lexicon: Lexicon,
        knowledge: Knowledge | None = None,
        *,
        c: float = 3.0,
        model: str = "logistic",
        temperature: float = 1.0,
    ) -> None:
        check_examples(examples, lexicon)
        documents = [(key, text) for key, texts in examples.items() for text in texts]
        documents += knowledge_documents(lexicon, knowledge or {})
        self.features = FeatureUnion(
            [
                ("words", TfidfVectorizer(analyzer=model_words, sublinear_tf=True)),
                (
                    "chars",
                    TfidfVectorizer(
                        analyzer="char",
                        preprocessor=model_text,
                        ngram_range=(2, 3),
                        sublinear_tf=True,
                    ),
                ),
            ]
        )
        matrix = self.features.fit_transform([text for _, text in documents])
        self.vocabulary_size = len(self.features.named_transformers["words"].vocabulary_)
        self.temperature = temperature
        self.classifier: LinearSVC | LogisticRegression
        if model == "svm":
            self.classifier = LinearSVC(C=c)
        elif model == "logistic":
            self.classifier = LogisticRegression(C=c, max_iter=2000)
        else:
            raise ValueError(f"unknown example model {model!r}")
        self.classifier.fit(matrix, [_label(key) for key, _ in documents])
        self.subcategories = [_key(str(label)) for label in self.classifier.classes_]

    def decisions(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Rows of raw subcategory scores (columns in `self.subcategories` order), and
        whether each text shares any word with the training documents (character
        n-grams alone, such as digits, are no evidence)."""
        features = csr_matrix(self.features.transform(texts))
        known = features[:, : self.vocabulary_size].getnnz(axis=1) > 0
        if isinstance(self.classifier, LogisticRegression):
            scores = self.classifier.predict_log_proba(features)
        else:
            scores = self.classifier.decision_function(features)
        return np.asarray(scores, dtype=np.float64), np.asarray(known)

    def probabilities(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Rows of subcategory probabilities and the `known` flags of `decisions`."""
        scores, known = self.decisions(texts)
        return softmax(scores, self.temperature), known


def _label(key: tuple[str, str]) -> str:
    return "/".join(key)


def _key(label: str) -> tuple[str, str]:
    category, sub = label.split("/", 1)
    return category, sub
