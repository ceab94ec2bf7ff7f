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


# ------------------------------------------------ chapter 7: training in practice


def inputs_training_in_practice() -> dict[str, np.ndarray]:
    """Inputs of the chapter-7 cases, from their own generator (``inputs()`` is unchanged)."""
    rng = np.random.default_rng(SEED + 7)
    plateau_min = np.concatenate([
        np.linspace(1.0, 0.6, 8), 0.6 + 0.002 * rng.normal(size=12),
        np.linspace(0.6, 0.5, 6), 0.5 + 0.01 * np.abs(rng.normal(size=24)),
    ])  # fmt: skip
    return {
        "ln_x": rng.normal(size=(6, 5)) * 2 + 0.5,
        "ln_gamma": rng.uniform(0.5, 1.5, size=5),
        "ln_beta": rng.normal(size=5) * 0.1,
        "ln_grad_out": rng.normal(size=(6, 5)),
        "ln3_x": rng.normal(size=(2, 3, 4)) * 3 - 1,
        "ln3_gamma": rng.uniform(0.5, 1.5, size=(3, 4)),
        "ln3_beta": rng.normal(size=(3, 4)) * 0.1,
        "ln3_grad_out": rng.normal(size=(2, 3, 4)),
        "clip_g0": rng.normal(size=(4, 3)) * 3,
        "clip_g1": rng.normal(size=5),
        "clip_g2": rng.normal(size=(2, 3, 2)) * 0.5,
        "plateau_min": plateau_min,
        "plateau_max": 0.5 + 0.4 * (1 - plateau_min),
    }


def warmup_then_inverse_sqrt(epoch: int) -> float:
    """A LambdaLR factor: linear warmup over 5 epochs, then 1/sqrt decay (the transformer schedule)."""
    return min((epoch + 1) / 5, (5 / (epoch + 1)) ** 0.5)


SCHEDULER_STEPS = 50
# (name, optimizer class, optimizer kwargs, parameter-group overrides (one dict per group),
#  [(scheduler class, kwargs), ...], milestones of a SequentialLR or None for one scheduler).
# Each step records every group's lr and its momentum (SGD) or beta1 (Adam).
NEW_SCHEDULER_CASES = [
    ("linear_warmup", "SGD", {"lr": 0.1}, [{}, {"lr": 0.02}],
     [("LinearLR", {"start_factor": 0.01, "total_iters": 10})], None),
    ("linear_decay", "SGD", {"lr": 0.1}, [{}],
     [("LinearLR", {"start_factor": 1.0, "end_factor": 0.0, "total_iters": 40})], None),
    ("cosine", "SGD", {"lr": 0.1}, [{}, {"lr": 0.03}], [("CosineAnnealingLR", {"T_max": 50})], None),
    ("cosine_past_t_max", "SGD", {"lr": 0.1}, [{}],
     [("CosineAnnealingLR", {"T_max": 20, "eta_min": 0.01})], None),
    ("lambda", "SGD", {"lr": 0.1}, [{}, {"lr": 0.05}],
     [("LambdaLR", {"lr_lambda": warmup_then_inverse_sqrt})], None),
    ("sequential_warmup_cosine", "SGD", {"lr": 0.1, "momentum": 0.9}, [{}, {"lr": 0.02}],
     [("LinearLR", {"start_factor": 0.1, "total_iters": 5}), ("CosineAnnealingLR", {"T_max": 45})],
     [5]),
    ("sequential_three", "Adam", {"lr": 0.01}, [{}],
     [("LinearLR", {"start_factor": 0.2, "total_iters": 4}), ("ExponentialLR", {"gamma": 0.9}),
      ("CosineAnnealingLR", {"T_max": 30, "eta_min": 1e-4})], [6, 20]),
    ("onecycle_sgd", "SGD", {"lr": 0.1, "momentum": 0.9}, [{}, {"lr": 0.01}],
     [("OneCycleLR", {"max_lr": [0.5, 0.1], "total_steps": 50})], None),
    ("onecycle_adam_linear", "Adam", {"lr": 1e-3}, [{}],
     [("OneCycleLR", {"max_lr": 0.01, "total_steps": 50, "anneal_strategy": "linear"})], None),
    ("onecycle_three_phase_nesterov", "SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True}, [{}],
     [("OneCycleLR", {"max_lr": 1.0, "epochs": 5, "steps_per_epoch": 10, "three_phase": True,
                      "pct_start": 0.25, "div_factor": 10.0, "final_div_factor": 100.0,
                      "base_momentum": 0.8, "max_momentum": 0.9})], None),
    ("onecycle_adam_three_phase_linear", "Adam", {"betas": (0.9, 0.99)}, [{}],
     [("OneCycleLR", {"max_lr": 0.02, "total_steps": 50, "three_phase": True,
                      "anneal_strategy": "linear", "base_momentum": 0.8})], None),
    ("onecycle_no_momentum", "Adagrad", {"lr": 0.1}, [{}],
     [("OneCycleLR", {"max_lr": 0.3, "total_steps": 60, "cycle_momentum": False,
                      "pct_start": 0.4})], None),
]  # fmt: skip

