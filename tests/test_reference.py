"""course_lib against PyTorch's numbers (tests/fixtures/torch_reference.npz).

The fixtures are made by tools/make_fixtures.py from the shared cases in
tests/reference_cases.py; CI needs no torch. Tolerance: 1e-6 relative, float64.
"""

from pathlib import Path

import numpy as np
import pytest
import reference_cases as cases

from course_lib import activations as A
from course_lib import autodiff, layers, optim
from course_lib import losses as L

FIXTURES = Path(__file__).parent / "fixtures" / "torch_reference.npz"
RTOL, ATOL = 1e-6, 1e-12


@pytest.fixture(scope="module")
def ref():
    with np.load(FIXTURES) as data:
        return dict(data)


@pytest.fixture(scope="module")
def d():
    return cases.inputs()


def close(got, want):
    np.testing.assert_allclose(np.asarray(got, dtype=np.float64), want, rtol=RTOL, atol=ATOL)


def test_fixtures_come_from_pytorch(ref):
    assert str(ref["torch_version"]).startswith("2.")


@pytest.mark.parametrize(
    "name, f, f_grad",
    [
        ("sigmoid", A.sigmoid, A.sigmoid_grad),
        ("tanh", A.tanh, A.tanh_grad),
        ("relu", A.relu, A.relu_grad),
        ("leaky_relu", A.leaky_relu, A.leaky_relu_grad),
        ("leaky_relu_0.2", lambda z: A.leaky_relu(z, 0.2), lambda z: A.leaky_relu_grad(z, 0.2)),
    ],
)
def test_activations(ref, d, name, f, f_grad):
    close(f(d["z"]), ref[f"act__{name}__out"])
    close(f_grad(d["z"]), ref[f"act__{name}__grad"])


@pytest.mark.parametrize("axis", [0, 1])
def test_softmax(ref, d, axis):
    close(A.softmax(d["z"], axis=axis), ref[f"act__softmax{axis}__out"])
    close(A.log_softmax(d["z"], axis=axis), ref[f"act__log_softmax{axis}__out"])


@pytest.mark.parametrize(
    "name, loss, grad, pred, target",
    [
        ("mse", L.mse, L.mse_grad, "pred", "target"),
        ("mae", L.mae, L.mae_grad, "pred", "target"),
        ("bce", L.binary_cross_entropy, L.binary_cross_entropy_grad, "probs", "binary"),
        ("ce_labels", L.cross_entropy, L.cross_entropy_grad, "logits", "labels"),
        ("ce_soft", L.cross_entropy, L.cross_entropy_grad, "logits", "soft_targets"),
    ],
)
def test_losses(ref, d, name, loss, grad, pred, target):
    close(loss(d[pred], d[target]), ref[f"loss__{name}__value"])
    close(grad(d[pred], d[target]), ref[f"loss__{name}__grad"])


def test_bce_with_logits(ref, d):
    z = d["pred"] * 3
    close(L.binary_cross_entropy_with_logits(z, d["binary"]), ref["loss__bce_logits__value"])
    close(L.binary_cross_entropy_with_logits_grad(z, d["binary"]), ref["loss__bce_logits__grad"])


def _linear(d, w, b):
    lin = layers.Linear(d[w].shape[1], d[w].shape[0], rng=0)
    lin.weight.data[...] = d[w]
    lin.bias.data[...] = d[b]
    return lin


def test_linear_forward_backward(ref, d):
    lin = _linear(d, "W1", "b1")
    close(lin.forward(d["x"]), ref["linear__out"])
    close(lin.backward(d["grad_out"]), ref["linear__dx"])
    close(lin.weight.grad, ref["linear__dW"])
    close(lin.bias.grad, ref["linear__db"])


def test_batchnorm_train_running_stats_and_eval(ref, d):
    bn = layers.BatchNorm1d(5, eps=1e-5, momentum=0.1)
    bn.weight.data[...] = d["bn_gamma"]
    bn.bias.data[...] = d["bn_beta"]
    close(bn.forward(d["bn_x"]), ref["bn_train__out"])
    close(bn.backward(d["bn_grad_out"]), ref["bn_train__dx"])
    close(bn.weight.grad, ref["bn_train__dgamma"])
    close(bn.bias.grad, ref["bn_train__dbeta"])
    close(bn.running_mean, ref["bn__running_mean"])
    close(bn.running_var, ref["bn__running_var"])
    bn.eval()
    bn.zero_grad()
    close(bn.forward(d["bn_x"][:4] * 0.5), ref["bn_eval__out"])
    close(bn.backward(d["bn_grad_out"][:4]), ref["bn_eval__dx"])
    close(bn.weight.grad, ref["bn_eval__dgamma"])
    close(bn.bias.grad, ref["bn_eval__dbeta"])


