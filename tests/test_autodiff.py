"""Tests for course_lib.autodiff: every op against central differences, plus the engine's contracts."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from course_lib import activations, losses
from course_lib.autodiff import (
    Tensor,
    cross_entropy,
    is_grad_enabled,
    log_softmax,
    mse_loss,
    no_grad,
    relu,
    sigmoid,
    tanh,
    trace,
)
from course_lib.gradcheck import numerical_gradient, relative_error

TOL = 1e-7


def _rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def _away_from_zero(shape, rng, margin=0.2):
    """Values with |x| >= margin: safe for relu (kink at 0) and for division."""
    x = rng.standard_normal(shape)
    return np.sign(x + (x == 0)) * (margin + np.abs(x))


def _positive(shape, rng):
    return 0.5 + rng.random(shape)


def _assert_grads_match(fn, *arrays, seed=1):
    """Backprop ``sum(w * fn(*inputs))`` (random fixed ``w``) and compare every input's grad.

    A random weighting tests the full vector-Jacobian product, not only its sum
    over outputs (a plain ``.sum()`` would hide, e.g., a missing transpose).
    """
    tensors = [Tensor(a, requires_grad=True) for a in arrays]
    out = fn(*tensors)
    w = _rng(seed).standard_normal(out.shape)
    (out * w).sum().backward()

    for i, t in enumerate(tensors):

        def f(x, i=i):
            args = [Tensor(x if j == i else a) for j, a in enumerate(arrays)]
            return float(np.sum(fn(*args).data * w))

        expected = numerical_gradient(f, arrays[i])
        assert t.grad is not None and t.grad.shape == t.shape
        err = relative_error(t.grad, expected)
        assert err < TOL, f"input {i}: relative error {err:.2e}"


# --- every op against central differences ---------------------------------------

R = _rng(42)
A34, B34 = R.standard_normal((3, 4)), R.standard_normal((3, 4))

BINARY_CASES = {
    "add": (lambda a, b: a + b, A34, B34),
    "add (n,m)+(m,)": (lambda a, b: a + b, A34, R.standard_normal(4)),
    "add (n,1)+(1,m)": (lambda a, b: a + b, R.standard_normal((3, 1)), R.standard_normal((1, 4))),
    "add scalar tensor": (lambda a, b: a + b, A34, np.array(0.7)),
    "sub": (lambda a, b: a - b, A34, B34),
    "sub (m,)-(n,m)": (lambda a, b: a - b, R.standard_normal(4), B34),
    "mul": (lambda a, b: a * b, A34, B34),
    "mul (n,1)*(1,m)": (lambda a, b: a * b, R.standard_normal((3, 1)), R.standard_normal((1, 4))),
    "mul (n,m)*()": (lambda a, b: a * b, A34, np.array(1.3)),
    "div": (lambda a, b: a / b, A34, _away_from_zero((3, 4), R)),
    "div (n,m)/(n,1)": (lambda a, b: a / b, A34, _away_from_zero((3, 1), R)),
    "matmul 2-D @ 2-D": (lambda a, b: a @ b, A34, R.standard_normal((4, 2))),
    "matmul 1-D @ 2-D": (lambda a, b: a @ b, R.standard_normal(3), A34),
    "matmul 2-D @ 1-D": (lambda a, b: a @ b, A34, R.standard_normal(4)),
    "matmul 1-D @ 1-D": (lambda a, b: a @ b, R.standard_normal(4), R.standard_normal(4)),
}


@pytest.mark.parametrize("name", list(BINARY_CASES))
def test_binary_op_gradients(name):
    fn, a, b = BINARY_CASES[name]
    _assert_grads_match(fn, a, b)


C = np.array([[1.5, -0.5, 2.0, 0.25]])  # a constant operand, (1, 4)
UNARY_CASES = {
    "neg": (lambda x: -x, A34),
    "pow 2": (lambda x: x**2, A34),
    "pow 3": (lambda x: x**3, A34),
    "pow 0.5": (lambda x: x**0.5, _positive((3, 4), R)),
    "pow -1": (lambda x: x**-1, _away_from_zero((3, 4), R)),
    "rpow 2**x": (lambda x: 2.0**x, A34),
    "exp": (lambda x: x.exp(), A34),
    "log": (lambda x: x.log(), _positive((3, 4), R)),
    "relu": (lambda x: x.relu(), _away_from_zero((3, 4), R)),
    "sigmoid": (lambda x: x.sigmoid(), 3 * A34),
    "tanh": (lambda x: x.tanh(), A34),
    "log_softmax axis=-1": (lambda x: x.log_softmax(), 3 * A34),
    "log_softmax axis=0": (lambda x: x.log_softmax(axis=0), 3 * A34),
    "relu()": (relu, _away_from_zero((3, 4), R)),
    "sigmoid()": (sigmoid, A34),
    "tanh()": (tanh, A34),
    "log_softmax()": (log_softmax, A34),
    "scalar + x": (lambda x: 2.5 + x, A34),
    "scalar - x": (lambda x: 2.5 - x, A34),
    "x - scalar": (lambda x: x - 2.5, A34),
    "scalar * x": (lambda x: 2.5 * x, A34),
    "scalar / x": (lambda x: 2.5 / x, _away_from_zero((3, 4), R)),
    "x / scalar": (lambda x: x / 2.5, A34),
    "ndarray + x": (lambda x: C + x, A34),
    "ndarray - x": (lambda x: C - x, A34),
    "ndarray * x": (lambda x: C * x, A34),
    "ndarray / x": (lambda x: C / x, _away_from_zero((3, 4), R)),
    "ndarray @ x": (lambda x: C[:, :3] @ x, A34),
    "x @ ndarray": (lambda x: x @ C.T, A34),
    "sum": (lambda x: x.sum(), A34),
    "sum axis=0": (lambda x: x.sum(axis=0), A34),
    "sum axis=1 keepdims": (lambda x: x.sum(axis=1, keepdims=True), A34),
    "sum axis=-1": (lambda x: x.sum(axis=-1), A34),
    "sum keepdims": (lambda x: x.sum(keepdims=True), A34),
    "sum axis=(0, 2) 3-D": (lambda x: x.sum(axis=(0, 2)), R.standard_normal((2, 3, 4))),
    "sum axis=[0, 1] keepdims": (lambda x: x.sum(axis=[0, 1], keepdims=True), A34),
    "mean": (lambda x: x.mean(), A34),
    "mean axis=0": (lambda x: x.mean(axis=0), A34),
    "mean axis=1 keepdims": (lambda x: x.mean(axis=1, keepdims=True), A34),
    "mean axis=(1, 2) 3-D": (lambda x: x.mean(axis=(1, 2)), R.standard_normal((2, 3, 4))),
    "reshape": (lambda x: x.reshape(2, 6), A34),
    "reshape tuple": (lambda x: x.reshape((4, 3)), A34),
    "reshape -1": (lambda x: x.reshape(-1), A34),
    "T": (lambda x: x.T, A34),
    "transpose 3-D": (lambda x: x.transpose(1, 2, 0), R.standard_normal((2, 3, 4))),
    "transpose negative axes": (lambda x: x.transpose((-1, 0, 1)), R.standard_normal((2, 3, 4))),
    "transpose()": (lambda x: x.transpose(), R.standard_normal((2, 3, 4))),
    "composite": (lambda x: ((x * x).exp() / (1 + x.sigmoid())).log().sum(axis=0), A34),
}


@pytest.mark.parametrize("name", list(UNARY_CASES))
def test_unary_op_gradients(name):
    fn, x = UNARY_CASES[name]
    _assert_grads_match(fn, x)


@pytest.mark.parametrize("kind", ["labels", "one-hot", "probabilities"])
def test_cross_entropy_gradient_matches_numerical(kind):
    rng = _rng(3)
    z = 2 * rng.standard_normal((5, 4))
    labels = rng.integers(0, 4, 5)
    target = {
        "labels": labels,
        "one-hot": np.eye(4)[labels],
        "probabilities": activations.softmax(rng.standard_normal((5, 4))),
    }[kind]
    logits = Tensor(z, requires_grad=True)
    cross_entropy(logits, target).backward()
    expected = numerical_gradient(lambda x: cross_entropy(Tensor(x), target).item(), z)
    assert relative_error(logits.grad, expected) < TOL


def test_mse_loss_gradient_matches_numerical():
    rng = _rng(4)
    pred, target = rng.standard_normal((6, 2)), rng.standard_normal((6, 2))
    _assert_grads_match(lambda p, t: mse_loss(p, t), pred, target)


def test_two_layer_mlp_parameter_gradients():
    rng = _rng(5)
    x, y = rng.standard_normal((6, 4)), rng.integers(0, 3, 6)
    init = {
        "W1": rng.standard_normal((4, 5)),
        "b1": rng.standard_normal(5),
        "W2": rng.standard_normal((5, 3)),
        "b2": rng.standard_normal(3),
    }

    def loss_fn(p):
        hidden = (x @ p["W1"] + p["b1"]).tanh()
        return cross_entropy(hidden @ p["W2"] + p["b2"], y)

    params = {k: Tensor(v, requires_grad=True) for k, v in init.items()}
    loss_fn(params).backward()
    for name in init:

        def f(w, name=name):
            return loss_fn({k: Tensor(w if k == name else v) for k, v in init.items()}).item()

        err = relative_error(params[name].grad, numerical_gradient(f, init[name]))
        assert err < TOL, f"{name}: relative error {err:.2e}"


def test_relu_mlp_matches_hand_written_backprop():
    """The engine reproduces the chapter's hand-derived backward pass line by line."""
    rng = _rng(6)
    x, y = rng.standard_normal((8, 4)), rng.integers(0, 3, 8)
    W1, b1, W2, b2 = (rng.standard_normal(s) for s in [(4, 5), (5,), (5, 3), (3,)])
    params = [Tensor(a, requires_grad=True) for a in (W1, b1, W2, b2)]
    z1 = x @ params[0] + params[1]
    loss = cross_entropy(z1.relu() @ params[2] + params[3], y)
    loss.backward()

    h_pre = x @ W1 + b1
    h = np.maximum(h_pre, 0)
    dz2 = losses.cross_entropy_grad(h @ W2 + b2, y)
    dh_pre = (dz2 @ W2.T) * (h_pre > 0)
    expected = [x.T @ dh_pre, dh_pre.sum(axis=0), h.T @ dz2, dz2.sum(axis=0)]
    for p, g in zip(params, expected, strict=True):
        np.testing.assert_allclose(p.grad, g, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(z1.grad, dh_pre, rtol=1e-12, atol=1e-14)  # intermediate kept


# --- accumulation and the engine's contracts ------------------------------------


def test_reuse_accumulates_x_times_x():
    x0 = _rng(7).standard_normal((2, 3))
    x = Tensor(x0, requires_grad=True)
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad, 2 * x0)


