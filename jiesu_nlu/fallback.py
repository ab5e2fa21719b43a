"""Fallback classifier that reads a group of close intents as one.

Rasa's `FallbackClassifier` asks the resident to rephrase when the top intent is below
the threshold or barely ahead of the second. Our four appeal types (complain, report,
seek_help, suggest) share most of their words, so a long letter that is plainly an
appeal often splits its confidence between two of them and was asked to rephrase:
measured on real resident letters (bench/nlu.py, `real_letters`), about half of them.
Here the confidence of a group is the sum of its intents': a message whose top intent
belongs to a group that clears the threshold, and leads every intent outside the group
by the ambiguity threshold, keeps its top intent. Everything else is decided as Rasa
decides it.
"""

from __future__ import annotations

from typing import Any, Optional

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.classifiers.fallback_classifier import (
    AMBIGUITY_THRESHOLD_KEY,
    THRESHOLD_KEY,
    FallbackClassifier,
)
from rasa.shared.nlu.constants import (
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
)
from rasa.shared.nlu.training_data.message import Message

GROUPS_KEY = "groups"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class GroupedFallbackClassifier(FallbackClassifier):
    """`FallbackClassifier` whose threshold and ambiguity apply to groups of intents."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {**FallbackClassifier.get_default_config(), GROUPS_KEY: []}

    def _should_fallback(self, message: Message) -> bool:
        if not super()._should_fallback(message):
            return False
        group = self._group_of(message.data[INTENT].get(INTENT_NAME_KEY))
        if group is None:
            return True
        ranking = message.data.get(INTENT_RANKING_KEY, [])
        inside = sum(_confidence(r) for r in ranking if r.get(INTENT_NAME_KEY) in group)
        outside = max(
            (_confidence(r) for r in ranking if r.get(INTENT_NAME_KEY) not in group),
            default=0.0,
        )
        return (
            inside < self.component_config[THRESHOLD_KEY]
            or inside - outside < self.component_config[AMBIGUITY_THRESHOLD_KEY]
        )

    def _group_of(self, intent: Optional[str]) -> Optional[list[str]]:
        for group in self.component_config[GROUPS_KEY]:
            if intent in group:
                return list(group)
        return None


def _confidence(ranked: dict[str, Any]) -> float:
    return float(ranked.get(PREDICTED_CONFIDENCE_KEY, 0.0))
