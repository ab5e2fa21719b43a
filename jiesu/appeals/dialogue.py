"""One turn of taking down an appeal: what the resident's message fills, and what to ask next.

The Rasa form (`appeal_form`) asks; its validation action hands every resident
message to `take` and returns the slot changes it decides. Keeping the rules
here, away from Rasa, lets them be tested directly and reused by other channels.

Slots: `appeal_type`, `appeal_description` (the resident's own words),
`appeal_address`, `appeal_happened` (never asked; taken when mentioned),
`appeal_phone` (a number or `ANONYMOUS`) and `appeal_confirmed`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

from jiesu.appeals.filing import Draft
from jiesu.appeals.intake import (
    ANONYMOUS,
    APPEAL_INTENTS,
    appeal_fields,
    declines_contact,
    interrupts,
    is_bare_request,
    is_small_talk,
    parse_phone,
)
from jiesu.city import City
from jiesu.city.locate import Match
from jiesu.spans import says_only, unnamed_place
from jiesu.text import normalize
from jiesu.tickets.models import AppealType

TYPE: Final = "appeal_type"
DESCRIPTION: Final = "appeal_description"
ADDRESS: Final = "appeal_address"
HAPPENED: Final = "appeal_happened"
PHONE: Final = "appeal_phone"
CONFIRMED: Final = "appeal_confirmed"
# Set when the resident said no to the summary: ask which field, not the summary again.
EDITING: Final = "appeal_editing"
SLOTS: Final = (TYPE, DESCRIPTION, ADDRESS, HAPPENED, PHONE, CONFIRMED, EDITING)
_FIELD_SLOTS: Final = {"description": DESCRIPTION, "address": ADDRESS, "phone": PHONE}
# Entity set by an edit button of the summary: the field to take down again.
FIELD_ENTITY: Final = "appeal_field"
# Names that place an address precisely enough not to ask for it again.
_PRECISE: Final = frozenset({Match.PLACE, Match.HOUSE_NUMBER, Match.ROAD, Match.COMMUNITY})
_SUPPLEMENT: Final = "\n补充："


@dataclass(frozen=True)
class Turn:
    """A resident message as the NLU read it."""

    text: str
    intent: str | None = None
    confidence: float = 0.0
    entities: dict[str, str] = field(default_factory=dict)  # first value of each entity


@dataclass(frozen=True)
class Step:
    """What a turn decided: slot changes (None asks again), a notice to send first,
    or that the message is not an answer and the form should let rules handle it."""

    updates: dict[str, Any] = field(default_factory=dict)
    notice: str | None = None
    rejected: bool = False


def appeal_type_of(slots: dict[str, Any]) -> AppealType:
    """The appeal type in `slots`, a complaint until one is known."""
    value = slots.get(TYPE)
    return AppealType(value) if value in set(AppealType) else AppealType.COMPLAIN


def required_slots(slots: dict[str, Any]) -> list[str]:
    """The slots this appeal type asks for, in order, ending with the confirmation."""
    return [_FIELD_SLOTS[name] for name in appeal_fields(appeal_type_of(slots))] + [CONFIRMED]


def next_slot(slots: dict[str, Any]) -> str | None:
    """The first slot still to ask, or None when the appeal can be filed."""
    return next((name for name in required_slots(slots) if slots.get(name) is None), None)


def draft_of(slots: dict[str, Any]) -> Draft:
    """The draft the slots describe."""
    phone = slots.get(PHONE)
    return Draft(
        appeal_type=appeal_type_of(slots),
        description=slots.get(DESCRIPTION) or "",
        address=slots.get(ADDRESS),
        happened=slots.get(HAPPENED),
        phone=None if phone in (None, ANONYMOUS) else phone,
    )


def _place_in(text: str, turn: Turn, city: City) -> str | None:
    """The place a message names: the NLU's address or the city's names found in it,
    whichever says more ("建设路18号" over "建设路")."""
    location = city.locate(text)
    candidates = [
        turn.entities.get("address") or "",
        "、".join(location.names) if location.match in _PRECISE else "",
    ]
    return max(candidates, key=len) or None


def _mentioned(turn: Turn, city: City, *, with_place: bool) -> dict[str, Any]:
    """Details the message gives whatever was asked: time, phone, and the place."""
    found: dict[str, Any] = {}
    if turn.entities.get("time"):
        found[HAPPENED] = turn.entities["time"]
    phone = parse_phone(turn.text)
    if phone:
        found[PHONE] = phone
    place = _place_in(turn.text, turn, city) if with_place else turn.entities.get("address")
    if place:
        found[ADDRESS] = place
    return found


def _opening(turn: Turn, city: City) -> Step:
    """The message that started the appeal: forget any unfinished one (slots outlive
    sessions), then take whatever this message already says. A form started by an
    action (a consultation ticket for an unanswered question) keeps what it set."""
    if turn.intent not in APPEAL_INTENTS:
        return Step()
    updates: dict[str, Any] = dict.fromkeys(SLOTS)
    updates[TYPE] = turn.intent if turn.intent in APPEAL_INTENTS else AppealType.COMPLAIN.value
    if not is_bare_request(turn.text):
        updates[DESCRIPTION] = turn.text.strip()
        updates.update(_mentioned(turn, city, with_place=True))
    return Step(updates)


def _description(turn: Turn, city: City) -> Step:
    if is_small_talk(turn.text, turn.intent, turn.confidence):
        return Step({DESCRIPTION: None}, notice="description_small_talk")
    if is_bare_request(turn.text):
        return Step({DESCRIPTION: None})
    found = _mentioned(turn, city, with_place=True)
    if found and says_only(turn.text, found.values()):
        return Step({DESCRIPTION: None, **found}, notice="description_details_only")
    updates: dict[str, Any] = {DESCRIPTION: turn.text.strip(), **found}
    if turn.intent in APPEAL_INTENTS:
        updates[TYPE] = turn.intent
    return Step(updates)


def _address(turn: Turn, city: City) -> Step:
    """The answer to "where" is the address in the resident's words, unless it also
    gives a time or a phone: then only the place found in it."""
    if turn.text.startswith("/") and not turn.entities.get("address"):  # a button, no place
        return Step({ADDRESS: None})
    if is_small_talk(turn.text, turn.intent, turn.confidence):
        return Step({ADDRESS: None}, notice="address_small_talk")
    found = _mentioned(turn, city, with_place=True)
    if found.keys() <= {ADDRESS}:
        words = "".join(ch for ch in normalize(turn.text) if ch.isalnum())
        if len(words) < 2:
            return Step({ADDRESS: None}, notice="address_too_short")
        if unnamed_place(turn.text):
            return Step({ADDRESS: None}, notice="address_unnamed")
        found[ADDRESS] = turn.text.strip()
    return Step(found)


def _phone(turn: Turn, city: City) -> Step:
    """A number, no number, or a place said instead (the resident still thinking of
    where): the place is taken and the number asked again."""
    phone = parse_phone(turn.text)
    if phone:
        return Step({PHONE: phone})
    if turn.intent == "deny" or declines_contact(turn.text):
        return Step({PHONE: ANONYMOUS})
    place = _place_in(turn.text, turn, city)
    if place:
        return Step({PHONE: None, ADDRESS: place}, notice="place_noted")
    return Step({PHONE: None}, notice="phone_invalid")


def _confirmation(slots: dict[str, Any], turn: Turn, city: City) -> Step:
    edit = _FIELD_SLOTS.get(turn.entities.get(FIELD_ENTITY, ""))
    if edit is not None:
        return Step({edit: None, CONFIRMED: None})
    if turn.intent == "affirm":
        return Step({CONFIRMED: True})
    if turn.intent == "deny":
        return Step({CONFIRMED: None, EDITING: True})
    found = _mentioned(turn, city, with_place=False)
    if not found:  # anything else is more about what happened, in the resident's words
        found[DESCRIPTION] = f"{slots.get(DESCRIPTION) or ''}{_SUPPLEMENT}{turn.text.strip()}"
    return Step({**found, CONFIRMED: None})


def take(slots: dict[str, Any], requested: str | None, turn: Turn, city: City) -> Step:
    """Decide what `turn` fills while `requested` is being asked (None: the form opens)."""
    if requested is None:
        return _opening(turn, city)
    if interrupts(turn.intent, turn.confidence):
        return Step(rejected=True)
    if requested == DESCRIPTION:
        return _description(turn, city)
    if requested == ADDRESS:
        return _address(turn, city)
    if requested == PHONE:
        return _phone(turn, city)
    return _confirmation(slots, turn, city)
