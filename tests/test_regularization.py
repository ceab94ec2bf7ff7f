"""Tests for course_lib.regularization: penalties, the λ grid, penalised linear fits,
early stopping, thinned averages."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from course_lib.gradcheck import numerical_gradient, relative_error
from course_lib.regularization import (
    EarlyStopping,
    fit_penalized_linear,
    l1_penalty,
    l1_penalty_grad,
    l2_penalty,
    l2_penalty_grad,
    lambda_grid,
    thinned_average,
    weight_decay_groups,
)


class Param:
    """The parameter protocol: .data and .grad."""

    def __init__(self, data):
        self.data = np.asarray(data, dtype=np.float64)
        self.grad = None


class TinyModel:
    def __init__(self, rng):
        self.w = Param(rng.standard_normal((3, 2)))
        self.b = Param(rng.standard_normal(2))

    def parameters(self):
        return [self.w, self.b]


finite = st.floats(-1e3, 1e3, allow_nan=False)
arrays = hnp.arrays(np.float64, hnp.array_shapes(max_dims=3, max_side=5), elements=finite)
lams = st.floats(0.0, 100.0)


# --- penalties: values ----------------------------------------------------------------


def test_penalty_values_follow_their_formulas(rng):
    w = rng.standard_normal((4, 3))
    assert l2_penalty(w, 0.3) == pytest.approx(0.5 * 0.3 * np.sum(w**2), rel=1e-14)
    assert l1_penalty(w, 0.3) == pytest.approx(0.3 * np.sum(np.abs(w)), rel=1e-14)
    assert isinstance(l2_penalty(w, 0.3), float) and isinstance(l1_penalty(w, 0.3), float)


def test_l2_gradient_is_pytorch_weight_decay(rng):
    # SGD(weight_decay=lam) adds lam * w to the gradient: exactly l2_penalty_grad.
    w = rng.standard_normal(5)
    np.testing.assert_array_equal(l2_penalty_grad(w, 0.01), 0.01 * w)


def test_penalties_sum_over_a_list_of_arrays_and_parameters(rng):
    a, b = rng.standard_normal((3, 2)), rng.standard_normal(4)
    both = np.concatenate([a.ravel(), b])
    for w in ([a, b], (a, b), [Param(a), Param(b)], [a, Param(b)]):
        assert l2_penalty(w, 2.0) == pytest.approx(l2_penalty(both, 2.0), rel=1e-14)
        assert l1_penalty(w, 2.0) == pytest.approx(l1_penalty(both, 2.0), rel=1e-14)
    model = TinyModel(rng)
    expected = 0.5 * (np.sum(model.w.data**2) + np.sum(model.b.data**2))
    assert l2_penalty(model.parameters(), 1.0) == pytest.approx(expected, rel=1e-14)
    assert l2_penalty(iter(model.parameters()), 1.0) == pytest.approx(expected, rel=1e-14)


def test_gradients_of_a_list_are_a_list(rng):
    model = TinyModel(rng)
    for grad_fn, expected in (
        (l2_penalty_grad, lambda a: 0.5 * a),
        (l1_penalty_grad, lambda a: 0.5 * np.sign(a)),
    ):
        grads = grad_fn(model.parameters(), 0.5)
        assert isinstance(grads, list) and len(grads) == 2
        for g, p in zip(grads, model.parameters(), strict=True):
            np.testing.assert_array_equal(g, expected(p.data))
    single = l2_penalty_grad(model.w, 0.5)  # one parameter -> one array
    np.testing.assert_array_equal(single, 0.5 * model.w.data)


def test_plain_list_of_numbers_is_one_array():
    assert l1_penalty([1.0, -2.0, 3.0], 1.0) == 6.0
    np.testing.assert_array_equal(l1_penalty_grad([1.0, -2.0, 0.0], 2.0), [2.0, -2.0, 0.0])


def test_lambda_zero_gives_zero(rng):
    w = rng.standard_normal((3, 3))
    assert l2_penalty(w, 0.0) == 0.0 and l1_penalty(w, 0.0) == 0.0
    assert not np.any(l2_penalty_grad(w, 0.0)) and not np.any(l1_penalty_grad(w, 0.0))


@pytest.mark.parametrize("fn", [l1_penalty, l1_penalty_grad, l2_penalty, l2_penalty_grad])
def test_negative_lambda_raises(fn):
    with pytest.raises(ValueError, match="Invalid lam"):
        fn(np.ones(3), -0.1)


@pytest.mark.parametrize("fn", [l1_penalty_grad, l2_penalty_grad])
def test_float32_stays_float32(fn):
    g = fn(np.ones(3, dtype=np.float32), np.float64(0.5))
    assert g.dtype == np.float32
    grads = fn([np.ones(2, dtype=np.float32), np.ones(2)], 0.5)
    assert [g.dtype for g in grads] == [np.float32, np.float64]


def test_string_weights_raise():
    with pytest.raises(TypeError, match="w must hold real numbers"):
        l2_penalty("abc", 1.0)


# --- penalties: gradients -------------------------------------------------------------------


def test_l2_gradient_matches_numerical(rng):
    w = rng.standard_normal((3, 4))
    numeric = numerical_gradient(lambda v: l2_penalty(v, 0.7), w)
    assert relative_error(l2_penalty_grad(w, 0.7), numeric) < 1e-7


def test_l1_gradient_matches_numerical_away_from_zero(rng):
    w = rng.standard_normal((3, 4))
    w = np.where(np.abs(w) < 0.1, 0.5, w)  # keep clear of the kink at 0
    numeric = numerical_gradient(lambda v: l1_penalty(v, 0.7), w)
    assert relative_error(l1_penalty_grad(w, 0.7), numeric) < 1e-7


def test_l1_gradient_is_zero_at_zero():
    np.testing.assert_array_equal(l1_penalty_grad(np.array([0.0, -0.0, 2.0]), 3.0), [0, 0, 3])


# --- penalties: properties ------------------------------------------------------------------


@given(w=arrays, lam=lams)
def test_penalties_are_nonnegative(w, lam):
    assert l2_penalty(w, lam) >= 0.0
    assert l1_penalty(w, lam) >= 0.0


@given(w=arrays, lam=lams)
def test_l1_gradient_is_lambda_sign(w, lam):
    np.testing.assert_array_equal(l1_penalty_grad(w, lam), lam * np.sign(w))


@given(w=arrays, lam=lams, c=st.floats(-10, 10))
def test_l2_is_quadratic_and_l1_is_absolutely_homogeneous(w, lam, c):
    # R2(c w) = c^2 R2(w) and R1(c w) = |c| R1(w)
    assert l2_penalty(c * w, lam) == pytest.approx(c * c * l2_penalty(w, lam), rel=1e-9, abs=1e-9)
    assert l1_penalty(c * w, lam) == pytest.approx(abs(c) * l1_penalty(w, lam), rel=1e-9, abs=1e-9)


@given(w=arrays, lam=lams)
def test_l2_penalty_is_half_the_dot_with_its_gradient(w, lam):
    # Euler: for a homogeneous function of degree 2, <grad R, w> = 2 R.
    g = l2_penalty_grad(w, lam)
    assert float(np.sum(g * w)) == pytest.approx(2 * l2_penalty(w, lam), rel=1e-9, abs=1e-9)


# --- lambda grid --------------------------------------------------------------------------------


def grid_by_loop(start, stop, factor):
    """Independent re-implementation: multiply until the next value would pass stop."""
    values, k = [], 0
    while start * factor**k <= stop * (1 + 1e-12):
        values.append(start * factor**k)
        k += 1
    return values


@pytest.mark.parametrize(
    "start, stop, factor", [(0.01, 10.0, 2.0), (0.1, 100.0, 10.0), (1e-4, 1.0, 3.0), (2.0, 2.0, 2.0)]
)
def test_lambda_grid_matches_formula(start, stop, factor):
    grid = lambda_grid(start, stop, factor)
    np.testing.assert_allclose(grid, grid_by_loop(start, stop, factor), rtol=1e-12)
    assert grid[0] == start
    assert np.all(np.diff(grid) > 0)


def test_default_grid_is_the_seeds_doubling_grid():
    grid = lambda_grid()
    np.testing.assert_allclose(grid, 0.01 * 2.0 ** np.arange(len(grid)))
    assert grid[-1] <= 10.0 < 2 * grid[-1]


def test_stop_is_included_when_hit_exactly():
    assert lambda_grid(0.25, 4.0, 2.0)[-1] == 4.0
    assert lambda_grid(0.1, 100.0, 10.0)[-1] == pytest.approx(100.0)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"start": 0.0}, "Invalid start"),
        ({"stop": -1.0}, "Invalid stop"),
        ({"factor": 1.0}, "Invalid factor"),
        ({"start": 5.0, "stop": 1.0}, "stop must be >= start"),
    ],
)
def test_lambda_grid_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        lambda_grid(**kwargs)


# --- early stopping ---------------------------------------------------------------------------


def first_stop_epoch(values, patience, min_delta=0.0):
    """Independent re-implementation for mode="min": the epoch at which to stop, or None."""
    best, bad = math.inf, 0
    for epoch, v in enumerate(values):
        if v < best - min_delta:
            best, bad = v, 0
        else:
            bad += 1
        if bad >= patience:
            return epoch
    return None


def run_steps(stopper, values):
    for epoch, v in enumerate(values):
        if stopper.step(v):
            return epoch
    return None


def test_stops_after_patience_epochs_without_improvement():
    stopper = EarlyStopping(patience=3)
    decisions = [stopper.step(v) for v in [5, 4, 3, 3.5, 3.6, 3.7]]
    assert decisions == [False] * 5 + [True]
    assert stopper.best_ == 3 and stopper.best_epoch_ == 2 and stopper.stopped_epoch_ == 5


@given(
    values=st.lists(st.floats(0, 10, allow_nan=False), min_size=1, max_size=30),
    patience=st.integers(1, 5),
    min_delta=st.sampled_from([0.0, 0.1, 1.0]),
)
def test_step_agrees_with_reference_loop(values, patience, min_delta):
    stopper = EarlyStopping(patience=patience, min_delta=min_delta)
    assert run_steps(stopper, values) == first_stop_epoch(values, patience, min_delta)


def test_min_delta_ignores_tiny_improvements():
    values = [1.0, 0.97, 0.96, 0.5]
    assert run_steps(EarlyStopping(patience=2, min_delta=0.0), values) is None
    stopper = EarlyStopping(patience=2, min_delta=0.05)
    # Neither 0.97 nor 0.96 is below 1.0 - 0.05: two bad epochs in a row.
    assert run_steps(stopper, values) == 2
    assert stopper.best_ == 1.0 and stopper.best_epoch_ == 0


def test_nan_is_never_an_improvement():
    stopper = EarlyStopping(patience=2)
    assert [stopper.step(v) for v in [1.0, float("nan"), float("nan")]] == [False, False, True]
    assert stopper.best_ == 1.0
    assert EarlyStopping(patience=1).step(float("nan")) is True


def test_mode_max_for_accuracy():
    stopper = EarlyStopping(patience=2, mode="max")
    assert run_steps(stopper, [0.5, 0.7, 0.8, 0.79, 0.8, 0.9]) == 4
    assert stopper.best_ == 0.8 and stopper.best_epoch_ == 2


def test_reset_forgets_the_run():
    stopper = EarlyStopping(patience=1)
    stopper.step(1.0)
    assert stopper.step(2.0)
    stopper.reset()
    assert stopper.best_ == math.inf and stopper.best_epoch_ is None
    assert stopper.stopped_epoch_ is None and stopper.num_bad_epochs_ == 0
    assert not stopper.step(2.0)


def test_callback_stops_and_restores_best_weights(rng):
    model = TinyModel(rng)
    val_losses = [4.0, 3.0, 2.0, 2.5, 2.6]
    stopper = EarlyStopping(patience=2)
    snapshots = []
    stopped_at = None
    for epoch, val_loss in enumerate(val_losses, start=1):  # fit counts epochs from 1
        for p in model.parameters():  # a "training step" that changes the weights
            p.data = p.data + rng.standard_normal(p.data.shape)
        snapshots.append([p.data.copy() for p in model.parameters()])
        if stopper.on_epoch_end(epoch, {"loss": 0.0, "val_loss": val_loss}, model):
            stopped_at = epoch
            break
    assert stopped_at == 5 and stopper.stopped_epoch_ == 5 and stopper.best_epoch_ == 3
    for p, best in zip(model.parameters(), snapshots[2], strict=True):
        np.testing.assert_array_equal(p.data, best)


def test_restore_after_running_out_of_epochs_writes_in_place(rng):
    model = TinyModel(rng)
    stopper = EarlyStopping(patience=10)
    stopper.on_epoch_end(1, {"val_loss": 1.0}, model)
    best = [p.data.copy() for p in model.parameters()]
    arrays = [p.data for p in model.parameters()]
    for p in model.parameters():
        p.data *= 2.0  # in-place update, as an optimizer might do
    assert not stopper.on_epoch_end(2, {"val_loss": 1.5}, model)
    stopper.restore(model)
    for p, a, b in zip(model.parameters(), arrays, best, strict=True):
        assert p.data is a  # same array object: restored in place
        np.testing.assert_array_equal(p.data, b)


def test_saved_weights_are_copies(rng):
    model = TinyModel(rng)
    stopper = EarlyStopping(patience=10)
    stopper.on_epoch_end(1, {"val_loss": 1.0}, model)
    saved = model.w.data.copy()
    model.w.data[...] = 0.0  # mutate in place after the snapshot
    stopper.restore(model)
    np.testing.assert_array_equal(model.w.data, saved)


def test_callback_monitors_other_keys(rng):
    stopper = EarlyStopping(patience=1, mode="max", monitor="val_accuracy",
                            restore_best_weights=False)
    assert not stopper.on_epoch_end(1, {"val_loss": 1.0, "val_accuracy": 0.5}, None)
    assert stopper.on_epoch_end(2, {"val_loss": 0.5, "val_accuracy": 0.5}, None)


def test_missing_key_names_the_available_ones(rng):
    stopper = EarlyStopping()
    with pytest.raises(KeyError, match=r"'val_loss'.*\['accuracy', 'loss'\]"):
        stopper.on_epoch_end(1, {"loss": 1.0, "accuracy": 0.5}, TinyModel(rng))


def test_restore_errors(rng):
    with pytest.raises(RuntimeError, match="no weights saved"):
        EarlyStopping().restore(TinyModel(rng))
    with pytest.raises(RuntimeError, match="restore_best_weights=False"):
        EarlyStopping(restore_best_weights=False).restore(TinyModel(rng))
    stopper = EarlyStopping()
    stopper.on_epoch_end(1, {"val_loss": 1.0}, TinyModel(rng))
    other = TinyModel(rng)
    other.b = Param(np.zeros(3))
    with pytest.raises(ValueError, match=r"shape \(3,\) but the saved one \(2,\)"):
        stopper.restore(other)
    with pytest.raises(ValueError, match="needs the model"):
        stopper.on_epoch_end(2, {"val_loss": 1.0}, None)


def test_stop_without_any_improvement_keeps_weights(rng):
    model = TinyModel(rng)
    before = model.w.data.copy()
    stopper = EarlyStopping(patience=1)
    assert stopper.on_epoch_end(1, {"val_loss": float("nan")}, model)
    np.testing.assert_array_equal(model.w.data, before)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"patience": 0}, "Invalid patience"),
        ({"min_delta": -0.1}, "Invalid min_delta"),
        ({"mode": "maximum"}, "Invalid mode"),
    ],
)
def test_bad_hyperparameters(kwargs, match):
    with pytest.raises(ValueError, match=match):
        EarlyStopping(**kwargs)


@pytest.mark.parametrize("patience", [2.5, True])
def test_patience_of_the_wrong_type(patience):
    with pytest.raises(TypeError, match="patience must be an int"):
        EarlyStopping(patience=patience)


# --- fit_penalized_linear ----------------------------------------------------------


@pytest.fixture(scope="module")
def sparse_problem():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(60, 20))
    w_true = np.zeros(20)
    w_true[:4] = [3.0, -2.0, 1.5, 1.0]
    return X, X @ w_true + 0.5 * rng.normal(size=60)


def test_penalized_fits_match_scikit_learn(sparse_problem):
    from sklearn.linear_model import Lasso, Ridge

    X, y = sparse_problem
    n = len(y)
    np.testing.assert_allclose(fit_penalized_linear(X, y, "none", 0.0),
                               np.linalg.lstsq(X, y, rcond=None)[0], rtol=1e-6, atol=1e-7)
    # (1/2n)|Xw - y|^2 + (lam/2)|w|^2  <=>  Ridge's |Xw - y|^2 + alpha |w|^2 with alpha = n lam
    ridge = Ridge(alpha=n * 0.3, fit_intercept=False).fit(X, y)
    np.testing.assert_allclose(fit_penalized_linear(X, y, "l2", 0.3), ridge.coef_, rtol=1e-6, atol=1e-8)
    lasso = Lasso(alpha=0.2, fit_intercept=False, tol=1e-12, max_iter=100_000).fit(X, y)
    w = fit_penalized_linear(X, y, "l1", 0.2)
    np.testing.assert_allclose(w, lasso.coef_, atol=1e-6)
    assert np.array_equal(w == 0, lasso.coef_ == 0)  # the same exact zeros


@pytest.mark.parametrize("lam", [0.05, 0.2, 0.8])
def test_l1_solution_satisfies_the_lasso_optimality_conditions(sparse_problem, lam):
    # Subgradient conditions: grad_j = -lam sign(w_j) where w_j != 0, |grad_j| <= lam where w_j = 0.
    X, y = sparse_problem
    w = fit_penalized_linear(X, y, "l1", lam)
    grad = X.T @ (X @ w - y) / len(y)
    nz = w != 0
    np.testing.assert_allclose(grad[nz], -lam * np.sign(w[nz]), atol=1e-6)
    assert np.all(np.abs(grad[~nz]) <= lam + 1e-6)
    assert np.sum(~nz) > 0  # L1 gives exact zeros ...
    assert np.sum(fit_penalized_linear(X, y, "l2", lam) == 0) == 0  # ... L2 does not


def test_l1_zeroes_everything_above_lambda_max(sparse_problem):
    X, y = sparse_problem
    lam_max = np.max(np.abs(X.T @ y)) / len(y)  # the gradient at w = 0
    assert np.all(fit_penalized_linear(X, y, "l1", 1.01 * lam_max) == 0)
    assert np.sum(fit_penalized_linear(X, y, "l1", 0.9 * lam_max) != 0) >= 1


@pytest.mark.parametrize(
    "args, error, match",
    [
        ((np.ones(5), np.ones(5), "l1", 0.1), ValueError, r"X must be 2-D; got shape \(5,\)"),
        ((np.ones((5, 2)), np.ones((5, 1)), "l1", 0.1), ValueError, "y must be 1-D"),
        ((np.ones((5, 2)), np.ones(4), "l1", 0.1), ValueError, "X has 5 rows but y has 4 values"),
        ((np.ones((5, 2)), np.ones(5), "lasso", 0.1), ValueError, "Invalid penalty: 'lasso'"),
        ((np.ones((5, 2)), np.ones(5), "l2", -1.0), ValueError, "Invalid lam"),
        ((np.zeros((5, 2)), np.ones(5), "none", 0.0), ValueError, "X is all zeros"),
        ((np.ones((5, 2)), ["a"] * 5, "l1", 0.1), TypeError, "y"),
    ],
)
def test_fit_penalized_linear_rejects_bad_input(args, error, match):
    with pytest.raises(error, match=match):
        fit_penalized_linear(*args)


# --- thinned_average ---------------------------------------------------------------


def test_thinned_average_is_the_eval_output_for_dropout_before_a_linear_layer():
    from course_lib.layers import Dropout, Linear, Sequential

    net = Sequential(Dropout(0.5, rng=0), Linear(6, 2, rng=1))
    X = np.random.default_rng(2).normal(size=(4, 6))
    mean, sem = thinned_average(net, X, 4000)
    assert mean.shape == sem.shape == (4, 2) and np.all(sem > 0)
    assert np.all(np.abs(mean - net(X)) <= 5 * sem)  # E[mask / (1 - p)] = 1
    assert not net.training  # left in evaluation mode
    with pytest.raises(ValueError, match="Invalid n_masks: 1"):
        thinned_average(net, X, 1)


# --- weight_decay_groups -----------------------------------------------------------


def test_weight_decay_groups_decay_linear_weights_only():
    from course_lib import layers, optim

    net = layers.mlp((4, 8, 3), batchnorm=True, rng=0)  # Linear, BatchNorm1d, ReLU, Linear
    decayed, rest = weight_decay_groups(net, 0.1)
    assert decayed["params"] == [net[0].weight, net[3].weight] and decayed["weight_decay"] == 0.1
    assert rest["params"] == [net[1].weight, net[1].bias, net[3].bias] and rest["weight_decay"] == 0.0
    # With zero gradients only the decayed group moves: p <- p (1 - lr * lambda).
    opt = optim.AdamW(weight_decay_groups(net, 0.1), lr=0.5)
    before = [p.data.copy() for p in net.parameters()]
    for p in net.parameters():
        p.grad = np.zeros_like(p.data)
    opt.step()
    for p, b in zip(net.parameters(), before, strict=True):
        factor = 1 - 0.5 * 0.1 if any(p is w for w in decayed["params"]) else 1.0
        np.testing.assert_allclose(p.data, factor * b, rtol=1e-12)
    plain = layers.Sequential(layers.Linear(2, 2, bias=False, rng=0))
    assert len(weight_decay_groups(plain, 0.1)) == 1  # nothing else to leave out
    with pytest.raises(ValueError, match="no Linear layer"):
        weight_decay_groups(layers.Sequential(layers.ReLU()), 0.1)
    with pytest.raises(TypeError, match="course_lib.layers Module"):
        weight_decay_groups([np.zeros(2)], 0.1)
    with pytest.raises(ValueError, match="Invalid weight_decay"):
        weight_decay_groups(net, -1.0)
