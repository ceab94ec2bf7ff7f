"""The mistake detectors of course_lib.grading.mistakes added for the optimizers, layers and clipping.

Each detector is shown the wrong answer it names (it must fire) and the right answer
(it must not). Right answers come from course_lib's own reference code
(``optim.*_update``, ``layers.BatchNorm1d``, ``activations``, ``optim.clip_grad_norm_``,
``optim.OneCycleLR``, ``training.lr_range_test``), never from a hand-written value.
"""

from __future__ import annotations

import numpy as np
import pytest

from course_lib import activations, layers, losses, optim, training
from course_lib.grading.compare import Output
from course_lib.grading.mistakes import MISTAKES, detect
from course_lib.layers.module import Parameter

EARLIER = {"softmax_wrong_axis", "softmax_no_max_shift", "sum_instead_of_mean", "unscaled_dropout",
           "batch_stats_in_eval", "adam_no_bias_correction"}  # tested in test_grading.py
NEW = {"eps_inside_sqrt", "ema_momentum", "nesterov_old_buffer", "adam_beta1_for_v",
       "relu_grad_at_zero_one", "biased_running_var", "clip_norm_per_parameter",
       "one_cycle_peak_off_by_one", "range_test_lr_at_minimum"}


def _out(*arrays, is_tuple: bool = False) -> Output:
    return Output([np.asarray(a, dtype=np.float64) for a in arrays], is_tuple)


def _fires(name, args, right: Output, wrong: Output, opts=None) -> None:
    entry = {"name": name, **(opts or {})}
    assert detect([entry], args, right, wrong) == [MISTAKES[name][1]]
    assert detect([entry], args, right, right) == []


def _adam_case(p, g, m, v, lr, b1, b2, eps, t):
    """An Adam item's arguments, and the new (p, m, v) of course_lib's own ``adam_update``."""
    args = {"p": p, "g": g, "m": m, "v": v, "t": np.array(t), "lr": np.array(lr), "beta1": np.array(b1),
            "beta2": np.array(b2), "eps": np.array(eps)}
    p_ref, m_ref, v_ref = p.copy(), m.copy(), v.copy()
    optim.adam_update(p_ref, g, m_ref, v_ref, None, step=t, lr=lr, beta1=b1, beta2=b2, eps=eps,
                      weight_decay=0.0)
    return args, (p_ref, m_ref, v_ref)


def test_every_mistake_detector_is_tested() -> None:
    assert set(MISTAKES) == EARLIER | NEW


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(7)


# ---------------------------------------------------------------- eps inside the square root


def test_eps_inside_sqrt_rmsprop(rng: np.random.Generator) -> None:
    p, g = rng.normal(size=4), np.array([1e-6, 1e-4, 0.0, 2.0])
    s, lr, beta, eps = np.array([0.0, 1e-9, 0.0, 1.0]), 0.01, 0.9, 1e-8
    args = {"p": p, "g": g, "s": s, "lr": np.array(lr), "beta": np.array(beta), "eps": np.array(eps)}
    p_ref, s_ref = p.copy(), s.copy()
    optim.rmsprop_update(p_ref, g, s_ref, None, None, lr=lr, alpha=beta, eps=eps, weight_decay=0.0,
                         momentum=0.0)
    s_new = beta * s + (1 - beta) * g * g
    wrong = p - lr * g / np.sqrt(s_new + eps)
    _fires("eps_inside_sqrt", args, _out(p_ref, s_ref, is_tuple=True), _out(wrong, s_new, is_tuple=True))


