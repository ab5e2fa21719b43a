"""Intent classifier: TF-IDF over jieba words and character n-grams, plus lexicon cues,
logistic regression.

On our data (short, colloquial, mixed-script messages, ~100 examples an intent) a
linear model over sublinear TF-IDF cross-validates better than DIET's intent head
and trains in seconds (README, Benchmarks). DIET stays in the pipeline for
entities only. Words come from the tokenizer that runs before this component;
character n-grams are taken from the normalised text, so traditional characters
and full-width forms count as their simplified, half-width equivalents.

Residents name problems with words the training examples never saw ("河里有死鱼",
"井盖丢了"). Lexicon cues carry what the examples cannot: whether the message names
one of the city's things (the keywords of `data/city/categories.yml`), a problem with
something, danger, a question, progress of a ticket, a request, wrongdoing, a proposal
or praise (`data/lexicon/cues.yml`), and how long it is. Each is one dense feature
whose weight is learned from the examples, so "死鱼" counts as a problem because
"坏了" in the examples does. TF-IDF rows are l2-normed, so the cues weigh the same in a
four-character message and a long letter. Danger happening now is read from its words
("火苗窜出来", "正往外喷气", "压着人") with someone there, not only from "着火" or "救命";
a hazard ahead ("万一着火", "怕砸到人") is a problem to report, not an emergency.
"""

from __future__ import annotations

import hashlib
import logging
import re
from functools import cache
from itertools import pairwise
from pathlib import Path
from typing import Any, Optional

import joblib
import numpy as np
import yaml
from pypinyin import lazy_pinyin
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.tokenizers.tokenizer import Tokenizer
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from scipy.sparse import csr_matrix, hstack
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import normalize as l2_normalize

import jiesu.spans as spans_module
from jiesu.spans import only_details
from jiesu.text import normalize

logger = logging.getLogger(__name__)

MODEL_FILE = "linear_intent_classifier.joblib"


def _identity(tokens: list[str]) -> list[str]:
    """Analyzer for pre-tokenised input (module level so the model pickles)."""
    return tokens


def _words(message: Message) -> list[str]:
    return [token.text.lower() for token in message.get(TOKENS_NAMES[TEXT], [])]


def _chars(message: Message) -> str:
    return normalize(message.get(TEXT) or "").lower()


_SENTENCE_END = re.compile(r"[。！？!?；;\n]+")
ASK_MIN_CHARS = 12  # "谢谢！" alone is no ask: take sentences until the ask says this much


def ask_of(message: Message) -> tuple[list[str], str]:
    """The words and the normalised text of the message's last sentences (at least
    ASK_MIN_CHARS long): where a resident who told a story first puts the question."""
    text = message.get(TEXT) or ""
    ends = [m.end() for m in _SENTENCE_END.finditer(text.rstrip("。！？!?；; \n"))]
    start = next((end for end in reversed(ends) if len(text) - end >= ASK_MIN_CHARS), 0)
    words = [t.text.lower() for t in message.get(TOKENS_NAMES[TEXT], []) if t.start >= start]
    return words, normalize(text[start:]).lower()


@cache
def _syllable(char: str) -> str:
    """A character's most common reading without tone, "" for anything but a Han character."""
    reading = lazy_pinyin(char, errors="ignore")
    return reading[0].strip() if reading else ""


def _syllables(text: str) -> list[str]:
    """The sounds of a normalised text, one and two syllables at a time: a homophone typo
    ("路灯怀了", "河里有死于") sounds like what the resident meant. Character by character
    (a word's reading of a polyphone is not needed to hear a typo), seven times faster
    than reading whole phrases."""
    sounds = [sound for sound in map(_syllable, text) if sound]
    return sounds + [f"{a}_{b}" for a, b in pairwise(sounds)]


def tfidf(vectorizer: TfidfVectorizer, idf: np.ndarray, documents: list[Any]) -> csr_matrix:
    """`vectorizer.transform(documents)` for a fitted sublinear, l2-normed vectorizer with
    its `idf_` given: the same numbers without scikit-learn 1.1's per-call overhead (its
    transform rebuilds `idf_` from a diagonal matrix and multiplies by that matrix, which
    was most of this classifier's time per message)."""
    weights = CountVectorizer.transform(vectorizer, documents).astype(np.float64)
    np.log(weights.data, out=weights.data)
    weights.data += 1.0  # sublinear tf: 1 + log(count)
    weights.data *= idf[weights.indices]
    return l2_normalize(weights, copy=False)


