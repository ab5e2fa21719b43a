"""The structured routing knowledge (data/routing/knowledge.yml) is consistent with
the city's categories."""

from __future__ import annotations

from jiesu.routing.examples import load_knowledge
from jiesu.routing.router import lexicon_router


def test_knowledge_names_known_subcategories() -> None:
    lexicon = lexicon_router().lexicon
    unknown = sorted("/".join(key) for key in load_knowledge() if key not in lexicon)
    assert not unknown
