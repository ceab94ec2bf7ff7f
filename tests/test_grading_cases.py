"""The data sets of course_lib.grading.cases that the open-ended classifiers draw from.

``elongated`` and ``xor`` exist so that a nearest-centroid rule cannot pass what a trained
linear model (``elongated``) or a hidden layer (``xor``) can: checked here on many draws.
"""

from __future__ import annotations

import numpy as np
import pytest

from course_lib.grading.cases import DATASETS

ELONGATED = {"kind": "elongated", "n_train": 200, "n_test": 100, "long": 6.0, "short": 0.5, "along": 6.0,
             "across": 3.0, "log_scale": 0.5, "diagonal": True}
XOR = {"kind": "xor", "n_train": 200, "n_test": 100, "separation": 2.5, "spread": 1.0, "log_scale": 0.5}


def _standardised(d):
    mu, sd = d["X_train"].mean(axis=0), d["X_train"].std(axis=0)
    return (d["X_train"] - mu) / sd, (d["X_test"] - mu) / sd


def _nearest_centroid(d) -> float:
    A, B = _standardised(d)
    classes = np.unique(d["y_train"])
    means = np.stack([A[d["y_train"] == c].mean(axis=0) for c in classes])
    pred = classes[((B[:, None] - means[None]) ** 2).sum(axis=-1).argmin(axis=1)]
    return float(np.mean(pred == d["y_test"]))


def _least_squares_linear(d) -> float:
    A, B = _standardised(d)
    w = np.linalg.lstsq(np.c_[np.ones(len(A)), A], 2.0 * d["y_train"] - 1.0, rcond=None)[0]
    return float(np.mean((np.c_[np.ones(len(B)), B] @ w > 0) == d["y_test"]))


def _draw(params, seed):
    return DATASETS[params["kind"]](params, np.random.default_rng(seed))


@pytest.mark.parametrize("params", [ELONGATED, XOR], ids=["elongated", "xor"])
def test_shapes_labels_and_determinism(params) -> None:
    d = _draw(params, 3)
    assert d["X_train"].shape == (200, 2) and d["X_test"].shape == (100, 2)
    assert set(np.unique(d["y_train"])) == {0, 1} and d["y_test"].shape == (100,)
    again = _draw(params, 3)
    assert all(np.array_equal(d[k], again[k]) for k in d)


def test_elongated_needs_a_trained_boundary() -> None:
    draws = [_draw(ELONGATED, seed) for seed in range(30)]
    assert max(_nearest_centroid(d) for d in draws) < 0.9
    assert min(_least_squares_linear(d) for d in draws) >= 0.95


def test_xor_needs_a_hidden_layer() -> None:
    draws = [_draw(XOR, seed) for seed in range(30)]
    assert max(_nearest_centroid(d) for d in draws) < 0.75
    assert max(_least_squares_linear(d) for d in draws) < 0.8
    # ... while the labels follow the blobs: a 5-nearest-neighbour vote gets them right.
    for d in draws[:5]:
        A, B = _standardised(d)
        near = np.argsort(((B[:, None] - A[None]) ** 2).sum(axis=-1), axis=1)[:, :5]
        assert np.mean((d["y_train"][near].mean(axis=1) > 0.5) == d["y_test"]) >= 0.9
