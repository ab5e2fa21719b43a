"""Reading what residents type while an appeal is taken down."""

from __future__ import annotations

import re
from typing import Final

from jiesu.text import compact, normalize
from jiesu.tickets.models import AppealType

APPEAL_INTENTS: Final = frozenset(
    {
        AppealType.SEEK_HELP,
        AppealType.COMPLAIN,
        AppealType.REPORT,
        AppealType.SUGGEST,
        AppealType.PRAISE,
    }
)
# The phone slot's value when the resident chooses not to leave a number.
ANONYMOUS: Final = "anonymous"

# Intents that leave the question being asked: they are answered, then the form goes on.
_ALWAYS_INTERRUPT: Final = frozenset({"cancel", "emergency", "request_human"})
# These interrupt only when the model is sure: a place or a description can look like them.
_CONFIDENT_INTERRUPT: Final = frozenset({"consult", "query_ticket", "bot_challenge"})
_INTERRUPT_CONFIDENCE: Final = 0.7

# Openings that name the kind of appeal but not what happened ("我要投诉").
_BARE_WORDS: Final = re.compile(
    r"我|想|要|有|个|一下|一个|件|事|事情|情况|问题|帮忙|帮助|需要|请|麻烦|你们|"
    r"投诉|反映|举报|揭发|建议|意见|提|表扬|点赞|求助|求|帮|实名|匿名|"
    r"了|的|吧|啊|呀|哈|呢"
)
# Replies that only keep the conversation going ("谢谢", "好的", "你好"): when the model
# reads one of these intents and nothing but such words is said, it is no description.
_SMALL_TALK: Final = frozenset({"greet", "thank", "goodbye", "affirm", "deny"})
_SMALL_TALK_CONFIDENCE: Final = 0.5
_SMALL_TALK_WORDS: Final = re.compile(
    r"谢谢|感谢|多谢|辛苦|你好|您好|哈喽|嗨|hello|hi|再见|拜拜|bye|好的|好|嗯|哦|噢|行|可以|"
    r"是的|是|对|没有|没|不是|不|知道了|收到|ok|啊|呀|了|的|吧|呢|哈|你|您|啦"
)
_APPEAL_VERB: Final = re.compile(r"投诉|反映|举报|揭发|建议|表扬|点赞|求助")
# A message this short that names an appeal ("投诉物业") says whom, not what happened.
_SHORT: Final = 8
# A country code before a mobile number (+86 138…, 0086 138…), as shared contacts have.
_COUNTRY_CODE: Final = re.compile(r"(?:\+|00)?86(?=1[3-9]\d{9}(?!\d))")
_MOBILE: Final = re.compile(r"(?<!\d)(1[3-9]\d{9})(?!\d)")
# Area codes: 010 and 02x have three digits, all others four (0571).
_LANDLINE: Final = re.compile(r"(?<!\d)(0(?:[12]\d|[3-9]\d{2}))-?(\d{7,8})(?!\d)")
_DECLINE: Final = re.compile(r"匿名|不留|不想留|不方便|不用留|不提供|不给|保密|算了|不用了|不需要")

# Fields taken down for each appeal type, in the order they are asked.
_FIELDS: Final[dict[AppealType, tuple[str, ...]]] = {
    AppealType.SEEK_HELP: ("description", "address", "phone"),
    AppealType.COMPLAIN: ("description", "address", "phone"),
    AppealType.REPORT: ("description", "address", "phone"),
    AppealType.SUGGEST: ("description", "phone"),
    AppealType.PRAISE: ("description", "phone"),
    # A consultation the knowledge base could not answer (咨询工单): the question is known.
    AppealType.CONSULT: ("description", "phone"),
}


def appeal_fields(appeal_type: AppealType) -> tuple[str, ...]:
    """The fields to take down for `appeal_type`: a suggestion or praise needs no place."""
    return _FIELDS[appeal_type]


def is_bare_request(text: str) -> bool:
    """Whether `text` only says the resident wants to appeal, not what about.

    Button payloads ("/complain") are bare, and so is a short message naming the
    kind of appeal ("投诉物业"). Otherwise what is left after removing punctuation
    and the words of such openings must be at least two characters.
    """
    if text.startswith("/"):
        return True
    compacted = compact(text)
    if len(compacted) < _SHORT and _APPEAL_VERB.search(compacted):
        return True
    return len(_BARE_WORDS.sub("", compacted)) < 2


def is_small_talk(text: str, intent: str | None, confidence: float) -> bool:
    """Whether `text` only keeps the conversation going ("谢谢", "好的"), saying nothing of
    what happened: read as small talk, and nothing left once its words are removed."""
    if intent not in _SMALL_TALK or confidence < _SMALL_TALK_CONFIDENCE:
        return False
    return not _SMALL_TALK_WORDS.sub("", compact(text).lower())


def parse_phone(text: str) -> str | None:
    """The first Chinese mobile or landline number in `text`, digits only (landlines keep
    the dash after the area code); spaces and dashes inside a mobile number are allowed."""
    joined = _COUNTRY_CODE.sub("", re.sub(r"[\s\u2010-\u2015-]", "", normalize(text)))
    mobile = _MOBILE.search(joined)
    if mobile:
        return mobile.group(1)
    landline = _LANDLINE.search(normalize(text).replace(" ", ""))
    if landline:
        return f"{landline.group(1)}-{landline.group(2)}"
    return None


def declines_contact(text: str) -> bool:
    """Whether the resident says they will not leave a phone number."""
    return text.startswith("/deny") or bool(_DECLINE.search(normalize(text)))


def interrupts(intent: str | None, confidence: float) -> bool:
    """Whether a message with this intent leaves the form's question to be handled first."""
    if intent in _ALWAYS_INTERRUPT:
        return True
    return intent in _CONFIDENT_INTERRUPT and confidence >= _INTERRUPT_CONFIDENCE
