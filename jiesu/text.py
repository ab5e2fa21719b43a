"""Text normalisation applied before NLU and retrieval.

Both Python environments import this module (the Rasa engine loads it from a
custom NLU component), so it depends on nothing but the standard library and
OpenCC. Normalisation is length-preserving: character offsets of entities
annotated on the original text stay valid on the normalised text.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from opencc import OpenCC

_CONVERTER = OpenCC("t2s")


@lru_cache(maxsize=4096)
def _fold_char(char: str) -> str:
    """Fold one character: full-width forms to half-width, traditional to simplified."""
    folded = unicodedata.normalize("NFKC", char)
    if len(folded) != 1:
        folded = char
    simplified = _CONVERTER.convert(folded)
    return simplified if len(simplified) == 1 else folded


@lru_cache(maxsize=1024)
def normalize(text: str) -> str:
    """Return `text` in simplified Chinese with half-width forms, same length.

    Cached: the tokenizer, the intent classifier and the entity extractors each
    normalise the same message.

    Phrase-level conversion is tried first (it is more accurate for words such
    as 頭髮 → 头发); where it would change the length, the text is folded
    character by character instead.
    """
    folded = "".join(_fold_char(c) for c in text)
    phrased = _CONVERTER.convert(folded)
    return phrased if len(phrased) == len(text) else folded


_PUNCTUATION = re.compile(r"[\W_]+")


def compact(text: str) -> str:
    """`text` normalised, without punctuation, symbols, emoji or spaces: what a resident
    said, however it was typed ("有帮助！" and "有帮助👍" are "有帮助")."""
    return _PUNCTUATION.sub("", normalize(text))


_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def strip_control(text: str) -> str:
    """Remove control characters (keeping newlines and tabs) and bidirectional overrides.

    Applied once where a message enters the system: NUL cannot be stored in
    PostgreSQL, and bidi overrides could make a transcript read differently
    from what was sent.
    """
    return "".join(
        c
        for c in text
        if c in "\n\t" or (unicodedata.category(c) != "Cc" and c not in _BIDI_CONTROLS)
    )
