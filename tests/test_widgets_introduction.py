"""Tests for course_lib.widgets.introduction: what the introduction chapter shows its reader.

Each test states what the learner should see at a grid of slider values. The
gradient-descent thresholds come from the closed form of the one-weight fit
(a parabola of curvature h, so w_k - w* = (1 - lr h)^k (w_0 - w*)); the
approximation bounds from what a one-unit network can represent (a monotone
function) and from the constant predictor.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from sklearn.isotonic import IsotonicRegression  # noqa: E402

from course_lib import data, layers, losses, optim, training  # noqa: E402
from course_lib.widgets import Explorer  # noqa: E402
from course_lib.widgets import introduction as wi  # noqa: E402


def _line(x_range=(-2.0, 2.0), standardized=True, seed=0):
    X, y = data.noisy_line(40, slope=2.0, intercept=0.0, noise=1.0, x_range=x_range, rng=seed)
    x = data.standardize(X)[0][:, 0] if standardized else X[:, 0]
    return x, y


X_STD, Y_STD = _line()  # mean(x^2) = 1, so h = 2: 1/h = 0.5 and 2/h = 1
LR_SLIDER = np.round(np.arange(0.05, 1.2001, 0.05), 2)  # the slider's values (0 tested apart)


# ------------------------------------------------------------- full-batch descent


def test_curvature_and_minimiser_of_the_line_fit():
    p = wi.descend_line(0.1, X_STD, Y_STD)
    assert p.curvature == pytest.approx(2 * np.mean(X_STD**2)) == pytest.approx(2.0)
    assert p.lr_limit == pytest.approx(1.0)
    # w* from least squares, computed independently
    w_ls = np.linalg.lstsq(X_STD[:, None], Y_STD, rcond=None)[0][0]
    assert p.w_star == pytest.approx(w_ls)
    assert wi.line_loss_grad(p.w_star, X_STD, Y_STD) == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("lr", LR_SLIDER)
def test_iterates_follow_the_closed_form(lr):
    p = wi.descend_line(lr, X_STD, Y_STD, w0=-1.0, n_steps=10)
    k = np.arange(11)
    expected = p.w_star + (1 - lr * p.curvature) ** k * (-1.0 - p.w_star)
    np.testing.assert_allclose(p.w, expected, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("lr", [v for v in LR_SLIDER if v < 1.0])
def test_below_two_over_h_the_loss_decreases_every_step(lr):
    p = wi.descend_line(lr, X_STD, Y_STD)
    # strictly until float64 can no longer tell J(w_k) from J(w*) (lr near 1/h lands there fast)
    assert np.all(np.diff(p.loss) <= 1e-12)
    assert p.loss[1] < p.loss[0]
    assert abs(p.w[-1] - p.w_star) < abs(p.w[0] - p.w_star)


@pytest.mark.parametrize("lr", [v for v in LR_SLIDER if v > 1.0])
def test_above_two_over_h_gradient_descent_diverges(lr):
    p = wi.descend_line(lr, X_STD, Y_STD)
    assert p.regime == "diverges"
    assert np.all(np.diff(p.loss) > 0)
    growth = abs(1 - lr * p.curvature) ** 10
    assert abs(p.w[-1] - p.w_star) == pytest.approx(growth * abs(p.w[0] - p.w_star))


@pytest.mark.parametrize("lr", [v for v in LR_SLIDER if v < 0.5])
def test_below_one_over_h_no_overshoot(lr):
    p = wi.descend_line(lr, X_STD, Y_STD)
    assert p.regime == "converges"
    assert np.all(p.w < p.w_star)  # w_0 = -1 < w*: every iterate stays on that side


@pytest.mark.parametrize("lr", [v for v in LR_SLIDER if 0.5 < v < 1.0])
def test_between_one_and_two_over_h_it_oscillates_but_converges(lr):
    p = wi.descend_line(lr, X_STD, Y_STD)
    assert p.regime == "converges, oscillating"
    signs = np.sign(p.w - p.w_star)
    assert np.all(signs[1:] == -signs[:-1])  # crosses w* at every step


def test_special_learning_rates():
    assert wi.descend_line(0.0, X_STD, Y_STD).regime == "no progress"
    one_step = wi.descend_line(0.5, X_STD, Y_STD)
    assert one_step.regime == "converges in one step"
    assert one_step.w[1] == pytest.approx(one_step.w_star)
    edge = wi.descend_line(1.0, X_STD, Y_STD)  # factor -1: bounces between w0 and 2w* - w0
    assert abs(edge.w[-1] - edge.w_star) == pytest.approx(abs(edge.w[0] - edge.w_star))


@pytest.mark.parametrize("fraction, converges", [(0.95, True), (1.05, False)])
def test_the_limit_moves_with_the_scale_of_x(fraction, converges):
    # unstandardized x in [0, 5]: h = 2 mean(x^2) is about 17, so the limit 2/h is about 0.12
    x, y = _line(x_range=(0.0, 5.0), standardized=False)
    limit = 1.0 / np.mean(x**2)
    p = wi.descend_line(fraction * limit, x, y, n_steps=30)
    assert p.lr_limit == pytest.approx(limit)
    assert bool(abs(p.w[-1] - p.w_star) < abs(p.w[0] - p.w_star)) == converges


def test_descend_line_rejects_bad_input():
    with pytest.raises(ValueError, match="learning rate"):
        wi.descend_line(-0.1, X_STD, Y_STD)
    with pytest.raises(ValueError, match="same shape"):
        wi.descend_line(0.1, X_STD, Y_STD[:-1])
    with pytest.raises(ValueError, match="all zeros"):
        wi.descend_line(0.1, np.zeros(5), np.ones(5))


# ------------------------------------------------------------ stochastic descent


def test_full_batch_sgd_line_converges_like_gradient_descent():
    lr, epochs = 0.2, 30
    p = wi.sgd_line(lr, None, X_STD, Y_STD, epochs=epochs, rng=0)
    assert p.updates_per_epoch == 1
    bound = abs(1 - lr * 2.0) ** (epochs - 1) * abs(-1.0 - p.w_star)  # closed form at w_{epochs-1}
    assert p.last_epoch_rms() <= bound * (1 + 1e-9)


def test_sgd_hovers_around_the_minimum_more_widely_for_larger_learning_rates():
    # Linearised around w*, SGD with constant lr keeps a stationary spread whose
    # variance lr * s^2 / (h (2 - lr h)) grows with lr; full batch has none.
    rms = [wi.sgd_line(lr, 1, X_STD, Y_STD, epochs=30, rng=3).last_epoch_rms()
           for lr in (0.01, 0.02, 0.05, 0.1, 0.2)]  # fmt: skip
    assert np.all(np.diff(rms) > 0)
    assert rms[-1] > 3 * rms[1]  # the chapter's two settings, 0.02 and 0.2, differ clearly


def test_sgd_line_has_one_update_per_example():
    p = wi.sgd_line(0.02, 1, X_STD, Y_STD, epochs=3, rng=0)
    assert p.updates_per_epoch == len(X_STD)
    assert len(p.w) == 3 * len(X_STD) + 1


# ------------------------------------------------------- universal approximation


@pytest.fixture(scope="module")
def fits():
    return {h: wi.fit_curve(h) for h in (1, 2, 4, 16)}


def test_more_hidden_units_fit_better_on_the_chapters_grid(fits):
    mse = [fits[h].mse for h in (1, 2, 4, 16)]
    err = [fits[h].max_error for h in (1, 2, 4, 16)]
    assert np.all(np.diff(mse) < 0)
    assert np.all(np.diff(err) < 0)


def test_one_unit_cannot_beat_the_best_monotone_fit(fits):
    # a * tanh(w x + b) + c is monotone in x, so its MSE is at least that of the best
    # monotone (isotonic) fit to the same points.
    r = fits[1]
    best = min(
        np.mean((IsotonicRegression(increasing=inc).fit_transform(r.x_train, r.y_train) - r.y_train) ** 2)
        for inc in (True, False)
    )
    assert r.mse >= best
    assert np.all(np.diff(r.prediction) >= -1e-12) or np.all(np.diff(r.prediction) <= 1e-12)


def test_sixteen_units_are_indistinguishable_from_the_target_at_the_figures_scale(fits):
    # the panels span y in [-2.2, 2.2]; 0.05 is about 1 % of that, under a line width
    assert fits[16].max_error < 0.05


@pytest.mark.parametrize("h", wi.HIDDEN_UNITS)
def test_every_slider_setting_beats_the_constant_predictor(h):
    r = wi.fit_curve(h, epochs=500)
    assert r.mse < np.var(r.y_train)  # the best constant has MSE = Var(y)
    assert np.isfinite(r.prediction).all()


def test_fit_curve_is_deterministic():
    a, b = wi.fit_curve.__wrapped__(3, epochs=200), wi.fit_curve.__wrapped__(3, epochs=200)
    np.testing.assert_array_equal(a.prediction, b.prediction)


# ---------------------------------------------------------- networks and loops


@pytest.fixture(scope="module")
def digits_small():
    X, y = data.load_digits()
    return X[:300] / 16, y[:300]


def test_fit_is_the_hand_written_loop(digits_small):
    # The chapter's claim: training.fit runs exactly the course notes' loop. Same initial
    # weights and shuffles (train_with_batch_size uses `seed` for both) -> same losses.
    X, y = digits_small
    net = layers.mlp((64, 16, 10), rng=1)
    loss_fn, opt = losses.CrossEntropyLoss(), optim.SGD(net.parameters(), lr=0.2)
    gen = np.random.default_rng(1)
    by_hand = []
    for _ in range(3):
        total = 0.0
        for xb, yb in training.make_batches(X, y, 32, rng=gen):
            opt.zero_grad()
            error = loss_fn(net(xb), yb)
            net.backward(loss_fn.backward())
            opt.step()
            total += error * len(xb)
        by_hand.append(total / len(X))
    history = wi.train_with_batch_size(32, X, y, lr=0.2, epochs=3, n_hidden=16, seed=1)
    assert history.loss == by_hand


def test_per_epoch_smaller_batches_make_more_progress(digits_small):
    # Same lr and epochs: n updates per epoch (SGD) beat n/32 (mini-batch) beat 1 (full batch).
    X, y = digits_small
    final = {bs: wi.train_with_batch_size(bs, X, y, lr=0.1, epochs=4, seed=1).loss[-1]
             for bs in (None, 32, 1)}
    assert final[1] < final[32] < final[None]


# ---------------------------------------------------------------- explorers


@pytest.mark.parametrize(
    "factory, control, values",
    [
        (lambda: wi.learning_rate_explorer(X_STD, Y_STD), "lr", [0.1, 0.5, 0.8, 1.05]),
        (lambda: wi.approximation_explorer(epochs=100), "hidden_units", [1, 2]),
    ],
)
def test_explorers_draw_at_defaults_and_as_small_multiples(factory, control, values):
    explorer = factory()
    assert isinstance(explorer, Explorer)
    assert control in explorer.controls
    fig = explorer.figure()
    assert fig.axes and fig.axes[0].get_xlabel()
    plt.close(fig)
    fig = explorer.small_multiples(control, values)
    assert sum(ax.get_visible() for ax in fig.axes) == len(values)
    plt.close(fig)
    explorer.widget()
    plt.close("all")


def test_learning_rate_slider_spans_all_regimes():
    explorer = wi.learning_rate_explorer(X_STD, Y_STD)
    slider = explorer.controls["lr"]
    values = np.arange(slider.min, slider.max + 1e-9, slider.step)
    regimes = {wi.descend_line(v, X_STD, Y_STD).regime for v in values}
    assert {"no progress", "converges", "converges, oscillating", "diverges"} <= regimes
