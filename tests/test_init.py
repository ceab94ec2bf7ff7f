"""Tests for course_lib.layers.init, and the pin that Linear still draws the weights it drew before.

The chapter notebooks are committed with their outputs: ``Linear`` and ``mlp``
must give bit-identical weights for the same rng as the code before
``layers.init`` existed. That code drew, for each layer in turn,
``rng.standard_normal((out, in)) * std`` with ``std = np.sqrt(2.0 / in)``
("he"), ``np.sqrt(2.0 / (in + out))`` ("xavier") or ``0.01`` ("normal").
PyTorch's fans and gains are compared in test_reference.py.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from course_lib import autodiff
from course_lib.layers import BatchNorm1d, Dropout, Linear, Parameter, init, mlp

OLD_STD = {
    "he": lambda n_in, n_out: np.sqrt(2.0 / n_in),
    "xavier": lambda n_in, n_out: np.sqrt(2.0 / (n_in + n_out)),
    "normal": lambda n_in, n_out: 0.01,
}


def old_linear_weight(gen, n_in, n_out, kind):
    return gen.standard_normal((n_out, n_in)) * OLD_STD[kind](n_in, n_out)


@pytest.mark.parametrize("kind", ["he", "xavier", "normal"])
@pytest.mark.parametrize("n_in, n_out", [(1, 1), (2, 1), (64, 10), (3, 128), (100, 37), (7, 7)])
@pytest.mark.parametrize("seed", [0, 1, 12345])
def test_linear_draws_exactly_the_weights_it_drew_before(kind, n_in, n_out, seed):
    new = Linear(n_in, n_out, init=kind, rng=seed).weight.data
    old = old_linear_weight(np.random.default_rng(seed), n_in, n_out, kind)
    assert new.dtype == old.dtype and new.tobytes() == old.tobytes()  # bit for bit


@pytest.mark.parametrize("kind", ["he", "xavier", "normal"])
@pytest.mark.parametrize(
    "kw", [{}, {"batchnorm": True}, {"dropout": 0.2}, {"batchnorm": True, "dropout": 0.5}]
)
def test_mlp_draws_exactly_the_weights_it_drew_before(kind, kw):
    sizes = (64, 32, 16, 10)
    net = mlp(sizes, init=kind, rng=3, **kw)
    gen = np.random.default_rng(3)
    linears = [m for m in net if isinstance(m, Linear)]
    for lin, n_in, n_out in zip(linears, sizes[:-1], sizes[1:], strict=True):
        assert lin.weight.data.tobytes() == old_linear_weight(gen, n_in, n_out, kind).tobytes()
        if lin.bias is not None:
            assert not lin.bias.data.any()
    drop = [m for m in net if isinstance(m, Dropout)]
    assert all(d.rng is drop[0].rng for d in drop)  # the masks still share the generator
    assert any(isinstance(m, BatchNorm1d) for m in net) == bool(kw.get("batchnorm"))


# ----------------------------------------------------------------- fans, gains


def test_fans_of_a_linear_weight_and_a_convolution_kernel():
    assert init.fan_in_and_fan_out(np.empty((5, 3))) == (3, 5)  # (out, in): fan_in = in
    assert init.fan_in_and_fan_out(Parameter(np.empty((8, 4, 3, 3)))) == (36, 72)
    with pytest.raises(ValueError, match="fewer than 2 dimensions; got shape \\(5,\\)"):
        init.fan_in_and_fan_out(np.empty(5))


def test_gains_follow_their_formulas():
    assert init.calculate_gain("relu") == math.sqrt(2.0)
    assert init.calculate_gain("tanh") == 5.0 / 3
    assert init.calculate_gain("leaky_relu", 0.2) == math.sqrt(2.0 / (1 + 0.2**2))
    assert init.calculate_gain("leaky_relu") == math.sqrt(2.0 / (1 + 0.01**2))
    assert init.calculate_gain("sigmoid") == init.calculate_gain("linear") == 1.0
    assert init.calculate_gain("selu") == 0.75


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: init.calculate_gain("gelu"), ValueError, "Unsupported nonlinearity 'gelu'"),
        (lambda: init.calculate_gain("leaky_relu", True), ValueError, "not a valid number"),
        (lambda: init.calculate_gain("leaky_relu", "0.1"), ValueError, "not a valid number"),
        (lambda: init.kaiming_normal_(np.empty((3, 2)), mode="fan_avg", rng=0), ValueError,
         "Mode 'fan_avg' not supported"),
        (lambda: init.xavier_uniform_(np.empty(4), rng=0), ValueError, "fewer than 2 dimensions"),
        (lambda: init.zeros_(np.zeros(3, dtype=int)), TypeError, "must hold floats"),
        (lambda: init.ones_([1.0, 2.0]), TypeError, "numpy array or have a numpy .data"),
        (lambda: init.normal_(np.empty(3), std=-1.0, rng=0), ValueError, "Invalid std"),
        (lambda: init.uniform_(np.empty(3), 1.0, 0.0, rng=0), ValueError, "a <= b"),
        (lambda: init.kaiming_uniform_(np.empty((3, 2))), TypeError, "rng"),  # rng is required
    ],
)
def test_bad_arguments_raise(call, error, match):
    with pytest.raises(error, match=match):
        call()


# --------------------------------------------------------- in place, returned


@pytest.mark.parametrize("make", [lambda a: a, Parameter, lambda a: autodiff.Tensor(a, requires_grad=True)],
                         ids=["ndarray", "Parameter", "Tensor"])
def test_fills_in_place_and_returns_its_argument(make):
    target = make(np.empty((6, 4)))
    arr = target if isinstance(target, np.ndarray) else target.data
    assert init.kaiming_uniform_(target, rng=0) is target
    assert (target if isinstance(target, np.ndarray) else target.data) is arr and arr.any()
    assert init.zeros_(target) is target and not arr.any()
    assert init.ones_(target) is target and np.all(arr == 1)
    assert init.constant_(target, 0.3) is target and np.all(arr == 0.3)


def test_float32_stays_float32_and_seeds_reproduce():
    a = init.xavier_normal_(np.empty((20, 10), dtype=np.float32), rng=5)
    b = init.xavier_normal_(np.empty((20, 10), dtype=np.float32), rng=5)
    assert a.dtype == np.float32
    np.testing.assert_array_equal(a, b)
    gen = np.random.default_rng(5)
    assert not np.array_equal(init.normal_(np.empty(5), rng=gen), init.normal_(np.empty(5), rng=gen))


# --------------------------------------------------------------- distributions

SHAPE = (300, 500)  # fan_in 500, fan_out 300; 150,000 draws


@pytest.mark.parametrize(
    "fill, std",
    [
        (lambda w: init.kaiming_normal_(w, nonlinearity="relu", rng=0), math.sqrt(2 / 500)),
        (lambda w: init.kaiming_normal_(w, mode="fan_out", rng=1), math.sqrt(2 / 300)),
        (lambda w: init.kaiming_uniform_(w, a=math.sqrt(5), rng=2), math.sqrt(2 / 6 / 500)),
        (lambda w: init.kaiming_uniform_(w, nonlinearity="tanh", rng=3), 5 / 3 / math.sqrt(500)),
        (lambda w: init.xavier_normal_(w, rng=4), math.sqrt(2 / 800)),
        (lambda w: init.xavier_uniform_(w, gain=2.0, rng=5), 2 * math.sqrt(2 / 800)),
        (lambda w: init.normal_(w, mean=1.0, std=0.5, rng=6), 0.5),
        (lambda w: init.uniform_(w, -2.0, 2.0, rng=7), 2 / math.sqrt(3)),
    ],
)
def test_draws_have_the_documented_spread(fill, std):
    w = fill(np.empty(SHAPE))
    # sample std: relative standard error 1/sqrt(2N) ~ 0.18%; the mean: std/sqrt(N) ~ 0.26% of std.
    assert abs(w.std() / std - 1) < 0.01
    assert abs(w.mean() - round(w.mean())) < 0.02 * std  # 0 (or the requested mean 1)


def test_uniform_draws_fill_their_bound():
    w = init.kaiming_uniform_(np.empty(SHAPE), nonlinearity="relu", rng=0)
    bound = math.sqrt(3) * math.sqrt(2 / 500)
    assert np.abs(w).max() <= bound and np.abs(w).max() > bound * (1 - 1e-3)


@given(n_in=st.integers(1, 50), n_out=st.integers(1, 50), seed=st.integers(0, 2**16))
def test_kaiming_relu_variance_is_exactly_two_over_fan_in(n_in, n_out, seed):
    w = init.kaiming_normal_(np.empty((n_out, n_in)), nonlinearity="relu", rng=seed)
    z = np.random.default_rng(seed).standard_normal((n_out, n_in))
    np.testing.assert_array_equal(w, z * np.sqrt(2.0 / n_in))