@pytest.mark.parametrize(
    "name, act",
    [("relu", layers.ReLU), ("tanh", layers.Tanh), ("sigmoid", layers.Sigmoid),
     ("leaky", lambda: layers.LeakyReLU(0.1))],
)
def test_mlp_gradients(ref, d, name, act):
    net = layers.Sequential(_linear(d, "W1", "b1"), act(), _linear(d, "W2", "b2"))
    loss = L.CrossEntropyLoss()
    close(loss(net.forward(d["x"]), d["mlp_labels"]), ref[f"mlp_{name}__loss"])
    close(net.backward(loss.backward()), ref[f"mlp_{name}__dx"])
    for i, p in enumerate(net.parameters()):
        close(p.grad, ref[f"mlp_{name}__dparam{i}"])


@pytest.mark.parametrize("name", list(cases.GRAPHS))
def test_autodiff_graphs(ref, d, name):
    leaves = [autodiff.Tensor(d[k], requires_grad=True) for k in ("a", "b", "c", "M")]
    value = cases.GRAPHS[name](autodiff, *leaves, cases.GRAPH_LABELS)
    value.backward()
    close(value.data, ref[f"graph__{name}__value"])
    for k, leaf in zip("abcM", leaves, strict=True):
        grad = leaf.grad if leaf.grad is not None else np.zeros_like(leaf.data)
        close(grad, ref[f"graph__{name}__d{k}"])


class _Param:
    def __init__(self, data):
        self.data = data
        self.grad = None


@pytest.mark.parametrize(
    "name, cls, kwargs", cases.OPTIMIZER_CASES, ids=[c[0] for c in cases.OPTIMIZER_CASES]
)
def test_optimizer_trajectories(ref, d, name, cls, kwargs):
    p = _Param(d["p0"].copy())
    opt = getattr(optim, cls)([p], **kwargs)
    trajectory = [p.data.copy()]
    for _ in range(cases.OPTIMIZER_STEPS):
        opt.zero_grad()
        p.grad = cases.optimizer_grad(p.data, d)
        opt.step()
        trajectory.append(p.data.copy())
    close(np.stack(trajectory), ref[f"optim__{name}"])


@pytest.mark.parametrize(
    "name, cls, kwargs, overrides", cases.GROUP_CASES, ids=[c[0] for c in cases.GROUP_CASES]
)
def test_optimizer_trajectories_with_two_parameter_groups(ref, d, name, cls, kwargs, overrides):
    a, b = _Param(d["p0"][:1].copy()), _Param(d["p0"][1:].copy())
    opt = getattr(optim, cls)([{"params": [a]}, {"params": [b], **overrides}], **kwargs)
    trajectory = [np.concatenate([a.data, b.data])]
    for _ in range(cases.OPTIMIZER_STEPS):
        opt.zero_grad()
        g = cases.optimizer_grad(np.concatenate([a.data, b.data]), d)
        a.grad, b.grad = g[:1], g[1:]
        opt.step()
        trajectory.append(np.concatenate([a.data, b.data]))
    close(np.stack(trajectory), ref[f"optim_groups__{name}"])


@pytest.mark.parametrize("name, cls, kwargs", cases.SCHEDULER_CASES)
def test_schedulers_with_two_parameter_groups(ref, d, name, cls, kwargs):
    lr_a, lr_b = cases.GROUP_SCHEDULER_LRS
    opt = optim.SGD([{"params": [_Param(d["p0"].copy())]},
                     {"params": [_Param(d["p0"].copy())], "lr": lr_b}], lr=lr_a)
    sched = getattr(optim, cls)(opt, **kwargs)
    lrs = []
    for _ in range(cases.SCHEDULER_EPOCHS):
        lrs.append(sched.get_last_lr())
        sched.step()
    close(np.array(lrs), ref[f"sched_groups__{name}"])


@pytest.mark.parametrize("name, cls, kwargs", cases.SCHEDULER_CASES)
def test_schedulers(ref, d, name, cls, kwargs):
    opt = optim.SGD([_Param(d["p0"].copy())], lr=0.2)
    sched = getattr(optim, cls)(opt, **kwargs)
    lrs = []
    for _ in range(cases.SCHEDULER_EPOCHS):
        lrs.append(sched.get_last_lr()[0])
        sched.step()
    close(lrs, ref[f"sched__{name}"])


# ------------------------------------------------ chapter 7: training in practice


@pytest.fixture(scope="module")
def d7():
    return cases.inputs_training_in_practice()


def _optimizer(cls, kwargs, groups):
    return getattr(optim, cls)([{"params": [_Param(np.zeros(3))], **g} for g in groups], **kwargs)


def _momenta(opt):
    def one(group):
        return group["betas"][0] if "betas" in group else group.get("momentum", np.nan)

    return [one(group) for group in opt.param_groups]