def read_cues(cues_file: str, categories_file: str) -> dict[str, Any]:
    """The cues: one regular expression for each word group of the lexicon, each of its
    patterns and `object` (every keyword of the city's categories); and the pairs of cues
    whose co-occurrence is a feature of its own."""
    lexicon = yaml.safe_load(Path(cues_file).read_text(encoding="utf-8"))
    tree = yaml.safe_load(Path(categories_file).read_text(encoding="utf-8"))["categories"]
    groups = {name: [str(w) for w in words] for name, words in lexicon["cue_groups"].items()}
    groups["object"] = [
        str(word)
        for first in tree
        for second in first.get("subcategories", [])
        for word in second.get("keywords", [])
    ]
    negated = _not_after([str(w) for w in lexicon.get("negators", [])])
    negatable = {str(name) for name in lexicon.get("negatable_groups", [])}
    patterns = {
        **{
            name: (negated if name in negatable else "") + f"(?:{_alternation(words)})"
            for name, words in groups.items()
        },
        **{name: str(pattern) for name, pattern in lexicon.get("cue_patterns", {}).items()},
    }
    pairs = [[str(first), str(second)] for first, second in lexicon.get("cue_pairs", [])]
    unknown = {name for pair in pairs for name in pair} - set(patterns)
    if unknown:
        raise ValueError(f"{cues_file}: cue_pairs name unknown cues {sorted(unknown)}")
    return {"patterns": patterns, "pairs": pairs}


def _not_after(negators: list[str]) -> str:
    """Lookbehinds that refuse a match right after a negator: "不负责" is no praise."""
    return "".join(f"(?<!{re.escape(normalize(n).lower())})" for n in negators if n)


def _alternation(words: list[str]) -> str:
    """A pattern matching any of `words` in normalised, lower-cased text."""
    folded = sorted({normalize(w).lower() for w in words if w}, key=len, reverse=True)
    return "|".join(re.escape(w) for w in folded)


class Cues:
    """Dense features of a normalised text: one per cue and per pair of cues (0 or 1),
    whether it says nothing but a place, a time or a phone number (an answer, not a
    request: jiesu.spans.only_details), and the log of the length."""

    LENGTH_SCALE = float(np.log(500.0))  # about a long letter's length
    DETAILS_MAX = 40  # longer messages say more than a detail

    def __init__(self, cues: dict[str, Any]) -> None:
        self.names = sorted(cues["patterns"])
        self._patterns = [re.compile(cues["patterns"][name]) for name in self.names]
        index = {name: i for i, name in enumerate(self.names)}
        self._pairs = [(index[first], index[second]) for first, second in cues["pairs"]]

    @property
    def size(self) -> int:
        return len(self.names) + len(self._pairs) + 2

    def row(self, text: str) -> list[float]:
        found = [1.0 if p.search(text) else 0.0 for p in self._patterns]
        pairs = [found[a] * found[b] for a, b in self._pairs]
        details = float(len(text) <= self.DETAILS_MAX and only_details(text))
        return [*found, *pairs, details, min(float(np.log1p(len(text))) / self.LENGTH_SCALE, 1.5)]

    def matrix(self, texts: list[str], weight: float) -> csr_matrix:
        return csr_matrix(np.array([self.row(t) for t in texts]).reshape(-1, self.size) * weight)


def _idf_of(fitted: Optional[dict[str, Any]]) -> dict[str, np.ndarray]:
    """The vectorizers' idf weights, read once: scikit-learn rebuilds `idf_` on each access."""
    if fitted is None:
        return {}
    return {
        name: fitted[name].idf_
        for name in ("words", "chars", "sounds")
        if fitted.get(name) is not None
    }


