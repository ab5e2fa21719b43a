"""The structured routing knowledge (data/routing/knowledge.yml) is consistent with
the city's categories."""

from __future__ import annotations

from collections import defaultdict

from jiesu.routing.examples import load_knowledge
from jiesu.routing.prior import extended_lexicon
from jiesu.routing.router import lexicon_router


def test_knowledge_names_known_subcategories() -> None:
    lexicon = lexicon_router().lexicon
    unknown = sorted("/".join(key) for key in load_knowledge() if key not in lexicon)
    assert not unknown


def test_every_naming_term_names_one_subcategory() -> None:
    """A term counted as evidence for two subcategories (the city's keywords and the
    knowledge's objects and wording together) says nothing about which one is meant."""
    named: dict[str, set[str]] = defaultdict(set)
    for key, terms in extended_lexicon(lexicon_router().lexicon, load_knowledge()).items():
        for term in terms:
            named[term].add("/".join(key))
    ambiguous = {term: sorted(keys) for term, keys in named.items() if len(keys) > 1}
    assert not ambiguous
