"""Generate PyTorch reference fixtures for course_lib's tests.

Run by hand, in an environment with torch (never in CI):

    python -m venv /tmp/torchenv && /tmp/torchenv/bin/pip install torch==2.13.0 numpy
    /tmp/torchenv/bin/python tools/make_fixtures.py

It writes tests/fixtures/torch_reference.npz: the shared inputs of
tests/reference_cases.py and PyTorch's outputs and gradients (float64) for
activations, losses, layers (forward and backward), autodiff graphs, 50 steps
of every optimizer (also with two parameter groups), the learning-rate
schedulers, and the chapter-7 cases (the new schedulers over 50 steps with
their momenta, ReduceLROnPlateau on given metric sequences, gradient clipping,
LayerNorm, and the init functions' fans, gains and draw statistics).
tests/test_reference.py compares course_lib against it.

By default the arrays already in the file are kept as they are and only the
missing ones are added (so a new case never rewrites the committed numbers);
``--all`` regenerates every array.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
import reference_cases as cases  # noqa: E402

torch.set_default_dtype(torch.float64)
OUT = ROOT / "tests" / "fixtures" / "torch_reference.npz"


def t(x, grad=False):
    return torch.tensor(np.asarray(x), dtype=torch.float64, requires_grad=grad)


def value_and_grad(fn, x):
    """fn's output and d(sum(fn(x)))/dx, i.e. the elementwise derivative for elementwise fn."""
    xt = t(x, grad=True)
    y = fn(xt)
    y.sum().backward()
    return y.detach().numpy(), xt.grad.numpy()


def activations(d, out):
    fns = {
        "sigmoid": torch.sigmoid,
        "tanh": torch.tanh,
        "relu": torch.relu,
        "leaky_relu": F.leaky_relu,
        "leaky_relu_0.2": lambda z: F.leaky_relu(z, 0.2),
    }
    for name, fn in fns.items():
        out[f"act__{name}__out"], out[f"act__{name}__grad"] = value_and_grad(fn, d["z"])
    for axis in (0, 1):
        out[f"act__softmax{axis}__out"] = torch.softmax(t(d["z"]), axis).numpy()
        out[f"act__log_softmax{axis}__out"] = torch.log_softmax(t(d["z"]), axis).numpy()


def loss_case(name, fn, pred, target, out):
    pt = t(pred, grad=True)
    value = fn(pt, target)
    value.backward()
    out[f"loss__{name}__value"] = value.detach().numpy()
    out[f"loss__{name}__grad"] = pt.grad.numpy()


def losses(d, out):
    loss_case("mse", F.mse_loss, d["pred"], t(d["target"]), out)
    loss_case("mae", F.l1_loss, d["pred"], t(d["target"]), out)
    loss_case("bce", F.binary_cross_entropy, d["probs"], t(d["binary"]), out)
    loss_case("bce_logits", F.binary_cross_entropy_with_logits, d["pred"] * 3, t(d["binary"]), out)
    labels = torch.tensor(d["labels"])
    loss_case("ce_labels", F.cross_entropy, d["logits"], labels, out)
    loss_case("ce_soft", F.cross_entropy, d["logits"], t(d["soft_targets"]), out)


def layers(d, out):
    lin = torch.nn.Linear(6, 5)
    with torch.no_grad():
        lin.weight.copy_(t(d["W1"]))
        lin.bias.copy_(t(d["b1"]))
    x = t(d["x"], grad=True)
    y = lin(x)
    y.backward(t(d["grad_out"]))
    out["linear__out"], out["linear__dx"] = y.detach().numpy(), x.grad.numpy()
    out["linear__dW"], out["linear__db"] = lin.weight.grad.numpy(), lin.bias.grad.numpy()

    bn = torch.nn.BatchNorm1d(5, eps=1e-5, momentum=0.1)
    with torch.no_grad():
        bn.weight.copy_(t(d["bn_gamma"]))
        bn.bias.copy_(t(d["bn_beta"]))
    x = t(d["bn_x"], grad=True)
    y = bn(x)
    y.backward(t(d["bn_grad_out"]))
    out["bn_train__out"], out["bn_train__dx"] = y.detach().numpy(), x.grad.numpy()
    out["bn_train__dgamma"], out["bn_train__dbeta"] = bn.weight.grad.numpy(), bn.bias.grad.numpy()
    out["bn__running_mean"] = bn.running_mean.numpy().copy()
    out["bn__running_var"] = bn.running_var.numpy().copy()
    bn.eval()
    bn.weight.grad = None
    bn.bias.grad = None
    x = t(d["bn_x"][:4] * 0.5, grad=True)
    y = bn(x)
    y.backward(t(d["bn_grad_out"][:4]))
    out["bn_eval__out"], out["bn_eval__dx"] = y.detach().numpy(), x.grad.numpy()
    out["bn_eval__dgamma"], out["bn_eval__dbeta"] = bn.weight.grad.numpy(), bn.bias.grad.numpy()

    for act_name, act in (("relu", torch.nn.ReLU()), ("tanh", torch.nn.Tanh()),
                          ("sigmoid", torch.nn.Sigmoid()), ("leaky", torch.nn.LeakyReLU(0.1))):
        net = torch.nn.Sequential(torch.nn.Linear(6, 5), act, torch.nn.Linear(5, 4))
        with torch.no_grad():
            for lin_, w, b in ((net[0], "W1", "b1"), (net[2], "W2", "b2")):
                lin_.weight.copy_(t(d[w]))
                lin_.bias.copy_(t(d[b]))
        x = t(d["x"], grad=True)
        logits = net(x)
        loss = F.cross_entropy(logits, torch.tensor(d["mlp_labels"]))
        loss.backward()
        key = f"mlp_{act_name}"
        out[f"{key}__loss"] = loss.detach().numpy()
        out[f"{key}__dx"] = x.grad.numpy()
        for i, p in enumerate(net.parameters()):
            out[f"{key}__dparam{i}"] = p.grad.numpy()


