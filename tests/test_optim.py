"""Tests for course_lib.optim (optimizers, momentum conventions) and its re-exported
schedules and line search.

The reference updates below are written from the pseudo-code in PyTorch's
documentation (torch.optim.SGD, Adagrad, RMSprop, Adam, AdamW), one plain
statement per line of the algorithm, without looking at course_lib's code.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from course_lib import optim
from course_lib.optim import (
    SGD,
    Adagrad,
    Adam,
    AdamW,
    ExponentialLR,
    InverseTimeLR,
    RMSprop,
    StepLR,
)

N_STEPS = 50


class P:
    """The smallest object that follows the parameter protocol."""

    def __init__(self, data):
        self.data = np.array(data, copy=True)
        self.grad = None


# ------------------------------------------------------------ gradient sequence

_RNG = np.random.default_rng(0)
SHAPES = [(3, 4), (5,)]
X0 = [_RNG.normal(size=s) for s in SHAPES]
SCALE = [_RNG.uniform(0.1, 3.0, size=s) for s in SHAPES]  # diagonal quadratic curvatures
TARGET = [_RNG.uniform(1.0, 2.0, size=s) for s in SHAPES]
NOISE = [[0.3 * _RNG.normal(size=s) for s in SHAPES] for _ in range(N_STEPS)]


def grad_at(t, k, x):
    """Gradient of 0.5 * sum(SCALE * (x - TARGET)^2) plus a fixed perturbation for step t."""
    return SCALE[k] * (x - TARGET[k]) + NOISE[t][k]


def run_class(make_opt, n_steps=N_STEPS):
    params = [P(x) for x in X0]
    opt = make_opt(params)
    for t in range(n_steps):
        opt.zero_grad()
        for k, p in enumerate(params):
            p.grad = grad_at(t, k, p.data)
        opt.step()
    return [p.data for p in params]


def run_reference(ref_step, hp, n_steps=N_STEPS):
    out = []
    for k, x0 in enumerate(X0):
        theta, state = x0.copy(), {}
        for t in range(1, n_steps + 1):
            theta = ref_step(theta, grad_at(t - 1, k, theta), state, t, **hp)
        out.append(theta)
    return out


# -------------------------------------------------- references from PyTorch docs


def ref_sgd(theta, g, state, t, lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0,
            nesterov=False):  # fmt: skip
    if weight_decay != 0:
        g = g + weight_decay * theta
    if momentum != 0:
        if t > 1:
            b = momentum * state["b"] + (1 - dampening) * g
        else:
            b = g
        state["b"] = b
        if nesterov:
            g = g + momentum * b
        else:
            g = b
    return theta - lr * g


def ref_adagrad(theta, g, state, t, lr=1e-2, lr_decay=0.0, weight_decay=0.0,
                initial_accumulator_value=0.0, eps=1e-10):  # fmt: skip
    state_sum = state.get("sum", np.full_like(theta, initial_accumulator_value))
    lr_t = lr / (1 + (t - 1) * lr_decay)
    if weight_decay != 0:
        g = g + weight_decay * theta
    state_sum = state_sum + g**2
    state["sum"] = state_sum
    return theta - lr_t * g / (np.sqrt(state_sum) + eps)


def ref_rmsprop(theta, g, state, t, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0,
                momentum=0.0, centered=False):  # fmt: skip
    zeros = np.zeros_like(theta)
    if weight_decay != 0:
        g = g + weight_decay * theta
    v = alpha * state.get("v", zeros) + (1 - alpha) * g**2
    state["v"] = v
    v_tilde = v
    if centered:
        g_ave = alpha * state.get("g_ave", zeros) + (1 - alpha) * g
        state["g_ave"] = g_ave
        v_tilde = v_tilde - g_ave**2
    if momentum > 0:
        b = momentum * state.get("b", zeros) + g / (np.sqrt(v_tilde) + eps)
        state["b"] = b
        return theta - lr * b
    return theta - lr * g / (np.sqrt(v_tilde) + eps)


def ref_adam(theta, g, state, t, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
             amsgrad=False, decoupled=False):  # fmt: skip
    beta1, beta2 = betas
    zeros = np.zeros_like(theta)
    if decoupled:
        theta = theta - lr * weight_decay * theta
    elif weight_decay != 0:
        g = g + weight_decay * theta
    m = beta1 * state.get("m", zeros) + (1 - beta1) * g
    v = beta2 * state.get("v", zeros) + (1 - beta2) * g**2
    state["m"], state["v"] = m, v
    m_hat = m / (1 - beta1**t)
    if amsgrad:
        v_max = np.maximum(state.get("v_max", zeros), v)
        state["v_max"] = v_max
        v_hat = v_max / (1 - beta2**t)
    else:
        v_hat = v / (1 - beta2**t)
    return theta - lr * m_hat / (np.sqrt(v_hat) + eps)


def ref_adamw(theta, g, state, t, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
              amsgrad=False):  # fmt: skip
    return ref_adam(theta, g, state, t, lr=lr, betas=betas, eps=eps,
                    weight_decay=weight_decay, amsgrad=amsgrad, decoupled=True)  # fmt: skip


CASES = [
    (SGD, ref_sgd, {}),
    (SGD, ref_sgd, {"lr": 0.1}),
    (SGD, ref_sgd, {"lr": 0.05, "momentum": 0.9}),
    (SGD, ref_sgd, {"lr": 0.05, "momentum": 0.9, "dampening": 0.5}),
    (SGD, ref_sgd, {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
    (SGD, ref_sgd, {"lr": 0.1, "weight_decay": 0.1}),
    (SGD, ref_sgd, {"lr": 0.05, "momentum": 0.5, "weight_decay": 0.01, "nesterov": True}),
    (Adagrad, ref_adagrad, {}),
    (Adagrad, ref_adagrad, {"lr": 0.1, "lr_decay": 0.05}),
    (Adagrad, ref_adagrad, {"lr": 0.1, "weight_decay": 0.1, "initial_accumulator_value": 0.5}),
    (Adagrad, ref_adagrad, {"eps": 1e-3}),
    (RMSprop, ref_rmsprop, {}),
    (RMSprop, ref_rmsprop, {"centered": True}),
    (RMSprop, ref_rmsprop, {"momentum": 0.9}),
    (RMSprop, ref_rmsprop, {"centered": True, "momentum": 0.5, "weight_decay": 0.1}),
    (RMSprop, ref_rmsprop, {"alpha": 0.9, "eps": 1e-4, "lr": 0.05}),
    (Adam, ref_adam, {}),
    (Adam, ref_adam, {"lr": 0.05}),
    (Adam, ref_adam, {"lr": 0.05, "amsgrad": True}),
    (Adam, ref_adam, {"lr": 0.05, "weight_decay": 0.1}),
    (Adam, ref_adam, {"lr": 0.05, "betas": (0.5, 0.9), "amsgrad": True, "weight_decay": 0.1}),
    (AdamW, ref_adamw, {}),
    (AdamW, ref_adamw, {"lr": 0.05, "weight_decay": 0.1}),
    (AdamW, ref_adamw, {"lr": 0.05, "amsgrad": True, "betas": (0.8, 0.99)}),
]
CASE_IDS = [f"{cls.__name__}-{hp}" for cls, _, hp in CASES]


@pytest.mark.parametrize(("cls", "ref", "hp"), CASES, ids=CASE_IDS)
def test_matches_pytorch_pseudocode(cls, ref, hp):
    got = run_class(lambda params: cls(params, **hp))
    want = run_reference(ref, hp)
    for g, w, x0 in zip(got, want, X0, strict=True):
        assert not np.allclose(g, x0)  # the parameters did move
        np.testing.assert_allclose(g, w, rtol=1e-12, atol=0)


@pytest.mark.parametrize(("cls", "ref", "hp"), CASES, ids=CASE_IDS)
def test_never_modifies_the_gradient_and_updates_in_place(cls, ref, hp):
    params = [P(x) for x in X0]
    arrays = [p.data for p in params]
    opt = cls(params, **hp)
    given, copies = [], []  # every gradient array handed to the optimizer, and its copy
    for t in range(3):
        for k, p in enumerate(params):
            p.grad = grad_at(t, k, p.data)
            given.append(p.grad)
            copies.append(p.grad.copy())
        opt.step()
    for g, c in zip(given, copies, strict=True):  # no buffer aliases an old .grad either
        np.testing.assert_array_equal(g, c)
    for p, a, x0 in zip(params, arrays, X0, strict=True):
        assert p.data is a  # updated in place: other references see the new values
        assert not np.array_equal(a, x0)


# --------------------------------------------------------------- parameter groups

GROUP_CASES = [(cls, hp) for cls, _, hp in CASES if hp][::2]  # a spread of optimizers and settings


@pytest.mark.parametrize(("cls", "hp"), GROUP_CASES, ids=[f"{c.__name__}-{h}" for c, h in GROUP_CASES])
def test_two_groups_are_two_optimizers_in_one(cls, hp):
    # Group 0 keeps the optimizer's settings; group 1 halves the learning rate and has
    # no weight decay. That is exactly one optimizer per group, stepped together.
    overrides = {"lr": cls([P(X0[0])], **hp).defaults["lr"] / 2, "weight_decay": 0.0}
    grouped = run_class(lambda ps: cls([{"params": ps[:1]}, {"params": ps[1:], **overrides}], **hp))
    alone = run_class(lambda ps: cls(ps, **hp))
    other = run_class(lambda ps: cls(ps, **{**hp, **overrides}))
    np.testing.assert_allclose(grouped[0], alone[0], rtol=1e-12)
    np.testing.assert_allclose(grouped[1], other[1], rtol=1e-12)
    assert not np.allclose(grouped[1], alone[1])  # the override took effect


def test_param_groups_hold_every_hyperparameter_and_the_lr_property_reads_them():
    a, b = P(np.zeros(2)), P(np.zeros(3))
    opt = Adam([{"params": [a]}, {"params": [b], "lr": 0.1, "weight_decay": 0.5}], lr=0.01)
    assert [g["params"] for g in opt.param_groups] == [[a], [b]] and opt.params == [a, b]
    assert opt.param_groups[0] == {"params": [a], **opt.defaults, "betas": (0.9, 0.999)}
    assert opt.param_groups[1]["lr"] == 0.1 and opt.param_groups[1]["betas"] == (0.9, 0.999)
    with pytest.raises(ValueError, match=r"different learning rates \[0.01, 0.1\]"):
        _ = opt.lr
    opt.lr = 0.2  # sets every group's
    assert opt.lr == 0.2 and [g["lr"] for g in opt.param_groups] == [0.2, 0.2]
    assert "group 1: 1 params, lr=0.2, betas=(0.9, 0.999), eps=1e-08, weight_decay=0.5" in repr(opt)
    c = P(np.zeros(1))
    opt.add_param_group({"params": [c], "amsgrad": True})
    assert opt.params == [a, b, c] and opt.param_groups[2]["lr"] == 0.01


@pytest.mark.parametrize(
    ("groups", "error", "match"),
    [
        (lambda a, b: [{"params": [a]}, {"params": [b], "momentum": -1.0}], ValueError,
         "Invalid momentum value"),
        (lambda a, b: [{"params": [a]}, {"params": [b], "betas": 0.9}], ValueError,
         "unknown hyperparameter\\(s\\) \\['betas'\\]"),
        (lambda a, b: [{"params": [a, b]}, {"params": [b]}], ValueError,
         "more than one parameter group"),
        (lambda a, b: [{"params": [a]}, {"lr": 0.1}], TypeError, "with a 'params' entry"),
        (lambda a, b: [{"params": []}], ValueError, "empty parameter list"),
        (lambda a, b: [{"params": [a]}, {"params": [b], "nesterov": True}], ValueError,
         "Nesterov momentum requires a momentum"),
    ],
)
def test_bad_parameter_groups_raise(groups, error, match):
    with pytest.raises(error, match=match):
        SGD(groups(P(np.zeros(2)), P(np.zeros(2))), lr=0.1)


def test_schedules_scale_every_groups_learning_rate():
    opt = SGD([{"params": [P(np.zeros(2))]}, {"params": [P(np.zeros(2))], "lr": 0.05}], lr=0.5)
    scheduler = StepLR(opt, step_size=1, gamma=0.1)
    assert scheduler.base_lrs == [0.5, 0.05]
    scheduler.step()
    np.testing.assert_allclose(scheduler.get_last_lr(), [0.05, 0.005])
    np.testing.assert_allclose([g["lr"] for g in opt.param_groups], [0.05, 0.005])


def test_defaults_are_pytorchs():
    ps = [P(np.zeros(2))]
    assert SGD(ps).defaults == dict(lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0,
                                    nesterov=False)  # fmt: skip
    assert Adagrad(ps).defaults == dict(lr=1e-2, lr_decay=0, weight_decay=0,
                                        initial_accumulator_value=0, eps=1e-10)  # fmt: skip
    assert RMSprop(ps).defaults == dict(lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0,
                                        momentum=0, centered=False)  # fmt: skip
    assert Adam(ps).defaults == dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                                     amsgrad=False)  # fmt: skip
    assert AdamW(ps).defaults["weight_decay"] == 1e-2
    assert "lr=0.001" in repr(Adam(ps))


# ------------------------------------------------------- convex quadratics


def _quadratic(A, b):
    def f(x):
        return 0.5 * x @ A @ x - b @ x

    def grad(x):
        return A @ x - b

    return f, grad, np.linalg.solve(A, b)


_Q, _ = np.linalg.qr(np.random.default_rng(1).normal(size=(5, 5)))
WELL = _quadratic(_Q @ np.diag([1.0, 1.5, 2.0, 3.0, 4.0]) @ _Q.T, np.arange(1.0, 6.0))
ILL = _quadratic(np.array([[1.0, 0.0], [0.0, 50.0]]), np.array([1.0, -2.0]))

DESCENT = [
    (SGD, {"lr": 0.02}),
    (SGD, {"lr": 0.002, "momentum": 0.9}),
    (SGD, {"lr": 0.002, "momentum": 0.9, "nesterov": True}),
    (Adagrad, {"lr": 0.5}),
    (RMSprop, {"lr": 0.01}),
    (RMSprop, {"lr": 0.01, "centered": True, "momentum": 0.5}),
    (Adam, {"lr": 0.05}),
    (Adam, {"lr": 0.05, "amsgrad": True}),
    (AdamW, {"lr": 0.05, "weight_decay": 1e-3}),
]


@pytest.mark.parametrize("problem", [WELL, ILL], ids=["well-conditioned", "ill-conditioned"])
@pytest.mark.parametrize(("cls", "hp"), DESCENT, ids=[f"{c.__name__}-{h}" for c, h in DESCENT])
def test_every_optimizer_decreases_a_convex_quadratic(problem, cls, hp):
    f, grad, x_star = problem
    p = P(np.zeros_like(x_star) + 3.0)
    opt = cls([p], **hp)
    gap0 = f(p.data) - f(x_star)
    for _ in range(500):
        opt.zero_grad()
        p.grad = grad(p.data)
        opt.step()
    assert f(p.data) - f(x_star) < 0.01 * gap0


# ------------------------------------------------------ momentum conventions


def _trajectories(lr, beta, **kw):
    f, grad, _ = ILL
    x0 = np.array([-3.0, 1.0])
    return {c: optim.momentum_trajectory(grad, x0, 60, lr=lr, beta=beta, convention=c, **kw)
            for c in ("pytorch", "velocity", "ema")}  # fmt: skip


def test_pytorch_and_velocity_forms_give_the_same_trajectory():
    paths = _trajectories(lr=0.01, beta=0.9)
    np.testing.assert_allclose(paths["pytorch"], paths["velocity"], rtol=1e-12, atol=1e-12)
    assert not np.allclose(paths["pytorch"], paths["ema"])


def test_ema_form_is_pytorch_form_with_lr_times_one_minus_beta():
    lr, beta = 0.02, 0.9
    ema = _trajectories(lr=lr, beta=beta)["ema"]
    pytorch = _trajectories(lr=lr * (1 - beta), beta=beta)["pytorch"]
    np.testing.assert_allclose(ema, pytorch, rtol=1e-12, atol=1e-12)


def _sgd_path(x0, grad, n_steps, **hp):
    p = P(x0)
    opt = SGD([p], **hp)
    path = [p.data.copy()]
    for _ in range(n_steps):
        p.grad = grad(p.data)
        opt.step()
        path.append(p.data.copy())
    return np.stack(path)


def test_sgd_class_follows_the_pytorch_convention():
    _, grad, _ = ILL
    x0 = np.array([-3.0, 1.0])
    for nesterov in (False, True):
        want = optim.momentum_trajectory(grad, x0, 60, lr=0.01, beta=0.9, nesterov=nesterov)
        got = _sgd_path(x0, grad, 60, lr=0.01, momentum=0.9, nesterov=nesterov)
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def _ema_path(x0, grad, n_steps, lr, beta, v0):
    x, v, path = x0.copy(), v0, [x0.copy()]
    for _ in range(n_steps):
        delta, v = optim.momentum_update(v, grad(x), lr=lr, beta=beta, convention="ema")
        x = x + delta
        path.append(x)
    return np.stack(path)


def test_sgd_dampening_is_the_ema_form_started_from_the_first_gradient():
    _, grad, _ = ILL
    x0, lr, beta = np.array([-3.0, 1.0]), 0.02, 0.9
    damped = _sgd_path(x0, grad, 60, lr=lr, momentum=beta, dampening=beta)
    from_g1 = _ema_path(x0, grad, 60, lr, beta, v0=grad(x0))
    from_zero = _ema_path(x0, grad, 60, lr, beta, v0=np.zeros(2))
    np.testing.assert_allclose(damped, from_g1, rtol=1e-12, atol=1e-12)
    assert not np.allclose(damped, from_zero)


def test_nesterov_lookahead_form_equals_pytorch_form_under_change_of_variables():
    lr, beta = 0.01, 0.9
    paths = _trajectories(lr=lr, beta=beta, nesterov=False)  # sanity: differs from Nesterov
    _, grad, _ = ILL
    x0 = np.array([-3.0, 1.0])
    theta = optim.momentum_trajectory(grad, x0, 60, lr=lr, beta=beta, convention="velocity",
                                      nesterov=True)  # fmt: skip
    torch_form = optim.momentum_trajectory(grad, x0, 60, lr=lr, beta=beta, nesterov=True)
    v = np.diff(theta, axis=0)  # velocity form: theta_k = theta_{k-1} + v_k
    phi = np.concatenate([theta[:1], theta[1:] + beta * v])  # look-ahead points
    np.testing.assert_allclose(torch_form, phi, rtol=1e-12, atol=1e-12)
    assert not np.allclose(torch_form, paths["pytorch"])


def test_momentum_helpers_reject_bad_arguments():
    with pytest.raises(ValueError, match="convention"):
        optim.momentum_update(np.zeros(2), np.ones(2), lr=0.1, beta=0.9, convention="adam")
    with pytest.raises(ValueError, match="convention"):
        optim.momentum_trajectory(lambda x: x, np.ones(2), 0, lr=0.1, beta=0.9,
                                  convention="nag")  # fmt: skip
    with pytest.raises(ValueError, match="nesterov"):
        optim.momentum_trajectory(lambda x: x, np.ones(2), 3, lr=0.1, beta=0.9,
                                  convention="ema", nesterov=True)  # fmt: skip
    with pytest.raises(ValueError, match="Invalid beta"):
        optim.momentum_trajectory(lambda x: x, np.ones(2), 3, lr=0.1, beta=1.0)


# --------------------------------------------------------------- validation

ALL = [SGD, Adagrad, RMSprop, Adam, AdamW]


@pytest.mark.parametrize("cls", ALL)
def test_negative_learning_rate_raises(cls):
    with pytest.raises(ValueError, match="Invalid learning rate: -0.1"):
        cls([P(np.zeros(2))], lr=-0.1)


@pytest.mark.parametrize("cls", ALL)
def test_empty_parameter_list_raises(cls):
    with pytest.raises(ValueError, match="optimizer got an empty parameter list"):
        cls([])
    with pytest.raises(ValueError, match="empty parameter list"):
        cls(iter([]))


@pytest.mark.parametrize("cls", [Adam, AdamW])
@pytest.mark.parametrize("betas", [(1.0, 0.999), (-0.1, 0.999), (0.9, 1.0), (0.9, 1.5)])
def test_betas_outside_unit_interval_raise(cls, betas):
    with pytest.raises(ValueError, match="Invalid beta parameter at index"):
        cls([P(np.zeros(2))], betas=betas)
    with pytest.raises(ValueError, match="pair"):
        cls([P(np.zeros(2))], betas=(0.9,))


def test_nesterov_needs_momentum_and_no_dampening():
    with pytest.raises(ValueError, match="Nesterov momentum requires a momentum"):
        SGD([P(np.zeros(2))], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="zero dampening"):
        SGD([P(np.zeros(2))], lr=0.1, momentum=0.9, dampening=0.1, nesterov=True)


@pytest.mark.parametrize(
    ("cls", "hp", "msg"),
    [
        (SGD, {"momentum": -0.5}, "Invalid momentum value"),
        (SGD, {"weight_decay": -1}, "Invalid weight_decay value"),
        (Adagrad, {"lr_decay": -1}, "Invalid lr_decay value"),
        (Adagrad, {"eps": -1}, "Invalid epsilon value"),
        (Adagrad, {"initial_accumulator_value": -1}, "Invalid initial_accumulator_value"),
        (RMSprop, {"alpha": -0.1}, "Invalid alpha value"),
        (RMSprop, {"momentum": -0.1}, "Invalid momentum value"),
        (Adam, {"eps": -1e-8}, "Invalid epsilon value"),
        (AdamW, {"weight_decay": -0.1}, "Invalid weight_decay value"),
    ],
)
def test_other_hyperparameters_are_validated(cls, hp, msg):
    with pytest.raises(ValueError, match=msg):
        cls([P(np.zeros(2))], **hp)


def test_params_must_follow_the_protocol():
    with pytest.raises(TypeError, match="iterable of parameters"):
        SGD(np.zeros(3))
    with pytest.raises(TypeError, match="parameter 1 must have a numpy array .data"):
        SGD([P(np.zeros(2)), np.zeros(2)])
    p = P(np.zeros(2))
    with pytest.raises(ValueError, match="more than once"):
        SGD([p, p])


def test_gradient_of_the_wrong_shape_raises_instead_of_broadcasting():
    p = P(np.zeros((3, 2)))
    p.grad = np.ones(2)
    with pytest.raises(ValueError, match=r"gradient shape \(2,\) does not match .* \(3, 2\)"):
        SGD([p], lr=0.1).step()


# --------------------------------------------------- zero_grad, None, dtype


@pytest.mark.parametrize("cls", ALL)
def test_zero_grad_sets_none_and_none_grads_are_skipped(cls):
    a, b = P(np.ones(3)), P(np.ones(2))
    opt = cls([a, b], lr=0.1)
    a.grad, b.grad = np.ones(3), np.ones(2)
    opt.zero_grad()
    assert a.grad is None and b.grad is None
    opt.step()  # nothing has a gradient: nothing moves
    np.testing.assert_array_equal(a.data, np.ones(3))
    a.grad = np.full(3, 0.5)
    opt.step()
    np.testing.assert_array_equal(b.data, np.ones(2))
    assert not np.array_equal(a.data, np.ones(3))
    assert id(b) not in opt.state


def test_adam_step_count_is_per_parameter():
    # b is skipped on the first step, so its first update is a bias-corrected step 1.
    a, b = P(np.zeros(2)), P(np.zeros(2))
    opt = Adam([a, b], lr=0.1, eps=1e-12)
    a.grad = np.array([1.0, -2.0])
    opt.step()
    a.grad, b.grad = np.array([1.0, -2.0]), np.array([3.0, -0.5])
    opt.step()
    np.testing.assert_allclose(b.data, -0.1 * np.sign(b.grad), rtol=1e-9)
    assert opt.state[id(a)]["step"] == 2 and opt.state[id(b)]["step"] == 1


@pytest.mark.parametrize(("cls", "ref", "hp"), CASES, ids=CASE_IDS)
def test_float32_stays_float32(cls, ref, hp):
    params = [P(x.astype(np.float32)) for x in X0]
    opt = cls(params, **hp)
    for t in range(5):
        for k, p in enumerate(params):
            p.grad = grad_at(t, k, p.data).astype(np.float32)
        opt.step()
    want = run_reference(ref, hp, n_steps=5)
    for p, w in zip(params, want, strict=True):
        assert p.data.dtype == np.float32
        np.testing.assert_allclose(p.data, w, rtol=1e-3, atol=1e-4)
    for state in opt.state.values():
        for buf in state.values():
            if isinstance(buf, np.ndarray):
                assert buf.dtype == np.float32


# ------------------------------------------------------------- hypothesis

_arrays = hnp.arrays(
    np.float64,
    hnp.array_shapes(min_dims=1, max_dims=3, max_side=5),
    elements=st.floats(-1e3, 1e3, allow_nan=False),
)


@settings(max_examples=50, deadline=None)
@given(data=_arrays, seed=st.integers(0, 2**32 - 1), lr=st.floats(0.0, 10.0))
def test_plain_sgd_is_p_minus_lr_g(data, seed, lr):
    g = np.random.default_rng(seed).normal(size=data.shape)
    p = P(data)
    p.grad = g
    SGD([p], lr=lr).step()
    np.testing.assert_array_equal(p.data, data - lr * g)


_grad_arrays = hnp.arrays(
    np.float64,
    hnp.array_shapes(min_dims=1, max_dims=2, max_side=6),
    elements=st.floats(1e-3, 1e3) | st.floats(-1e3, -1e-3),
)


@settings(max_examples=50, deadline=None)
@given(g=_grad_arrays, lr=st.floats(1e-4, 1.0), amsgrad=st.booleans())
def test_adam_first_step_is_lr_times_sign_of_g(g, lr, amsgrad):
    p = P(np.zeros_like(g))
    p.grad = g
    Adam([p], lr=lr, eps=1e-12, amsgrad=amsgrad).step()
    np.testing.assert_allclose(p.data, -lr * np.sign(g), rtol=1e-8)


@settings(max_examples=50, deadline=None)
@given(g=_grad_arrays, lr=st.floats(1e-4, 1.0), alpha=st.floats(0.5, 0.999))
def test_adagrad_and_rmsprop_first_steps(g, lr, alpha):
    p, q = P(np.zeros_like(g)), P(np.zeros_like(g))
    p.grad = q.grad = g
    Adagrad([p], lr=lr, eps=0.0).step()
    RMSprop([q], lr=lr, alpha=alpha, eps=0.0).step()
    np.testing.assert_allclose(p.data, -lr * np.sign(g), rtol=1e-12)
    np.testing.assert_allclose(q.data, -lr * np.sign(g) / np.sqrt(1 - alpha), rtol=1e-9)


# --------------------------------------------------------------- schedules


def _sgd(lr):
    return SGD([P(np.zeros(2))], lr=lr)


def _scheduled_lrs(scheduler, n):
    lrs = [scheduler.optimizer.lr]
    for _ in range(n):
        scheduler.step()
        assert scheduler.get_last_lr() == [scheduler.optimizer.lr]
        lrs.append(scheduler.optimizer.lr)
    return np.array(lrs)


def test_step_lr_matches_its_formula():
    lrs = _scheduled_lrs(StepLR(_sgd(0.5), step_size=3, gamma=0.2), 10)
    epochs = np.arange(11)
    np.testing.assert_allclose(lrs, 0.5 * 0.2 ** (epochs // 3), rtol=1e-15)
    np.testing.assert_allclose(optim.step_decay(0.5, epochs, 3, 0.2), lrs, rtol=1e-15)


def test_exponential_lr_matches_its_formula():
    lrs = _scheduled_lrs(ExponentialLR(_sgd(0.1), gamma=0.9), 10)
    epochs = np.arange(11)
    np.testing.assert_allclose(lrs, 0.1 * 0.9**epochs, rtol=1e-14)
    np.testing.assert_allclose(optim.exponential_decay(0.1, epochs, 0.9), lrs, rtol=1e-15)


def test_inverse_time_lr_with_the_seeds_values():
    lrs = _scheduled_lrs(InverseTimeLR(_sgd(0.2), decay_rate=1.0), 5)
    want = np.array([0.2 / (1 + 1.0 * epoch) for epoch in range(6)])
    np.testing.assert_allclose(lrs, want, rtol=1e-15)
    assert lrs[0] == 0.2 and lrs[1] == 0.1
    np.testing.assert_allclose(optim.inverse_time_decay(0.2, np.arange(6), 1.0), want)
    assert isinstance(optim.inverse_time_decay(0.2, 2, 1.0), float)


def test_scheduler_changes_the_step_the_optimizer_takes():
    p = P(np.zeros(2))
    opt = SGD([p], lr=0.2)
    sched = InverseTimeLR(opt, decay_rate=1.0)
    for epoch in range(4):
        before = p.data.copy()
        p.grad = np.ones(2)
        opt.step()
        np.testing.assert_allclose(before - p.data, 0.2 / (1 + epoch), rtol=1e-15)
        sched.step()
    assert sched.last_epoch == 4


@settings(max_examples=50, deadline=None)
@given(lr0=st.floats(1e-4, 1.0), rate=st.floats(0.0, 5.0), gamma=st.floats(0.01, 1.0))
def test_decay_schedules_never_increase(lr0, rate, gamma):
    epochs = np.arange(30)
    for lrs in (optim.inverse_time_decay(lr0, epochs, rate),
                optim.exponential_decay(lr0, epochs, gamma),
                optim.step_decay(lr0, epochs, 4, gamma)):  # fmt: skip
        assert lrs[0] == pytest.approx(lr0)
        assert np.all(np.diff(lrs) <= 0)


def test_schedule_validation():
    with pytest.raises(ValueError, match="Invalid step_size"):
        StepLR(_sgd(0.1), step_size=0)
    with pytest.raises(ValueError, match="Invalid gamma"):
        ExponentialLR(_sgd(0.1), gamma=0.0)
    with pytest.raises(ValueError, match="Invalid decay_rate"):
        InverseTimeLR(_sgd(0.1), decay_rate=-1.0)
    with pytest.raises(ValueError, match="epoch must be >= 0"):
        optim.inverse_time_decay(0.2, -1, 1.0)
    with pytest.raises(TypeError, match="must have param_groups"):
        StepLR(object(), step_size=2)


# ------------------------------------------------------------- line search


def _rosenbrock(x):
    return (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2


def _rosenbrock_grad(x):
    return np.array([-2 * (1 - x[0]) - 400 * x[0] * (x[1] - x[0] ** 2),
                     200 * (x[1] - x[0] ** 2)])  # fmt: skip


@pytest.mark.parametrize(
    ("f", "grad", "x"),
    [(ILL[0], ILL[1], np.array([3.0, 3.0])), (WELL[0], WELL[1], np.ones(5)),
     (_rosenbrock, _rosenbrock_grad, np.array([-1.2, 1.0]))],  # fmt: skip
)
def test_backtracking_returns_the_largest_armijo_step(f, grad, x):
    c, shrink = 1e-4, 0.5
    g = grad(x)
    alpha = optim.backtracking_line_search(f, x, g, shrink=shrink, c=c)
    assert 0 < alpha <= 1.0
    assert f(x - alpha * g) <= f(x) + c * alpha * (g @ -g)  # Armijo holds
    if alpha < 1.0:  # and the previous trial step violated it
        bigger = alpha / shrink
        assert f(x - bigger * g) > f(x) + c * bigger * (g @ -g)


def test_backtracking_with_an_explicit_direction_and_failure():
    f, grad, x_star = WELL
    x = np.zeros(5)
    d = x_star - x  # Newton direction on a quadratic: the full step is exact
    assert optim.backtracking_line_search(f, x, grad(x), direction=d) == 1.0
    with pytest.raises(ValueError, match="not a descent direction"):
        optim.backtracking_line_search(f, x, grad(x), direction=-d)
    with pytest.raises(ValueError, match="same shape"):
        optim.backtracking_line_search(f, x, grad(x)[:3])
    with pytest.raises(ValueError, match="Invalid shrink"):
        optim.backtracking_line_search(f, x, grad(x), shrink=1.0)
    # one trial of a huge step cannot pass: no acceptable step, so 0.0
    assert optim.backtracking_line_search(f, x, grad(x), lr0=1e3, max_iter=1) == 0.0


def test_line_search_converges_in_fewer_steps_than_a_small_fixed_lr():
    f, grad, x_star = ILL
    x0 = np.array([3.0, 3.0])
    # tol=1e-6, not smaller: the Armijo test compares loss values, which resolve x
    # only to about the square root of machine precision.
    x_ls, hist_ls = optim.gradient_descent_line_search(f, grad, x0, 5000, tol=1e-6)
    x_gd, hist_gd = optim.gradient_descent(f, grad, x0, 5000, lr=0.005, tol=1e-6)
    np.testing.assert_allclose(x_ls, x_star, atol=1e-5)
    np.testing.assert_allclose(x_gd, x_star, atol=1e-5)
    assert hist_ls.lr[-1] > 0  # stopped by tol, not by a failed search
    assert hist_ls.n_steps < hist_gd.n_steps
    assert hist_ls.x.shape == (hist_ls.n_steps + 1, 2)
    assert hist_ls.loss.shape == (hist_ls.n_steps + 1,)
    assert np.all(np.diff(hist_ls.loss) < 0)  # every accepted step decreases the loss
    assert hist_ls.n_loss_evals > hist_ls.n_steps  # the price: extra loss evaluations
    assert hist_gd.n_loss_evals == 0
