"""What the loss-function chapter's figures and sliders show, checked over grids of slider values."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from scipy.optimize import linprog  # noqa: E402

from course_lib import losses  # noqa: E402
from course_lib.activations import sigmoid  # noqa: E402
from course_lib.compute.losses import TRUE_INTERCEPT, TRUE_SLOPE  # noqa: E402
from course_lib.gradcheck import numerical_gradient  # noqa: E402
from course_lib.widgets import Explorer  # noqa: E402
from course_lib.widgets import losses as wl  # noqa: E402

OUTLIER_XS = [0.5, 2.5, 4.5, 8.0]  # left end, near the centre, right end, beyond the data


def _lad_by_linprog(x, y):
    """Reference LAD fit: min sum(u + v) s.t. b + a x + u - v = y, u, v >= 0 (scipy's HiGHS)."""
    n = x.size
    c = np.r_[0.0, 0.0, np.ones(2 * n)]
    A = np.column_stack([np.ones(n), x, np.eye(n), -np.eye(n)])
    bounds = [(None, None)] * 2 + [(0, None)] * (2 * n)
    res = linprog(c, A_eq=A, b_eq=y, bounds=bounds, method="highs")
    assert res.success
    return res.x[1], res.x[0], res.fun


def _slope_standard_error(x, noise):
    """Standard error of the least-squares slope: sigma / sqrt(sum (x - mean x)^2)."""
    return noise / np.sqrt(np.sum((x - x.mean()) ** 2))


# --- the two line fits -------------------------------------------------------


@pytest.mark.parametrize("seed", range(5))
def test_lad_line_is_the_exact_l1_minimiser(seed):
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 5, 12)
    y = 2 * x + 1 + rng.standard_t(df=2, size=12)  # heavy tails, as an outlier-prone sample
    a, b = wl.lad_line(x, y)
    _, _, best_cost = _lad_by_linprog(x, y)
    np.testing.assert_allclose(np.abs(a * x + b - y).sum(), best_cost, rtol=1e-9)
    # ... and it interpolates (at least) two points: two residuals are exactly zero.
    assert np.sum(np.abs(a * x + b - y) < 1e-9) >= 2


def test_ols_line_matches_polyfit():
    x = np.linspace(0, 5, 9)
    y = np.sin(x) + x
    np.testing.assert_allclose(wl.ols_line(x, y), np.polyfit(x, y, 1), rtol=1e-10)


def test_line_fits_reject_bad_input():
    with pytest.raises(ValueError, match="shapes"):
        wl.lad_line(np.zeros(3), np.zeros(4))
    with pytest.raises(ValueError, match="two distinct"):
        wl.ols_line(np.ones(3), np.arange(3.0))


@pytest.mark.parametrize("seed", range(4))
def test_without_an_outlier_both_fits_agree(seed):
    # For Gaussian noise both estimators are unbiased; asymptotically
    # Var(LAD - OLS) = Var(LAD) - Var(OLS) = (pi/2 - 1) Var(OLS) (OLS is efficient),
    # so 4 standard deviations of the difference is 4 * sqrt(pi/2 - 1) ~= 3.0 standard errors.
    r = wl.outlier_fits(include_outlier=False, seed=seed)
    bound = 4 * np.sqrt(np.pi / 2 - 1) * _slope_standard_error(r.x, noise=1.0)
    assert abs(r.mse_slope - r.mae_slope) < bound


@pytest.mark.parametrize("outlier_x", OUTLIER_XS)
def test_a_point_on_the_true_line_is_no_outlier(outlier_x):
    on_line = TRUE_SLOPE * outlier_x + TRUE_INTERCEPT
    r = wl.outlier_fits(on_line, outlier_x)
    x_all, _ = r.all_points()
    bound = 4 * np.sqrt(np.pi / 2 - 1) * _slope_standard_error(x_all, noise=1.0)
    assert abs(r.mse_slope - r.mae_slope) < bound


@pytest.mark.parametrize("outlier_x", OUTLIER_XS)
def test_mse_fit_follows_the_outlier_linearly(outlier_x):
    # The least-squares fit is linear in y: moving point k by dy moves the slope by
    # dy (x_k - mean x) / Sxx and the fitted value at x_k by dy * h_kk (its leverage).
    ys = np.linspace(-30.0, 50.0, 17)
    fits = [wl.outlier_fits(yo, outlier_x) for yo in ys]
    x_all, _ = fits[0].all_points()
    sxx = np.sum((x_all - x_all.mean()) ** 2)
    slopes = np.array([f.mse_slope for f in fits])
    np.testing.assert_allclose(np.diff(slopes), np.diff(ys) * (outlier_x - x_all.mean()) / sxx, atol=1e-9)
    leverage = 1 / x_all.size + (outlier_x - x_all.mean()) ** 2 / sxx
    pulls = np.array([f.mse_slope * outlier_x + f.mse_intercept for f in fits])
    np.testing.assert_allclose(np.diff(pulls), np.diff(ys) * leverage, atol=1e-9)