# (name, ReduceLROnPlateau kwargs, metric sequence, parameter-group overrides); SGD(lr=0.1).
# Each step records every group's lr, best, num_bad_epochs and cooldown_counter.
PLATEAU_CASES = [
    ("min_rel", {"patience": 3}, "plateau_min", [{}]),
    ("min_abs_cooldown_min_lr", {"factor": 0.5, "patience": 2, "threshold": 0.01,
                                 "threshold_mode": "abs", "cooldown": 3, "min_lr": 0.004},
     "plateau_min", [{}]),
    ("max_rel", {"mode": "max", "factor": 0.5, "patience": 1, "threshold": 0.05}, "plateau_max", [{}]),
    ("max_abs_cooldown_min_lr", {"mode": "max", "factor": 0.3, "patience": 0, "threshold": 0.02,
                                 "threshold_mode": "abs", "cooldown": 1, "min_lr": 0.01},
     "plateau_max", [{}]),
    ("min_rel_two_groups", {"patience": 2, "factor": 0.2, "min_lr": [0.01, 0.001]}, "plateau_min",
     [{}, {"lr": 0.05}]),
]  # fmt: skip

# (name, norm_type, max_norm) on the gradients clip_g0, clip_g1, clip_g2 (and one parameter
# without a gradient); clip_grad_value_ uses CLIP_VALUE.
CLIP_NORM_CASES = [
    ("l2", 2.0, 1.0),
    ("l1", 1.0, 2.0),
    ("inf", float("inf"), 0.5),
    ("l3", 3.0, 1.5),
    ("l2_no_clip", 2.0, 1e3),
]
CLIP_VALUE = 0.7

# (name, input key, normalized_shape, elementwise_affine)
LAYERNORM_CASES = [
    ("affine", "ln", 5, True),
    ("plain", "ln", 5, False),
    ("3d_affine", "ln3", (3, 4), True),
]

INIT_FAN_SHAPES = [(5, 3), (4, 3, 2, 2), (7, 2, 3)]
INIT_GAINS = [("linear", None), ("sigmoid", None), ("tanh", None), ("relu", None),
              ("leaky_relu", None), ("leaky_relu", 0.2), ("leaky_relu", 5 ** 0.5), ("selu", None),
              ("conv2d", None)]  # fmt: skip
INIT_DRAW_SHAPE = (300, 400)
# (name, function, keyword arguments): PyTorch's max |w| and std of INIT_DRAW_SHAPE draws
INIT_DRAW_CASES = [
    ("kaiming_uniform_sqrt5", "kaiming_uniform_", {"a": 5 ** 0.5}),
    ("kaiming_uniform_relu_fan_out", "kaiming_uniform_", {"mode": "fan_out", "nonlinearity": "relu"}),
    ("kaiming_normal_relu", "kaiming_normal_", {"nonlinearity": "relu"}),
    ("kaiming_normal_leaky_fan_out", "kaiming_normal_", {"a": 0.2, "mode": "fan_out"}),
    ("xavier_uniform_tanh", "xavier_uniform_", {"gain": 5 / 3}),
    ("xavier_normal", "xavier_normal_", {}),
]
