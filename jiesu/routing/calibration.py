"""What a router's confidence is worth: temperature scaling, calibration error, and the
coverage/precision curve the auto-dispatch threshold is read from.

All of it is fitted on out-of-fold predictions of the router's own training data
(cross-validation), never on the messages a benchmark reports on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
from scipy.optimize import minimize_scalar

# Precision the router must reach on the routes it dispatches without a person.
TARGET_PRECISION: Final = 0.95
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


def fit_temperature(logits: np.ndarray, gold: Sequence[int] | np.ndarray) -> float:
    """The temperature minimising the negative log-likelihood of the gold columns."""
    rows = np.arange(len(gold))
    target = np.asarray(gold)

    def nll(log_t: float) -> float:
        probs = softmax(logits, float(np.exp(log_t)))
        return float(-np.log(np.clip(probs[rows, target], 1e-12, None)).mean())

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
            points.append(CurvePoint(
                threshold=float(conf[index]),
                coverage=(rank + 1) / len(order),
                precision=float(hits[rank]) / (rank + 1),
            ))
    return points


def threshold_for_precision(
    confidences: Sequence[float], correct: Sequence[bool], target: float = TARGET_PRECISION
) -> float:
    """The lowest threshold whose routes at or above it are right at least `target` of
    the time; above every confidence (nothing dispatched) if no threshold reaches it."""
    reaching = [p for p in coverage_curve(confidences, correct) if p.precision >= target]
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
        rows.append({"threshold": round(float(threshold), 3), "coverage": coverage,
                     "precision": precision})
    return rows


def best_coverage_at_precision(
    confidences: Sequence[float], correct: Sequence[bool], target: float = TARGET_PRECISION
) -> float:
    """The largest coverage any threshold reaches while keeping precision ≥ `target`
    (an oracle figure: the threshold is read off the same messages)."""
    reaching = [p.coverage for p in coverage_curve(confidences, correct) if p.precision >= target]
    return round(max(reaching, default=0.0), 4)
