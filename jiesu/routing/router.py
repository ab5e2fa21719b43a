"""`route`: text → category, subcategory, lead department and confidence."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Final

from jiesu.city import City, load_city
from jiesu.routing import model as trained
from jiesu.routing.lexicon import LexiconRouter, lexicon_confidence

# Below this confidence a ticket goes to the dispatcher queue instead of a department.
CONFIDENCE_THRESHOLD: Final = 0.4


@dataclass(frozen=True)
class Route:
    """Where a message goes. Without any evidence, category and subcategory are None
    and the department is the dispatch centre."""

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
def _city() -> City:
    return load_city()


@lru_cache(maxsize=1)
def lexicon_router() -> LexiconRouter:
    """The out-of-the-box router of the configured city (built once)."""
    return LexiconRouter.from_city(_city())


@lru_cache(maxsize=4)
def _trained(path: Path) -> trained.TrainedRouter:
    return trained.load(path)


def route(text: str, *, model: Path | None = None) -> Route:
    """Route `text`: with `model`, the trained model picks the first-level category
    and the lexicon the subcategory within it; otherwise the lexicon picks both.

    Only load model files you trust: joblib files can run code when loaded.
    """
    city = _city()
    scores = lexicon_router().score(text)
    category: str | None
    if model is not None:
        category, confidence = _trained(model.resolve()).predict([text])[0]
        if category not in {c.name for c in city.categories}:
            raise ValueError(f"model {model} predicts {category!r}, unknown to the city")
    else:
        category, confidence = lexicon_confidence(scores.categories)
    if category is None:
        return Route(None, None, city.dispatch_center.name, 0.0)
    subcategory = scores.best_subcategory(category)
    department = city.department_for(category, subcategory)
    return Route(category, subcategory, department.name, round(confidence, 4))
