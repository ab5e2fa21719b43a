"""Place names in appeal titles: districts and the finer places (小区, 村, 路, 学校…).

A shared place is the strongest sign that two appeals are about one issue, and
two different places are the strongest sign that they are not, however alike
their wording.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

# The anonymised districts of the real data ("A市", "A3区", "K3县"); named counties
# ("望城县") are fine places (区 alone is not a suffix: 小区, 社区).
_DISTRICT: Final = re.compile(r"[A-Z]\d*[市县区]")
PLACE_SUFFIXES: Final = (
    "小区",
    "花园",
    "家园",
    "新村",
    "新城",
    "社区",
    "公寓",
    "大厦",
    "广场",
    "公园",
    "市场",
    "县",
    "村",
    "镇",
    "乡",
    "街道",
    "路",
    "街",
    "巷",
    "大道",
    "苑",
    "学校",
    "小学",
    "中学",
    "大学",
    "学院",
    "幼儿园",
    "医院",
    "卫生院",
)
_GENERIC: Final = frozenset(
    {
        "道路",
        "马路",
        "公路",
        "水泥路",
        "农村",
        "乡村",
        "城乡",
        "乡镇",
        "街道",
        "马路边",
        "小学",
        "中学",
        "大学",
        "学校",
        "医院",
        "村里",
        "本村",
        "我村",
        "我们小区",
        "该小区",
    }
)
# The words residents frame an appeal with: never part of a place name, nor a topic.
FRAMING_WORDS: Final = frozenset({"关于", "反映", "咨询", "投诉", "举报", "建议", "请问", "希望"})
# Words that end a place name when reading backwards from its suffix.
_BREAKERS: Final = FRAMING_WORDS | frozenset(
    {
        "要求",
        "请求",
        "询问",
        "单方面",
        "改变",
        "位于",
        "附近",
        "旁边",
        "门口",
        "对面",
        "以及",
        "还是",
        "是否",
        "周围",
        "周边",
    }
)
_MAX_PREFIX_CHARS: Final = 8
_MAX_PREFIX_TOKENS: Final = 3


@dataclass(frozen=True)
class Places:
    """Where an appeal is: coarse districts and fine places."""

    districts: frozenset[str]
    fine: frozenset[str]

    def shares_fine_place(self, other: Places) -> bool:
        """True when a fine place of one contains one of the other (滨河苑, 伊景园滨河苑)."""
        return _overlap(self.fine, other.fine)

    def conflicts_with(self, other: Places) -> bool:
        """True when both name places at one level and share none of them."""
        return any(
            mine and theirs and not _overlap(mine, theirs)
            for mine, theirs in ((self.districts, other.districts), (self.fine, other.fine))
        )


def _overlap(mine: frozenset[str], theirs: frozenset[str]) -> bool:
    return any(a in b or b in a for a in mine for b in theirs)


def districts_in(text: str) -> frozenset[str]:
    """The districts and counties in normalised `text` (a city contains them all)."""
    return frozenset(d for d in _DISTRICT.findall(text) if not d.endswith("市"))


def without_districts(text: str) -> str:
    """`text` with district names replaced by a separator, so they do not glue to places."""
    return _DISTRICT.sub("|", text)


def _is_name_part(token: str) -> bool:
    return (
        token not in _BREAKERS
        and (len(token) > 1 or token.isalnum())
        and token not in "的在与和对及跟给向从把被将于了是"
        and all(c.isalnum() for c in token)
    )


def _place_ending_at(tokens: Sequence[str], end: int) -> str:
    """The place whose suffix is `tokens[end]`, with the name tokens just before it."""
    start = end
    while (
        start > 0
        and end - start < _MAX_PREFIX_TOKENS
        and _is_name_part(tokens[start - 1])
        and not tokens[start - 1].endswith(PLACE_SUFFIXES)
        and sum(len(t) for t in tokens[start - 1 : end]) <= _MAX_PREFIX_CHARS
    ):
        start -= 1
    return "".join(tokens[start : end + 1])


def fine_places(tokens: Sequence[str]) -> frozenset[str]:
    """Fine place names among the jieba `tokens` of a text without districts."""
    found = set()
    for end, token in enumerate(tokens):
        if not token.endswith(PLACE_SUFFIXES):
            continue
        place = _place_ending_at(tokens, end)
        if place not in PLACE_SUFFIXES and place not in _GENERIC and len(place) > 1:
            found.add(place)
    return frozenset(found)