def graphs(d, out):
    labels = torch.tensor(cases.GRAPH_LABELS)
    for name, fn in cases.GRAPHS.items():
        leaves = [t(d[k], grad=True) for k in ("a", "b", "c", "M")]
        value = fn(F, *leaves, labels)
        value.backward()
        out[f"graph__{name}__value"] = value.detach().numpy()
        for k, leaf in zip("abcM", leaves, strict=True):
            # a leaf the graph does not use gets no gradient: store zeros
            grad = leaf.grad if leaf.grad is not None else torch.zeros_like(leaf)
            out[f"graph__{name}__d{k}"] = grad.numpy()


def optimizers(d, out):
    for name, cls, kwargs in cases.OPTIMIZER_CASES:
        p = t(d["p0"], grad=True)
        opt = getattr(torch.optim, cls)([p], **kwargs)
        traj = [p.detach().numpy().copy()]
        for _ in range(cases.OPTIMIZER_STEPS):
            opt.zero_grad()
            loss = 0.5 * (t(d["scale"]) * (p - t(d["centre"])) ** 2).sum() + 0.1 * torch.cos(p).sum()
            loss.backward()
            opt.step()
            traj.append(p.detach().numpy().copy())
        out[f"optim__{name}"] = np.stack(traj)


def optimizer_groups(d, out):
    for name, cls, kwargs, overrides in cases.GROUP_CASES:
        a, b = t(d["p0"][:1], grad=True), t(d["p0"][1:], grad=True)
        opt = getattr(torch.optim, cls)([{"params": [a]}, {"params": [b], **overrides}], **kwargs)
        traj = [np.concatenate([a.detach().numpy(), b.detach().numpy()])]
        for _ in range(cases.OPTIMIZER_STEPS):
            opt.zero_grad()
            p = torch.cat([a, b])
            loss = 0.5 * (t(d["scale"]) * (p - t(d["centre"])) ** 2).sum() + 0.1 * torch.cos(p).sum()
            loss.backward()
            opt.step()
            traj.append(np.concatenate([a.detach().numpy(), b.detach().numpy()]))
        out[f"optim_groups__{name}"] = np.stack(traj)


def schedulers(d, out):
    for name, cls, kwargs in cases.SCHEDULER_CASES:
        opt = torch.optim.SGD([t(d["p0"], grad=True)], lr=0.2)
        sched = getattr(torch.optim.lr_scheduler, cls)(opt, **kwargs)
        lrs = []
        for _ in range(cases.SCHEDULER_EPOCHS):
            lrs.append(sched.get_last_lr()[0])
            opt.step()
            sched.step()
        out[f"sched__{name}"] = np.array(lrs)
        lr_a, lr_b = cases.GROUP_SCHEDULER_LRS
        opt = torch.optim.SGD([{"params": [t(d["p0"], grad=True)]},
                               {"params": [t(d["p0"], grad=True)], "lr": lr_b}], lr=lr_a)
        sched = getattr(torch.optim.lr_scheduler, cls)(opt, **kwargs)
        lrs = []
        for _ in range(cases.SCHEDULER_EPOCHS):
            lrs.append(sched.get_last_lr())
            opt.step()
            sched.step()
        out[f"sched_groups__{name}"] = np.array(lrs)


def _optimizer(cls, kwargs, groups):
    params = [{"params": [t(np.zeros(3), grad=True)], **g} for g in groups]
    return getattr(torch.optim, cls)(params, **kwargs)


def _momenta(opt):
    def one(group):
        if "betas" in group:
            return group["betas"][0]
        return group.get("momentum", math.nan)

    return [one(group) for group in opt.param_groups]


