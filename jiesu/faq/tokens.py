"""Text → search terms for the FAQ: normalisation, jieba with the project dictionary,
the maintained synonym, alias and stop-word lists of `data/faq/`, and the split of a
resident's message into its ask and the situation told before it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Final

import jieba

from jiesu.faq.entries import FAQ_DIR
from jiesu.text import normalize
from jiesu.wordcut import project_tokenizer

SYNONYMS_FILE: Final = FAQ_DIR / "synonyms.txt"
ALIASES_FILE: Final = FAQ_DIR / "aliases.txt"
STOPWORDS_FILE: Final = FAQ_DIR / "stopwords.txt"
GENERIC_FILE: Final = FAQ_DIR / "generic.txt"
ASKED_FILE: Final = FAQ_DIR / "asked.txt"
_NOT_TEXT: Final = re.compile(r"[^0-9a-z\u3400-\u9fff]+")
# What ends a clause: residents tell a situation clause by clause, then ask.
_CLAUSE_END: Final = re.compile(r"[,.;!?:，。；！？：…~\n]+")
# Words that make a clause a question (the ask) rather than context.
_ASKING: Final = re.compile(
    r"吗|么|呢|怎|咋|啥|什么|哪|谁|多少|多久|多长|(?<![好十])几[个天年月岁次]|能不能|可不可以|是不是|"
    r"有没有|要不要|会不会|算不算|行不行|好不好|管不管|给不给|是否|如何|\?|？"
)
_ALIAS_ARROW: Final = "=>"


@dataclass(frozen=True)
class Reading:
    """How a question is read; the switches exist to measure each idea on its own.

    `aliases`: colloquial names (房本, 电瓶车, 退伍兵) add the official terms of
    `data/faq/aliases.txt`, which share the weight of one word; `clauses`: words of
    the situation told before the ask weigh `CONTEXT_WEIGHT`, so a long story
    neither drowns the ask nor counts against a match; `generic`: words of
    `data/faq/generic.txt` (材料, 申请) are no evidence of a topic; `learned`: the
    confidence is the fitted model of `jiesu.faq.index` rather than the first
    version's blend; `asked`: an entry that does not name what the ask is about
    (`asked_about`) is never the answer."""

    aliases: bool = True
    clauses: bool = True
    generic: bool = True
    learned: bool = True
    asked: bool = True


DEFAULT_READING: Final = Reading()
# Weight of a word from a clause that tells the situation rather than asks.
CONTEXT_WEIGHT: Final = 0.5


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
def _groups() -> dict[str, tuple[str, ...]]:
    """Each canonical word → every variant of its synonym group, itself first."""
    found: dict[str, list[str]] = {}
    for variant, canonical in synonyms().items():
        found.setdefault(canonical, [canonical])
        if variant != canonical:
            found[canonical].append(variant)
    return {canonical: tuple(group) for canonical, group in found.items()}


def variants(word: str) -> tuple[str, ...]:
    """`word` and every word of its synonym group (补贴 → 补助, 津贴, …)."""
    canonical = synonyms().get(word, word)
    return tuple(dict.fromkeys((word, *_groups().get(canonical, (canonical,)))))


@lru_cache(maxsize=1)
def aliases() -> dict[str, tuple[str, ...]]:
    """Each colloquial phrase (normalised) → the search terms of its official names."""
    table: dict[str, tuple[str, ...]] = {}
    for number, words in enumerate(_lines(ALIASES_FILE), 1):
        if _ALIAS_ARROW not in words or words.index(_ALIAS_ARROW) in (0, len(words) - 1):
            raise ValueError(f"{ALIASES_FILE.name}:{number}: expected '说法 … => 规范词 …'")
        arrow = words.index(_ALIAS_ARROW)
        targets = tuple(dict.fromkeys(t for word in words[arrow + 1 :] for t in _cut(word)))
        for phrase in words[:arrow]:
            table[clean(phrase)] = targets
    return table


@lru_cache(maxsize=1)
def _alias_pattern() -> re.Pattern[str] | None:
    phrases = sorted(aliases(), key=len, reverse=True)
    return re.compile("|".join(map(re.escape, phrases))) if phrases else None


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    """Words dropped from questions before searching."""
    return frozenset(normalize(word) for line in _lines(STOPWORDS_FILE) for word in line)


@lru_cache(maxsize=1)
def generic() -> frozenset[str]:
    """Search terms any policy question may use whatever its topic (材料, 申请, 补贴):
    no evidence of a topic on their own."""
    return frozenset(t for line in _lines(GENERIC_FILE) for word in line for t in _cut(word))


@dataclass(frozen=True)
class AskedWords:
    """`data/faq/asked.txt`: the endings of words naming an official thing, and the
    particular operations, that an entry must name to answer a question asking them."""

    things: tuple[str, ...]
    actions: frozenset[str]


@lru_cache(maxsize=1)
def asked_words() -> AskedWords:
    """The lexicon of `data/faq/asked.txt` (lines `things: …` and `actions: …`)."""
    found: dict[str, list[str]] = {"things": [], "actions": []}
    for number, words in enumerate(_lines(ASKED_FILE), 1):
        key = words[0].rstrip(":")
        if not words[0].endswith(":") or key not in found:
            raise ValueError(f"{ASKED_FILE.name}:{number}: expected 'things: …' or 'actions: …'")
        found[key] += [plain(normalize(w)) for w in words[1:]]
    return AskedWords(tuple(found["things"]), frozenset(found["actions"]))


def asked_about(normalized: str) -> list[tuple[tuple[str, ...], ...]]:
    """What the ask of a normalised message is about that an entry must name (see
    `Question.about`)."""
    return read(normalized).about


def _about(parts: list[Clause]) -> list[tuple[tuple[str, ...], ...]]:
    """What an entry must name to answer: each thing or operation the asking clauses
    name; and when an ask names nothing of its own (在哪办, 要多少钱, 能补吗), one of the
    things of the situation told before it ("办健康证，在哪办" → 健康证)."""
    found: list[tuple[tuple[str, ...], ...]] = []
    told: list[tuple[str, ...]] = []
    for number, clause in enumerate(parts):
        things = _things(clause.words)
        if not clause.asking:
            told += things
            continue
        found += [(thing,) for thing in things]
        before = parts[number - 1].words if number else ()
        if told and not _names_something(clause.words, before):
            found.append(tuple(dict.fromkeys(told)))
    return list(dict.fromkeys(found))


def _things(words: tuple[str, ...]) -> list[tuple[str, ...]]:
    """The official things and particular operations `words` name, each as the words
    that must all appear ("中考" → (中考,), "食品经营许可证" → (经营, 许可证): a bare ending
    counts with the word before it, generic words between skipped, or on its own when it
    is not generic: "有没有保险" → (保险,)), and each particular operation (改正,)."""
    lexicon = asked_words()
    found: list[tuple[str, ...]] = []
    for number, word in enumerate(words):
        if word in lexicon.actions:
            found.append((word,))
        elif word in lexicon.things:
            before = number - 1
            while before >= 0 and len(words[before]) > 1 and _is_generic(words[before]):
                before -= 1
            if before >= 0 and _qualifies(words[before]):
                found.append((words[before], word))
            elif not _is_generic(word):
                found.append((word,))
        elif len(word) > 1 and word.endswith(lexicon.things) and not _is_generic(word):
            found.append((word,))
    return found


def _is_generic(word: str) -> bool:
    """Whether `word` (or its canonical synonym: 补助 → 补贴) is a generic word."""
    return synonyms().get(word, word) in generic()


def _qualifies(word: str) -> bool:
    """Whether `word` says something of its own: before a bare ending (许可证, 补助), which
    thing is meant; in an ask, what it is about (not only how, where or how much)."""
    return (
        len(word) > 1
        and word not in stopwords()
        and not _is_generic(word)
        and not _ASKING.search(word)
    )


def _names_something(words: tuple[str, ...], before: tuple[str, ...]) -> bool:
    """Whether an ask names something of its own, or repeats a word of the clause just
    before it ("要租赁登记，这个登记去哪办" is about that 登记)."""
    return any(_qualifies(w) or (len(w) > 1 and w in before) for w in words)


def spellings(word: str) -> list[tuple[str, ...]]:
    """The ways an entry may name `word`, each as the terms that must all appear: the
    word, its canonical synonym, and the official terms of a colloquial name in it."""
    found: list[tuple[str, ...]] = [(word,), (synonyms().get(word, word),)]
    # A longer word that holds a known word after its first character (月租金 → 租金).
    found += [(word[1:],)] if len(word) > 2 and _tokenizer().FREQ.get(word[1:]) else []
    found += [targets for phrase, targets in aliases().items() if phrase in word]
    return found


@lru_cache(maxsize=1)
def _tokenizer() -> jieba.Tokenizer:
    """The project tokenizer with every synonym as a word."""
    return project_tokenizer(synonyms())


def clean(text: str, separator: str = "") -> str:
    """`text` normalised (simplified, half-width, lower case), with each run of
    punctuation and spaces replaced by `separator`."""
    return plain(normalize(text), separator)


def plain(normalized: str, separator: str = "") -> str:
    """`clean` of text already normalised (normalising is the costly part)."""
    return _NOT_TEXT.sub(separator, normalized.lower()).strip()


def _cut(text: str) -> list[str]:
    """Words of `text` and their sub-words, synonyms made canonical (stop-words kept)."""
    return _cut_words(plain(normalize(text), " "))


def _cut_words(text: str) -> list[str]:
    """`_cut` of text already made plain (`plain` with a space separator)."""
    return _search_terms(_words(text))


def _words(text: str) -> tuple[str, ...]:
    """Words of text made plain, as jieba cuts them. Without HMM, jieba leaves words it
    does not know as single characters instead of guessing new words across clause
    boundaries (费在, 哪交) that match nothing."""
    return tuple(w for w in _tokenizer().cut(text, HMM=False) if w.strip())


def _search_terms(words: tuple[str, ...]) -> list[str]:
    """Search terms of cut words: each word after the known words inside it (as
    jieba's `cut_for_search` adds them), synonyms made canonical (stop-words kept)."""
    table, known = synonyms(), _tokenizer().FREQ
    found: list[str] = []
    for whole in words:
        inside = [whole[i : i + 2] for i in range(len(whole) - 1)] if len(whole) > 2 else []
        inside += [whole[i : i + 3] for i in range(len(whole) - 2)] if len(whole) > 3 else []
        for word in [*(w for w in inside if known.get(w)), whole]:
            if word in table:
                found.append(table[word])
                continue
            found.append(word)
            found += _embedded_synonyms(word)
    return found


def terms(text: str) -> list[str]:
    """Search terms of `text`: words and their sub-words, synonyms made canonical,
    stop-words dropped."""
    return normalized_terms(normalize(text))


def normalized_terms(normalized: str) -> list[str]:
    """`terms` of text already normalised (`jiesu.text.normalize`)."""
    stop = stopwords()
    return [w for w in _cut_words(plain(normalized, " ")) if w not in stop]


def _alias_targets(text: str) -> list[tuple[str, ...]]:
    """Official terms of each colloquial name in `text` (made plain by `plain`)."""
    pattern = _alias_pattern()
    if pattern is None:
        return []
    table = aliases()
    return [table[match.group()] for match in pattern.finditer(text)]


@dataclass(frozen=True)
class Clause:
    """One clause of a message: its text made plain, its words as jieba cuts them, and
    whether it asks (or tells the situation)."""

    text: str
    words: tuple[str, ...]
    asking: bool


@dataclass(frozen=True)
class Question:
    """A message as the index reads it: its search terms, each with its weight (1 in
    the ask, `CONTEXT_WEIGHT` in the situation told before it), and what its ask is
    about that an entry must name to answer it (`_about`)."""

    terms: list[tuple[str, float]]
    # Each a choice of things (each as the words that must all appear), one of which
    # an entry must name.
    about: list[tuple[tuple[str, ...], ...]]


def clauses(normalized: str) -> list[Clause]:
    """The clauses of a normalised message, each with whether it asks. A message that
    asks nowhere asks in its last clause."""
    parts = [p for p in _CLAUSE_END.split(normalized) if p.strip()]
    asking = [bool(_ASKING.search(p)) for p in parts]
    if parts and not any(asking):
        asking[-1] = True
    return [Clause(plain(p), _words(plain(p, " ")), a) for p, a in zip(parts, asking, strict=True)]


def weighted_terms(text: str, reading: Reading | None = None) -> list[tuple[str, float]]:
    """Search terms of `text`, each with its weight: 1 in the ask, `CONTEXT_WEIGHT` in
    the situation told before it (1 everywhere without `reading.clauses`); the official
    terms of a colloquial name follow the words it stands for and share one word's
    weight."""
    return read(normalize(text), reading).terms


def read(normalized: str, reading: Reading | None = None) -> Question:
    """A message already normalised (`jiesu.text.normalize`) as the index reads it:
    jieba cuts each clause once, for its search terms and for what its ask is about."""
    reading = reading or DEFAULT_READING
    stop = stopwords()
    parts = clauses(normalized)
    found: list[tuple[str, float]] = []
    for clause in parts:
        weight = 1.0 if clause.asking or not reading.clauses else CONTEXT_WEIGHT
        found += [(w, weight) for w in _search_terms(clause.words) if w not in stop]
        if reading.aliases:
            for targets in _alias_targets(clause.text):
                kept = [t for t in targets if t not in stop]
                found += [(t, weight / len(kept)) for t in kept]
    return Question(found, _about(parts))


@lru_cache(maxsize=8192)
def _embedded_synonyms(word: str) -> tuple[str, ...]:
    """Canonical forms of synonyms inside a word jieba kept whole (养犬 → 狗), so a
    compound the dictionary lacks still meets the entries' wording."""
    table = synonyms()
    return tuple(dict.fromkeys(table[v] for v in table if v in word and v != word))