def test_node_used_twice_gets_summed_gradient():
    x0 = _rng(8).standard_normal(5)
    x = Tensor(x0, requires_grad=True)
    y = x.exp()
    (y * y + y).sum().backward()  # d/dx (e^{2x} + e^x)
    np.testing.assert_allclose(x.grad, 2 * np.exp(2 * x0) + np.exp(x0), rtol=1e-12)
    np.testing.assert_allclose(y.grad, 2 * np.exp(x0) + 1, rtol=1e-12)
    _assert_grads_match(lambda t: (t.exp() * t.exp() + t.exp()) * t, x0)


def test_backward_twice_accumulates_without_double_counting():
    x0 = _rng(9).standard_normal(4)
    x = Tensor(x0, requires_grad=True)
    y = x * x
    z = (y * 3.0).sum()
    z.backward()
    once_x, once_y = x.grad.copy(), y.grad.copy()
    z.backward()
    np.testing.assert_allclose(x.grad, 2 * once_x)  # not 3x: intermediates don't re-propagate
    np.testing.assert_allclose(y.grad, 2 * once_y)


def test_every_node_keeps_its_grad_and_constants_get_none():
    x = Tensor([1.0, 2.0], requires_grad=True)
    c = Tensor([3.0, 4.0])
    unused = Tensor([5.0], requires_grad=True)
    h = x * c
    out = h.sum()
    assert x.grad is None and h.grad is None
    out.backward()
    np.testing.assert_array_equal(out.grad, 1.0)
    np.testing.assert_array_equal(h.grad, [1.0, 1.0])
    np.testing.assert_array_equal(x.grad, [3.0, 4.0])
    assert c.grad is None and unused.grad is None