def test_eps_inside_sqrt_adam_and_adagrad(rng: np.random.Generator) -> None:
    p, g = rng.normal(size=3), np.array([1e-5, -3e-6, 0.5])
    m, v = np.zeros(3), np.zeros(3)
    lr, b1, b2, eps, t = 0.01, 0.9, 0.999, 1e-8, 1
    args, (p_ref, m_ref, v_ref) = _adam_case(p, g, m, v, lr, b1, b2, eps, t)
    wrong = p - lr * (m_ref / (1 - b1)) / np.sqrt(v_ref / (1 - b2) + eps)
    _fires("eps_inside_sqrt", args, _out(p_ref, m_ref, v_ref, is_tuple=True),
           _out(wrong, m_ref, v_ref, is_tuple=True))

    s = np.zeros(3)
    args = {"p": p, "g": g, "s": s, "lr": np.array(lr), "eps": np.array(eps)}
    p_ref, s_ref = p.copy(), s.copy()
    optim.adagrad_update(p_ref, g, s_ref, step=1, lr=lr, lr_decay=0.0, weight_decay=0.0, eps=eps)
    wrong = p - lr * g / np.sqrt(s_ref + eps)
    _fires("eps_inside_sqrt", args, _out(p_ref, s_ref, is_tuple=True), _out(wrong, s_ref, is_tuple=True))


def test_eps_inside_sqrt_is_silent_where_it_cannot_be_told_apart(rng: np.random.Generator) -> None:
    p, g, s = rng.normal(size=3), rng.normal(size=3), rng.uniform(1, 2, 3)
    args = {"p": p, "g": g, "s": s, "lr": np.array(0.1), "beta": np.array(0.9), "eps": np.array(1e-8)}
    s_new = 0.9 * s + 0.1 * g * g
    inside = p - 0.1 * g / np.sqrt(s_new + 1e-8)  # equal to the right answer to 1e-9: no blame
    assert detect(["eps_inside_sqrt"], args, _out(inside, s_new, is_tuple=True),
                  _out(inside, s_new, is_tuple=True)) == []


# ---------------------------------------------------------------- momentum conventions


def _sgd_reference(p, g, buf, lr, momentum, first, nesterov):
    p_ref = p.copy()
    buf_ref = optim.sgd_update(p_ref, g, None if first else buf.copy(), lr=lr, momentum=momentum,
                               dampening=0.0, nesterov=nesterov, weight_decay=0.0)
    return _out(p_ref, buf_ref, is_tuple=True)


@pytest.mark.parametrize("first", [False, True])
def test_ema_momentum(rng: np.random.Generator, first: bool) -> None:
    p, g, buf, lr, mu = rng.normal(size=4), rng.normal(size=4), rng.normal(size=4), 0.1, 0.9
    args = {"p": p, "g": g, "buf": buf, "lr": np.array(lr), "momentum": np.array(mu),
            "first_step": np.array(first)}
    v = (1 - mu) * g if first else mu * buf + (1 - mu) * g
    _fires("ema_momentum", args, _sgd_reference(p, g, buf, lr, mu, first, False),
           _out(p - lr * v, v, is_tuple=True))


def test_nesterov_old_buffer_and_its_ema_twin(rng: np.random.Generator) -> None:
    p, g, buf, lr, mu = rng.normal(size=4), rng.normal(size=4), rng.normal(size=4), 0.1, 0.9
    args = {"p": p, "g": g, "buf": buf, "lr": np.array(lr), "momentum": np.array(mu),
            "first_step": np.array(False)}
    right = _sgd_reference(p, g, buf, lr, mu, False, True)
    old = _out(p - lr * (g + mu * buf), right.arrays[1], is_tuple=True)
    _fires("nesterov_old_buffer", args, right, old)
    v = mu * buf + (1 - mu) * g
    _fires("ema_momentum", args, right, _out(p - lr * (g + mu * v), v, is_tuple=True), {"nesterov": True})
    assert detect(["ema_momentum"], args, right, old) == []  # each names its own mistake only


# ---------------------------------------------------------------- Adam with beta1 for v


