"""A jieba tokenizer with the project dictionary (`data/dict/`) and extra words."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Final

import jieba

from jiesu.config import PROJECT_ROOT

DICT_DIR: Final = PROJECT_ROOT / "data" / "dict"
# High enough that jieba keeps an added word whole rather than splitting it.
_ADDED_WORD_FREQ: Final = 2000


def project_tokenizer(extra_words: Iterable[str] = ()) -> jieba.Tokenizer:
    """A private tokenizer (not jieba's global one) with data/dict/*.txt and `extra_words`."""
    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    for path in sorted(DICT_DIR.glob("*.txt")):
        tokenizer.load_userdict(str(path))
    for word in extra_words:
        tokenizer.add_word(word, freq=_ADDED_WORD_FREQ)
    return tokenizer
