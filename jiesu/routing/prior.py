"""The project's own routing knowledge as probabilities: keyword evidence from the
city's lexicon blended with the classifier of hand-written examples.

This is the out-of-the-box router, and the prior a trained router builds on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np

from jiesu.routing.examples import ExampleClassifier, Examples
from jiesu.routing.lexicon import Lexicon, LexiconRouter, LexiconScores

# Weight of the lexicon in the blend; the example classifier gets the rest.
LEXICON_WEIGHT: Final = 0.5
# Evidence every category gets before counting keywords (additive smoothing): a
# message with little keyword evidence keeps a flat, hence unconfident, distribution.
LEXICON_SMOOTHING: Final = 0.2


@dataclass(frozen=True)
class Assessment:
    """What the knowledge says about one message."""

    scores: LexiconScores
    categories: dict[str, float]
    subcategories: dict[tuple[str, str], float]
    has_evidence: bool

    def best(self) -> tuple[str, float]:
        """The most probable first-level category and its probability."""
        category = max(self.categories, key=lambda name: self.categories[name])
        return category, self.categories[category]

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


def keyword_probabilities(scores: LexiconScores, categories: tuple[str, ...]) -> np.ndarray:
    """Each category's share of the smoothed keyword evidence, in `categories` order."""
    smoothed = np.array([scores.categories.get(name, 0.0) for name in categories])
    smoothed += LEXICON_SMOOTHING
    return smoothed / smoothed.sum()


class KnowledgePrior:
    """Category probabilities from the lexicon and the hand-written examples."""

    def __init__(self, lexicon: Lexicon, examples: Examples) -> None:
        self.lexicon = LexiconRouter(lexicon)
        self.categories = self.lexicon.categories
        self.examples = ExampleClassifier(examples, lexicon)
        self._columns = np.array([
            [cat == category for cat, _ in self.examples.subcategories]
            for category in self.categories
        ], dtype=np.float64).T

    def assess(self, texts: list[str]) -> list[Assessment]:
        """The knowledge's view of each text."""
        scores = [self.lexicon.score(text) for text in texts]
        by_keywords = np.array([keyword_probabilities(s, self.categories) for s in scores])
        sub_probs, known = self.examples.probabilities(texts)
        blended = LEXICON_WEIGHT * by_keywords + (1 - LEXICON_WEIGHT) * sub_probs @ self._columns
        return [
            Assessment(
                scores=s,
                categories=dict(zip(self.categories, map(float, row), strict=True)),
                subcategories=dict(zip(self.examples.subcategories, map(float, subs), strict=True)),
                has_evidence=bool(s.categories) or bool(seen),
            )
            for s, row, subs, seen in zip(scores, blended, sub_probs, known, strict=True)
        ]

    def features(self, assessments: list[Assessment]) -> np.ndarray:
        """Per assessed text: log keyword evidence and blended probability per category."""
        return np.array([
            np.concatenate([
                log_evidence(a.scores, self.categories),
                [a.categories[name] for name in self.categories],
            ])
            for a in assessments
        ])
