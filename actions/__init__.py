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
from actions.followup import (
    ActionAskFollowupReason,
    ActionRateTicket,
    ActionSubmitFollowupReason,
    ValidateFollowupForm,
)
from actions.greeting import ActionGreet
from actions.handoff import ActionHandoff
from actions.tickets import ActionQueryTicket

__all__ = [
    "ActionAnswerPolicy",
    "ActionAskAppealAddress",
    "ActionAskAppealConfirmed",
    "ActionAskAppealDescription",
    "ActionAskAppealPhone",
    "ActionAskFollowupReason",
    "ActionCancelAppeal",
    "ActionDefaultAskAffirmation",
    "ActionDefaultAskRephrase",
    "ActionDefaultFallback",
    "ActionFaqFollowup",
    "ActionGreet",
    "ActionHandoff",
    "ActionQueryTicket",
    "ActionRateTicket",
    "ActionSubmitAppeal",
    "ActionSubmitFollowupReason",
    "ValidateAppealForm",
    "ValidateFollowupForm",
]