def test_backward_needs_grad_for_non_scalar_outputs():
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    y = x * 2.0
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
        y.backward()
    g = _rng(10).standard_normal((2, 3))
    y.backward(g)
    np.testing.assert_allclose(x.grad, 2 * g)
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(3, 2\)"):
        y.backward(np.ones((3, 2)))


def test_backward_on_size_one_tensor_and_on_constant():
    x = Tensor([[2.0]], requires_grad=True)
    (x * x).backward()
    np.testing.assert_allclose(x.grad, [[4.0]])
    with pytest.raises(RuntimeError, match="does not require grad"):
        (Tensor([1.0]) * 2.0).backward()


def test_relu_derivative_at_zero_is_zero_as_in_pytorch():
    x = Tensor([-1.0, 0.0, 2.0], requires_grad=True)
    x.relu().sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0, 1.0])


def test_backward_does_not_alias_the_callers_grad():
    x = Tensor(np.ones(3), requires_grad=True)
    g = np.array([1.0, 2.0, 3.0])
    (x + 0.0).backward(g)
    g[:] = 0.0
    np.testing.assert_array_equal(x.grad, [1.0, 2.0, 3.0])


def test_long_chain_does_not_hit_the_recursion_limit():
    x = Tensor(1.0, requires_grad=True)
    y = x
    for _ in range(5000):
        y = y + 1.0
    y.backward()
    assert x.grad == 1.0 and y.item() == 5001.0