def new_schedulers(d, out):
    for name, cls, kwargs, groups, specs, milestones in cases.NEW_SCHEDULER_CASES:
        opt = _optimizer(cls, kwargs, groups)
        scheds = [getattr(torch.optim.lr_scheduler, c)(opt, **kw) for c, kw in specs]
        sched = scheds[0] if milestones is None else torch.optim.lr_scheduler.SequentialLR(
            opt, scheds, milestones=milestones)
        lrs, momenta = [], []
        for _ in range(cases.SCHEDULER_STEPS):
            lrs.append(sched.get_last_lr())
            momenta.append(_momenta(opt))
            opt.step()
            sched.step()
        out[f"sched7__{name}__lr"] = np.array(lrs)
        out[f"sched7__{name}__momentum"] = np.array(momenta)


def plateau(d7, out):
    for name, kwargs, metric, groups in cases.PLATEAU_CASES:
        opt = _optimizer("SGD", {"lr": 0.1}, groups)
        sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, **kwargs)
        rows = []
        for value in d7[metric]:
            opt.step()
            sched.step(float(value))
            rows.append([*sched.get_last_lr(), sched.best, sched.num_bad_epochs,
                         sched.cooldown_counter])
        out[f"plateau__{name}"] = np.array(rows, dtype=np.float64)


def _clip_params(d7):
    params = [t(d7[k], grad=True) for k in ("clip_g0", "clip_g1", "clip_g2")]
    for p in params:
        p.grad = t(p.detach().numpy())
    return params + [t(np.ones(2), grad=True)]  # the last one has no gradient


def clipping(d7, out):
    for name, norm_type, max_norm in cases.CLIP_NORM_CASES:
        params = _clip_params(d7)
        total = torch.nn.utils.clip_grad_norm_(params, max_norm, norm_type=norm_type)
        out[f"clip_norm__{name}__total"] = total.numpy()
        for i, p in enumerate(params[:3]):
            out[f"clip_norm__{name}__g{i}"] = p.grad.numpy()
    params = _clip_params(d7)
    torch.nn.utils.clip_grad_value_(params, cases.CLIP_VALUE)
    for i, p in enumerate(params[:3]):
        out[f"clip_value__g{i}"] = p.grad.numpy()


def layernorm(d7, out):
    for name, key, shape, affine in cases.LAYERNORM_CASES:
        ln = torch.nn.LayerNorm(shape, eps=1e-5, elementwise_affine=affine)
        if affine:
            with torch.no_grad():
                ln.weight.copy_(t(d7[f"{key}_gamma"]))
                ln.bias.copy_(t(d7[f"{key}_beta"]))
        x = t(d7[f"{key}_x"], grad=True)
        y = ln(x)
        y.backward(t(d7[f"{key}_grad_out"]))
        out[f"layernorm__{name}__out"], out[f"layernorm__{name}__dx"] = y.detach().numpy(), x.grad.numpy()
        if affine:
            out[f"layernorm__{name}__dgamma"] = ln.weight.grad.numpy()
            out[f"layernorm__{name}__dbeta"] = ln.bias.grad.numpy()


def init(d7, out):
    fans = [torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(s)) for s in cases.INIT_FAN_SHAPES]
    out["init__fans"] = np.array(fans)
    out["init__gains"] = np.array([torch.nn.init.calculate_gain(n, p) for n, p in cases.INIT_GAINS],
                                  dtype=np.float64)
    gen = torch.Generator().manual_seed(cases.SEED)
    for name, fn, kwargs in cases.INIT_DRAW_CASES:
        w = getattr(torch.nn.init, fn)(torch.empty(cases.INIT_DRAW_SHAPE), generator=gen, **kwargs)
        out[f"init__{name}__absmax"] = w.abs().max().numpy()
        out[f"init__{name}__std"] = w.std().numpy()


def main() -> None:
    d, d7 = cases.inputs(), cases.inputs_training_in_practice()
    out: dict[str, np.ndarray] = {}
    for part in (activations, losses, layers, graphs, optimizers, optimizer_groups, schedulers,
                 new_schedulers):
        part(d, out)
    for part in (plateau, clipping, layernorm, init):
        part(d7, out)
    out["torch_version"] = np.array(torch.__version__)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    kept = {}
    if OUT.exists() and "--all" not in sys.argv:
        with np.load(OUT) as committed:
            kept = {k: committed[k] for k in committed.files}
    np.savez_compressed(OUT, **{**out, **kept})
    print(f"wrote {len(out.keys() | kept.keys())} arrays to {OUT.relative_to(ROOT)} "
          f"({len(out.keys() - kept.keys())} new, {len(kept)} kept; torch {torch.__version__})")


if __name__ == "__main__":
    main()
