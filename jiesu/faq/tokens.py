"""Text → search terms for the FAQ: normalisation, jieba with the project dictionary,
the maintained synonym and stop-word lists of `data/faq/`."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Final

import jieba

from jiesu.faq.entries import FAQ_DIR
from jiesu.text import normalize
from jiesu.wordcut import project_tokenizer

SYNONYMS_FILE: Final = FAQ_DIR / "synonyms.txt"
STOPWORDS_FILE: Final = FAQ_DIR / "stopwords.txt"
_NOT_TEXT: Final = re.compile(r"[^0-9a-z\u3400-\u9fff]+")


def _lines(path: Path) -> list[list[str]]:
    """Whitespace-separated words per non-comment line of `path`."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line.split() for line in lines if line.strip() and not line.lstrip().startswith("#")]


@lru_cache(maxsize=1)
def synonyms() -> dict[str, str]:
    """Each variant (normalised) → the canonical word of its group."""
    return {
        normalize(word).lower(): normalize(group[0]).lower()
        for group in _lines(SYNONYMS_FILE)
        for word in group
    }


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    """Words dropped from questions before searching."""
    return frozenset(normalize(word) for line in _lines(STOPWORDS_FILE) for word in line)


@lru_cache(maxsize=1)
def _tokenizer() -> jieba.Tokenizer:
    """The project tokenizer with every synonym as a word."""
    return project_tokenizer(synonyms())


def clean(text: str, separator: str = "") -> str:
    """`text` normalised (simplified, half-width, lower case), with each run of
    punctuation and spaces replaced by `separator`."""
    return _NOT_TEXT.sub(separator, normalize(text).lower()).strip()


def terms(text: str) -> list[str]:
    """Search terms of `text`: words and their sub-words, synonyms made canonical,
    stop-words dropped."""
    table, stop = synonyms(), stopwords()
    found: list[str] = []
    # Without HMM, jieba leaves words it does not know as single characters instead of
    # guessing new words across clause boundaries (费在, 哪交) that match nothing.
    for word in _tokenizer().cut_for_search(clean(text, " "), HMM=False):
        if not word.strip():
            continue
        if word in table:
            found.append(table[word])
            continue
        found.append(word)
        found += _embedded_synonyms(word)
    return [w for w in found if w not in stop]


@lru_cache(maxsize=8192)
def _embedded_synonyms(word: str) -> tuple[str, ...]:
    """Canonical forms of synonyms inside a word jieba kept whole (养犬 → 狗), so a
    compound the dictionary lacks still meets the entries' wording."""
    table = synonyms()
    return tuple(dict.fromkeys(table[v] for v in table if v in word and v != word))