@pytest.mark.parametrize("outlier_x", OUTLIER_XS)
def test_mae_fit_stops_moving_once_the_outlier_is_past_it(outlier_x):
    # The MAE is convex. If the outlier lies strictly above (below) the L1 line, raising
    # (lowering) it adds the same amount to the loss of every line near the optimum, so
    # that line stays a local, hence global, minimum: the fit does not move at all.
    ys = np.linspace(-30.0, 50.0, 33)
    fits = [wl.outlier_fits(yo, outlier_x) for yo in ys]
    for k, f in enumerate(fits):
        r = f.residuals("mae")[-1]
        further = fits[k + 1:] if r > 1e-9 else fits[:k] if r < -1e-9 else []
        for g in further:
            assert g.mae_slope == pytest.approx(f.mae_slope, abs=1e-9)
            assert g.mae_intercept == pytest.approx(f.mae_intercept, abs=1e-9)


@pytest.mark.parametrize("outlier_x", OUTLIER_XS)
def test_mse_moves_more_than_mae_as_the_outlier_moves_away(outlier_x):
    on_line = TRUE_SLOPE * outlier_x + TRUE_INTERCEPT
    for side in (+1, -1):
        # Five or more noise standard deviations away: clearly an outlier.
        ys = on_line + side * np.arange(5.0, 45.0, 5.0)
        fits = [wl.outlier_fits(yo, outlier_x) for yo in ys]
        pull_mse = np.array([f.mse_slope * outlier_x + f.mse_intercept for f in fits])
        pull_mae = np.array([f.mae_slope * outlier_x + f.mae_intercept for f in fits])
        assert np.all(np.abs(np.diff(pull_mse)) > np.abs(np.diff(pull_mae)))
        if abs(outlier_x - fits[0].x.mean()) > 1.0:  # away from the centre, the slope tilts too
            d_mse = np.abs(np.diff([f.mse_slope for f in fits]))
            d_mae = np.abs(np.diff([f.mae_slope for f in fits]))
            assert np.all(d_mse > d_mae)


# --- one logit under BCE and under squared error -----------------------------


@pytest.mark.parametrize("target", [0.0, 1.0, 0.3])
@pytest.mark.parametrize("z", np.linspace(-7.0, 7.0, 15))
def test_logit_gradients_match_central_differences(z, target):
    r = wl.logit_losses(z, target)
    t = np.array([target])
    num_bce = numerical_gradient(lambda v: losses.binary_cross_entropy_with_logits(v, t), np.array([z]))
    num_se = numerical_gradient(lambda v: float((sigmoid(v)[0] - target) ** 2), np.array([z]))
    assert r.bce_grad == pytest.approx(num_bce[0], rel=1e-7, abs=1e-10)
    assert r.mse_grad == pytest.approx(num_se[0], rel=1e-7, abs=1e-10)
    assert r.p == pytest.approx(1 / (1 + np.exp(-z)), rel=1e-12)


@pytest.mark.parametrize("target", [0.0, 1.0])
def test_squared_error_gradient_is_at_most_half_the_bce_gradient(target):
    # d(SE)/dz = 2 p (1 - p) * d(BCE)/dz, and p (1 - p) <= 1/4.
    for z in np.linspace(-7.0, 7.0, 29):
        r = wl.logit_losses(z, target)
        assert abs(r.mse_grad) <= 0.5 * abs(r.bce_grad) + 1e-15


def test_confident_mistakes_keep_a_bce_gradient_but_lose_the_squared_error_one():
    # With y = 1: |dBCE/dz| = 1 - p grows towards 1 as z -> -inf, while
    # |dSE/dz| = 2 p (1 - p)^2 peaks at p = 1/3 (z = -ln 2) and decays to 0 below it.
    zs = np.linspace(-7.0, -np.log(2), 25)
    rs = [wl.logit_losses(z, 1.0) for z in zs]
    bce = np.abs([r.bce_grad for r in rs])
    se = np.abs([r.mse_grad for r in rs])
    assert np.all(np.diff(bce) < 0)  # larger the more wrong (z further left)
    assert np.all(np.diff(se) > 0)  # smaller the more wrong
    assert bce[0] > 1 - np.exp(-7.0) * 1.01  # 1 - sigmoid(-7) ~ 1 - e^-7
    assert se[0] < 2 * np.exp(-7.0)  # 2 p (1-p)^2 <= 2 p <= 2 e^z


