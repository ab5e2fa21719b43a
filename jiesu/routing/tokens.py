"""Tokenisation for routing: normalised text cut by jieba with the project's dictionaries."""

from __future__ import annotations

import logging
from functools import lru_cache

import jieba

from jiesu.config import PROJECT_ROOT
from jiesu.text import normalize

DICT_DIR = PROJECT_ROOT / "data" / "dict"


@lru_cache(maxsize=1)
def _tokenizer() -> jieba.Tokenizer:
    """A private jieba tokenizer with data/dict/*.txt and the city's keywords loaded."""
    from jiesu.city import load_city

    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    for path in sorted(DICT_DIR.glob("*.txt")):
        tokenizer.load_userdict(str(path))
    for category in load_city().categories:
        for sub in category.subcategories:
            for keyword in sub.keywords:
                tokenizer.add_word(normalize(keyword), freq=2000)
    return tokenizer


def tokenize(text: str) -> list[str]:
    """Normalise `text` and cut it into words, dropping whitespace and punctuation-only tokens."""
    return [
        word for word in _tokenizer().lcut(normalize(text).lower())
        if word.strip() and any(c.isalnum() for c in word)
    ]
