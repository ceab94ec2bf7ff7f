"""Tests for the regression chapter's explorers: what the learner sees at each slider setting.

The thresholds come from theory, computed here from the data rather than read
off the compute functions:

* Gradient descent on the MSE :math:`J(\\theta) = \\frac1n\\lVert X\\theta - y\\rVert^2` is
  linear in the error :math:`e_k = \\theta_k - \\theta^\\ast`: :math:`e_{k+1} = (I - \\alpha H)e_k`
  with the constant Hessian :math:`H = \\frac2n X^\\top X`. Writing :math:`e_0` in
  H's eigenvectors, :math:`e_0 = \\sum_i c_i v_i`, the excess loss is exactly
  :math:`J(\\theta_k) - J^\\ast = \\sum_i \\tfrac12\\lambda_i c_i^2 (1 - \\alpha\\lambda_i)^{2k}`.
  Every term shrinks at every step iff :math:`|1 - \\alpha\\lambda_i| < 1` for all i,
  i.e. :math:`\\alpha < 2/\\lambda_{\\max}` (which includes the classical
  :math:`\\alpha \\le 1/L` with :math:`L = \\lambda_{\\max}`); above it the top term
  grows geometrically.
* For logistic regression the Hessian :math:`\\frac1n X^\\top S X`, with
  :math:`S = \\operatorname{diag}(\\sigma'(z_i))` and :math:`\\sigma' \\le \\tfrac14`,
  is bounded by :math:`L = \\lambda_{\\max}(X^\\top X)/(4n)`; the descent lemma
  then guarantees a decrease at every step for :math:`\\alpha < 2/L`.
"""

import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from sklearn.linear_model import LogisticRegression as SkLogisticRegression  # noqa: E402

from course_lib import data, regression  # noqa: E402
from course_lib.widgets import Explorer  # noqa: E402
from course_lib.widgets import regression as wr  # noqa: E402

SEED = 0  # the explorers' default data
N_ITERS = (1, 40, 300)


def line_design(standardize: bool) -> tuple[np.ndarray, np.ndarray]:
    """The explorers' data rebuilt independently: ``[1, x]`` (or ``[1, z]``) and ``y``."""
    X, y = data.noisy_line(50, noise=1.0, rng=SEED)
    x = X[:, 0]
    if standardize:
        x = (x - x.mean()) / x.std()
    return np.column_stack([np.ones_like(x), x]), y