def test_logit_losses_are_symmetric_in_the_label_and_stable():
    for z in np.linspace(-6.0, 6.0, 13):
        a, b = wl.logit_losses(z, 1.0), wl.logit_losses(-z, 0.0)
        assert a.bce == pytest.approx(b.bce, rel=1e-12)
        assert a.bce_grad == pytest.approx(-b.bce_grad, rel=1e-12)
    far = wl.logit_losses(-500.0, 1.0, z_max=800.0)
    assert np.all(np.isfinite(far.bce_curve))
    assert far.bce == pytest.approx(500.0, rel=1e-12)  # -log sigmoid(-500) = 500 + log(1 + e^-500)
    with pytest.raises(ValueError, match="target"):
        wl.logit_losses(0.0, 2.0)


# --- constants, gradient descent and the learning rate -------------------------


def test_mse_is_minimised_by_the_mean_and_mae_by_the_median():
    rng = np.random.default_rng(3)
    y = np.append(rng.normal(5.0, 1.0, 8), 40.0)  # odd n: a unique median
    grid = np.linspace(0.0, 45.0, 45001)
    step = grid[1] - grid[0]
    mse, mae = wl.constant_losses(y, grid)
    assert abs(grid[np.argmin(mse)] - y.mean()) <= step
    assert abs(grid[np.argmin(mae)] - np.median(y)) <= step


def test_descent_on_a_constant_converges_under_mse_and_chatters_under_mae():
    y = np.array([1.0, 2.0, 4.0, 7.0, 11.0])
    lr = 0.3  # for the mean MSE, dL/dc = 2 (c - mean): contraction factor |1 - 2 lr| = 0.4
    mse_path = wl.constant_descent(y, "mse", lr, 60)
    assert mse_path[-1] == pytest.approx(y.mean(), abs=1e-12)
    mae_path = wl.constant_descent(y, "mae", lr, 60)
    # Each MAE step has size lr * |#above - #below| / n >= lr / n (n odd): it never settles,
    # but it ends within one step (at most lr) of the median.
    tail = mae_path[-10:]
    assert np.all(np.abs(np.diff(tail)) >= lr / y.size - 1e-12)
    assert np.all(np.abs(tail - np.median(y)) <= lr)
    with pytest.raises(ValueError, match="mse"):
        wl.constant_descent(y, "huber", lr, 1)


@pytest.mark.parametrize("scale_name", ["sum", "half sum", "mean", "half mean"])
def test_largest_stable_lr_separates_convergence_from_divergence(scale_name):
    rng = np.random.default_rng(0)
    n = 40
    X = np.column_stack([np.ones(n), rng.uniform(0, 5, n)])
    y = X @ np.array([1.0, 2.0]) + rng.normal(0, 1, n)
    scale = {"sum": 1.0, "half sum": 0.5, "mean": 1 / n, "half mean": 1 / (2 * n)}[scale_name]
    lr_max = wl.largest_stable_lr(X, scale)

    def final_distance(lr, steps=4000):
        theta = np.zeros(2)
        for _ in range(steps):
            theta = theta - lr * 2 * scale * X.T @ (X @ theta - y)
        return np.linalg.norm(theta - np.linalg.lstsq(X, y, rcond=None)[0])

    assert final_distance(0.95 * lr_max) < 1e-6
    assert final_distance(1.05 * lr_max, steps=400) > 1e3


def test_sum_needs_a_learning_rate_n_times_smaller_than_mean():
    X = np.column_stack([np.ones(25), np.linspace(0, 1, 25)])
    assert wl.largest_stable_lr(X, 1.0) * 25 == pytest.approx(wl.largest_stable_lr(X, 1 / 25))
    with pytest.raises(ValueError, match="scale"):
        wl.largest_stable_lr(X, 0.0)


# --- the explorers build and draw ---------------------------------------------


@pytest.mark.parametrize(
    ("factory", "control", "values"),
    [(wl.outlier_explorer, "outlier_y", [10.0, 40.0]), (wl.logit_explorer, "z", [-6.0, 3.0])],
)
def test_explorers_draw_at_defaults_and_as_small_multiples(factory, control, values):
    explorer = factory()
    assert isinstance(explorer, Explorer)
    fig = explorer.figure()
    assert fig.axes and fig.axes[0].get_xlabel()
    fig2 = explorer.small_multiples(control, values)
    assert sum(ax.get_visible() for ax in fig2.axes) == len(values)
    explorer.widget()
    plt.close("all")
