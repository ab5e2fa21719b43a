"""Places and times in a resident's message, found by rules (no model).

`find_places` returns the whole place a resident named, as a handler needs it:
"幸福路18号楼下", "幸福里小区3号楼2单元门口", "东湖区湖滨街道柳岸社区",
"建设路和光明街路口", never a fragment ("幸福") and never the problem after it
("的烧烤摊"). A place is built from cores, names the city's gazetteer knows
(data/city/areas.yml) or a name followed by a place suffix (人民路, 金色家园,
实验小学); cores next to each other are one place, and it is extended by
house numbers and building details (18号, 3号楼2单元, 二期, B座) and a position
(楼下, 门口, 对面, 路口).

`find_times` returns each time as said ("昨儿", "每天晚上", "凌晨两点",
"今天下午三点"; "三天了" gives "三天"), without mapping it to a standard word.
Time words next to each other are one time; "每天晚上吵到凌晨两点" gives two
("每天晚上", then "凌晨两点"): the words between them are the problem.

`find_spans` returns both in one pass, in text order (a time inside a place,
五一 of 五一路, is no time). All run on `jiesu.text.normalize(text)`
(simplified, half-width, same length) and return substrings of the original
text, so "幸福路18號樓下" is found as written. This module imports in both
Python environments (the Rasa engine runs it from `jiesu_nlu/entities.py`): the
standard library, PyYAML and jiesu.text. The word lists live in `spans.yml`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from jiesu.text import normalize

ADDRESS = "address"
TIME = "time"
RULES_FILE = Path(__file__).with_name("spans.yml")
# The most characters of name a place suffix takes before it (枫丹白露 + 小区).
MAX_NAME = 4
# Suffixes of roads: a road never continues the place before it ("幸福路路面").
ROAD_SUFFIXES = frozenset({"路", "街", "巷", "大道", "大街", "胡同"})
# Characters that join two roads of a junction; they may also start a name (和平街).
JOINERS = frozenset("和与跟同及、/")

_CN_DIGITS = "零〇一二两三四五六七八九十百"
_NUMBER = rf"(?:\d+|[{_CN_DIGITS}]+)"
# Details after a place: house numbers and buildings, in any order, repeated.
_DETAIL = re.compile(
    rf"(?:{_NUMBER}(?:-\d+)*(?:号楼(?![下道])|号院(?!子)|号门(?!口)|号|栋|幢|座|单元|室|层|期|组|弄|楼(?![下道])|区)"
    r"|[A-Za-z]\d*(?:座|栋|区|层|楼|口|出口|入口)|[东西南北]区|\d{3,4}(?![\d号栋期年月日点])"
    r"|[东西南北]?[一二三四五六七八九十\d]+号?(?:出口|口))"
)
_ORDINAL = re.compile(r"(?:[省市区县]?第[一二三四五六七八九十\d]{1,3}|[省市区县])$")
_SPACES = re.compile(r"[ \t]{1,2}")
_NAME_CHAR = re.compile(r"[\u4e00-\u9fffA-Za-z0-9]")


@dataclass(frozen=True)
class Span:
    """A piece of the original text: [start, end), its value and the entity it is."""

    start: int
    end: int
    value: str
    entity: str


@dataclass(frozen=True)
class _Rules:
    suffixes: dict[str, int]
    suffix_pattern: re.Pattern[str]
    generic: frozenset[str]
    time_names: frozenset[str]
    stop_words: tuple[str, ...]
    stop_chars: frozenset[str]
    position_pattern: re.Pattern[str]
    position_not_before: dict[str, str]
    suffix_not_before: dict[str, str]
    suffix_not_after: dict[str, str]
    junction_ends: re.Pattern[str]
    # (pattern, strong) of each kind of time; the longest match at a position wins
    time_patterns: tuple[tuple[re.Pattern[str], bool], ...]
    time_start: re.Pattern[str]
    tail_pattern: re.Pattern[str]
    time_not_before: dict[str, str]


def _alternation(words: Iterable[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True) if w)


# Times made of numbers: dates, weekdays, clock times and durations. Clock times
# in Chinese numerals without 半/多/钟 ("两点") and bare days ("5号") are weak: kept
# only beside another time word ("凌晨两点", "本月5号").
_CN = "[零〇一二两三四五六七八九十]"
_STRONG_PATTERNS = (
    rf"(?:\d{{4}}|{_CN}{{4}})年(?:(?:\d{{1,2}}|{_CN}{{1,3}})月(?:(?:\d{{1,2}}|{_CN}{{1,3}})[日号])?)?",
    rf"(?:\d{{1,2}}|{_CN}{{1,3}})月(?:\d{{1,2}}|{_CN}{{1,3}})[日号]",
    r"\d{1,2}月份?",
    r"(?:(?:上上|上|这|本|下)个?)?(?:周|星期|礼拜)[一二三四五六日天1-7末]",
    r"(?:上上|上|这|本|下)个?(?:周|星期|礼拜)",
    r"每个?(?:周|星期|礼拜)[一二三四五六日天1-7末]?",
    r"(?:上|这|本|下)个?月(?:初|底|中|末|份)",
    rf"(?:\d{{1,2}}|{_CN}{{1,3}})月(?:初|底|末|份|上旬|中旬|下旬)",
    r"[早晚](?=\d{1,2}[点:])",
    r"\d{1,2}(?:点钟|点|时)(?:半|多|一刻|三刻|\d{1,2}分?)?|\d{1,2}:\d{2}",
    rf"{_CN}{{1,3}}点(?:钟|半|多|一刻|三刻|{_CN}{{1,3}}分)|十{_CN}?点",
    # durations: 三天, 一个星期, 两个多月, 半年多, 好几个月, 最近一周
    rf"(?:好|近|这|过去|整整|足足)?(?:\d+|{_CN}+|几|大半|半|好几)[多来]?个?多?"
    r"(?:天|日|周|星期|礼拜|月|年(?!级)|小时|钟头|晚上|晚|夜|宿)(?:多(?!少))?",
)
_WEAK_PATTERNS = (
    rf"{_CN}{{1,3}}点",
    rf"(?:\d{{1,2}}|{_CN}{{1,3}})[日号]",
)


def _compile_rules(data: Mapping[str, Any]) -> _Rules:
    places, times = data["places"], data["times"]
    suffixes = {str(k): int(v) for k, v in places["suffixes"].items()}
    words = [str(w) for w in times["words"]]
    kinds = [(p, True) for p in (*_STRONG_PATTERNS, _alternation(words))]
    kinds += [(p, False) for p in _WEAK_PATTERNS]
    time_patterns = tuple((re.compile(p), strong) for p, strong in kinds)
    time_start = re.compile("|".join(f"(?:{p})" for p, _ in kinds))
    return _Rules(
        suffixes=suffixes,
        suffix_pattern=re.compile(_alternation(suffixes)),
        generic=frozenset(str(w) for w in places["generic"]),
        time_names=frozenset(str(w) for w in places["time_names"]),
        stop_words=tuple(sorted((str(w) for w in places["stop_words"]), key=len, reverse=True)),
        stop_chars=frozenset(str(places["stop_chars"])),
        position_pattern=re.compile(_alternation(str(w) for w in places["positions"])),
        position_not_before={str(k): str(v) for k, v in places["position_not_before"].items()},
        suffix_not_before={str(k): str(v) for k, v in places["suffix_not_before"].items()},
        suffix_not_after={str(k): str(v) for k, v in places["suffix_not_after"].items()},
        junction_ends=re.compile(_alternation(str(w) for w in places["junction_ends"])),
        time_patterns=time_patterns,
        time_start=time_start,
        tail_pattern=re.compile(_alternation(str(w) for w in times["tails"])),
        time_not_before={str(k): str(v) for k, v in times["not_before"].items()},
    )


@lru_cache(maxsize=1)
def _rules() -> _Rules:
    return _compile_rules(yaml.safe_load(RULES_FILE.read_text(encoding="utf-8")))


class Gazetteer:
    """The place names of a city, matched whole in normalised text."""

    def __init__(self, names: Iterable[str] = ()) -> None:
        self.names: tuple[str, ...] = tuple(
            sorted(
                {normalize(n).strip() for n in names if len(n.strip()) >= 2},
                key=lambda n: (-len(n), n),
            )
        )
        self._pattern = re.compile(_alternation(self.names)) if self.names else None

    @classmethod
    def from_areas(cls, areas: Mapping[str, Any]) -> Gazetteer:
        """Names of an areas file's content: the city, districts, streets, communities,
        grid roads (without their number ranges), compounds and landmarks, plus the
        short forms residents use (幸福里 for 幸福里小区, 图书馆 for 示例市图书馆)."""
        city = str(areas.get("city") or "")
        prefixes = [city] if city else []
        names: list[str] = prefixes[:]
        for district in areas.get("districts") or []:
            prefixes.append(str(district["name"]))
            names.append(str(district["name"]))
            for street in district.get("streets") or []:
                names.append(str(street["name"]))
                for community in street.get("communities") or []:
                    names.append(str(community["name"]))
                    for grid in community.get("grids") or []:
                        roads = grid.get("roads") or []
                        names.extend(re.sub(r"\d+-\d+号$", "", str(r)) for r in roads)
                        names.extend(str(c) for c in grid.get("compounds") or [])
                        names.extend(str(lm) for lm in grid.get("landmarks") or [])
        short = []
        for name in names:
            if name.endswith("小区") and len(name) >= 4:
                short.append(name[:-2])
            for prefix in prefixes:
                if name.startswith(prefix) and len(name) - len(prefix) >= 3:
                    short.append(name[len(prefix) :])
        return cls([*names, *short])

    @classmethod
    def from_areas_file(cls, path: str | Path) -> Gazetteer:
        """The gazetteer of an areas file (data/city/areas.yml)."""
        return cls.from_areas(yaml.safe_load(Path(path).read_text(encoding="utf-8")))

    def find(self, text: str) -> list[tuple[int, int]]:
        """(start, end) of each name in normalised `text`, longest first, not overlapping."""
        if self._pattern is None:
            return []
        return [(m.start(), m.end()) for m in self._pattern.finditer(text)]


EMPTY_GAZETTEER = Gazetteer()


def _name_start(text: str, end: int, floor: int, rules: _Rules) -> int:
    """Where the name ending at `end` starts: back over name characters, at most
    `MAX_NAME`, stopping at `floor`, a stop word or a stop character."""
    start = end
    while start > max(floor, end - MAX_NAME):
        if any(
            text.startswith(w, start - len(w)) for w in rules.stop_words if start - len(w) >= floor
        ):
            break
        char = text[start - 1]
        if not _NAME_CHAR.match(char) or char in rules.stop_chars or char in JOINERS:
            break
        start -= 1
    return start


def _cores(
    text: str, gazetteer: Gazetteer, blocked: list[tuple[int, int]], rules: _Rules
) -> list[tuple[int, int]]:
    """Place names: gazetteer names and names followed by a place suffix."""
    known = gazetteer.find(text)
    suffixes = tuple(rules.suffixes)
    cores = []
    for start, end in known:  # an ordinal before a known name belongs to it (第一人民医院)
        ordinal = _ORDINAL.search(text, max(0, start - 4), start)
        cores.append((ordinal.start() if ordinal else start, end))
    for found in rules.suffix_pattern.finditer(text):
        a, b = found.span()
        if any(s <= a and b <= e for s, e in known):
            continue
        suffix = found[0]
        after = rules.suffix_not_before.get(suffix)
        if after and b < len(text) and text[b] in after:
            continue
        verb = rules.suffix_not_after.get(suffix)
        if verb and a > 0 and text[a - 1] in verb:
            continue
        # A time just before a name ends it (今天早上春华路), unless it is the name (五一路).
        before = [e for _, e in cores if e <= a] + [
            e for s, e in blocked if e < a or (e == a and text[s:e] not in rules.time_names)
        ]
        floor = max(before, default=0)
        start = _name_start(text, a, floor, rules)
        minimum = rules.suffixes[suffix]
        if a - start < minimum and start > floor and text[start - 1] == "和":
            rescan = _name_start(text, start - 1, floor, rules)  # 和平街: 和 starts the name
            if a - rescan >= 2:
                start = rescan
        name = text[start:a]
        # a name has a Chinese character (58路 is a bus line); some suffixes need none
        # and a road's name does not end in a digit (公交28路 is a bus line)
        name_ok = (not name and minimum == 0) or (
            len(name) >= max(minimum, 1)
            and not name.isascii()
            and not (suffix in ROAD_SUFFIXES and name[-1].isdigit())
        )
        if name_ok and text[start:b] not in rules.generic:
            cores.append((start, b))
        elif (
            not name
            and a == floor
            and any(
                e == a and (suffix not in ROAD_SUFFIXES or not text[s:e].endswith(suffixes))
                for s, e in cores
            )
        ):
            # continues the place before it: 阳光花园小区, 春华(小区) + 大道; but a road
            # never continues a place with a suffix (幸福路路面)
            cores.append((a, b))
    return sorted(cores)


def _extend(text: str, end: int, rules: _Rules) -> int:
    """The end of a place ending at `end` with its details and positions."""
    while True:
        gap = _SPACES.match(text, end)  # "幸福路 18号"
        detail = _DETAIL.match(text, gap.end() if gap else end)
        if not detail or detail.end() == detail.start():
            break
        end = detail.end()
    for _ in range(2):
        position = rules.position_pattern.match(text, end)
        if not position:
            break
        word = position[0]
        after = rules.position_not_before.get(word)
        if after and text.startswith(after, position.end()):
            break
        end = position.end()
    return end


def _places(
    norm: str, gazetteer: Gazetteer, times: list[tuple[int, int]], rules: _Rules
) -> list[tuple[int, int]]:
    """(start, end) of each place in normalised text."""
    places: list[tuple[int, int]] = []
    core_end = 0
    for start, end in _cores(norm, gazetteer, times, rules):
        if places and start <= places[-1][1]:  # next to the place before: one place
            prev_start, prev_end = places.pop()
            core_end = max(core_end, end)
            places.append((prev_start, max(prev_end, _extend(norm, core_end, rules))))
        else:
            core_end = end
            places.append((start, _extend(norm, end, rules)))
    # Junctions: two roads joined by 和/与 and closed by 路口 are one place.
    merged: list[tuple[int, int]] = []
    for start, end in places:
        if (
            merged
            and merged[-1][1] + 1 == start
            and norm[start - 1] in JOINERS
            and rules.junction_ends.search(norm[start:end])
        ):
            merged[-1] = (merged[-1][0], end)
            continue
        merged.append((start, end))
    return [(start, end) for start, end in merged if norm[start:end] not in rules.generic]


def _times(norm: str, rules: _Rules) -> list[tuple[int, int]]:
    """(start, end) of each time in normalised text: runs of time words with a tail."""
    runs: list[list[Any]] = []
    position = 0
    while (first := rules.time_start.search(norm, position)) is not None:
        start = first.start()
        end, strong = max(
            (
                (m.end(), kind_strong)
                for pattern, kind_strong in rules.time_patterns
                if (m := pattern.match(norm, start)) is not None
            ),
            key=lambda found: found[0],
        )
        if end == start:
            position = start + 1
            continue
        if runs and runs[-1][1] == start:
            runs[-1][1] = end
            runs[-1][2] = runs[-1][2] or strong
        else:
            runs.append([start, end, strong])
        position = end
    times = []
    for start, end, strong in runs:
        after = rules.time_not_before.get(norm[start:end])
        if not strong or (after and norm.startswith(after, end)):
            continue
        tail = rules.tail_pattern.match(norm, end)
        times.append((start, tail.end() if tail else end))
    return times


def find_spans(text: str, gazetteer: Gazetteer = EMPTY_GAZETTEER) -> list[Span]:
    """Places and times of `text` in order of where they start; values are substrings of
    `text` itself. A time inside a place (五一 of 五一路) is no time."""
    rules = _rules()
    norm = normalize(text)
    times = _times(norm, rules)
    places = _places(norm, gazetteer, times, rules)
    spans = [Span(start, end, text[start:end], ADDRESS) for start, end in places] + [
        Span(start, end, text[start:end], TIME)
        for start, end in times
        if not any(p_start < end and start < p_end for p_start, p_end in places)
    ]
    return sorted(spans, key=lambda span: (span.start, span.end))


def find_places(text: str, gazetteer: Gazetteer = EMPTY_GAZETTEER) -> list[Span]:
    """The places `text` names, in order (see the module docstring)."""
    return [span for span in find_spans(text, gazetteer) if span.entity == ADDRESS]


def find_times(text: str, gazetteer: Gazetteer = EMPTY_GAZETTEER) -> list[Span]:
    """The times `text` mentions, in order, as written; none inside a place."""
    return [span for span in find_spans(text, gazetteer) if span.entity == TIME]


# Words around a bare detail ("我住在…", "地址是…", "电话…"), punctuation and spaces.
_AROUND_DETAILS = re.compile(
    r"[\W_]+|我家|我|住在|住|在|家|地址|位置|地点|就是|是|电话|手机号码|手机号|手机|号码|"
    r"联系方式|时间|就|这|那|的|了|哈|啊|呢"
)
# A phone number as typed (digits with spaces or dashes, a country code).
_PHONE = re.compile(r"\+?\d[\d\s\-]{5,}\d")


def says_only(text: str, details: Iterable[str]) -> bool:
    """Whether `text` says nothing but `details` (places, times, phone numbers) and the
    words around them ("我住幸福里小区3号楼", "电话13800000004"): an answer to a question,
    not what happened."""
    rest = normalize(text)
    for detail in sorted(details, key=len, reverse=True):
        rest = rest.replace(normalize(detail), "")
    return len(_AROUND_DETAILS.sub("", rest)) < 2


def only_details(text: str, gazetteer: Gazetteer = EMPTY_GAZETTEER) -> bool:
    """Whether `text` names a place, a time or a phone number and says nothing else."""
    details = [span.value for span in find_spans(text, gazetteer)] + _PHONE.findall(text)
    return bool(details) and says_only(text, details)


def unnamed_place(text: str) -> bool:
    """Whether `text` gives only a building or a house number ("3栋", "5号楼2单元",
    "就在3栋楼下"): no handler can find it without the compound's or the road's name."""
    compact = normalize(text)
    details = _DETAIL.sub("", compact)
    if details == compact:
        return False
    rest = _rules().position_pattern.sub("", _AROUND_DETAILS.sub("", details))
    return not rest