# --- shapes and errors --------------------------------------------------------


def test_matmul_shape_mismatch_names_both_shapes():
    a, b = Tensor(np.ones((2, 3))), Tensor(np.ones((4, 5)))
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(4, 5\)"):
        a @ b
    with pytest.raises(ValueError, match=r"\(2, 2, 2\)"):
        Tensor(np.ones((2, 2, 2))) @ Tensor(np.ones((2, 2)))


def test_elementwise_shape_mismatch_names_both_shapes():
    a, b = Tensor(np.ones((2, 3))), Tensor(np.ones(4))
    for op in (lambda: a + b, lambda: a - b, lambda: a * b, lambda: a / b):
        with pytest.raises(ValueError, match=r"\(2, 3\) and \(4,\)"):
            op()


def test_bad_arguments_raise():
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    with pytest.raises(TypeError, match="scalar exponent"):
        x ** Tensor(2.0)
    with pytest.raises(ValueError, match="out of range"):
        x.sum(axis=2)
    with pytest.raises(ValueError, match="not a permutation"):
        x.transpose(0, 0)
    with pytest.raises(TypeError, match="logits must be a Tensor"):
        cross_entropy(np.ones((2, 3)), [0, 1])
    with pytest.raises(ValueError, match="labels outside"):
        cross_entropy(x, [0, 3])
    with pytest.raises(ValueError, match=r"\(2, 1\).*\(2,\)"):
        mse_loss(Tensor(np.ones((2, 1))), np.ones(2))
    with pytest.raises(TypeError, match="dtype"):
        Tensor(["a", "b"])


# --- dtypes ---------------------------------------------------------------------


def test_float32_is_preserved_through_ops_and_grads():
    rng = _rng(11)
    x = Tensor(rng.standard_normal((4, 3)).astype(np.float32), requires_grad=True)
    W = Tensor(rng.standard_normal((3, 2)).astype(np.float32), requires_grad=True)
    b = Tensor(np.zeros(2, np.float32), requires_grad=True)
    z = (x @ W + b) * 2.0 - 1.0
    outs = [z, z / 3, z**2, -z, z.exp(), z.relu(), z.sigmoid(), z.tanh(), z.log_softmax(),
            z.sum(axis=0), z.mean(), z.reshape(8), z.T, 2.0**z]
    assert all(o.dtype == np.float32 for o in outs)
    loss = cross_entropy(z, [0, 1, 1, 0])
    assert loss.dtype == np.float32
    loss.backward()
    assert x.grad.dtype == W.grad.dtype == b.grad.dtype == np.float32