def hessian_eig(A: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return np.linalg.eigh(2.0 / A.shape[0] * A.T @ A)


def predicted_excess(A, y, lr, theta0, n_steps):
    """The closed-form excess loss of gradient descent on the MSE after k = 0..n_steps steps."""
    lam, V = hessian_eig(A)
    theta_star = np.linalg.lstsq(A, y, rcond=None)[0]
    c = V.T @ (np.asarray(theta0) - theta_star)
    k = np.arange(n_steps + 1)[:, None]
    return np.sum(0.5 * lam * c**2 * (1.0 - lr * lam) ** (2 * k), axis=1)


GRID = [(lr, s, n) for lr in wr.LINE_LRS for s in (False, True) for n in N_ITERS]


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


# --- linear regression: loss curve and path ------------------------------------------


@pytest.mark.parametrize("lr, standardize, n_iter", GRID)
def test_linear_gd_matches_the_eigenvalue_theory(lr, standardize, n_iter):
    r = wr.linear_gd(lr, n_iter, standardize=standardize)
    A, y = line_design(standardize)
    lam = hessian_eig(A)[0]
    np.testing.assert_allclose(r.eigvals, lam, rtol=1e-12)
    assert r.lr_critical == pytest.approx(2.0 / lam[-1], rel=1e-12)
    k = len(r.losses) - 1
    assert k == n_iter or r.stopped_at is not None
    expected = predicted_excess(A, y, lr, (5.0, 0.0), k)
    # Relative to the starting loss: the rounding of J(theta) itself is ~1e-16 * J.
    np.testing.assert_allclose(r.excess, expected, rtol=1e-6, atol=1e-10 * r.losses[0])


@pytest.mark.parametrize("lr, standardize, n_iter", GRID)
def test_loss_falls_every_step_below_2_over_lambda_max_and_blows_up_above(lr, standardize, n_iter):
    r = wr.linear_gd(lr, n_iter, standardize=standardize)
    A, _ = line_design(standardize)
    lr_crit = 2.0 / hessian_eig(A)[0][-1]
    steps = np.diff(r.losses)
    if lr < lr_crit:
        # Monotone decrease, up to the rounding of the loss (~1e-16 of its size).
        assert np.all(steps <= 1e-12 * r.losses[0]), f"lr={lr} < {lr_crit:.4g} but the loss rose"
        assert not r.diverging
        assert r.stopped_at is None
    else:
        # The top eigen-direction grows by |1 - lr*lam_max| > 1 per step; its share of
        # the starting loss (computed here) decides how many steps it takes to show.
        factor = abs(1 - lr * hessian_eig(A)[0][-1])
        assert factor > 1
        if n_iter >= 40:
            assert r.diverging, f"lr={lr} > {lr_crit:.4g} but the loss did not grow"
            assert steps[-1] > 0


def test_thresholds_of_the_default_data_are_the_ones_the_chapter_quotes():
    # The chapter says the raw feature diverges between lr = 0.1 and 0.11, and the
    # standardized one at lr = 1 (its Hessian is exactly 2I).
    raw = wr.linear_gd(0.05, 1)
    assert 0.1 < raw.lr_critical < 0.11
    std = wr.linear_gd(0.05, 1, standardize=True)
    np.testing.assert_allclose(std.eigvals, [2.0, 2.0], rtol=1e-12)
    assert std.lr_critical == pytest.approx(1.0, rel=1e-12)


def test_standardized_line_is_solved_in_one_step_at_lr_one_half():
    # H = 2I, so theta_1 = theta_0 - (1/2) H (theta_0 - theta*) = theta* exactly.
    r = wr.linear_gd(0.5, 5, standardize=True)
    assert r.excess[1] <= 1e-12 * r.losses[0]
    np.testing.assert_allclose(r.thetas[1], r.theta_star, rtol=1e-10)


def test_standardizing_reaches_the_minimum_faster_at_the_same_lr():
    # Same lr, same number of steps: the condition number drops from ~46 to 1.
    for lr in (0.01, 0.03, 0.05, 0.08, 0.1):
        raw, std = wr.linear_gd(lr, 100), wr.linear_gd(lr, 100, standardize=True)
        assert std.excess[-1] / std.excess[0] < raw.excess[-1] / raw.excess[0]


def test_path_and_losses_are_those_of_course_lib():
    for standardize in (False, True):
        r = wr.linear_gd(0.08, 60, standardize=standardize)
        A, y = line_design(standardize)
        theta, history = regression.linear_regression_gd(A, y, lr=0.08, n_iter=60, theta0=(5.0, 0.0))
        np.testing.assert_allclose(r.thetas[-1], theta, rtol=1e-12)
        np.testing.assert_allclose(r.losses, history, rtol=1e-12)
        np.testing.assert_allclose(r.losses, np.mean((r.thetas @ A.T - y) ** 2, axis=1), rtol=1e-10)
        np.testing.assert_allclose(r.theta_star, np.linalg.lstsq(A, y, rcond=None)[0], rtol=1e-10)


def test_divergence_is_caught_not_printed():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = wr.linear_gd(1.1, 100)
    assert r.stopped_at is not None and r.stopped_at == len(r.losses)
    assert np.all(np.isfinite(r.losses)) and np.all(np.isfinite(r.thetas))


def test_loss_grid_is_the_mse():
    r = wr.linear_gd(0.05, 1)
    t0, t1, J = r.grid
    i, j = 17, 93
    theta = np.array([t0[j], t1[i]])
    assert J[i, j] == pytest.approx(np.mean((r.X @ theta - r.y) ** 2), rel=1e-12)
    assert J.min() >= r.loss_star - 1e-12


# --- logistic regression: decision boundary -----------------------------------------


@pytest.fixture(scope="module")
def cancer_pair():
    ds = data.load_breast_cancer()
    cols = [ds.feature_names.index("mean radius"), ds.feature_names.index("mean texture")]
    X_train, _, _, y_train, _, _ = data.train_val_test_split(ds.X, ds.y, rng=SEED, stratify=True)
    (Z,) = data.standardize(X_train[:, cols])
    return np.column_stack([np.ones(len(Z)), Z]), y_train


@pytest.fixture(scope="module")
def sklearn_reference(cancer_pair):
    A, y = cancer_pair
    sk = SkLogisticRegression(C=np.inf, tol=1e-12, max_iter=10_000).fit(A[:, 1:], y)
    return np.r_[sk.intercept_, sk.coef_[0]], sk.score(A[:, 1:], y)


@pytest.mark.parametrize("lr", wr.LOGISTIC_LRS)
def test_logistic_loss_falls_every_step_below_the_curvature_bound(lr, cancer_pair):
    A, _ = cancer_pair
    lr_safe = 2.0 / (np.linalg.eigvalsh(A.T @ A)[-1] / (4 * len(A)))
    r = wr.logistic_gd(lr, 500)
    assert r.lr_safe == pytest.approx(lr_safe, rel=1e-12)
    if lr < lr_safe:
        assert np.all(np.diff(r.losses) <= 1e-12 * r.losses[0])
        assert r.stopped_at is None


def test_logistic_boundary_approaches_the_minimum_as_steps_grow(cancer_pair, sklearn_reference):
    theta_sk, _ = sklearn_reference
    dist = [np.linalg.norm(wr.logistic_gd(1.0, n).theta - theta_sk) for n in wr.LOGISTIC_ITERS]
    assert np.all(np.diff(dist) <= 1e-9), dist
    # Near the minimum the error shrinks by at most (1 - lr*mu) per step, mu the
    # smallest eigenvalue of the Hessian there; after 2000 steps at lr = 1 that
    # factor is below 1e-6 (checked), so 1e-5 of |theta*| is a safe tolerance.
    A, y = cancer_pair
    p = 1 / (1 + np.exp(-A @ theta_sk))
    mu = np.linalg.eigvalsh(A.T @ (A * (p * (1 - p))[:, None]) / len(A))[0]
    assert (1 - 1.0 * mu) ** 2000 < 1e-6
    assert dist[-1] <= 1e-5 * np.linalg.norm(theta_sk)
    np.testing.assert_allclose(wr.logistic_gd(1.0, 10).theta_ref, theta_sk, rtol=1e-5)


def test_logistic_accuracy_at_convergence_is_sklearns(sklearn_reference):
    _, sk_accuracy = sklearn_reference
    assert wr.logistic_gd(1.0, 2000).accuracy == pytest.approx(sk_accuracy, abs=1e-12)


def test_logistic_accuracy_and_loss_improve_with_more_steps():
    results = [wr.logistic_gd(1.0, n) for n in (0, 1, 10, 1000)]
    losses = [r.losses[-1] for r in results]
    assert np.all(np.diff(losses) < 0)
    assert results[-1].accuracy > results[0].accuracy


def test_logistic_start_is_chance():
    r = wr.logistic_gd(1.0, 0)
    np.testing.assert_array_equal(r.theta, 0.0)
    assert r.losses[0] == pytest.approx(np.log(2), rel=1e-12)  # every p = 1/2
    _, _, p = r.probability_grid((-1.0, 1.0), size=5)
    np.testing.assert_allclose(p, 0.5)


def test_checkpoints_are_single_runs_of_that_length(cancer_pair):
    A, y = cancer_pair
    steps = (1, 4, 10)
    curve = wr.logistic_gd_checkpoints(A, y, A[:50], y[:50], lr=1.0, steps=steps)
    for k, train_loss, norm in zip(steps, curve.train_loss, curve.weight_norm, strict=True):
        theta, history = regression.logistic_regression_gd(A, y, lr=1.0, n_iter=k)
        assert train_loss == pytest.approx(history[-1], rel=1e-12)
        assert norm == pytest.approx(np.linalg.norm(theta), rel=1e-12)
    assert np.all(np.diff(curve.train_loss) < 0)


# --- explorers draw at their defaults -------------------------------------------------


@pytest.mark.parametrize(
    "factory",
    [wr.linear_gd_loss_explorer, wr.linear_gd_path_explorer, wr.logistic_gd_explorer],
)
def test_explorer_draws_at_default_values(factory):
    explorer = factory()
    assert isinstance(explorer, Explorer)
    fig = explorer.figure()
    ax = fig.axes[0]
    assert ax.get_xlabel() and ax.get_ylabel()
    assert ax.lines or ax.collections
    widget = explorer.widget()
    assert widget.children


def test_static_fallbacks_draw_one_panel_per_value():
    fig = wr.linear_gd_loss_explorer().small_multiples("lr", [0.01, 0.05, 0.1, 0.11])
    assert sum(ax.get_visible() for ax in fig.axes) == 4
    fig = wr.linear_gd_path_explorer().small_multiples("standardize", [False, True])
    assert sum(ax.get_visible() for ax in fig.axes) == 2
    fig = wr.logistic_gd_explorer().small_multiples("n_iter", [0, 1, 10, 1000])
    assert sum(ax.get_visible() for ax in fig.axes) == 4
