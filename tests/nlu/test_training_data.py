"""Checks on the Rasa NLU training data in data/nlu/ and the jieba dictionary."""

from __future__ import annotations

import csv
import json
import logging
import re
from collections import Counter
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jieba
import pytest
import yaml

from jiesu.text import normalize

ROOT = Path(__file__).resolve().parents[2]
NLU_DIR = ROOT / "data" / "nlu"
DICT_DIR = ROOT / "data" / "dict"

BIG_INTENTS = ("consult", "seek_help", "complain", "report", "suggest", "out_of_scope")
SMALL_INTENTS = (
    "praise",
    "emergency",
    "query_ticket",
    "request_human",
    "cancel",
    "inform",
    "greet",
    "goodbye",
    "thank",
    "affirm",
    "deny",
    "bot_challenge",
)
MINIMUMS: dict[str, int] = {name: 40 for name in BIG_INTENTS} | {name: 15 for name in SMALL_INTENTS}
ENTITY_NAMES = frozenset({"address", "phone", "ticket_id", "time"})
BENCH_SETS = ("terse.csv", "terse_fresh.csv", "letters.csv")

# `[text](entity)` or `[text]{"entity": "name", ...}`, the two Rasa inline forms we use.
ANNOTATION = re.compile(r"\[(?P<text>[^\]]+)\](?:\((?P<name>[^)]+)\)|(?P<json>\{[^}]*\}))")


@dataclass(frozen=True)
class Entity:
    """One annotated entity, with offsets into the plain example text."""

    name: str
    start: int
    end: int
    value: str


@dataclass(frozen=True)
class Example:
    """One training example with its annotations removed."""

    intent: str
    text: str
    entities: tuple[Entity, ...]


def parse_example(intent: str, raw: str) -> Example:
    """Strip inline annotations from `raw`, keeping each entity's offsets."""
    parts: list[str] = []
    entities: list[Entity] = []
    position = 0
    length = 0
    for match in ANNOTATION.finditer(raw):
        before = raw[position : match.start()]
        parts.append(before)
        length += len(before)
        value = match["text"]
        name = match["name"] or json.loads(match["json"])["entity"]
        entities.append(Entity(name.split(":")[0], length, length + len(value), value))
        parts.append(value)
        length += len(value)
        position = match.end()
    parts.append(raw[position:])
    return Example(intent, "".join(parts), tuple(entities))


def block_lines(block: str) -> list[str]:
    """Return the `- item` entries of a Rasa `examples: |` block."""
    return [
        line.strip()[2:].strip() for line in block.splitlines() if line.strip().startswith("- ")
    ]


@cache
def nlu_items() -> tuple[dict[str, Any], ...]:
    """Return every item of the `nlu:` lists of all data/nlu/*.yml files."""
    items: list[dict[str, Any]] = []
    for path in sorted(NLU_DIR.glob("*.yml")):
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert document["version"] == "3.1", path.name
        items.extend(document["nlu"])
    return tuple(items)


@cache
def examples() -> tuple[Example, ...]:
    """Return every intent example of the training data."""
    return tuple(
        parse_example(item["intent"], raw)
        for item in nlu_items()
        if "intent" in item
        for raw in block_lines(item["examples"])
    )


@cache
def load_dictionaries() -> None:
    """Load every file of data/dict/ into jieba once, as Rasa's JiebaTokenizer does."""
    jieba.setLogLevel(logging.WARNING)
    for path in sorted(DICT_DIR.iterdir()):
        if path.is_file():
            jieba.load_userdict(str(path))


def token_boundaries(text: str) -> set[int]:
    """Return the offsets where jieba tokens of normalised `text` start or end."""
    load_dictionaries()
    boundaries: set[int] = set()
    for word, start, end in jieba.tokenize(normalize(text)):
        if word.strip():
            boundaries.update((start, end))
    return boundaries


@pytest.mark.parametrize("intent", sorted(MINIMUMS))
def test_intent_has_enough_examples(intent: str) -> None:
    """Every required intent is present with at least its minimum count."""
    count = sum(1 for example in examples() if example.intent == intent)
    assert count >= MINIMUMS[intent], f"{intent}: {count} < {MINIMUMS[intent]}"


def test_no_benchmark_message_is_trained_on() -> None:
    """Our own benchmark sets (bench/data) measure messages the model never saw."""
    trained = {normalize(example.text).strip() for example in examples()}
    benched = set()
    for name in BENCH_SETS:
        with (ROOT / "bench" / "data" / name).open(encoding="utf-8") as handle:
            benched |= {normalize(row["text"]).strip() for row in csv.DictReader(handle)}
    assert not sorted(trained & benched)


def test_no_duplicate_examples() -> None:
    """No example text (after normalisation) appears twice, within or across intents."""
    counts = Counter(normalize(example.text).strip() for example in examples())
    duplicates = sorted(text for text, count in counts.items() if count > 1)
    assert not duplicates, duplicates


def test_entities_align_with_jieba_tokens() -> None:
    """Every entity starts and ends on a jieba token boundary, or Rasa would drop it."""
    misaligned = [
        f"{example.text!r} -> {entity.value!r} ({entity.name})"
        for example in examples()
        for entity in example.entities
        if not {entity.start, entity.end} <= token_boundaries(example.text)
    ]
    assert not misaligned, "\n".join(misaligned)


def test_entity_names_are_known() -> None:
    """Only the four entities of the domain are annotated."""
    names = {entity.name for example in examples() for entity in example.entities}
    assert names <= ENTITY_NAMES, names - ENTITY_NAMES


def test_times_are_kept_as_said() -> None:
    """No synonym rewrites what a resident said ("昨儿" stays "昨儿" on the ticket)."""
    assert not [item["synonym"] for item in nlu_items() if "synonym" in item]