def longest_examples(examples: list[Message]) -> dict[str, int]:
    """Each intent's longest training example, in normalised characters."""
    longest: dict[str, int] = {}
    for example in examples:
        intent = example.get(INTENT)
        longest[intent] = max(longest.get(intent, 0), len(_chars(example)))
    return longest


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class LinearIntentClassifier(GraphComponent, IntentClassifier):
    """Predicts the intent and a ranking with calibrated-enough probabilities."""

    @classmethod
    def required_components(cls) -> list[type]:
        return [Tokenizer]

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> Optional[str]:
        """The lexicons' and the features' code: a change to any retrains the classifier
        (Rasa's cache would otherwise restore a model with other features)."""
        merged = {**cls.get_default_config(), **config}
        sources = [
            Path(merged["cues_file"]),
            Path(merged["categories_file"]),
            Path(__file__),
            Path(spans_module.__file__ or ""),
            spans_module.RULES_FILE,
        ]
        return "".join(hashlib.sha256(path.read_bytes()).hexdigest() for path in sources)

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            "C": 20.0,
            "char_min_ngram": 1,
            "char_max_ngram": 4,
            "max_iter": 3000,
            "ranking_length": 10,
            "cues_file": "data/lexicon/cues.yml",
            "categories_file": "data/city/categories.yml",
            # How much the cues weigh beside a TF-IDF row of norm 1; 0 turns them off.
            # Chosen by bench/nlu_cv.py: 5-fold CV macro-F1 of data/nlu 0.893 / 0.891 /
            # 0.889 and terse dev messages acted on 0.82 / 0.87 / 0.86 at 1 / 2 / 3.
            "cue_weight": 2.0,
            # How much the sounds (pinyin syllables) weigh; 0 turns them off. By
            # bench/nlu_cv.py at 0 / 0.5 / 1: CV macro-F1 0.891 / 0.891 / 0.894, terse dev
            # acted on 0.903 / 0.907 / 0.911, our long letters' dev half 0.767 / 0.775 / 0.783.
            "sound_weight": 1.0,
            # A message this long (characters) is also read by its last sentences, whose
            # probabilities weigh `ask_weight` in the mix; 0 turns it off. At 0 / 0.3 / 0.6:
            # CV macro-F1 0.894 / 0.894 / 0.892, long letters' dev half 0.783 / 0.808 / 0.850.
            "ask_min_length": 60,
            "ask_weight": 0.6,
            # An intent whose training examples are all short (under `ask_min_length`) is
            # not given to a message more than `length_factor` times as long as the longest
            # of them: a letter ending in "谢谢" is no thank-you, a long story no "不是";
            # 0 turns it off. Intents named in `any_length` (someone in danger may write
            # at length) are always possible.
            "length_factor": 2.0,
            "any_length": ["emergency"],
        }

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        fitted: Optional[dict[str, Any]] = None,
    ) -> None:
        self._config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self._fitted = fitted
        self._idf = _idf_of(fitted)
        self._cues = Cues(fitted["cues"]) if fitted and fitted.get("cues") else None
        self._limits = self._length_limits()

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LinearIntentClassifier:
        return cls(config, model_storage, resource)

    def _features(self, messages: list[Message]) -> Any:
        return self._matrix([_words(m) for m in messages], [_chars(m) for m in messages])

    def _matrix(self, word_input: list[list[str]], char_input: list[str], fit: bool = False) -> Any:
        assert self._fitted is not None
        inputs: dict[str, list[Any]] = {"words": word_input, "chars": char_input}
        if self._fitted.get("sounds") is not None:
            inputs["sounds"] = [_syllables(text) for text in char_input]
        parts = [
            self._fitted[name].fit_transform(values)
            if fit
            else tfidf(self._fitted[name], self._idf[name], values)
            for name, values in inputs.items()
        ]
        if "sounds" in inputs:
            parts[-1] = parts[-1] * self._config["sound_weight"]
        if self._cues is not None:
            parts.append(self._cues.matrix(char_input, self._config["cue_weight"]))
        return hstack(parts).tocsr()

    def _probabilities(self, messages: list[Message]) -> np.ndarray:
        """The intents' probabilities; a long message's are mixed with those of its ask
        (`ask_of`), so a story told before a question does not drown the question; then
        the intents the whole message is too long for are dropped (`_within_length`)."""
        model = self._fitted["model"] if self._fitted else None
        assert model is not None
        probabilities = model.predict_proba(self._features(messages))
        weight = self._config["ask_weight"]
        long = [
            i
            for i, m in enumerate(messages)
            if len(m.get(TEXT) or "") >= self._config["ask_min_length"]
        ]
        if weight <= 0 or not long:
            return self._within_length(messages, probabilities)
        asks = [ask_of(messages[i]) for i in long]
        ask_probabilities = model.predict_proba(
            self._matrix([words for words, _ in asks], [chars for _, chars in asks])
        )
        probabilities[long] = (1 - weight) * probabilities[long] + weight * ask_probabilities
        return self._within_length(messages, probabilities)

    def _length_limits(self) -> Optional[np.ndarray]:
        """The longest message each intent may be given, in the model's order (see
        `length_factor`); None when the rule is off or the model has no lengths."""
        fitted = self._fitted or {}
        longest = fitted.get("longest")
        factor = self._config["length_factor"]
        if not longest or factor <= 0:
            return None
        return np.array(
            [
                np.inf
                if name in self._config["any_length"]
                or longest[name] >= self._config["ask_min_length"]
                else factor * longest[name]
                for name in fitted["model"].classes_
            ]
        )

    def _within_length(self, messages: list[Message], probabilities: np.ndarray) -> np.ndarray:
        """`probabilities` with the intents a message is too long for set to 0 and the rest
        renormalised (see `length_factor`)."""
        if self._limits is None:
            return probabilities
        lengths = np.array([len(_chars(m)) for m in messages], dtype=float)
        allowed = lengths[:, None] <= self._limits[None, :]
        masked = np.where(allowed, probabilities, 0.0)
        totals = masked.sum(axis=1, keepdims=True)
        return np.where(totals > 0, masked / np.where(totals > 0, totals, 1.0), probabilities)

    def train(self, training_data: TrainingData) -> Resource:
        examples = [e for e in training_data.intent_examples if e.get(INTENT) and e.get(TEXT)]
        if not examples:
            logger.debug("No intent examples: %s is not trained.", self.__class__.__name__)
            return self._resource
        cues = (
            read_cues(self._config["cues_file"], self._config["categories_file"])
            if self._config["cue_weight"] > 0
            else None
        )
        self._fitted = {
            "cues": cues,
            "words": TfidfVectorizer(analyzer=_identity, sublinear_tf=True),
            "chars": TfidfVectorizer(
                analyzer="char_wb",
                ngram_range=(self._config["char_min_ngram"], self._config["char_max_ngram"]),
                sublinear_tf=True,
            ),
            "sounds": (
                TfidfVectorizer(analyzer=_identity, sublinear_tf=True)
                if self._config["sound_weight"] > 0
                else None
            ),
            "model": LogisticRegression(
                C=self._config["C"], max_iter=self._config["max_iter"], class_weight="balanced"
            ),
        }
        self._cues = Cues(cues) if cues else None
        features = self._matrix(
            [_words(e) for e in examples], [_chars(e) for e in examples], fit=True
        )
        self._fitted["model"].fit(features, [e.get(INTENT) for e in examples])
        self._fitted["longest"] = longest_examples(examples)
        self._idf = _idf_of(self._fitted)
        self._limits = self._length_limits()
        self.persist()
        return self._resource

    def process(self, messages: list[Message]) -> list[Message]:
        if self._fitted is None or not messages:
            return messages
        model = self._fitted["model"]
        probabilities = self._probabilities(messages)
        for message, row in zip(messages, probabilities, strict=True):
            order = np.argsort(-row)
            ranking = [{"name": str(model.classes_[i]), "confidence": float(row[i])} for i in order]
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set(
                INTENT_RANKING_KEY, ranking[: self._config["ranking_length"]], add_to_output=True
            )
        return messages

    def persist(self) -> None:
        with self._model_storage.write_to(self._resource) as directory:
            joblib.dump(self._fitted, directory / MODEL_FILE)

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> LinearIntentClassifier:
        try:
            with model_storage.read_from(resource) as directory:
                fitted = joblib.load(directory / MODEL_FILE)
        except (ValueError, FileNotFoundError):
            logger.debug("No trained %s in the model: predicting nothing.", cls.__name__)
            fitted = None
        if fitted is not None:
            # scikit-learn scores with `X @ coef_.T`; with coef_ in C order, scipy copies
            # the transposed (classes x n-grams) matrix on every message. Fortran order
            # makes the transpose contiguous: the same numbers, no copy (0.75 -> 0.03 ms).
            fitted["model"].coef_ = np.asfortranarray(fitted["model"].coef_)
        return cls(config, model_storage, resource, fitted)
