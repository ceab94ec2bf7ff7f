"""Generate PyTorch reference fixtures for course_lib's tests.

Run by hand, in an environment with torch (never in CI):

    python -m venv /tmp/torchenv && /tmp/torchenv/bin/pip install torch==2.13.0 numpy
    /tmp/torchenv/bin/python tools/make_fixtures.py

It writes tests/fixtures/torch_reference.npz: the shared inputs of
tests/reference_cases.py and PyTorch's outputs and gradients (float64) for
activations, losses, layers (forward and backward), autodiff graphs, 50 steps
of every optimizer (also with two parameter groups), and the learning-rate
schedulers. tests/test_reference.py
compares course_lib against it.
"""

from __future__ import annotations

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


def main() -> None:
    d = cases.inputs()
    out: dict[str, np.ndarray] = {}
    for part in (activations, losses, layers, graphs, optimizers, optimizer_groups, schedulers):
        part(d, out)
    out["torch_version"] = np.array(torch.__version__)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(OUT, **out)
    print(f"wrote {len(out)} arrays to {OUT.relative_to(ROOT)} (torch {torch.__version__})")


if __name__ == "__main__":
    main()
