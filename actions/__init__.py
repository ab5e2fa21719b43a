"""Rasa custom actions (rasa_sdk). Thin: read the tracker, call jiesu, name a response."""

from actions.fallback import (
    ActionDefaultAskAffirmation,
    ActionDefaultAskRephrase,
    ActionDefaultFallback,
)
from actions.pending import (
    ActionAnswerPolicy,
    ActionHandoff,
    ActionQueryTicket,
    ActionStartAppeal,
)

__all__ = [
    "ActionAnswerPolicy",
    "ActionDefaultAskAffirmation",
    "ActionDefaultAskRephrase",
    "ActionDefaultFallback",
    "ActionHandoff",
    "ActionQueryTicket",
    "ActionStartAppeal",
]