@pytest.mark.parametrize(
    "name, cls, kwargs, groups, specs, milestones", cases.NEW_SCHEDULER_CASES,
    ids=[c[0] for c in cases.NEW_SCHEDULER_CASES],
)
def test_new_schedulers_and_their_momenta(ref, name, cls, kwargs, groups, specs, milestones):
    opt = _optimizer(cls, kwargs, groups)
    scheds = [getattr(optim, c)(opt, **kw) for c, kw in specs]
    sched = scheds[0] if milestones is None else optim.SequentialLR(opt, scheds, milestones)
    lrs, momenta = [], []
    for _ in range(cases.SCHEDULER_STEPS):
        lrs.append(sched.get_last_lr())
        momenta.append(_momenta(opt))
        assert [g["lr"] for g in opt.param_groups] == lrs[-1]
        sched.step()
    close(np.array(lrs), ref[f"sched7__{name}__lr"])
    np.testing.assert_allclose(np.array(momenta), ref[f"sched7__{name}__momentum"],
                               rtol=RTOL, atol=ATOL)  # nan where the optimizer has none


@pytest.mark.parametrize("name, kwargs, metric, groups", cases.PLATEAU_CASES,
                         ids=[c[0] for c in cases.PLATEAU_CASES])
def test_reduce_lr_on_plateau(ref, d7, name, kwargs, metric, groups):
    opt = _optimizer("SGD", {"lr": 0.1}, groups)
    sched = optim.ReduceLROnPlateau(opt, **kwargs)
    rows = []
    for value in d7[metric]:
        sched.step(value)
        rows.append([*sched.get_last_lr(), sched.best, sched.num_bad_epochs, sched.cooldown_counter])
    want = ref[f"plateau__{name}"]
    assert len(set(want[:, 0])) > 2  # the case does cut the rate, more than once
    close(np.array(rows), want)


def _clip_params(d7):
    params = []
    for k in ("clip_g0", "clip_g1", "clip_g2"):
        p = _Param(np.zeros_like(d7[k]))
        p.grad = d7[k].copy()
        params.append(p)
    return params + [_Param(np.ones(2))]  # the last one has no gradient


@pytest.mark.parametrize("name, norm_type, max_norm", cases.CLIP_NORM_CASES,
                         ids=[c[0] for c in cases.CLIP_NORM_CASES])
def test_clip_grad_norm(ref, d7, name, norm_type, max_norm):
    params = _clip_params(d7)
    total = optim.clip_grad_norm_(params, max_norm, norm_type=norm_type)
    assert isinstance(total, float)
    close(total, ref[f"clip_norm__{name}__total"])
    for i, p in enumerate(params[:3]):
        close(p.grad, ref[f"clip_norm__{name}__g{i}"])
    assert params[3].grad is None


def test_clip_grad_value(ref, d7):
    params = _clip_params(d7)
    optim.clip_grad_value_(params, cases.CLIP_VALUE)
    for i, p in enumerate(params[:3]):
        close(p.grad, ref[f"clip_value__g{i}"])


@pytest.mark.parametrize("name, key, shape, affine", cases.LAYERNORM_CASES,
                         ids=[c[0] for c in cases.LAYERNORM_CASES])
def test_layernorm_forward_backward(ref, d7, name, key, shape, affine):
    ln = layers.LayerNorm(shape, eps=1e-5, elementwise_affine=affine)
    if affine:
        ln.weight.data[...] = d7[f"{key}_gamma"]
        ln.bias.data[...] = d7[f"{key}_beta"]
    close(ln.forward(d7[f"{key}_x"]), ref[f"layernorm__{name}__out"])
    close(ln.backward(d7[f"{key}_grad_out"]), ref[f"layernorm__{name}__dx"])
    if affine:
        close(ln.weight.grad, ref[f"layernorm__{name}__dgamma"])
        close(ln.bias.grad, ref[f"layernorm__{name}__dbeta"])
    else:
        assert ln.parameters() == []


def test_init_fans_and_gains(ref):
    fans = [layers.init.fan_in_and_fan_out(np.empty(s)) for s in cases.INIT_FAN_SHAPES]
    np.testing.assert_array_equal(fans, ref["init__fans"])
    gains = [layers.init.calculate_gain(n, p) for n, p in cases.INIT_GAINS]
    np.testing.assert_array_equal(gains, ref["init__gains"])  # exactly PyTorch's floats


_UNIFORM_SD = 3 ** -0.5  # a uniform draw on [-b, b] has standard deviation b / sqrt(3)


@pytest.mark.parametrize("name, fn, kwargs", cases.INIT_DRAW_CASES,
                         ids=[c[0] for c in cases.INIT_DRAW_CASES])
def test_init_draws_have_pytorchs_scale(ref, name, fn, kwargs):
    # Different generators: compare scales. 120,000 draws give the sample std to
    # ~0.2% (relative standard error 1/sqrt(2N)) and the max of a uniform within
    # b/N of its bound b; the tolerances below are ~5 standard errors.
    w = getattr(layers.init, fn)(np.empty(cases.INIT_DRAW_SHAPE), rng=0, **kwargs)
    torch_max, torch_std = float(ref[f"init__{name}__absmax"]), float(ref[f"init__{name}__std"])
    assert abs(w.std() / torch_std - 1) < 0.01
    if "uniform" in fn:
        assert abs(w).max() <= torch_max * (1 + 1e-3) and torch_max <= abs(w).max() * (1 + 1e-3)
        bound = torch_std / _UNIFORM_SD
        assert abs(torch_max / bound - 1) < 0.01