def test_adam_beta1_for_v(rng: np.random.Generator) -> None:
    p, g, m, v = rng.normal(size=4), rng.normal(size=4), 0.1 * rng.normal(size=4), rng.uniform(0, 0.1, 4)
    lr, b1, b2, eps, t = 0.01, 0.9, 0.999, 1e-8, 5
    args, (p_ref, m_ref, v_ref) = _adam_case(p, g, m, v, lr, b1, b2, eps, t)
    right = _out(p_ref, m_ref, v_ref, is_tuple=True)
    v_wrong = b1 * v + (1 - b1) * g * g
    p_wrong = p - lr * (m_ref / (1 - b1**t)) / (np.sqrt(v_wrong / (1 - b1**t)) + eps)
    _fires("adam_beta1_for_v", args, right, _out(p_wrong, m_ref, v_wrong, is_tuple=True))
    _fires("adam_beta1_for_v", args, right, _out(p_ref, m_ref, v_wrong, is_tuple=True))


# ---------------------------------------------------------------- ReLU'(0)


@pytest.mark.parametrize("slope", [0.0, 0.1])
def test_relu_grad_at_zero_one(slope: float) -> None:
    z = np.array([-2.0, -0.5, 0.0, 0.0, 1.5])
    args = {"z": z, "negative_slope": np.array(slope)}
    a = activations.leaky_relu(z, slope)
    da = activations.leaky_relu_grad(z, slope)
    wrong = np.where(z >= 0, 1.0, slope)
    _fires("relu_grad_at_zero_one", args, _out(a, da, is_tuple=True), _out(a, wrong, is_tuple=True))
    assert np.array_equal(activations.relu_grad(z), activations.leaky_relu_grad(z, 0.0))
    z = np.array([-1.0, 2.0])  # no zero: nothing to tell apart
    no_zero = {"z": z, "negative_slope": np.array(slope)}
    right = _out(activations.leaky_relu(z, slope), activations.leaky_relu_grad(z, slope), is_tuple=True)
    wrong = _out(activations.leaky_relu(z, slope), np.where(z >= 0, 1.0, slope) + 5.0, is_tuple=True)
    assert detect(["relu_grad_at_zero_one"], no_zero, right, wrong) == []


# ---------------------------------------------------------------- BatchNorm's running variance


def test_biased_running_var(rng: np.random.Generator) -> None:
    x = rng.normal(2.0, 3.0, size=(5, 3))
    rm, rv, momentum = rng.normal(size=3), rng.uniform(0.5, 2, 3), 0.1
    bn = layers.BatchNorm1d(3, momentum=momentum)
    bn.running_mean, bn.running_var = rm.copy(), rv.copy()
    bn.train()
    bn.forward(x)
    args = {"x": x, "running_mean": rm, "running_var": rv, "momentum": np.array(momentum)}
    right = _out(bn.running_mean, bn.running_var, is_tuple=True)
    wrong = _out(bn.running_mean, (1 - momentum) * rv + momentum * x.var(axis=0), is_tuple=True)
    _fires("biased_running_var", args, right, wrong)


# ---------------------------------------------------------------- clipping


def _clip_reference(grads, max_norm, norm_type=2.0):
    params = [Parameter(np.zeros_like(g)) for g in grads]
    for q, g in zip(params, grads, strict=True):
        q.grad = g.copy()
    total = optim.clip_grad_norm_(params, max_norm, norm_type)
    return [q.grad for q in params], total


@pytest.mark.parametrize("norm_type", [2.0, np.inf])
def test_clip_norm_per_parameter(rng: np.random.Generator, norm_type: float) -> None:
    g1, g2 = 3.0 * rng.normal(size=(2, 3)), 0.5 * rng.normal(size=4)
    max_norm = 1.0
    (c1, c2), total = _clip_reference([g1, g2], max_norm, norm_type)
    args = {"g1": g1, "g2": g2, "max_norm": np.array(max_norm), "norm_type": np.array(norm_type)}
    right = _out(c1, c2, total, is_tuple=True)

    def own(g):
        n = np.max(np.abs(g)) if np.isinf(norm_type) else np.linalg.norm(g)
        return g * min(1.0, max_norm / (n + 1e-6))

    _fires("clip_norm_per_parameter", args, right, _out(own(g1), own(g2), total, is_tuple=True))


