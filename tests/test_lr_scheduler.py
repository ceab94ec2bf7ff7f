"""Tests for the chapter-7 schedulers of course_lib.optim.lr_scheduler.

(StepLR, ExponentialLR and InverseTimeLR are tested in test_optim.py; every
scheduler is compared with PyTorch's numbers in test_reference.py.)
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from course_lib import optim
from course_lib.optim import (
    SGD,
    Adagrad,
    Adam,
    CosineAnnealingLR,
    ExponentialLR,
    LambdaLR,
    LinearLR,
    OneCycleLR,
    ReduceLROnPlateau,
    SequentialLR,
    StepLR,
)


class P:
    def __init__(self, data):
        self.data = np.array(data, dtype=float)
        self.grad = None


def _sgd(lr=0.1, **kw):
    return SGD([P(np.zeros(2))], lr=lr, **kw)


def _run(sched, n):
    """Learning rates of steps 0..n-1 (read before each step)."""
    lrs = []
    for _ in range(n):
        lrs.append(sched.get_last_lr()[0])
        assert sched.optimizer.param_groups[0]["lr"] == lrs[-1]
        sched.step()
    return np.array(lrs)


# ------------------------------------------------------------ LinearLR, cosine


def test_linear_lr_is_its_formula_then_constant():
    lrs = _run(LinearLR(_sgd(0.2), start_factor=0.25, end_factor=0.75, total_iters=8), 15)
    epochs = np.arange(15)
    want = 0.2 * (0.25 + 0.5 * np.minimum(epochs, 8) / 8)
    np.testing.assert_allclose(lrs, want, rtol=1e-15)
    assert lrs[-1] == lrs[8] == pytest.approx(0.15)


def test_cosine_annealing_reaches_eta_min_at_t_max_and_matches_its_formula():
    lrs = _run(CosineAnnealingLR(_sgd(0.1), T_max=10, eta_min=0.01), 21)
    np.testing.assert_allclose(lrs, optim.cosine_annealing(0.1, np.arange(21), 10, 0.01), rtol=1e-15)
    assert lrs[0] == 0.1 and lrs[10] == pytest.approx(0.01) and lrs[20] == pytest.approx(0.1)
    assert np.all(np.diff(lrs[:11]) < 0)
    assert isinstance(optim.cosine_annealing(0.1, 3, 10), float)


@given(lr0=st.floats(1e-4, 1.0), frac=st.floats(0.0, 1.0), t_max=st.integers(1, 100))
def test_cosine_stays_between_eta_min_and_lr0(lr0, frac, t_max):
    eta_min = frac * lr0
    lrs = optim.cosine_annealing(lr0, np.arange(2 * t_max + 1), t_max, eta_min)
    assert np.all(lrs >= eta_min - 1e-15) and np.all(lrs <= lr0 + 1e-15)


def test_lambda_lr_one_function_per_group():
    opt = SGD([{"params": [P(np.zeros(1))]}, {"params": [P(np.zeros(1))], "lr": 0.5}], lr=0.1)
    sched = LambdaLR(opt, [lambda e: 0.9**e, lambda e: 1 / (e + 1)])
    for epoch in range(5):
        np.testing.assert_allclose(sched.get_last_lr(), [0.1 * 0.9**epoch, 0.5 / (epoch + 1)])
        sched.step()
    with pytest.raises(ValueError, match="one value per parameter group: got 1 values for 2"):
        LambdaLR(opt, [lambda e: 1.0])
    with pytest.raises(TypeError, match="function of the epoch"):
        LambdaLR(_sgd(), 0.5)


# ----------------------------------------------------------------- SequentialLR


def test_sequential_warmup_then_cosine_restarts_the_cosine_at_the_milestone():
    opt = _sgd(0.1)
    warmup = LinearLR(opt, start_factor=0.1, total_iters=5)
    cosine = CosineAnnealingLR(opt, T_max=15)
    lrs = _run(SequentialLR(opt, [warmup, cosine], milestones=[5]), 20)
    want = np.concatenate([0.1 * (0.1 + 0.9 * np.arange(5) / 5),
                           optim.cosine_annealing(0.1, np.arange(15), 15)])  # fmt: skip
    np.testing.assert_allclose(lrs, want, rtol=1e-14)
    assert cosine.base_lrs == [0.1]  # the first scheduler's initial lr, not its warmed-down one


def test_a_second_scheduler_starts_from_the_initial_lr_as_in_pytorch():
    opt = _sgd(0.3)
    StepLR(opt, step_size=1, gamma=0.5).step()
    assert opt.lr == 0.15
    assert ExponentialLR(opt, gamma=0.9).base_lrs == [0.3]  # group["initial_lr"]


@pytest.mark.parametrize(
    "make, error, match",
    [
        (lambda o: SequentialLR(o, [], []), ValueError, "at least one scheduler"),
        (lambda o: SequentialLR(o, [LinearLR(o), LinearLR(o)], []), ValueError, "one milestone fewer"),
        (lambda o: SequentialLR(o, [LinearLR(o), LinearLR(o), LinearLR(o)], [5, 5]), ValueError,
         "milestones must increase"),
        (lambda o: SequentialLR(o, [LinearLR(_sgd())], []), ValueError, "another optimizer"),
        (lambda o: SequentialLR(o, [LinearLR(o), ReduceLROnPlateau(o)], [3]), ValueError,
         "does not support ReduceLROnPlateau"),
        (lambda o: SequentialLR(o, [LinearLR(o), "cosine"], [3]), TypeError, "not an LRScheduler"),
    ],
)
def test_sequential_rejects_bad_arguments(make, error, match):
    with pytest.raises(error, match=match):
        make(_sgd())


# ------------------------------------------------------------------- OneCycleLR


def test_one_cycle_shape_peak_and_end():
    opt = _sgd(0.123, momentum=0.5)
    sched = OneCycleLR(opt, max_lr=1.0, total_steps=100, pct_start=0.3)
    lrs, momenta = [], []
    for _ in range(100):
        lrs.append(sched.get_last_lr()[0])
        momenta.append(opt.param_groups[0]["momentum"])
        sched.step()
    lrs, momenta = np.array(lrs), np.array(momenta)
    assert lrs[0] == pytest.approx(1.0 / 25) and int(np.argmax(lrs)) == 29 and lrs[29] == 1.0
    assert lrs[-1] == pytest.approx(1.0 / 25 / 1e4)
    assert momenta[0] == 0.95 and momenta[29] == 0.85 and momenta[-1] == pytest.approx(0.95)
    assert np.all(np.diff(lrs[:30]) > 0) and np.all(np.diff(lrs[29:]) < 0)
    np.testing.assert_array_equal(np.sign(np.diff(momenta)), -np.sign(np.diff(lrs)))  # opposite ways
    phase1 = (lrs[:30] - lrs[0]) / (1.0 - lrs[0])  # the same progress drives both
    np.testing.assert_allclose((0.95 - momenta[:30]) / 0.1, phase1, atol=1e-12)
    assert sched.base_lrs == [1.0 / 25]  # the optimizer's own lr is ignored
    with pytest.raises(ValueError, match="Tried to step 101 times"):
        sched.step()


def test_one_cycle_cycles_adams_beta1_and_keeps_beta2():
    opt = Adam([P(np.zeros(2))], betas=(0.9, 0.99))
    sched = OneCycleLR(opt, max_lr=0.01, epochs=2, steps_per_epoch=10, base_momentum=0.8)
    assert sched.total_steps == 20 and opt.param_groups[0]["betas"] == (0.95, 0.99)
    for _ in range(5):  # the peak: step pct_start * total_steps - 1
        sched.step()
    beta1, beta2 = opt.param_groups[0]["betas"]
    assert beta2 == 0.99 and beta1 == pytest.approx(0.8)


@given(total=st.integers(2, 200), pct=st.floats(0.05, 0.95), three_phase=st.booleans(),
       strategy=st.sampled_from(["cos", "linear"]))
def test_one_cycle_stays_between_its_minimum_and_peak(total, pct, three_phase, strategy):
    opt = _sgd(momentum=0.9)
    sched = OneCycleLR(opt, max_lr=0.5, total_steps=total, pct_start=pct, three_phase=three_phase,
                       anneal_strategy=strategy)  # fmt: skip
    for _ in range(total - 1):
        sched.step()
        lr, m = opt.param_groups[0]["lr"], opt.param_groups[0]["momentum"]
        assert 0.5 / 25 / 1e4 * (1 - 1e-9) <= lr <= 0.5 * (1 + 1e-12)
        assert 0.85 - 1e-12 <= m <= 0.95 + 1e-12


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({}, ValueError, "either total_steps OR"),
        ({"total_steps": 0}, ValueError, "Invalid total_steps"),
        ({"epochs": 2}, ValueError, "either total_steps OR"),
        ({"total_steps": 10, "pct_start": 1}, ValueError, "Expected float between 0 and 1 pct_start"),
        ({"total_steps": 10, "pct_start": 1.5}, ValueError, "pct_start"),
        ({"total_steps": 10, "anneal_strategy": "exp"}, ValueError, "'cos' or 'linear'"),
        ({"total_steps": 10, "max_lr": [0.1, 0.2]}, ValueError, "max_lr must have one value per"),
        ({"total_steps": 10, "max_lr": -1.0}, ValueError, "Invalid max_lr"),
        ({"total_steps": 10, "div_factor": 0.0}, ValueError, "Invalid div_factor"),
    ],
)
def test_one_cycle_rejects_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        OneCycleLR(_sgd(), **{"max_lr": 0.1, **kwargs})


def test_one_cycle_momentum_needs_an_optimizer_with_momentum():
    opt = Adagrad([P(np.zeros(2))])
    with pytest.raises(ValueError, match="must support momentum or beta1"):
        OneCycleLR(opt, max_lr=0.1, total_steps=10)
    OneCycleLR(opt, max_lr=0.1, total_steps=10, cycle_momentum=False)  # fine without


# ------------------------------------------------------------- ReduceLROnPlateau


def _plateau_lrs(sched, metrics):
    out = []
    for m in metrics:
        sched.step(m)
        out.append(sched.get_last_lr()[0])
    return out


def test_plateau_cuts_after_patience_bad_epochs_then_cools_down():
    sched = ReduceLROnPlateau(_sgd(1.0), factor=0.5, patience=2, cooldown=2, threshold=0.0)
    # Epoch 1 sets the best; epochs 2, 3, 4 are bad and the third (> patience) cuts the
    # rate. Epochs 5 and 6 are the cooldown (not counted); 7, 8, 9 are bad: a cut at 9.
    lrs = _plateau_lrs(sched, [1.0] * 10)
    assert lrs == [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25]
    assert sched.last_epoch == 10 and sched.best == 1.0


def test_plateau_threshold_modes_and_max_mode():
    rel = ReduceLROnPlateau(_sgd(), threshold=0.1, patience=0)
    rel.step(1.0)
    assert not rel.is_better(0.95, 1.0) and rel.is_better(0.89, 1.0)  # 10% better needed
    absolute = ReduceLROnPlateau(_sgd(), threshold=0.1, threshold_mode="abs")
    assert not absolute.is_better(0.95, 1.0) and absolute.is_better(0.85, 1.0)
    high = ReduceLROnPlateau(_sgd(), mode="max", threshold=0.0)
    assert high.best == -math.inf and high.is_better(0.7, 0.6) and not high.is_better(0.5, 0.6)
    assert not high.is_better(math.nan, 0.6)  # nan never improves


def test_plateau_respects_min_lr_per_group_and_eps():
    opt = SGD([{"params": [P(np.zeros(1))]}, {"params": [P(np.zeros(1))], "lr": 0.01}], lr=0.1)
    sched = ReduceLROnPlateau(opt, factor=0.1, patience=0, min_lr=[0.005, 0.0])
    for m in [1.0, 2.0, 2.0, 2.0]:
        sched.step(m)
    assert sched.get_last_lr() == pytest.approx([0.005, 1e-5])
    tiny = ReduceLROnPlateau(_sgd(1e-8), patience=0)
    tiny.step(1.0)
    tiny.step(1.0)
    assert tiny.get_last_lr() == [1e-8]  # a change smaller than eps is skipped


@pytest.mark.parametrize(
    "kwargs, match",
    [({"mode": "maximum"}, "mode 'maximum' is unknown"),
     ({"threshold_mode": "relative"}, "threshold mode 'relative' is unknown"),
     ({"factor": 1.0}, "Factor should be < 1.0"), ({"patience": -1}, "Invalid patience"),
     ({"cooldown": -2}, "Invalid cooldown"), ({"min_lr": -0.1}, "Invalid min_lr"),
     ({"min_lr": [0.1, 0.2]}, "one value per parameter group"), ({"threshold": -1}, "threshold")],
)  # fmt: skip
def test_plateau_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ReduceLROnPlateau(_sgd(), **kwargs)


def test_schedulers_need_an_optimizer():
    for make in (lambda: LinearLR(object()), lambda: ReduceLROnPlateau(object()),
                 lambda: OneCycleLR(object(), max_lr=0.1, total_steps=3)):  # fmt: skip
        with pytest.raises(TypeError, match="must have param_groups"):
            make()
    with pytest.raises(ValueError, match="Invalid start_factor"):
        LinearLR(_sgd(), start_factor=0.0)
    with pytest.raises(ValueError, match="Invalid end_factor"):
        LinearLR(_sgd(), end_factor=1.5)
    with pytest.raises(ValueError, match="Invalid T_max"):
        CosineAnnealingLR(_sgd(), T_max=0)
