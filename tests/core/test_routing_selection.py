"""The trainable router chooses its SVM C and prior scale by inner cross-validation
of its own training tickets."""

from __future__ import annotations

import numpy as np

from jiesu.routing import model as trained
from jiesu.routing.model import PRIOR_SCALE_GRID, SVM_C_GRID, select
from jiesu.routing.router import lexicon_router
from tests.core.routing_tickets import texts_and_labels


def _decisions(predicted: list[int], classes: int = 3) -> np.ndarray:
    rows = np.zeros((len(predicted), classes))
    rows[np.arange(len(predicted)), predicted] = 1.0
    return rows


def test_select_takes_the_best_macro_f1() -> None:
    gold = np.array([0, 0, 1, 1, 2, 2])
    choices = {
        (0.5, 1.0): _decisions([0, 0, 0, 0, 2, 2]),
        (1.0, 2.0): _decisions([0, 0, 1, 1, 2, 0]),
        (2.0, 1.0): _decisions([0, 1, 1, 1, 2, 2]),
    }
    assert select(choices, gold) == (1.0, 2.0)


def test_select_breaks_ties_by_grid_order() -> None:
    gold = np.array([0, 1, 2])
    same = _decisions([0, 1, 2])
    assert select({(4.0, 2.0): same, (0.5, 1.0): same.copy()}, gold) == (4.0, 2.0)


def test_training_chooses_from_the_grids_and_keeps_the_choice() -> None:
    texts, labels = texts_and_labels(("城乡建设", "交通运输"))
    router = trained.train(texts, labels, lexicon_router().lexicon)
    assert router.calibration is not None
    assert router.calibration["svm_c"] in SVM_C_GRID
    assert router.calibration["prior_scale"] in PRIOR_SCALE_GRID
    assert router.prior_scale == router.calibration["prior_scale"]
    assert router.calibration["svm_c"] == router.svm.C


def test_an_uncalibrated_model_keeps_the_first_release_constants() -> None:
    texts, labels = texts_and_labels(("城乡建设", "交通运输"))
    router = trained.train(texts, labels, lexicon_router().lexicon, calibrate=False)
    assert router.svm.C == trained.SVM_C
    assert router.prior_scale == trained.PRIOR_SCALE
    assert router.calibration is None
