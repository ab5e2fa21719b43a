"""Routing confidence: temperature, calibration error, the coverage/precision curve and
the threshold read from it; the shipped out-of-the-box settings."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from jiesu.routing.calibration import (
    coverage_at,
    coverage_curve,
    expected_calibration_error,
    fit_temperature,
    precision_lower_bound,
    softmax,
    threshold_for_precision,
)
from jiesu.routing.prior import SETTINGS_FILE, PriorSettings, load_settings
from jiesu.routing.tuning import (
    LETTERS,
    SHORT,
    dispatch_threshold,
    kind_of,
    subcategory_splits,
)


def test_threshold_is_the_lowest_confidence_reaching_the_precision() -> None:
    confidences = [0.9, 0.8, 0.7, 0.6, 0.5]
    correct = [True, True, True, False, False]
    assert threshold_for_precision(confidences, correct, 0.95, level=None) == 0.7
    assert coverage_at(confidences, correct, 0.7) == (0.6, 1.0)
    assert threshold_for_precision(confidences, correct, 0.6, level=None) == 0.5  # 3 of 5


def test_threshold_needs_enough_routes_to_be_sure_of_the_precision() -> None:
    """30 right routes of 30 could still come from a router right 91% of the time; 60 of
    60 make 95% precision 95% certain."""
    assert precision_lower_bound(30, 30) < 0.95 < precision_lower_bound(60, 60)
    confidences = [0.99 - i / 1000 for i in range(80)]
    correct = [i < 60 for i in range(80)]
    assert threshold_for_precision(confidences, correct, 0.95) == confidences[59]
    assert threshold_for_precision(confidences[:30], correct[:30], 0.95) > 1.0


def test_no_threshold_reaching_the_precision_dispatches_nothing() -> None:
    threshold = threshold_for_precision([0.9, 0.8], [False, True], 0.95)
    assert coverage_at([0.9, 0.8], [False, True], threshold)[0] == 0.0


def test_curve_counts_ties_together() -> None:
    points = coverage_curve([0.9, 0.9, 0.5], [True, False, True])
    assert [(p.threshold, p.coverage, p.precision) for p in points] == [
        (0.9, 2 / 3, 0.5),
        (0.5, 1.0, 2 / 3),
    ]


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


def test_a_subcategory_is_never_on_both_sides_of_a_fold() -> None:
    keys = [("城乡建设", sub) for sub in "ABCDEFG" for _ in range(4)]
    splits = subcategory_splits(keys, folds=3, seed=0)
    assert sorted(i for _, held_out in splits for i in held_out) == list(range(len(keys)))
    for training, held_out in splits:
        assert not {keys[i] for i in training} & {keys[i] for i in held_out}


def test_threshold_holds_for_each_kind_of_message() -> None:
    assert kind_of("关于路灯的投诉\n小区门口的路灯坏了") == LETTERS
    assert kind_of("小区门口的路灯坏了\n") == SHORT
    levels = [0.99 - i / 200 for i in range(80)]
    # Short messages are all right; letters only the 60 surest.
    confidence = np.array(levels + levels)
    correct = np.array([True] * 80 + [i < 60 for i in range(80)])
    kinds = np.array([SHORT] * 80 + [LETTERS] * 80)
    assert dispatch_threshold(confidence, correct, kinds) == round(levels[59], 4)


def test_shipped_threshold_is_read_from_its_cross_validation_curves() -> None:
    """The threshold in prior.yml is where the letters' and the short messages' curves
    reach the target precision."""
    report = yaml.safe_load(SETTINGS_FILE.read_text(encoding="utf-8"))["cv"]
    threshold = load_settings().threshold
    assert threshold == max(report[kind]["threshold_at_target"] for kind in (SHORT, LETTERS))
    assert report["precision_at_threshold"] >= report["target_precision"]
    for kind in (SHORT, LETTERS):
        curve = report[kind]["curve"]
        assert curve[0]["coverage"] == 1.0 and curve[0]["precision"] == report[kind]["accuracy"]
