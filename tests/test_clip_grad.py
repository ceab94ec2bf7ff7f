"""Tests for course_lib.optim's gradient clipping (clip_grad_norm_, clip_grad_value_, grad_norms).

PyTorch's numbers for the same gradients are compared in test_reference.py.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from course_lib import autodiff, layers
from course_lib.optim import clip_grad_norm_, clip_grad_value_, grad_norms


class P:
    def __init__(self, grad):
        self.grad = None if grad is None else np.array(grad, dtype=float)
        self.data = np.zeros(np.shape(grad) if grad is not None else (2,))


def _params(rng, scale=5.0):
    return [P(rng.normal(size=(4, 3)) * scale), P(rng.normal(size=7) * scale), P(None)]


def _total(params, p=2.0):
    flat = np.concatenate([q.grad.ravel() for q in params if q.grad is not None])
    return float(np.linalg.norm(flat, ord=p))


@pytest.mark.parametrize("norm_type", [1.0, 2.0, 3.0, math.inf, "inf"])
def test_returns_the_total_norm_and_scales_every_gradient_by_one_factor(norm_type, rng):
    params = _params(rng)
    before = [q.grad.copy() for q in params[:2]]
    p = float(norm_type)
    want = _total(params, p)  # the norm of all gradients as one vector
    total = clip_grad_norm_(params, max_norm=1.0, norm_type=norm_type)
    assert isinstance(total, float) and total == pytest.approx(want, rel=1e-12)
    coef = 1.0 / (want + 1e-6)
    for q, g in zip(params[:2], before, strict=True):
        np.testing.assert_allclose(q.grad, g * coef, rtol=1e-12)  # same direction, shorter
    assert _total(params, p) <= 1.0 and params[2].grad is None


def test_small_gradients_are_left_as_they_are(rng):
    params = _params(rng, scale=0.01)
    before = [q.grad for q in params[:2]]
    clip_grad_norm_(params, max_norm=10.0)
    for q, g in zip(params[:2], before, strict=True):
        assert q.grad is g


def test_the_caller_s_gradient_arrays_are_never_written_into(rng):
    shared = rng.normal(size=5) * 10
    a, b = P(shared), P(shared)
    a.grad = b.grad = shared  # one array behind two parameters, as an autodiff graph may share
    copy = shared.copy()
    clip_grad_norm_([a, b], max_norm=1.0)
    clip_grad_value_([a, b], 0.1)
    np.testing.assert_array_equal(shared, copy)
    np.testing.assert_allclose(a.grad, b.grad)


def test_total_clipping_is_not_per_parameter_clipping():
    # The classic mistake clips each gradient to max_norm on its own: the total
    # then exceeds max_norm and the direction changes.
    params = [P([3.0, 4.0]), P([0.3, 0.4])]
    clip_grad_norm_(params, max_norm=1.0)
    per_param = [np.array([3.0, 4.0]) / 5.0, np.array([0.3, 0.4]) / 0.5]
    assert _total(params) <= 1.0 < float(np.linalg.norm(np.concatenate(per_param)))
    np.testing.assert_allclose(params[0].grad / params[1].grad, 10.0)  # the ratio is kept


def test_works_on_layers_parameters_and_autodiff_tensors(rng):
    lin = layers.Linear(3, 2, rng=rng)
    lin.forward(rng.normal(size=(4, 3)))
    lin.backward(rng.normal(size=(4, 2)) * 100)
    total = clip_grad_norm_(lin.parameters(), 1.0)
    assert total > 1.0 and _total(lin.parameters()) <= 1.0
    w = autodiff.Tensor(rng.normal(size=(3,)), requires_grad=True)
    ((w * w).sum() * 50.0).backward()
    assert clip_grad_norm_(w, 0.5) > 0.5  # one parameter alone is fine too
    assert np.linalg.norm(w.grad) <= 0.5


def test_float32_gradients_stay_float32(rng):
    p = P(rng.normal(size=6).astype(np.float32) * 10)
    p.grad = p.grad.astype(np.float32)
    clip_grad_norm_([p], 1.0)
    assert p.grad.dtype == np.float32
    clip_grad_value_([p], 0.1)
    assert p.grad.dtype == np.float32


def test_no_gradients_gives_zero():
    assert clip_grad_norm_([P(None), P(None)], 1.0) == 0.0


def test_non_finite_total_norm():
    p = P([1.0, math.inf])
    with pytest.raises(RuntimeError, match="non-finite"):
        clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
    assert clip_grad_norm_([p], 1.0) == math.inf  # scaled by 1/inf anyway, as PyTorch does
    assert p.grad[0] == 0.0


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda ps: clip_grad_norm_(ps, -1.0), ValueError, "Invalid max_norm: -1.0"),
        (lambda ps: clip_grad_norm_(ps, math.nan), ValueError, "Invalid max_norm"),
        (lambda ps: clip_grad_norm_(ps, 1.0, norm_type=0), ValueError, "Invalid norm_type: 0"),
        (lambda ps: clip_grad_norm_(ps, 1.0, norm_type="two"), ValueError, "Invalid norm_type"),
        (lambda ps: clip_grad_value_(ps, -0.5), ValueError, "Invalid clip_value: -0.5"),
        (lambda ps: clip_grad_norm_(np.ones(3), 1.0), TypeError, "iterable of parameters"),
        (lambda ps: clip_grad_norm_([ps[0], np.ones(3)], 1.0), TypeError, "parameter 1 must have"),
        (lambda ps: grad_norms([ps[0], 3.0]), TypeError, "parameter 1 must have"),
    ],
)
def test_bad_arguments_raise(call, error, match, rng):
    with pytest.raises(error, match=match):
        call(_params(rng))


def test_gradient_of_the_wrong_shape_raises():
    p = P([1.0, 2.0])
    p.data = np.zeros(3)
    with pytest.raises(ValueError, match=r"gradient shape \(2,\) does not match parameter shape \(3,\)"):
        clip_grad_norm_([p], 1.0)


def test_clip_grad_value_clamps_each_entry(rng):
    params = _params(rng)
    before = [q.grad.copy() for q in params[:2]]
    clip_grad_value_(params, 0.5)
    for q, g in zip(params[:2], before, strict=True):
        np.testing.assert_array_equal(q.grad, np.minimum(np.maximum(g, -0.5), 0.5))
    assert params[2].grad is None


def test_grad_norms_per_parameter(rng):
    params = _params(rng)
    norms = grad_norms(params)
    np.testing.assert_allclose(norms[:2], [np.linalg.norm(q.grad) for q in params[:2]], rtol=1e-14)
    assert math.isnan(norms[2])
    np.testing.assert_allclose(grad_norms(params, math.inf)[:2], [abs(q.grad).max() for q in params[:2]])


_grads = hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=3, max_side=5),
                    elements=st.floats(-1e6, 1e6, allow_nan=False))  # fmt: skip


@given(grads=st.lists(_grads, min_size=1, max_size=4), max_norm=st.floats(0.0, 100.0),
       norm_type=st.sampled_from([1.0, 2.0, 3.0, math.inf]))
def test_clipped_total_norm_never_exceeds_max_norm(grads, max_norm, norm_type):
    params = [P(g) for g in grads]
    before = _total(params, norm_type)
    total = clip_grad_norm_(params, max_norm, norm_type)
    assert total == pytest.approx(before, rel=1e-9, abs=1e-300)
    assert _total(params, norm_type) <= max_norm * (1 + 1e-12)


@given(grads=st.lists(_grads, min_size=1, max_size=4), clip=st.floats(0.0, 10.0))
def test_clip_value_bounds_every_entry(grads, clip):
    params = [P(g) for g in grads]
    clip_grad_value_(params, clip)
    assert all(np.all(np.abs(q.grad) <= clip) for q in params)