def test_ints_and_scalars_become_float64_and_grads_take_the_parameters_dtype():
    assert Tensor([1, 2, 3]).dtype == np.float64
    assert Tensor(3).dtype == np.float64 and Tensor(3).shape == ()
    W = Tensor(np.ones((3, 2), np.float32), requires_grad=True)
    (np.ones((4, 3)) @ W).sum().backward()  # float64 input: the product is float64...
    assert W.grad.dtype == np.float32  # ...but W's gradient matches W


# --- stability --------------------------------------------------------------------


def test_no_overflow_or_nan_at_large_logits():
    z0 = np.array([[1e3, -1e3, 0.0], [-1e3, -1e3, 1e3], [5e2, 1e3, -7e2]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for fn in (lambda z: z.sigmoid(), lambda z: z.tanh(), lambda z: z.log_softmax()):
            z = Tensor(z0, requires_grad=True)
            out = fn(z)
            out.backward(np.ones_like(z0))
            assert np.all(np.isfinite(out.data)) and np.all(np.isfinite(z.grad))
        z = Tensor(z0, requires_grad=True)
        loss = cross_entropy(z, [1, 0, 2])
        loss.backward()
        assert np.isfinite(loss.item()) and np.all(np.isfinite(z.grad))
        np.testing.assert_allclose(loss.item(), losses.cross_entropy(z0, [1, 0, 2]))
        np.testing.assert_allclose(z.grad, losses.cross_entropy_grad(z0, [1, 0, 2]))


# --- agreement with course_lib.losses / course_lib.activations ------------------------


def test_values_agree_with_losses_and_activations():
    rng = _rng(12)
    z0 = 3 * rng.standard_normal((7, 5))
    y = rng.integers(0, 5, 7)
    probs = activations.softmax(rng.standard_normal((7, 5)))
    for target in (y, probs):
        z = Tensor(z0, requires_grad=True)
        loss = cross_entropy(z, target)
        loss.backward()
        np.testing.assert_allclose(loss.item(), losses.cross_entropy(z0, target), rtol=1e-13)
        np.testing.assert_allclose(z.grad, losses.cross_entropy_grad(z0, target), rtol=1e-12)
    np.testing.assert_allclose(sigmoid(Tensor(z0)).data, activations.sigmoid(z0), rtol=1e-15)
    np.testing.assert_allclose(tanh(Tensor(z0)).data, activations.tanh(z0), rtol=1e-15)
    np.testing.assert_allclose(relu(Tensor(z0)).data, activations.relu(z0))
    np.testing.assert_allclose(
        log_softmax(Tensor(z0)).data, activations.log_softmax(z0), rtol=1e-13
    )
    t0 = rng.standard_normal((7, 5))
    pred = Tensor(z0, requires_grad=True)
    m = mse_loss(pred, t0)
    m.backward()
    np.testing.assert_allclose(m.item(), losses.mse(z0, t0), rtol=1e-13)
    np.testing.assert_allclose(pred.grad, losses.mse_grad(z0, t0), rtol=1e-12)


# --- hypothesis properties ----------------------------------------------------------

FINITE = st.floats(-10, 10, allow_nan=False, allow_subnormal=False)
BROADCAST_KINDS = ["same", "row (m,)", "row (1, m)", "column (n, 1)", "scalar ()"]


def _operand_shape(kind: str, n: int, m: int) -> tuple[int, ...]:
    return {"same": (n, m), "row (m,)": (m,), "row (1, m)": (1, m),
            "column (n, 1)": (n, 1), "scalar ()": ()}[kind]


def _reduce_like(g: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Independent re-implementation: sum the (n, m) upstream over the axes ``shape`` broadcasts."""
    padded = (1,) * (2 - len(shape)) + shape
    axes = tuple(i for i in range(2) if padded[i] == 1)
    return np.sum(g, axis=axes, keepdims=True).reshape(shape)


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(1, 5),
    m=st.integers(1, 5),
    kind=st.sampled_from(BROADCAST_KINDS),
    op=st.sampled_from(["add", "mul"]),
    seed=st.integers(0, 2**32 - 1),
)
def test_broadcast_gradient_is_the_summed_upstream(n, m, kind, op, seed):
    rng = _rng(seed)
    a0, b0 = rng.standard_normal((n, m)), rng.standard_normal(_operand_shape(kind, n, m))
    g = rng.standard_normal((n, m))
    a, b = Tensor(a0, requires_grad=True), Tensor(b0, requires_grad=True)
    (a + b if op == "add" else a * b).backward(g)
    upstream_b = g if op == "add" else g * a0
    upstream_a = g if op == "add" else g * np.broadcast_to(b0, (n, m))
    assert b.grad.shape == b0.shape and a.grad.shape == a0.shape
    np.testing.assert_allclose(b.grad, _reduce_like(upstream_b, b0.shape), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(a.grad, upstream_a, rtol=1e-12, atol=1e-12)


@settings(max_examples=60, deadline=None)
@given(x=hnp.arrays(np.float64, hnp.array_shapes(min_dims=0, max_dims=3, max_side=4), elements=FINITE))
def test_gradient_of_sum_is_ones_and_of_mean_is_one_over_n(x):
    t = Tensor(x, requires_grad=True)
    t.sum().backward()
    np.testing.assert_array_equal(t.grad, np.ones_like(x))
    t.grad = None
    t.mean().backward()
    np.testing.assert_allclose(t.grad, np.full_like(x, 1.0 / x.size))


@settings(max_examples=50, deadline=None)
@given(
    z=hnp.arrays(np.float64, st.tuples(st.integers(1, 6), st.integers(2, 5)),
                 elements=st.floats(-1e3, 1e3, allow_nan=False)),
    seed=st.integers(0, 2**32 - 1),
)
def test_cross_entropy_gradient_rows_sum_to_zero_and_values_match_losses(z, seed):
    y = _rng(seed).integers(0, z.shape[1], z.shape[0])
    t = Tensor(z, requires_grad=True)
    loss = cross_entropy(t, y)
    loss.backward()
    assert np.isfinite(loss.item()) and loss.item() >= 0
    np.testing.assert_allclose(t.grad.sum(axis=1), 0.0, atol=1e-12)
    np.testing.assert_allclose(loss.item(), losses.cross_entropy(z, y), rtol=1e-12, atol=1e-12)


@settings(max_examples=50, deadline=None)
@given(z=hnp.arrays(np.float64, hnp.array_shapes(max_dims=2, max_side=5),
                    elements=st.floats(-1e3, 1e3, allow_nan=False)))
def test_sigmoid_symmetry_and_gradient_identity(z):
    x = Tensor(z, requires_grad=True)
    s = x.sigmoid()
    np.testing.assert_allclose(Tensor(-z).sigmoid().data, 1 - s.data, atol=1e-15)
    s.backward(np.ones_like(z))
    np.testing.assert_allclose(x.grad, activations.sigmoid_grad(z), atol=1e-15)


# --- trace -------------------------------------------------------------------------


def test_trace_returns_nodes_and_edges_in_topological_order():
    a = Tensor(2.0, requires_grad=True, name="a")
    b = Tensor(3.0, name="b")
    c = a * b
    c.name = "c"
    d = c + a
    d.name = "d"
    e = d.exp()
    e.name = "e"
    e.backward()
    nodes, edges = trace(e)
    by_name = {nd.name: nd for nd in nodes}
    assert [nd.id for nd in nodes] == list(range(5)) and nodes[-1].name == "e"
    assert {k: v.label for k, v in by_name.items()} == {
        "a": "leaf", "b": "leaf", "c": "mul", "d": "add", "e": "exp"
    }
    named = sorted((nodes[p].name, nodes[q].name) for p, q in edges)
    assert named == sorted([("a", "c"), ("b", "c"), ("c", "d"), ("a", "d"), ("d", "e")])
    assert all(p < q for p, q in edges)  # operands come before results
    assert by_name["c"].shape == () and by_name["b"].requires_grad is False
    np.testing.assert_allclose(by_name["a"].grad, np.exp(8.0) * (3.0 + 1.0))
    assert by_name["b"].grad is None
    np.testing.assert_allclose(by_name["d"].data, 8.0)


def test_trace_keeps_one_edge_per_operand_and_copies_values():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x * x
    nodes, edges = trace(y)
    assert [nd.label for nd in nodes] == ["leaf", "mul"]
    assert edges == [(0, 1), (0, 1)]
    x.data[0] = 10.0
    assert nodes[0].data[0] == 1.0 and nodes[0].grad is None


# --- no_grad, parameters, utilities -------------------------------------------------


def test_no_grad_builds_no_graph_and_restores_state():
    x = Tensor(np.ones(3), requires_grad=True)
    with no_grad():
        assert not is_grad_enabled()
        y = (x * 2.0).exp().sum()
    assert is_grad_enabled()
    assert not y.requires_grad
    assert len(trace(y)[0]) == 1  # a lone leaf: nothing was recorded
    with pytest.raises(RuntimeError):
        y.backward()
    with pytest.raises(KeyError), no_grad():
        raise KeyError("boom")
    assert is_grad_enabled()
    (x * 2.0).sum().backward()  # graph building works again afterwards
    np.testing.assert_array_equal(x.grad, [2.0, 2.0, 2.0])


@pytest.mark.parametrize("style", ["in place", "replace"])
def test_optimizer_style_updates_of_data(style):
    rng = _rng(13)
    w0 = rng.standard_normal(3)
    w0_before = w0.copy()
    x = rng.standard_normal((5, 3))
    target = x @ np.array([1.0, -2.0, 0.5])
    w = Tensor(w0, requires_grad=True)
    for _ in range(1000):
        w.grad = None
        mse_loss(x @ w, target).backward()
        if style == "in place":
            w.data -= 0.1 * w.grad
        else:
            w.data = w.data - 0.1 * w.grad
    np.testing.assert_allclose(w.data, np.linalg.lstsq(x, target, rcond=None)[0], atol=1e-6)
    np.testing.assert_array_equal(w0, w0_before)  # the constructor copied the caller's array


@pytest.mark.parametrize("name", ["SGD", "Adam"])
def test_course_lib_optimizers_train_tensors(name):
    from course_lib import optim

    rng = _rng(14)
    x = rng.standard_normal((20, 3))
    target = x @ np.array([[1.0], [-2.0], [0.5]]) + 0.3
    W = Tensor(0.1 * rng.standard_normal((1, 3)), requires_grad=True)  # (out, in), as PyTorch
    b = Tensor(np.zeros(1), requires_grad=True)
    opt = optim.SGD([W, b], lr=0.1) if name == "SGD" else optim.Adam([W, b], lr=0.05)
    first = None
    for _ in range(300):
        opt.zero_grad()
        loss = mse_loss(x @ W.T + b, target)
        first = loss.item() if first is None else first
        loss.backward()
        assert W.grad.flags.c_contiguous  # the transposed gradient arrives in C order
        opt.step()
    assert loss.item() < 1e-3 * first


def test_small_utilities():
    x = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    assert x.shape == (2, 3) and x.ndim == 2 and x.size == 6 and x.dtype == np.float64
    assert Tensor([[4.5]]).item() == 4.5
    d = x.detach()
    assert not d.requires_grad and np.shares_memory(d.data, x.data)
    assert x.numpy() is x.data
    assert "requires_grad=True" in repr(x)
    assert "op=mul" in repr(x * 2.0)
    assert "float32" in repr(Tensor(np.ones(2, np.float32)))
    r = np.ones((2, 2)) @ Tensor(np.ones((2, 2)))
    assert isinstance(r, Tensor) and isinstance(np.ones(3) + Tensor(np.ones(3)), Tensor)
    with pytest.raises(TypeError, match="not a Tensor"):
        Tensor(x)
