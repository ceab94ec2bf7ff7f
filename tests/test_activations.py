import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

from course_lib import activations as A
from course_lib.gradcheck import numerical_gradient, relative_error

FLOATS = st.floats(-50, 50, allow_nan=False, width=64)
EXTREME = np.array([-1e3, -745.0, -100.0, -1.0, -1e-8, 0.0, 1e-8, 1.0, 100.0, 745.0, 1e3])

PAIRS = [
    (A.sigmoid, A.sigmoid_grad),
    (A.tanh, A.tanh_grad),
    (A.relu, A.relu_grad),
    (A.leaky_relu, A.leaky_relu_grad),
    (lambda z: A.leaky_relu(z, 0.2), lambda z: A.leaky_relu_grad(z, 0.2)),
]


@pytest.mark.parametrize("f, f_grad", PAIRS)
def test_derivative_matches_central_differences(f, f_grad, rng):
    z = rng.normal(size=(6, 5)) * 3
    z = z[np.abs(z) > 1e-3].reshape(-1)  # keep away from the kink of relu / leaky relu
    # d/dz sum(f(z) * w) = f'(z) * w for a random weighting w
    w = rng.normal(size=z.shape)
    numeric = numerical_gradient(lambda x: np.sum(f(x) * w), z)
    assert relative_error(f_grad(z) * w, numeric) < 1e-7


@pytest.mark.parametrize("f, f_grad", PAIRS)
def test_stable_at_extreme_inputs(f, f_grad):
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        for out in (f(EXTREME), f_grad(EXTREME)):
            assert np.all(np.isfinite(out))


def test_softmax_family_stable_at_extremes():
    z = np.stack([EXTREME, -EXTREME, np.full_like(EXTREME, 1e3)])
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        s, ls, lse = A.softmax(z), A.log_softmax(z), A.logsumexp(z)
    assert np.all(np.isfinite(s)) and np.all(np.isfinite(ls)) and np.all(np.isfinite(lse))
    np.testing.assert_allclose(s.sum(axis=-1), 1.0)
    np.testing.assert_allclose(np.exp(ls), s, atol=1e-300)
    # equal logits give a uniform distribution even when they are huge
    np.testing.assert_allclose(s[2], 1 / z.shape[1])


def test_relu_grad_is_zero_at_zero_like_pytorch():
    assert A.relu_grad(np.array([0.0]))[0] == 0.0
    assert A.leaky_relu_grad(np.array([0.0]), 0.1)[0] == pytest.approx(0.1)


def test_sigmoid_reference_values():
    # exact values of 1/(1+e^{-z}) computed by numpy in long form, where it does not overflow
    z = np.linspace(-30, 30, 61)
    np.testing.assert_allclose(A.sigmoid(z), 1 / (1 + np.exp(-z)), rtol=1e-15)
    np.testing.assert_allclose(A.tanh(z), np.tanh(z))


@given(arrays(np.float64, array_shapes(max_dims=3, max_side=5), elements=FLOATS))
def test_sigmoid_symmetry_and_tanh_relation(z):
    np.testing.assert_allclose(A.sigmoid(-z), 1 - A.sigmoid(z), atol=1e-15)
    np.testing.assert_allclose(A.tanh(z), 2 * A.sigmoid(2 * z) - 1, atol=1e-14)
    assert A.sigmoid(z).shape == z.shape


@given(arrays(np.float64, array_shapes(min_dims=1, max_dims=3, max_side=5), elements=FLOATS))
def test_softmax_rows_sum_to_one_and_shift_invariant(z):
    for axis in range(-z.ndim, z.ndim):
        s = A.softmax(z, axis=axis)
        assert s.shape == z.shape
        assert np.all(s >= 0)
        np.testing.assert_allclose(s.sum(axis=axis), 1.0, rtol=1e-12)
        np.testing.assert_allclose(A.softmax(z + 7.5, axis=axis), s, rtol=1e-9, atol=1e-15)
        np.testing.assert_allclose(
            A.log_softmax(z, axis=axis), np.log(np.maximum(s, 1e-300)), rtol=1e-9, atol=1e-9
        )


def test_softmax_axis_matters():
    z = np.array([[1.0, 2.0, 3.0], [1.0, 1.0, 1.0]])
    np.testing.assert_allclose(A.softmax(z).sum(axis=1), 1.0)
    assert not np.allclose(A.softmax(z, axis=0), A.softmax(z, axis=1))


@pytest.mark.parametrize(
    "f", [A.sigmoid, A.tanh, A.relu, A.leaky_relu, A.softmax, A.log_softmax, A.sigmoid_grad,
          A.tanh_grad, A.relu_grad, A.leaky_relu_grad]
)
def test_float32_preserved(f):
    z = np.linspace(-5, 5, 12, dtype=np.float32).reshape(3, 4)
    assert f(z).dtype == np.float32


def test_ints_are_promoted_to_float64():
    assert A.sigmoid([0, 1, 2]).dtype == np.float64


def test_bad_inputs_raise_clear_errors():
    with pytest.raises(TypeError, match="dtype"):
        A.relu(np.array(["a", "b"]))
    with pytest.raises(ValueError, match="axis=2"):
        A.softmax(np.zeros((2, 3)), axis=2)
    with pytest.raises(ValueError, match="negative_slope"):
        A.leaky_relu(np.zeros(3), negative_slope=-1)
