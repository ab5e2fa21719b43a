"""Entity extractor for `address` and `time` by rules: the city's gazetteer and
Chinese address and time patterns (jiesu/spans.py), no model.

DIET cut places short ("幸福" for "幸福路18号楼下") and was most of a cold
`rasa train`. This component finds the whole place a resident named and each
time as said, on traditional characters and full-width text too, and returns
substrings of the original message.

Training reads the gazetteer (`areas_file`, the city's districts, streets,
communities, roads, compounds and landmarks) and stores its names in the model,
so a model is self-contained; a changed areas file changes the component's
fingerprint, so Rasa's cache does not keep stale names. Entities already set by
other extractors (phone, ticket_id, button payloads) are kept; messages that are
button payloads ("/intent{...}") or only a phone or ticket number get nothing.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from pathlib import Path
from typing import Any, Optional

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_CONFIDENCE,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from jiesu.spans import Gazetteer, find_spans
from jiesu.text import normalize

logger = logging.getLogger(__name__)

NAMES_FILE = "gazetteer.json"
# A message that is only a phone or ticket number (spaces and dashes aside).
_ONLY_NUMBER = re.compile(r"[\s\-+()]*(?:\+?86)?[\d\s\-()]{5,}")


def _file_digest(path: str) -> Optional[str]:
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return None


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=True)
class PlaceTimeExtractor(GraphComponent, EntityExtractorMixin):
    """Adds `address` and `time` entities found by jiesu.spans."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            # The city's areas file, read at training time.
            "areas_file": "data/city/areas.yml",
            # Entity names of places and times.
            "address_entity": "address",
            "time_entity": "time",
        }

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> Optional[str]:
        """The areas file's content: a changed gazetteer retrains the component."""
        areas = {**cls.get_default_config(), **config}["areas_file"]
        return _file_digest(areas)

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        names: Optional[list[str]] = None,
    ) -> None:
        self._config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self._names = list(names or [])
        self._gazetteer = Gazetteer(self._names)

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> PlaceTimeExtractor:
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        """Read the gazetteer from `areas_file` and store its names in the model."""
        areas = self._config["areas_file"]
        try:
            gazetteer = Gazetteer.from_areas_file(areas)
        except OSError:
            logger.warning("No areas file %s: places are found by patterns only.", areas)
            gazetteer = Gazetteer()
        self._names = list(gazetteer.names)
        self._gazetteer = gazetteer
        self.persist()
        return self._resource

    def persist(self) -> None:
        with self._model_storage.write_to(self._resource) as directory:
            (directory / NAMES_FILE).write_text(
                json.dumps({"names": self._names}, ensure_ascii=False), encoding="utf-8"
            )

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> PlaceTimeExtractor:
        try:
            with model_storage.read_from(resource) as directory:
                data = json.loads((directory / NAMES_FILE).read_text(encoding="utf-8"))
            names = [str(name) for name in data.get("names", [])]
        except (ValueError, FileNotFoundError, OSError):
            logger.debug("No gazetteer in the model: places are found by patterns only.")
            names = []
        return cls(config, model_storage, resource, names)

    def _entities(self, text: str, existing: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if not text or text.startswith("/") or _ONLY_NUMBER.fullmatch(normalize(text)):
            return []
        names = {"address": self._config["address_entity"], "time": self._config["time_entity"]}
        others = [
            (e[ENTITY_ATTRIBUTE_START], e[ENTITY_ATTRIBUTE_END], e.get(ENTITY_ATTRIBUTE_TYPE))
            for e in existing
            if isinstance(e.get(ENTITY_ATTRIBUTE_START), int)
            and isinstance(e.get(ENTITY_ATTRIBUTE_END), int)
        ]
        found = []
        for span in find_spans(text, self._gazetteer):
            entity = names[span.entity]
            if any(
                (start, end, kind) == (span.start, span.end, entity)  # already there
                or (kind not in names.values() and start < span.end and span.start < end)
                for start, end, kind in others
            ):
                continue  # a phone or ticket number, or found already
            found.append(
                {
                    ENTITY_ATTRIBUTE_TYPE: entity,
                    ENTITY_ATTRIBUTE_START: span.start,
                    ENTITY_ATTRIBUTE_END: span.end,
                    ENTITY_ATTRIBUTE_VALUE: span.value,
                    ENTITY_ATTRIBUTE_CONFIDENCE: 1.0,
                }
            )
        return found

    def process(self, messages: list[Message]) -> list[Message]:
        """Add the places and times of each message to its entities."""
        for message in messages:
            existing = list(message.get(ENTITIES) or [])
            found = self.add_extractor_name(self._entities(message.get(TEXT) or "", existing))
            message.set(ENTITIES, existing + found, add_to_output=True)
        return messages
