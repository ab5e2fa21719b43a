"""Rasa custom actions (rasa_sdk). Thin: read the tracker, call jiesu, name a response."""

from actions.appeal import (
    ActionAskAppealAddress,
    ActionAskAppealConfirmed,
    ActionAskAppealDescription,
    ActionAskAppealPhone,
    ActionCancelAppeal,
    ActionSubmitAppeal,
    ValidateAppealForm,
)
from actions.fallback import (
    ActionDefaultAskAffirmation,
    ActionDefaultAskRephrase,
    ActionDefaultFallback,
)
from actions.faq import ActionAnswerPolicy, ActionFaqFollowup
from actions.pending import ActionHandoff
from actions.tickets import ActionQueryTicket

__all__ = [
    "ActionAnswerPolicy",
    "ActionAskAppealAddress",
    "ActionAskAppealConfirmed",
    "ActionAskAppealDescription",
    "ActionAskAppealPhone",
    "ActionCancelAppeal",
    "ActionDefaultAskAffirmation",
    "ActionDefaultAskRephrase",
    "ActionDefaultFallback",
    "ActionFaqFollowup",
    "ActionHandoff",
    "ActionQueryTicket",
    "ActionSubmitAppeal",
    "ValidateAppealForm",
]