def test_clip_norm_per_parameter_options(rng: np.random.Generator) -> None:
    grads = 2.0 * rng.normal(size=(3, 4))  # one gradient per row
    clipped, total = _clip_reference(list(grads), 1.5)
    per_row_right = np.stack(clipped)
    rows = [r * min(1.0, 1.5 / (np.linalg.norm(r) + 1e-6)) for r in grads]
    args = {"grads": grads, "limit": np.array(1.5)}
    opts = {"rows": True, "max_norm": "limit"}
    _fires("clip_norm_per_parameter", args, _out(total, per_row_right, is_tuple=True),
           _out(total, np.stack(rows), is_tuple=True), {**opts, "output": 1})
    # With a single gradient its own norm is the total norm: nothing to blame.
    single = {"g": grads[0], "max_norm": np.array(1.5)}
    (alone,), _ = _clip_reference([grads[0]], 1.5)
    assert detect(["clip_norm_per_parameter"], single, _out(alone), _out(rows[0])) == []


# ---------------------------------------------------------------- one-cycle schedule


def _one_cycle_reference(total, pct_start, **kw):
    """(lrs, momenta) of course_lib's OneCycleLR over ``total`` steps, read before each step."""
    opt = optim.SGD([Parameter(np.zeros(2))], lr=0.1, momentum=0.9)
    sched = optim.OneCycleLR(opt, total_steps=total, pct_start=pct_start, **kw)
    lrs, momenta = [], []
    for step in range(total):
        lrs.append(opt.param_groups[0]["lr"])
        momenta.append(opt.param_groups[0]["momentum"])
        if step < total - 1:
            sched.step()
    return _out(lrs, momenta, is_tuple=True)


@pytest.mark.parametrize(("total", "pct_start"), [(10, 0.3), (37, 0.25), (20, 0.5)])
def test_one_cycle_peak_off_by_one(total: int, pct_start: float) -> None:
    kw = {"max_lr": 0.5, "div_factor": 10.0, "final_div_factor": 100.0, "base_momentum": 0.8,
          "max_momentum": 0.95}
    args = {"total_steps": np.array(total), "pct_start": np.array(pct_start),
            **{k: np.array(v) for k, v in kw.items()}}
    right = _one_cycle_reference(total, pct_start, **kw)
    # Peaking at pct_start * T is PyTorch's schedule with one more step of warmup.
    late = _one_cycle_reference(total, pct_start + 1.0 / total, **kw)
    _fires("one_cycle_peak_off_by_one", args, right, late)
    late_rates_only = _out(late.arrays[0], right.arrays[1], is_tuple=True)
    _fires("one_cycle_peak_off_by_one", args, right, late_rates_only)


# ---------------------------------------------------------------- range test


def test_range_test_lr_at_minimum(rng: np.random.Generator) -> None:
    X = rng.normal(size=(256, 4))
    y = np.argmax(X[:, :3] + 0.3 * rng.normal(size=(256, 3)), axis=1)
    model = layers.mlp((4, 16, 3), rng=0)
    result = training.lr_range_test(model, losses.CrossEntropyLoss(), optim.SGD(model.parameters()), X, y,
                                    start_lr=1e-4, end_lr=1e3, num_steps=80, smooth=0.9, rng=0)
    assert result.diverged  # the test ran past the minimum, as the exercise's runs do
    args = {"lrs": result.lrs, "losses": result.losses, "beta": np.array(0.9)}
    _fires("range_test_lr_at_minimum", args, _out(result.suggested_lr), _out(result.lr_min_loss))
    # Another reading of the same test (the steepest descent) is not this mistake.
    assert detect(["range_test_lr_at_minimum"], args, _out(result.suggested_lr),
                  _out(result.lr_steepest)) == []
