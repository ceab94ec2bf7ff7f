"""The chapter-7 explorers' compute functions, over a grid of slider values."""

import itertools

import numpy as np
import pytest

from course_lib import optim
from course_lib.widgets import practice as P


@pytest.mark.parametrize("schedule,warmup", list(itertools.product(P.SCHEDULE_NAMES, [1, 2, 5, 10, 20])))
def test_schedule_curve_over_the_grid(schedule, warmup):
    c = P.schedule_curve(schedule, warmup, lr=0.1, epochs=40)
    assert c.lr.shape == (40,) and np.all(c.lr > 0) and np.all(c.lr <= 0.1 + 1e-12)
    if schedule == "constant":
        np.testing.assert_allclose(c.lr, 0.1)
    elif schedule in P.WARMUP_SCHEDULES:
        peak = int(np.argmax(c.lr))
        assert c.lr[0] < 0.05 and abs(peak - warmup) <= 1      # ramps up to the peak at the warmup's end
        assert np.all(np.diff(c.lr[: peak + 1]) > 0)
        assert np.all(np.diff(c.lr[peak:]) <= 1e-15)
    else:
        assert c.lr[0] == pytest.approx(0.1) and np.all(np.diff(c.lr) <= 1e-15)
    if schedule == "one-cycle":  # momentum moves against the rate: lowest at the peak
        assert c.momentum[0] == pytest.approx(0.95)
        assert c.momentum[int(np.argmax(c.lr))] == pytest.approx(c.momentum.min())
    else:
        np.testing.assert_allclose(c.momentum, 0.9)


def test_warmup_changes_only_the_warmup_schedules():
    for schedule in P.SCHEDULE_NAMES:
        a, b = P.schedule_curve(schedule, 2), P.schedule_curve(schedule, 10)
        assert np.array_equal(a.lr, b.lr) == (schedule not in P.WARMUP_SCHEDULES)
        inactive = P.schedule_explorer().inactive_controls(schedule=schedule)
        assert ("warmup" in inactive) == (schedule not in P.WARMUP_SCHEDULES)


def test_make_scheduler_rejects_bad_input():
    opt = optim.SGD([optim_param()], lr=0.1)
    with pytest.raises(ValueError, match="unknown schedule"):
        P.make_scheduler("linear", opt, epochs=10)
    with pytest.raises(ValueError, match="warmup must lie in 1..9"):
        P.make_scheduler("one-cycle", opt, epochs=10, warmup=10)


def optim_param():
    from course_lib.layers import Parameter
    return Parameter(np.zeros(1))


@pytest.mark.parametrize("depth,activation,residual",
                         list(itertools.product([2, 5, 10, 20, 40], P.ACTIVATION_NAMES, [False, True])))
def test_gradient_flow_over_the_grid(depth, activation, residual):
    f = P.gradient_flow(depth, activation, residual)
    assert f.grad_norms.shape == (depth,) and np.all(np.isfinite(f.grad_norms)) and np.all(f.grad_norms > 0)
    if activation == "sigmoid" and not residual and depth >= 10:
        assert f.ratio < 1e-5                    # vanishing: the input side barely learns
    if residual and activation != "relu":
        assert f.grad_norms.min() > 0.1          # the identity path carries the gradient


def test_gradient_flow_vanishing_grows_with_depth_and_residual_cures_it():
    ratios = [P.gradient_flow(d, "sigmoid", False).ratio for d in (5, 10, 20, 40)]
    assert all(np.diff(np.log(ratios)) < 0)
    assert P.gradient_flow(40, "sigmoid", True).ratio > 1e20 * P.gradient_flow(40, "sigmoid", False).ratio


def test_deep_net_rejects_unknown_activation():
    with pytest.raises(ValueError, match="unknown activation 'gelu'"):
        P.deep_net(3, "gelu")


def test_train_with_schedule_runs_and_learns():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 8))
    y = (X[:, 0] > 0).astype(int)
    hist = P.train_with_schedule("warmup + cosine", X, y, (X, y), epochs=6, warmup=2, hidden=16)
    assert len(hist.loss) == 6 and hist.loss[-1] < hist.loss[0]


def test_grid_points_are_log_spaced_and_random_points_log_uniform():
    g = P.grid_points((1e-4, 1e-5), (1.0, 1e-1), 3)
    assert g.shape == (9, 2)
    np.testing.assert_allclose(np.unique(g[:, 0]), [1e-4, 1e-2, 1.0])
    r = P.random_points((1e-4, 1e-5), (1.0, 1e-1), 4000, rng=0)
    assert r.shape == (4000, 2) and np.all((r[:, 0] >= 1e-4) & (r[:, 0] <= 1.0))
    # log-uniform: each decade of [1e-4, 1] gets about a quarter of the points
    counts = np.histogram(np.log10(r[:, 0]), bins=4, range=(-4, 0))[0]
    assert np.all(np.abs(counts / 4000 - 0.25) < 0.03)
    assert len(np.unique(r[:9, 0])) == 9          # nine trials test nine rates; the grid tests three
    with pytest.raises(ValueError, match="every high must exceed its low"):
        P.random_points((1.0, 1.0), (0.1, 2.0), 3)


def small_digits():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 8))
    y = np.argmax(X[:, :3], axis=1)
    return X, y


def test_search_trial_prefers_a_sensible_rate():
    X, y = small_digits()
    losses = [P.search_trial(lr, 1e-4, X, y, (X, y), epochs=5) for lr in (1e-5, 1e-2)]
    assert losses[1] < losses[0]


@pytest.mark.parametrize("norm", P.NORM_NAMES)
def test_normed_mlp_layers_and_training(norm):
    net = P.normed_mlp((8, 16, 16, 3), norm, rng=0)
    kinds = [type(m).__name__ for m in net]
    assert kinds.count(norm) == (0 if norm == "none" else 2)
    X, y = small_digits()
    hist = P.train_normed(norm, 7, X, y, (X, y), epochs=3)   # 120 % 7 = 1: the lone example is dropped
    assert len(hist.loss) == 3 and np.isfinite(hist.loss[-1])
    with pytest.raises(ValueError, match="unknown norm"):
        P.normed_mlp((8, 3), "GroupNorm")


def test_gallery_recipes_run_and_the_shuffled_labels_do_not_generalise():
    X, y = small_digits()
    with pytest.raises(ValueError, match="unknown recipe"):
        P.gallery_run("wobbly", X, y, (X, y))
    honest = P.gallery_run("healthy", X, y, (X, y))
    shuffled = P.gallery_run("labels shuffled (a bug)", X, y, (X, y))
    assert shuffled.val_loss[-1] > 2 * honest.val_loss[-1]


def test_train_deep_residual_diverges_without_help_and_trains_with_clipping():
    import warnings

    from course_lib import data, training

    X, y = data.load_digits()
    X = data.standardize(X)[0]
    with pytest.warns(training.DivergenceWarning):
        plain = P.train_deep_residual(X, y, (X, y), epochs=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error", training.DivergenceWarning)
        clipped = P.train_deep_residual(X, y, (X, y), epochs=2, callbacks=[training.ClipGradNorm(10.0)])
        warm = P.train_deep_residual(X, y, (X, y), epochs=4, schedule="warmup + cosine")
    assert plain.diverged and not clipped.diverged and not warm.diverged
    assert clipped.loss[-1] < clipped.loss[0]
