"""A base for actions that answer with one reply from `jiesu/vocabulary.yml`."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from jiesu.vocabulary import reply

DomainDict = dict[str, Any]
Events = list[dict[str, Any]]


class ReplyAction(Action, ABC):
    """Utter `reply_key`, filled with `values(tracker)`; no events."""

    reply_key: ClassVar[str]

    @abstractmethod
    def name(self) -> str:
        """The action's name in domain.yml."""

    def values(self, tracker: Tracker) -> dict[str, object]:
        """Values for the reply's placeholders."""
        return {}

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Events:
        dispatcher.utter_message(text=reply(self.reply_key, **self.values(tracker)))
        return []
