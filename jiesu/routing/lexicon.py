"""The out-of-the-box router: weighted keyword matches from the city's category tree.

Every subcategory of `categories.yml` lists the words residents use for it. A
message scores each subcategory by the keywords found in its normalised text:
longer keywords weigh more and repeated matches saturate. The first line of a
longer message (its title or opening) states the subject, so it counts twice. A
first-level category scores the sum of its subcategories. No ticket data is involved.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

from jiesu.city import City
from jiesu.text import normalize


def keyword_weight(keyword: str) -> float:
    """A keyword's weight: two characters weigh 1, four or more weigh 2."""
    return min(len(keyword), 4) / 2


@dataclass(frozen=True)
class LexiconScores:
    """A message's keyword evidence per first-level category and per subcategory."""

    categories: dict[str, float]
    subcategories: dict[tuple[str, str], float]

    def best_subcategory(self, category: str) -> str | None:
        """The best-scoring subcategory within `category`, or None without evidence."""
        found = [(s, sub) for (cat, sub), s in self.subcategories.items() if cat == category]
        return max(found)[1] if found else None


class LexiconRouter:
    """Scores text against the keyword lexicon of a city's categories."""

    def __init__(self, keywords: dict[tuple[str, str], tuple[str, ...]]) -> None:
        self.lexicon = keywords
        self.categories = tuple(dict.fromkeys(category for category, _ in keywords))
        self._keywords = [
            (normalize(word).lower(), keyword_weight(word), key)
            for key, words in keywords.items()
            for word in words
        ]

    @classmethod
    def from_city(cls, city: City) -> LexiconRouter:
        """The router for `city`'s category tree."""
        return cls({
            (category.name, sub.name): sub.keywords
            for category in city.categories
            for sub in category.subcategories
        })

    def score(self, text: str) -> LexiconScores:
        """Keyword evidence for `text`; categories without any match are left out."""
        folded = normalize(text).lower()
        first_line = folded.strip().split("\n", 1)[0] if "\n" in folded.strip() else ""
        subcategories: dict[tuple[str, str], float] = defaultdict(float)
        for word, weight, key in self._keywords:
            count = folded.count(word)
            if count:
                subcategories[key] += weight * (1 + math.log(count) + (word in first_line))
        categories: dict[str, float] = defaultdict(float)
        for (category, _), value in subcategories.items():
            categories[category] += value
        return LexiconScores(dict(categories), dict(subcategories))


def lexicon_confidence(scores: dict[str, float]) -> tuple[str | None, float]:
    """The top category and a confidence in [0, 1]: its share of all evidence,
    damped when the evidence itself is thin (a single short keyword)."""
    if not scores:
        return None, 0.0
    best = max(scores, key=lambda name: scores[name])
    top = scores[best]
    share = top / sum(scores.values())
    return best, share * (1 - math.exp(-top))
