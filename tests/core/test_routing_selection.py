"""The trainable router chooses its SVM C and prior scale by inner cross-validation
of its own training tickets."""

from __future__ import annotations

import numpy as np

from jiesu.routing import model as trained
from jiesu.routing.examples import load_all_examples
from jiesu.routing.model import (
    KNOWLEDGE_WEIGHT_GRID,
    PRIOR_SCALE_GRID,
    SVM_C_GRID,
    knowledge_rows,
    select,
)
from jiesu.routing.router import lexicon_router
from tests.core.routing_tickets import texts_and_labels


def _decisions(predicted: list[int], classes: int = 3) -> np.ndarray:
    rows = np.zeros((len(predicted), classes))
    rows[np.arange(len(predicted)), predicted] = 1.0
    return rows


def test_select_takes_the_best_macro_f1() -> None:
    gold = np.array([0, 0, 1, 1, 2, 2])
    choices = {
        (0.5, 1.0, 0.0): _decisions([0, 0, 0, 0, 2, 2]),
        (1.0, 2.0, 0.1): _decisions([0, 0, 1, 1, 2, 0]),
        (2.0, 1.0, 0.0): _decisions([0, 1, 1, 1, 2, 2]),
    }
    assert select(choices, gold) == (1.0, 2.0, 0.1)


def test_select_breaks_ties_by_grid_order() -> None:
    gold = np.array([0, 1, 2])
    same = _decisions([0, 1, 2])
    assert select({(4.0, 2.0, 0.0): same, (0.5, 1.0, 0.3): same.copy()}, gold) == (4.0, 2.0, 0.0)


def test_training_chooses_from_the_grids_and_keeps_the_choice() -> None:
    texts, labels = texts_and_labels(("城乡建设", "交通运输"))
    router = trained.train(texts, labels, lexicon_router().lexicon)
    assert router.calibration is not None
    assert router.calibration["svm_c"] in SVM_C_GRID
    assert router.calibration["prior_scale"] in PRIOR_SCALE_GRID
    assert router.prior_scale == router.calibration["prior_scale"]
    assert router.calibration["svm_c"] == router.svm.C
    assert router.calibration["knowledge_weight"] in KNOWLEDGE_WEIGHT_GRID


def test_our_examples_join_the_training_only_for_the_tickets_categories() -> None:
    """A city without tickets of a category does not learn to predict it from our
    examples alone; the examples carry no prior values (the prior learnt from them)."""
    texts, labels = texts_and_labels(("城乡建设", "交通运输"))
    router = trained.train(texts, labels, lexicon_router().lexicon, knowledge_weights=(0.3,))
    assert router.labels == ["交通运输", "城乡建设"]
    rows = knowledge_rows(router.prior, load_all_examples(), ["交通运输"])
    assert rows.texts and set(rows.labels) == {"交通运输"}
    assert not rows.prior_values.any()


def test_an_uncalibrated_model_keeps_the_first_release_constants() -> None:
    texts, labels = texts_and_labels(("城乡建设", "交通运输"))
    router = trained.train(texts, labels, lexicon_router().lexicon, calibrate=False)
    assert router.svm.C == trained.SVM_C
    assert router.prior_scale == trained.PRIOR_SCALE
    assert router.calibration is None
