"""Tests of the regularization chapter's compute functions, over grids of slider values.

Each test states what the learner should see in a figure or widget, and checks it
against theory or an independent reference computation.
"""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from course_lib import regression, regularization  # noqa: E402
from course_lib.widgets import Explorer  # noqa: E402
from course_lib.widgets import regularization as R  # noqa: E402

# Relative slack for comparisons that theory says are exact but floating point rounds.
RTOL = 1e-9


@pytest.fixture(scope="module")
def poly():
    return R.make_poly_data()  # the chapter's data set


# --- polynomial ridge regression -------------------------------------------------------------


@pytest.mark.parametrize("degree", [3, 8, 12, 15])
def test_higher_lambda_smaller_norm_and_higher_training_error(poly, degree):
    # Ridge in SVD form, w(λ) = Σ s_i/(s_i²+λ) (u_iᵀy) v_i: every coefficient shrinks as λ
    # grows, so ‖w‖ strictly decreases; and the training error, the quantity ridge gives
    # up to buy a smaller norm, can only grow.
    sweep = R.lambda_sweep(degree, R.LAMBDAS, poly)
    assert np.all(np.diff(sweep.weight_norm) < 0)
    assert np.all(np.diff(sweep.train_error) >= -RTOL * sweep.train_error[:-1])
    assert sweep.train_error[-1] > sweep.train_error[0]


@pytest.mark.parametrize("lam", [0.0, 0.08, 5.12])
def test_fit_matches_scikit_learn_ridge_with_the_seeds_lambda(poly, lam):
    # The course notes' J = 1/(2m)Σ(h-y)² + λ/(2m)Σ_{j>=1}θ_j² has the minimiser of
    # scikit-learn's Ridge(alpha=λ), which also leaves the intercept unpenalised.
    from sklearn.linear_model import Ridge

    fit = R.fit_poly_ridge(5, lam, poly)
    powers = regression.polynomial_features(poly.x_train, 5, include_bias=False)
    Z = (powers - powers.mean(axis=0)) / powers.std(axis=0)
    if lam > 0:
        coef = Ridge(alpha=lam, solver="svd").fit(Z, poly.y_train).coef_
    else:
        coef = np.linalg.lstsq(Z, poly.y_train - poly.y_train.mean(), rcond=None)[0]
    np.testing.assert_allclose(fit.weights, coef, rtol=1e-6, atol=1e-8)
    assert fit.intercept == pytest.approx(poly.y_train.mean())


@pytest.mark.parametrize("degree", [12, 15])
def test_best_lambda_on_doubling_grid_beats_no_penalty(poly, degree):
    sweep = R.lambda_sweep(degree, R.LAMBDAS, poly)
    grid = R.lambda_sweep(degree, regularization.lambda_grid(), poly)
    assert grid.val_error.min() < sweep.val_error[0]
    # ... and λ = 0 shows the signature of high variance: a training error far below
    # the validation error.
    assert sweep.train_error[0] < sweep.val_error[0] / 10


def test_degree_sweep_underfits_then_overfits(poly):
    sweep = R.degree_sweep(range(1, 16), 0.0, poly)
    # Least squares over nested models: a higher degree never fits the training set worse.
    assert np.all(np.diff(sweep.train_error) <= RTOL * sweep.train_error[:-1])
    # Degree 1 cannot represent the cubic (bias); degree 15 fits the noise (variance).
    assert sweep.val_error[0] > sweep.val_error[2] and sweep.val_error[-1] > sweep.val_error[2]
    assert sweep.best == 3


def test_learning_curves_read_as_bias_and_variance():
    x = np.linspace(-2.5, 2.5, 20_001)  # noisy_polynomial's x is uniform on this interval
    truth = R.PolyData.truth(x)
    line = np.polynomial.polynomial.polyfit(x, truth, 1)
    # Reference: J of the best straight line for infinitely many samples.
    j_line = 0.5 * np.mean((np.polynomial.polynomial.polyval(x, line) - truth) ** 2) + 0.5
    sizes = [4, 8, 16, 32, 64, 128, 192]
    bias = R.learning_curve(1, 0.0, sizes, rng=0)
    assert bias.val_error[-1] == pytest.approx(j_line, rel=0.1)
    assert bias.train_error[-1] == pytest.approx(j_line, rel=0.1)
    assert bias.train_error[-1] > 5 * bias.noise_floor  # both errors far above the noise: bias

    var = R.learning_curve(10, 0.0, [12, 16, 32, 64, 128, 192], rng=0)
    gap = var.val_error - var.train_error
    assert gap[0] > 100 * gap[-1]  # a huge gap that more data closes: variance
    # Least squares with p = 11 parameters on m points: E[test MSE] ≈ σ²(1 + p/m)
    # (random design, roughly); allow twice that excess.
    assert var.val_error[-1] < var.noise_floor * (1 + 2 * 11 / 192)


# --- L1 versus L2 ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sparse():
    return R.sparse_regression_data(rng=0)


