"""Routing confidence: temperature, calibration error, the coverage/precision curve and
the threshold read from it; the shipped out-of-the-box settings."""

from __future__ import annotations

import numpy as np
import pytest

from jiesu.routing.calibration import (
    coverage_at,
    coverage_curve,
    expected_calibration_error,
    fit_temperature,
    softmax,
    threshold_for_precision,
)
from jiesu.routing.prior import PriorSettings, load_settings


def test_threshold_is_the_lowest_confidence_reaching_the_precision() -> None:
    confidences = [0.9, 0.8, 0.7, 0.6, 0.5]
    correct = [True, True, True, False, False]
    assert threshold_for_precision(confidences, correct, 0.95) == 0.7
    assert coverage_at(confidences, correct, 0.7) == (0.6, 1.0)
    assert threshold_for_precision(confidences, correct, 0.6) == 0.5  # 3 of 5 right


def test_no_threshold_reaching_the_precision_dispatches_nothing() -> None:
    threshold = threshold_for_precision([0.9, 0.8], [False, True], 0.95)
    assert coverage_at([0.9, 0.8], [False, True], threshold)[0] == 0.0


def test_curve_counts_ties_together() -> None:
    points = coverage_curve([0.9, 0.9, 0.5], [True, False, True])
    assert [(p.threshold, p.coverage, p.precision) for p in points] == [
        (0.9, 2 / 3, 0.5), (0.5, 1.0, 2 / 3)]


def test_calibration_error() -> None:
    assert expected_calibration_error([0.8] * 5, [True] * 4 + [False]) == pytest.approx(0.0)
    assert expected_calibration_error([1.0, 1.0], [False, False]) == pytest.approx(1.0)


def test_fitted_temperature_softens_overconfident_scores() -> None:
    rng = np.random.default_rng(0)
    gold = rng.integers(0, 3, size=300)
    # Scores pointing at the gold class only 60% of the time, but very sharp.
    pointed = np.where(rng.random(300) < 0.6, gold, (gold + 1) % 3)
    logits = np.eye(3)[pointed] * 10.0
    temperature = fit_temperature(logits, gold)
    assert temperature > 5.0
    assert softmax(logits, temperature).max(axis=1).mean() == pytest.approx(0.6, abs=0.1)


def test_shipped_settings_come_from_cross_validation() -> None:
    settings = load_settings()
    assert settings != PriorSettings()
    assert 0.0 < settings.threshold < 1.0
    assert settings.model == "svm"
