"""The project's own routing knowledge as probabilities: keyword evidence from the
city's lexicon (extended by the naming terms of `data/routing/knowledge.yml`) blended
with the classifier of hand-written examples and knowledge, then temperature-scaled.

This is the out-of-the-box router, and the prior a trained router builds on. Its
constants (`PriorSettings`) are chosen by cross-validation on the hand-written
examples (`jiesu calibrate routing`, see `tuning.py`) and kept in
`data/routing/prior.yml`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any, Final

import numpy as np
import yaml

from jiesu.routing.examples import (
    ROUTING_DATA,
    ExampleClassifier,
    Examples,
    Knowledge,
    naming_terms,
)
from jiesu.routing.lexicon import KeywordWeights, Lexicon, LexiconRouter, LexiconScores
from jiesu.text import normalize

SETTINGS_FILE: Final = ROUTING_DATA / "prior.yml"


@dataclass(frozen=True)
class PriorSettings:
    """The out-of-the-box router's constants. The defaults are the first release's
    (chosen while looking at benchmark scores); the shipped ones are in prior.yml."""

    # The example classifier: "logistic" or "svm", and its inverse regularisation.
    model: str = "logistic"
    c: float = 3.0
    # Softmax temperature of the example classifier's scores.
    examples_temperature: float = 1.0
    # Weight of the lexicon in the blend; the example classifier gets the rest.
    lexicon_weight: float = 0.5
    # Evidence every category gets before counting keywords (additive smoothing): a
    # message with little keyword evidence keeps a flat, hence unconfident, distribution.
    smoothing: float = 0.2
    # How much a keyword's evidence is scaled by its specificity (0: not at all), see
    # `keyword_specificity`.
    specificity_power: float = 0.0
    # Temperature of the blended category distribution.
    temperature: float = 1.0
    # Routes at or above this confidence are dispatched without a person.
    threshold: float = 0.4

    def as_dict(self) -> dict[str, Any]:
        """The settings as plain data."""
        return asdict(self)


def load_settings(path: Path = SETTINGS_FILE) -> PriorSettings:
    """The settings kept in `path` (keys other than PriorSettings' fields are reports)."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    names = {f.name for f in fields(PriorSettings)}
    return PriorSettings(**{k: v for k, v in raw.items() if k in names})


@dataclass(frozen=True)
class Assessment:
    """What the knowledge says about one message."""

    scores: LexiconScores
    # Calibrated category probabilities (the confidence), and the blend before the
    # temperature (the trained router's features: the SVM learns its own scale).
    categories: dict[str, float]
    subcategories: dict[tuple[str, str], float]
    has_evidence: bool
    untempered: dict[str, float]

    def best(self) -> tuple[str, float]:
        """The most probable first-level category and its probability."""
        return self.ranked(1)[0]

    def ranked(self, n: int) -> list[tuple[str, float]]:
        """The `n` most probable first-level categories with their probabilities."""
        order = sorted(self.categories, key=lambda name: -self.categories[name])
        return [(name, self.categories[name]) for name in order[:n]]

    def best_subcategory(self, category: str) -> str | None:
        """Within `category`: the best subcategory by keywords, else by the examples."""
        by_keywords = self.scores.best_subcategory(category)
        if by_keywords is not None:
            return by_keywords
        found = [(p, sub) for (cat, sub), p in self.subcategories.items() if cat == category]
        return max(found)[1] if found else None


def log_evidence(scores: LexiconScores, categories: tuple[str, ...]) -> np.ndarray:
    """log(1 + keyword evidence) per category, in `categories` order."""
    return np.log1p([scores.categories.get(name, 0.0) for name in categories])


def keyword_probabilities(
    scores: LexiconScores, categories: tuple[str, ...], smoothing: float
) -> np.ndarray:
    """Each category's share of the smoothed keyword evidence, in `categories` order."""
    smoothed = np.array([scores.categories.get(name, 0.0) for name in categories])
    smoothed += smoothing
    return smoothed / smoothed.sum()


def mix(by_keywords: np.ndarray, by_examples: np.ndarray, settings: PriorSettings) -> np.ndarray:
    """Rows of category probabilities: the weighted mix of the two sources."""
    weight = settings.lexicon_weight
    return np.asarray(weight * by_keywords + (1 - weight) * by_examples)


def blend(by_keywords: np.ndarray, by_examples: np.ndarray, settings: PriorSettings) -> np.ndarray:
    """Rows of category probabilities: the weighted mix, sharpened or flattened by the
    temperature."""
    mixed = mix(by_keywords, by_examples, settings)
    if settings.temperature == 1.0:
        return mixed
    logits = np.log(np.clip(mixed, 1e-12, None)) / settings.temperature
    logits -= logits.max(axis=1, keepdims=True)
    sharpened = np.exp(logits)
    return np.asarray(sharpened / sharpened.sum(axis=1, keepdims=True))


def keyword_specificity(lexicon: Lexicon, examples: Examples, power: float) -> KeywordWeights:
    """Per keyword: the smoothed share of the examples containing it that belong to its
    own category, to the `power`. A word our own examples use across categories (小区,
    公司) is weaker evidence than one they use for its category only (欠薪)."""
    if power == 0.0:
        return {}
    texts = [
        (category, normalize(text).lower())
        for (category, _), group in examples.items()
        for text in group
    ]
    weights: KeywordWeights = {}
    for key, words in lexicon.items():
        for word in words:
            found = normalize(word).lower()
            containing = [category for category, text in texts if found in text]
            own = sum(category == key[0] for category in containing)
            weights[(word, key)] = ((own + 1) / (len(containing) + 1)) ** power
    return weights


def extended_lexicon(lexicon: Lexicon, knowledge: Knowledge | None) -> Lexicon:
    """The city's keywords with the knowledge's naming terms of each subcategory added."""
    extra = naming_terms(knowledge or {})
    return {
        key: tuple(dict.fromkeys([*words, *extra.get(key, ())])) for key, words in lexicon.items()
    }


class KnowledgePrior:
    """Category probabilities from the lexicon, the hand-written examples and the
    structured knowledge, with the given settings."""

    def __init__(
        self,
        lexicon: Lexicon,
        examples: Examples,
        knowledge: Knowledge | None = None,
        settings: PriorSettings | None = None,
    ) -> None:
        self.settings = settings or PriorSettings()
        extended = extended_lexicon(lexicon, knowledge)
        self.lexicon = LexiconRouter(
            extended, keyword_specificity(extended, examples, self.settings.specificity_power)
        )
        self.categories = self.lexicon.categories
        self.examples = ExampleClassifier(
            examples,
            lexicon,
            knowledge,
            c=self.settings.c,
            model=self.settings.model,
            temperature=self.settings.examples_temperature,
        )
        self.columns = category_columns(self.examples.subcategories, self.categories)

    def assess(self, texts: list[str]) -> list[Assessment]:
        """The knowledge's view of each text."""
        scores = [self.lexicon.score(text) for text in texts]
        by_keywords = np.array(
            [keyword_probabilities(s, self.categories, self.settings.smoothing) for s in scores]
        )
        sub_probs, known = self.examples.probabilities(texts)
        by_examples = sub_probs @ self.columns
        blended = blend(by_keywords, by_examples, self.settings)
        mixed = mix(by_keywords, by_examples, self.settings)
        return [
            Assessment(
                scores=s,
                categories=dict(zip(self.categories, map(float, row), strict=True)),
                subcategories=dict(zip(self.examples.subcategories, map(float, subs), strict=True)),
                has_evidence=bool(s.categories) or bool(seen),
                untempered=dict(zip(self.categories, map(float, raw), strict=True)),
            )
            for s, row, subs, seen, raw in zip(
                scores, blended, sub_probs, known, mixed, strict=True
            )
        ]

    def features(self, assessments: list[Assessment]) -> np.ndarray:
        """Per assessed text: log keyword evidence and blended probability (before the
        temperature) per category."""
        return np.array(
            [
                np.concatenate(
                    [
                        log_evidence(a.scores, self.categories),
                        [a.untempered[name] for name in self.categories],
                    ]
                )
                for a in assessments
            ]
        )


def category_columns(
    subcategories: list[tuple[str, str]], categories: tuple[str, ...]
) -> np.ndarray:
    """The 0/1 matrix summing subcategory probabilities (rows) into categories (columns)."""
    return np.array(
        [[cat == category for cat, _ in subcategories] for category in categories], dtype=np.float64
    ).T
