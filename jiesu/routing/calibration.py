"""What a router's confidence is worth: temperature scaling, calibration error, and the
coverage/precision curve the auto-dispatch threshold is read from.

All of it is fitted on out-of-fold predictions of the router's own training data
(cross-validation), never on the messages a benchmark reports on. The out-of-the-box
router's threshold is the lowest confidence above which the routes reach the target
precision with 95% certainty (a lower confidence bound), not just as measured; a
trained router's is where the measured precision reaches it (see `model.py`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
from scipy.optimize import minimize_scalar
from scipy.stats import beta

# Precision the router must reach on the routes it dispatches without a person.
TARGET_PRECISION: Final = 0.95
# How sure the out-of-fold predictions must make us that the dispatched routes reach
# TARGET_PRECISION: a few hundred examples measure precision only roughly, so the
# threshold is read where the precision's lower bound reaches the target.
CERTAINTY: Final = 0.95
# Equal-width confidence bins of the expected calibration error.
ECE_BINS: Final = 10
# Temperatures searched (log scale) when fitting one.
_TEMPERATURE_BOUNDS: Final = (np.log(0.01), np.log(100.0))


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """Row-wise softmax of `logits / temperature`."""
    scaled = np.asarray(logits, dtype=np.float64) / temperature
    scaled -= scaled.max(axis=1, keepdims=True)
    exp = np.exp(scaled)
    return np.asarray(exp / exp.sum(axis=1, keepdims=True))


def log_loss(
    probabilities: np.ndarray,
    gold: Sequence[int] | np.ndarray,
    weights: np.ndarray | None = None,
) -> float:
    """Mean negative log-probability of the gold columns, weighted by `weights` (each
    row alike by default)."""
    target = np.asarray(gold)
    picked = probabilities[np.arange(len(target)), target]
    return float(np.average(-np.log(np.clip(picked, 1e-12, None)), weights=weights))


def fit_temperature(
    logits: np.ndarray, gold: Sequence[int] | np.ndarray, weights: np.ndarray | None = None
) -> float:
    """The temperature minimising the (weighted) negative log-likelihood of the gold
    columns."""

    def nll(log_t: float) -> float:
        return log_loss(softmax(logits, float(np.exp(log_t))), gold, weights)

    found = minimize_scalar(nll, bounds=_TEMPERATURE_BOUNDS, method="bounded")
    return round(float(np.exp(found.x)), 4)


def expected_calibration_error(
    confidences: Sequence[float], correct: Sequence[bool], bins: int = ECE_BINS
) -> float:
    """Mean |accuracy - confidence| over equal-width confidence bins, weighted by size."""
    conf = np.asarray(confidences, dtype=np.float64)
    right = np.asarray(correct, dtype=np.float64)
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(conf, edges[1:-1], right=True), 0, bins - 1)
    error = 0.0
    for b in range(bins):
        inside = which == b
        if inside.any():
            error += inside.mean() * abs(right[inside].mean() - conf[inside].mean())
    return round(float(error), 4)


@dataclass(frozen=True)
class CurvePoint:
    """Routes at or above `threshold`: their share of all messages and how many are right."""

    threshold: float
    coverage: float
    precision: float


def coverage_curve(confidences: Sequence[float], correct: Sequence[bool]) -> list[CurvePoint]:
    """Coverage and precision for every distinct confidence taken as the threshold,
    from the most confident route down."""
    conf = np.asarray(confidences, dtype=np.float64)
    right = np.asarray(correct, dtype=np.float64)
    order = np.argsort(-conf, kind="stable")
    hits = np.cumsum(right[order])
    points = []
    for rank, index in enumerate(order):
        last_of_value = rank + 1 == len(order) or conf[order[rank + 1]] < conf[index]
        if last_of_value:
            points.append(
                CurvePoint(
                    threshold=float(conf[index]),
                    coverage=(rank + 1) / len(order),
                    precision=float(hits[rank]) / (rank + 1),
                )
            )
    return points


def precision_lower_bound(right: int, routes: int, level: float = CERTAINTY) -> float:
    """The one-sided Clopper-Pearson lower bound, at `level`, of the precision of
    `routes` routes of which `right` were right."""
    if right == 0:
        return 0.0
    return float(beta.ppf(1.0 - level, right, routes - right + 1))


def threshold_for_precision(
    confidences: Sequence[float],
    correct: Sequence[bool],
    target: float = TARGET_PRECISION,
    level: float | None = CERTAINTY,
) -> float:
    """The lowest threshold whose routes at or above it are right at least `target` of
    the time, with certainty `level` (the precision's lower bound reaches `target`; None:
    the measured precision does); above every confidence (nothing dispatched) if no
    threshold reaches it."""

    def reaches(point: CurvePoint) -> bool:
        if level is None:
            return point.precision >= target
        routes = round(point.coverage * len(correct))
        return precision_lower_bound(round(point.precision * routes), routes, level) >= target

    reaching = [p for p in coverage_curve(confidences, correct) if reaches(p)]
    if not reaching:
        return 1.0 + 1e-9
    return round(min(p.threshold for p in reaching), 4)


def coverage_at(
    confidences: Sequence[float], correct: Sequence[bool], threshold: float
) -> tuple[float, float]:
    """(coverage, precision) of the routes at or above `threshold`."""
    conf = np.asarray(confidences, dtype=np.float64)
    right = np.asarray(correct, dtype=bool)
    above = conf >= threshold
    if not above.any():
        return 0.0, 1.0
    return round(float(above.mean()), 4), round(float(right[above].mean()), 4)


def curve_summary(
    confidences: Sequence[float], correct: Sequence[bool], steps: int = 20
) -> list[dict[str, float]]:
    """The curve at thresholds 0, 1/steps, … 1 (for reports)."""
    rows = []
    for threshold in np.linspace(0.0, 1.0, steps + 1):
        coverage, precision = coverage_at(confidences, correct, float(threshold))
        rows.append(
            {"threshold": round(float(threshold), 3), "coverage": coverage, "precision": precision}
        )
    return rows


def best_coverage_at_precision(
    confidences: Sequence[float], correct: Sequence[bool], target: float = TARGET_PRECISION
) -> float:
    """The largest coverage any threshold reaches while keeping precision ≥ `target`
    (an oracle figure: the threshold is read off the same messages)."""
    reaching = [p.coverage for p in coverage_curve(confidences, correct) if p.precision >= target]
    return round(max(reaching, default=0.0), 4)
