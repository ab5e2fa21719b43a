"""Tokenisation for routing: normalised text cut by jieba with the project's dictionaries."""

from __future__ import annotations

from functools import lru_cache
from typing import Final

import jieba

from jiesu.routing.lexicon import split_subject
from jiesu.text import normalize
from jiesu.wordcut import project_tokenizer

# How often the subject line is repeated in the text the statistical models read.
SUBJECT_REPEATS: Final = 2
# The statistical models read this much of the body: its opening states the request,
# the rest mostly background, and cutting bounds the time jieba takes on long letters.
BODY_CHARS: Final = 600


@lru_cache(maxsize=1)
def _tokenizer() -> jieba.Tokenizer:
    """The project tokenizer with the city's keywords as words."""
    from jiesu.city import current_city

    return project_tokenizer(
        normalize(keyword)
        for category in current_city().categories
        for sub in category.subcategories
        for keyword in sub.keywords
    )


# The prior's example classifier and a trained model read the same message: both
# functions below are pure and cache their latest results (normalisation and jieba
# dominate routing time).
@lru_cache(maxsize=64)
def model_text(text: str) -> str:
    """Normalised, lower-cased `text` as the statistical models read it: the subject
    line repeated (it weighs more than the body) and the body cut to BODY_CHARS."""
    subject, body = split_subject(text)
    cut = "\n".join([subject] * SUBJECT_REPEATS + [body[:BODY_CHARS]]).strip()
    return normalize(cut).lower()


def tokenize(text: str) -> list[str]:
    """Normalise `text` and cut it into words, dropping whitespace and punctuation-only tokens."""
    return [
        word
        for word in _tokenizer().lcut(normalize(text).lower())
        if word.strip() and any(c.isalnum() for c in word)
    ]


@lru_cache(maxsize=64)
def model_words(text: str) -> tuple[str, ...]:
    """The words of `model_text(text)`."""
    return tuple(tokenize(model_text(text)))
