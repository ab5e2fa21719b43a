"""`route`: text → category, subcategory, lead department, confidence, and the runners-up."""

from __future__ import annotations

import logging
import os
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Final

from jiesu.city import current_city
from jiesu.config import PROJECT_ROOT
from jiesu.routing import model as trained
from jiesu.routing.examples import load_all_examples, load_knowledge
from jiesu.routing.lexicon import LexiconRouter
from jiesu.routing.prior import Assessment, KnowledgePrior, load_settings

log = logging.getLogger(__name__)

# How many guesses an unsure route shows the dispatcher.
GUESSES: Final = 3
# The city's own model (`jiesu train routing --from-db`); JIESU_ROUTING_MODEL moves it.
DEPLOYED_MODEL: Final = PROJECT_ROOT / "var" / "routing.joblib"


def deployed_model_path() -> Path:
    """Where the city's own model is kept (whether or not one was trained yet)."""
    return Path(os.environ.get("JIESU_ROUTING_MODEL") or DEPLOYED_MODEL)


def deployed_model() -> Path | None:
    """The city's own model, if one was trained; else None (out of the box)."""
    path = deployed_model_path()
    return path if path.is_file() else None


@dataclass(frozen=True)
class Guess:
    """One candidate category for a message, with the subcategory within it and its
    probability."""

    category: str
    subcategory: str | None
    confidence: float


@dataclass(frozen=True)
class Route:
    """Where a message goes. Without any evidence, category and subcategory are None
    and the department is the dispatch centre. Below `threshold` (the auto-dispatch
    threshold of the router that chose it) the category is the best guess and
    `needs_dispatcher` asks a person to confirm it; `guesses` are the top three."""

    category: str | None
    subcategory: str | None
    department: str
    confidence: float
    threshold: float
    guesses: tuple[Guess, ...] = field(default=())

    @property
    def needs_dispatcher(self) -> bool:
        """Whether a human dispatcher should check the route (confidence below threshold)."""
        return self.category is None or self.confidence < self.threshold

    def as_dict(self) -> dict[str, Any]:
        """The route as JSON-ready data."""
        data = asdict(self)
        data["guesses"] = [asdict(guess) for guess in self.guesses]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Route:
        """The route `as_dict` gave."""
        guesses = tuple(Guess(**guess) for guess in data.get("guesses") or ())
        return cls(**{**data, "guesses": guesses})


@lru_cache(maxsize=1)
def lexicon_router() -> LexiconRouter:
    """The keyword lexicon of the configured city (built once)."""
    return LexiconRouter.from_city(current_city())


@lru_cache(maxsize=1)
def knowledge_prior() -> KnowledgePrior:
    """The out-of-the-box router: the city's lexicon, the hand-written examples and
    knowledge, with the settings cross-validation chose (data/routing/prior.yml)."""
    return KnowledgePrior(
        lexicon_router().lexicon, load_all_examples(), load_knowledge(), load_settings()
    )


@lru_cache(maxsize=4)
def _trained(path: Path, modified: float) -> trained.TrainedRouter:
    """The model at `path` as of its modification time (a replaced file is read again)."""
    return trained.load(path)


def _deployed(path: Path) -> trained.TrainedRouter | None:
    """The deployed model, or None (out of the box) if it cannot be read: an unreadable
    file must not stop appeals from being filed."""
    try:
        return _trained(path.resolve(), path.stat().st_mtime)
    except Exception:  # whatever unpickling a damaged file raises
        log.exception("routing model %s unreadable: routing out of the box", path)
        return None


def guesses_of(ranked: list[tuple[str, float]], assessment: Assessment) -> tuple[Guess, ...]:
    """The ranked categories as guesses, each with its best subcategory."""
    return tuple(
        Guess(category, assessment.best_subcategory(category), round(confidence, 4))
        for category, confidence in ranked
    )


def route(text: str, *, model: Path | None = None) -> Route:
    """Route `text`: with `model` (default: the deployed model, if any) the trained
    model picks the first-level category, otherwise the knowledge prior does; the
    subcategory within it comes from the keywords, else from the examples (of the
    prior the model was trained with).

    Only load model files you trust: joblib files can run code when loaded.
    """
    city = current_city()
    router = None
    if model is not None:
        router = _trained(model.resolve(), model.stat().st_mtime)
    elif (deployed := deployed_model()) is not None:
        router = _deployed(deployed)
    prior = knowledge_prior() if router is None else router.prior
    assessment = prior.assess([text])[0]
    if not assessment.has_evidence:
        return Route(None, None, city.dispatch_center.name, 0.0, prior.settings.threshold)
    if router is not None:
        ranked = router.ranked([text], [assessment], GUESSES)[0]
        threshold = router.threshold
        unknown = [c for c, _ in ranked if c not in {c.name for c in city.categories}]
        if unknown:
            raise ValueError(f"model {model} predicts {unknown[0]!r}, unknown to the city")
    else:
        ranked = assessment.ranked(GUESSES)
        threshold = prior.settings.threshold
    guesses = guesses_of(ranked, assessment)
    best = guesses[0]
    department = city.department_for(best.category, best.subcategory)
    return Route(
        best.category, best.subcategory, department.name, best.confidence, threshold, guesses
    )
