"""The city's keyword lexicon as routing evidence.

Every subcategory of `categories.yml` lists the words residents use for it. A
message scores each subcategory by the keywords found in its normalised text:
each keyword counts once, repeats in the body saturate (logarithm), and a keyword
in the subject line (the first line of a multi-line message, its title) earns a
bonus, because the title states what the letter is about while a long body also
tells background. A first-level category scores its best subcategory plus half of
the others, so a category with many subcategories does not win on breadth alone.
No ticket data is involved.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from typing import Final

from jiesu.city import City
from jiesu.text import normalize

# Extra evidence of a keyword found in the subject line.
TITLE_BONUS: Final = 2.0
# Share of the non-best subcategories' evidence that counts for their category.
OTHER_SUBCATEGORIES_SHARE: Final = 0.5

Lexicon = dict[tuple[str, str], tuple[str, ...]]
# Evidence weight of a keyword of a subcategory: (keyword, (category, subcategory)) → weight.
KeywordWeights = dict[tuple[str, tuple[str, str]], float]


def split_subject(text: str) -> tuple[str, str]:
    """(subject line, rest) of normalised `text`; a one-line message has no subject line."""
    stripped = text.strip()
    if "\n" not in stripped:
        return "", stripped
    subject, rest = stripped.split("\n", 1)
    return subject, rest


@dataclass(frozen=True)
class LexiconScores:
    """A message's keyword evidence per first-level category and per subcategory."""

    categories: dict[str, float]
    subcategories: dict[tuple[str, str], float]

    def best_subcategory(self, category: str) -> str | None:
        """The best-scoring subcategory within `category`, or None without evidence."""
        found = [(s, sub) for (cat, sub), s in self.subcategories.items() if cat == category]
        return max(found)[1] if found else None


def _category_scores(subcategories: dict[tuple[str, str], float]) -> dict[str, float]:
    grouped: dict[str, list[float]] = defaultdict(list)
    for (category, _), value in subcategories.items():
        grouped[category].append(value)
    return {
        category: max(values) + OTHER_SUBCATEGORIES_SHARE * (sum(values) - max(values))
        for category, values in grouped.items()
    }


class LexiconRouter:
    """Scores text against the keyword lexicon of a city's categories."""

    def __init__(self, keywords: Lexicon, weights: KeywordWeights | None = None) -> None:
        """`weights` scale the evidence of some keywords (default 1 each)."""
        self.lexicon = keywords
        self.categories = tuple(dict.fromkeys(category for category, _ in keywords))
        weights = weights or {}
        self._keywords = [
            (normalize(word).lower(), key, weights.get((word, key), 1.0))
            for key, words in keywords.items()
            for word in words
        ]

    @classmethod
    def from_city(cls, city: City) -> LexiconRouter:
        """The router for `city`'s category tree."""
        return cls(
            {
                (category.name, sub.name): sub.keywords
                for category in city.categories
                for sub in category.subcategories
            }
        )

    def score(self, text: str) -> LexiconScores:
        """Keyword evidence for `text`; categories without any match are left out."""
        subject, body = split_subject(normalize(text).lower())
        subcategories: dict[tuple[str, str], float] = defaultdict(float)
        for word, key, weight in self._keywords:
            in_body = body.count(word)
            in_subject = word in subject
            if in_body or in_subject:
                saturated = 1 + math.log(in_body) if in_body else 0.0
                subcategories[key] += weight * (saturated + TITLE_BONUS * in_subject)
        return LexiconScores(_category_scores(subcategories), dict(subcategories))
