"""A request to ask that does not say the question yet ("我想咨询一下", "问个事")."""

from __future__ import annotations

import re
from typing import Final

from jiesu.text import compact

_OPENING_WORDS: Final = re.compile(
    r"您好|你好|请问|咨询|问问|问|想|要|我|一下|下|个|几个|点|事情|事|问题|政策|办事|"
    r"有|关于|麻烦|帮|的|了|吧|啊|呀|哈|呢"
)


def is_bare_question(text: str) -> bool:
    """Whether `text` only says the resident has a question, not what it is."""
    compacted = compact(text)
    return bool(compacted) and len(_OPENING_WORDS.sub("", compacted)) < 2
