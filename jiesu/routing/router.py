"""`route`: text → category, subcategory, lead department and confidence."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Final

from jiesu.city import current_city
from jiesu.routing import model as trained
from jiesu.routing.examples import load_examples
from jiesu.routing.lexicon import LexiconRouter
from jiesu.routing.prior import KnowledgePrior

# Below this confidence a ticket goes to the dispatcher queue instead of a department.
CONFIDENCE_THRESHOLD: Final = 0.4


@dataclass(frozen=True)
class Route:
    """Where a message goes. Without any evidence, category and subcategory are None
    and the department is the dispatch centre. With weak evidence the category is
    the best guess and `needs_dispatcher` asks a person to confirm it."""

    category: str | None
    subcategory: str | None
    department: str
    confidence: float

    @property
    def needs_dispatcher(self) -> bool:
        """Whether a human dispatcher should check the route (low confidence)."""
        return self.category is None or self.confidence < CONFIDENCE_THRESHOLD

    def as_dict(self) -> dict[str, str | float | None]:
        """The route as JSON-ready data."""
        return asdict(self)


@lru_cache(maxsize=1)
def lexicon_router() -> LexiconRouter:
    """The keyword lexicon of the configured city (built once)."""
    return LexiconRouter.from_city(current_city())


@lru_cache(maxsize=1)
def knowledge_prior() -> KnowledgePrior:
    """The out-of-the-box router: the city's lexicon and the hand-written examples."""
    return KnowledgePrior(lexicon_router().lexicon, load_examples())


@lru_cache(maxsize=4)
def _trained(path: Path) -> trained.TrainedRouter:
    return trained.load(path)


def route(text: str, *, model: Path | None = None) -> Route:
    """Route `text`: with `model`, the trained model picks the first-level category,
    otherwise the knowledge prior does; the subcategory within it comes from the
    keywords, else from the examples (of the prior the model was trained with).

    Only load model files you trust: joblib files can run code when loaded.
    """
    city = current_city()
    router = None if model is None else _trained(model.resolve())
    assessment = (knowledge_prior() if router is None else router.prior).assess([text])[0]
    if not assessment.has_evidence:
        return Route(None, None, city.dispatch_center.name, 0.0)
    if router is not None:
        category, confidence = router.predict([text], [assessment])[0]
        if category not in {c.name for c in city.categories}:
            raise ValueError(f"model {model} predicts {category!r}, unknown to the city")
    else:
        category, confidence = assessment.best()
    subcategory = assessment.best_subcategory(category)
    department = city.department_for(category, subcategory)
    return Route(category, subcategory, department.name, round(confidence, 4))
