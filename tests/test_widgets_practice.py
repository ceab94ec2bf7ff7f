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
