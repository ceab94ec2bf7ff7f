"""Inputs and cases shared by tools/make_fixtures.py (PyTorch) and tests/test_reference.py.

One source for both sides: the fixture script runs each case through PyTorch and
stores the results; the test runs the same case through course_lib and compares.
This module imports neither torch nor course_lib.
"""

import numpy as np

SEED = 20261123


def inputs() -> dict[str, np.ndarray]:
    """The fixed float64 inputs every case is built from."""
    rng = np.random.default_rng(SEED)
    extremes = np.array([-1e3, -80.0, -5.0, -1.0, -1e-3, 1e-3, 1.0, 5.0, 80.0, 1e3])
    return {
        "z": np.concatenate([rng.normal(size=30) * 4, extremes]).reshape(5, 8),
        "pred": rng.normal(size=(6, 3)),
        "target": rng.normal(size=(6, 3)),
        "probs": rng.uniform(0.02, 0.98, size=(6, 3)),
        "binary": rng.integers(0, 2, size=(6, 3)).astype(np.float64),
        "logits": rng.normal(size=(7, 5)) * 3,
        "labels": rng.integers(0, 5, size=7),
        "soft_targets": rng.dirichlet(np.ones(5), size=7),
        # layers
        "x": rng.normal(size=(8, 6)),
        "W1": rng.normal(size=(5, 6)) * 0.5,
        "b1": rng.normal(size=5) * 0.1,
        "W2": rng.normal(size=(4, 5)) * 0.5,
        "b2": rng.normal(size=4) * 0.1,
        "grad_out": rng.normal(size=(8, 5)),
        "bn_x": rng.normal(size=(10, 5)) * 3 + 1,
        "bn_gamma": rng.uniform(0.5, 1.5, size=5),
        "bn_beta": rng.normal(size=5) * 0.1,
        "bn_grad_out": rng.normal(size=(10, 5)),
        "mlp_labels": rng.integers(0, 4, size=8),
        # autodiff
        "a": rng.normal(size=(4, 3)),
        "b": rng.normal(size=(3,)),
        "c": rng.uniform(0.5, 2.0, size=(4, 1)),
        "M": rng.normal(size=(3, 2)),
        # optimizers: minimise 0.5 * sum(scale * (p - centre)^2) + 0.1 * sum(cos(p))
        "p0": rng.normal(size=(3, 4)),
        "scale": rng.uniform(0.1, 5.0, size=(3, 4)),
        "centre": rng.normal(size=(3, 4)),
    }


def optimizer_grad(p: np.ndarray, data: dict[str, np.ndarray]) -> np.ndarray:
    """Gradient of the optimizer test objective (numpy form; PyTorch uses autograd)."""
    return data["scale"] * (p - data["centre"]) - 0.1 * np.sin(p)


OPTIMIZER_STEPS = 50

# (name, class name shared by torch.optim and course_lib.optim, keyword arguments)
OPTIMIZER_CASES = [
    ("sgd", "SGD", {"lr": 0.05}),
    ("sgd_momentum", "SGD", {"lr": 0.05, "momentum": 0.9}),
    ("sgd_nesterov", "SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
    ("sgd_dampening_wd", "SGD", {"lr": 0.05, "momentum": 0.8, "dampening": 0.5, "weight_decay": 0.01}),
    ("adagrad", "Adagrad", {"lr": 0.3}),
    ("adagrad_decay_wd", "Adagrad", {"lr": 0.3, "lr_decay": 0.01, "weight_decay": 0.01,
                                     "initial_accumulator_value": 0.1}),
    ("rmsprop", "RMSprop", {"lr": 0.01}),
    ("rmsprop_momentum_centered", "RMSprop", {"lr": 0.01, "alpha": 0.9, "momentum": 0.5,
                                              "centered": True, "weight_decay": 0.01}),
    ("adam", "Adam", {"lr": 0.05}),
    ("adam_wd_amsgrad", "Adam", {"lr": 0.05, "betas": (0.8, 0.99), "weight_decay": 0.01,
                                 "amsgrad": True}),
    ("adamw", "AdamW", {"lr": 0.05}),
    ("adamw_amsgrad", "AdamW", {"lr": 0.05, "weight_decay": 0.1, "amsgrad": True}),
]

# Two parameter groups: row 0 of p0 with the optimizer's keyword arguments, rows 1-2
# with the group's overrides. (name, class name, keyword arguments, overrides)
GROUP_CASES = [
    ("sgd_momentum", "SGD", {"lr": 0.05, "momentum": 0.9}, {"lr": 0.01, "momentum": 0.5}),
    ("adamw_no_decay", "AdamW", {"lr": 0.05, "weight_decay": 0.1}, {"lr": 0.02, "weight_decay": 0.0}),
]
GROUP_SCHEDULER_LRS = (0.2, 0.05)  # the two groups' learning rates under each scheduler

# (name, class name shared by torch.optim.lr_scheduler and course_lib.optim, kwargs)
SCHEDULER_CASES = [
    ("step", "StepLR", {"step_size": 3, "gamma": 0.5}),
    ("exponential", "ExponentialLR", {"gamma": 0.9}),
]
SCHEDULER_EPOCHS = 10


# Autodiff graphs: functions of tensors that run unchanged on torch.Tensor and on
# course_lib.autodiff.Tensor (methods and positional arguments only). ``F`` is the
# functional namespace: torch.nn.functional or course_lib.autodiff.
def graph_arith(F, a, b, c, M, labels):
    return ((a * b + c) / (c ** 2 + 1.0) - b).sum()


def graph_exp_log(F, a, b, c, M, labels):
    return ((a * a + 1.0).log() * (-c).exp()).mean()


def graph_matmul_reduce(F, a, b, c, M, labels):
    h = (a @ M).tanh()
    return (h.sum(1) * c.reshape(4)).sum() + (h.T @ h).mean()


def graph_activations(F, a, b, c, M, labels):
    return (a.relu() * b.sigmoid() + (a - c).tanh()).mean(0).sum() + (-a).mean()


def graph_mlp_cross_entropy(F, a, b, c, M, labels):
    hidden = (a @ M + 0.5).sigmoid()
    logits = hidden @ M.T + b
    return F.cross_entropy(logits, labels) + logits.log_softmax(1).mean() * 0.1


GRAPHS = {
    "arith": graph_arith,
    "exp_log": graph_exp_log,
    "matmul_reduce": graph_matmul_reduce,
    "activations": graph_activations,
    "mlp_cross_entropy": graph_mlp_cross_entropy,
}
GRAPH_LABELS = np.array([0, 2, 1, 2])  # class labels for the graph's 4 rows, 3 classes
