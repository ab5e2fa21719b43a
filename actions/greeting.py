"""The greeting: the personal-information notice once, never the same line twice in a row."""

from __future__ import annotations

from typing import Final

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.base import DomainDict, Events
from actions.fallback import last_bot_text
from jiesu.vocabulary import wording

_CHOICES: Final = ("consult", "complain", "query_ticket", "request_human")


# Channels whose page shows the full greeting before the resident writes (the web chat).
_PAGE_GREETS: Final = frozenset({"web"})


def greeted_in_session(tracker: Tracker) -> bool:
    """Whether this conversation session already had the full greeting, from the
    assistant or from the page the resident writes on."""
    metadata = tracker.latest_message.get("metadata") or {}
    if metadata.get("channel") in _PAGE_GREETS:
        return True
    first = wording("greeting", "first")
    for event in reversed(tracker.events):
        if event.get("event") == "session_started":
            return False
        if event.get("event") == "bot" and event.get("text") == first:
            return True
    return False


class ActionGreet(Action):
    """A hello: the greeting with the notice the first time in a session, a short hello
    after that, and right after a greeting the choices instead of another hello."""

    def name(self) -> str:
        return "action_greet"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Events:
        buttons = [
            {"title": wording("greeting", "buttons", intent), "payload": f"/{intent}"}
            for intent in _CHOICES
        ]
        said = last_bot_text(tracker)
        if said in (wording("greeting", "first"), wording("greeting", "again")):
            text = wording("replies", "how_can_help_menu")
        elif greeted_in_session(tracker):
            text = wording("greeting", "again")
        else:
            text = wording("greeting", "first")
        dispatcher.utter_message(text=text, buttons=buttons)
        return []