def test_l1_wins_on_a_sparse_problem_and_zeroes_weights(sparse):
    # The chapter's comparison: most true weights are zero, so L1 (chosen on the
    # validation set) beats L2, which beats no penalty, and only L1 gives exact zeros.
    grid = regularization.lambda_grid()
    _, w_none, val_none = R.choose_penalty(sparse, "none", [0.0])
    lam_l2, w_l2, val_l2 = R.choose_penalty(sparse, "l2", grid)
    lam_l1, w_l1, val_l1 = R.choose_penalty(sparse, "l1", grid)
    assert val_l1.min() < val_l2.min() < val_none.min()
    assert np.sum(w_l1 == 0) > len(w_l1) // 3 and np.sum(w_l2 == 0) == np.sum(w_none == 0) == 0
    assert np.sum((w_l1 == 0) & (sparse.true_weights != 0)) <= 3  # it keeps the real ones
    assert lam_l1 in grid and lam_l2 in grid


# --- Adam + L2 versus AdamW ---------------------------------------------------------------------------


def test_decay_race():
    race = R.decay_race()
    lr, wd, T = race.lr, race.weight_decay, race.steps[-1]
    loud, quiet = 0, 1  # noise_scales = (10, 0.01)
    # AdamW shrinks every weight by (1 - αλ) per step, whatever its gradients.
    for k in (loud, quiet):
        dev = np.abs(race.adamw[k] - race.plain)
        assert np.all(dev <= 5 * race.adamw_sem[k] + 1e-12)
    # Adam + L2: the decay gradient λθ is divided by sqrt(v) ≈ the noise std σ, so a loud
    # weight decays like exp(-αλt/σ) ...
    expected = np.exp(-lr * wd * T / race.noise_scales[loud])
    assert abs(race.adam[loud, -1] - expected) <= 5 * race.adam_sem[loud, -1] + 0.02
    assert race.adam[loud, -1] > 4 * race.plain[-1]
    # ... while for a quiet weight λθ dominates g, Adam's step is ≈ α·sign(θ), and the
    # weight reaches 0 after about 1/α steps.
    assert abs(race.adam[quiet, int(2 / lr)]) < 0.05


# --- dropout -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dropout_fits(poly):
    return {p: R.fit_dropout_net(p, poly) for p in R.DROPOUT_RATES}


def test_eval_mode_is_deterministic(poly, dropout_fits):
    fit = dropout_fits[0.5]
    X = np.linspace(-2, 2, 50)[:, None]
    np.testing.assert_array_equal(fit.model(X), fit.model(X))
    again = R.fit_dropout_net(0.5, poly)
    np.testing.assert_array_equal(again.y_eval, fit.y_eval)
    # Thinned networks differ from each other; with p = 0 there is nothing to thin.
    assert np.ptp(fit.y_thinned, axis=0).max() > 0
    np.testing.assert_allclose(dropout_fits[0.0].y_thinned, dropout_fits[0.0].y_thinned[[0] * 4])


@pytest.mark.parametrize("p", [0.2, 0.5])
def test_eval_output_is_the_average_of_thinned_networks(dropout_fits, p):
    # Dropout sits right before the last (linear) layer and E[mask/(1-p)] = 1, so the
    # eval-mode output equals the mean over masks exactly; Monte Carlo must agree.
    fit = dropout_fits[p]
    X = np.linspace(-2, 2, 25)[:, None]
    mean, sem = regularization.thinned_average(fit.model, X, 4000)
    assert np.all(np.abs(mean - fit.model(X)) <= 5 * sem)
    assert not fit.model.training


def test_training_curves_and_the_effect_of_p(dropout_fits):
    fits = [dropout_fits[p] for p in R.DROPOUT_RATES]
    for f in fits:
        assert len(f.loss) == len(f.val_loss) == 1000 and np.all(np.isfinite(f.val_loss))
        assert f.loss[-1] < f.loss[0] / 5  # it trains
    train = np.array([f.train_error for f in fits])
    val = np.array([f.val_error for f in fits])
    # The more units are dropped, the less the network can thread the training points ...
    assert np.all(np.diff(train) > 0)
    # ... and some dropout generalises better than none.
    assert val.min() < val[0]


def test_train_mode_loss_is_at_least_eval_mode_loss(dropout_fits, poly):
    # E_mask[(f_mask - y)²] = (E f_mask - y)² + Var f_mask, and E f_mask is the eval output.
    fit = dropout_fits[0.5]
    mu, sd = poly.x_train.mean(), poly.x_train.std()
    X = ((poly.x_train - mu) / sd)[:, None]
    fit.model.train()
    losses = np.array([R.half_mse(fit.model(X)[:, 0], poly.y_train) for _ in range(500)])
    fit.model.eval()
    assert losses.mean() - 5 * losses.std(ddof=1) / np.sqrt(500) > fit.train_error


# --- explorers ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("factory", [R.poly_ridge_explorer, R.dropout_explorer])
def test_explorers_draw(factory):
    explorer = factory()
    assert isinstance(explorer, Explorer)
    fig = explorer.figure()
    assert fig.axes and fig.axes[0].get_xlabel() == "x"
    plt.close(fig)
    explorer.widget()


def test_small_multiples_draw():
    fig = R.poly_ridge_explorer().small_multiples("lam", [0.0, 0.01, 0.16, 5.12])
    assert len([ax for ax in fig.axes if ax.get_visible()]) == 4
    plt.close(fig)
    fig = R.poly_ridge_explorer().small_multiples("degree", [1, 3, 15])
    plt.close(fig)
