r"""Computations for the chapter on training in practice.

Pure compute functions (numpy in, a small dataclass out; no plotting) in the
order the chapter uses them:

* learning-rate schedules: :func:`make_scheduler` (one of the chapter's
  schedules by name, on any optimizer), :func:`schedule_curve` (the rate it
  gives at every epoch: the first explorer's compute function) and
  :func:`train_with_schedule` (one training run under it);
* gradient flow at initialisation: :func:`deep_net` (a stack of equal-width
  blocks, plain or residual) and :func:`gradient_flow` (each block's weight
  gradient norm: the second explorer's compute function), and
  :func:`train_deep_residual` (the network whose gradients explode);
* the gallery of learning curves: :data:`CURVE_RECIPES` and :func:`gallery_run`;
* normalisation with small batches: :func:`normed_mlp` and :func:`train_normed`;
* hyperparameter search: :func:`grid_points`, :func:`random_points` (log-uniform)
  and :func:`search_trial`.

``course_lib.widgets.practice`` puts them on sliders (``schedule_explorer`` and
``gradient_flow_explorer``); their drawing functions are in ``course_lib.plots.practice``.

See the chapter on training in practice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .. import layers, losses, optim, training

__all__ = [
    "SCHEDULE_NAMES",
    "WARMUP_SCHEDULES",
    "make_scheduler",
    "ScheduleCurve",
    "schedule_curve",
    "train_with_schedule",
    "ACTIVATION_NAMES",
    "deep_net",
    "GradientFlow",
    "gradient_flow",
    "train_deep_residual",
    "CURVE_RECIPES",
    "gallery_run",
    "NORM_NAMES",
    "normed_mlp",
    "train_normed",
    "grid_points",
    "random_points",
    "search_trial",
]

Array = NDArray[np.float64]

#: The schedules the chapter compares: three from chapter 5 and three of this chapter.
SCHEDULE_NAMES = ("constant", "step", "exponential", "cosine", "warmup + cosine", "one-cycle")
#: Those whose first epochs ramp the rate up (their length is the ``warmup`` argument).
WARMUP_SCHEDULES = ("warmup + cosine", "one-cycle")


def make_scheduler(name: str, optimizer: Any, *, epochs: int, warmup: int = 5) -> Any:
    r"""The schedule ``name`` of :data:`SCHEDULE_NAMES` on ``optimizer``, stepped once per epoch.

    With :math:`\alpha_0` the optimizer's rate and :math:`T` = ``epochs``:

    * ``"constant"``: no scheduler (None);
    * ``"step"``: ``StepLR``, halved every :math:`T/4` epochs;
    * ``"exponential"``: ``ExponentialLR``, down to :math:`\alpha_0/100` at :math:`T`;
    * ``"cosine"``: ``CosineAnnealingLR`` over :math:`T` epochs, down to 0;
    * ``"warmup + cosine"``: ``LinearLR`` from :math:`\alpha_0/100` to :math:`\alpha_0`
      over ``warmup`` epochs, then ``CosineAnnealingLR`` over the remaining
      :math:`T - \text{warmup}` (``SequentialLR``);
    * ``"one-cycle"``: ``OneCycleLR`` with peak :math:`\alpha_0` reached after
      ``warmup`` of :math:`T` steps, and momentum cycled between 0.95 and 0.85.
    """
    if name not in SCHEDULE_NAMES:
        raise ValueError(f"unknown schedule {name!r}; expected one of {SCHEDULE_NAMES}")
    if name in WARMUP_SCHEDULES and not 0 < warmup < epochs:
        raise ValueError(f"warmup must lie in 1..{epochs - 1} (epochs={epochs}); got {warmup}")
    if name == "constant":
        return None
    if name == "step":
        return optim.StepLR(optimizer, step_size=max(1, epochs // 4), gamma=0.5)
    if name == "exponential":
        return optim.ExponentialLR(optimizer, gamma=0.01 ** (1 / epochs))
    if name == "cosine":
        return optim.CosineAnnealingLR(optimizer, T_max=epochs)
    if name == "warmup + cosine":
        ramp = optim.LinearLR(optimizer, start_factor=0.01, end_factor=1.0, total_iters=warmup)
        decay = optim.CosineAnnealingLR(optimizer, T_max=epochs - warmup)
        return optim.SequentialLR(optimizer, [ramp, decay], milestones=[warmup])
    max_lr = optimizer.param_groups[0]["lr"]
    return optim.OneCycleLR(optimizer, max_lr=max_lr, total_steps=epochs + 1, pct_start=warmup / epochs)


@dataclass(frozen=True)
class ScheduleCurve:
    """The learning rate (and SGD momentum) of each epoch under one schedule."""

    schedule: str
    warmup: int
    epochs: NDArray[np.int64]
    lr: Array
    momentum: Array

    @property
    def mean_lr(self) -> float:
        """The average rate, a rough measure of how far the schedule lets the weights travel."""
        return float(self.lr.mean())


def schedule_curve(schedule: str = "warmup + cosine", warmup: int = 5, *, lr: float = 0.1,
                   epochs: int = 40) -> ScheduleCurve:
    """The learning rate and momentum of epochs 0..epochs-1 under ``schedule`` (SGD, momentum 0.9)."""
    p = layers.Parameter(np.zeros(1))
    opt = optim.SGD([p], lr=lr, momentum=0.9)
    sched = make_scheduler(schedule, opt, epochs=epochs, warmup=warmup)
    rates, momenta = [], []
    for _ in range(epochs):
        rates.append(opt.param_groups[0]["lr"])
        momenta.append(opt.param_groups[0]["momentum"])
        if sched is not None:
            sched.step()
    return ScheduleCurve(schedule, warmup, np.arange(epochs), np.array(rates), np.array(momenta))


def train_with_schedule(schedule: str, X: ArrayLike, y: ArrayLike, validation: tuple, *,
                        lr: float = 0.1, epochs: int = 40, warmup: int = 5, hidden: int = 64,
                        seed: int = 0) -> training.History:
    """Train a 64-``hidden``-10 ReLU network with SGD (momentum 0.9, batches of 64) under ``schedule``."""
    X = np.asarray(X)
    net = layers.mlp((X.shape[1], hidden, 10), rng=seed)
    opt = optim.SGD(net.parameters(), lr=lr, momentum=0.9)
    sched = make_scheduler(schedule, opt, epochs=epochs, warmup=warmup)
    return training.fit(net, losses.CrossEntropyLoss(), opt, X, y, epochs=epochs, batch_size=64,
                        validation=validation, progress=False, scheduler=sched, rng=seed)


# ----------------------------------------------------------- gradient flow

#: The block non-linearities of :func:`deep_net`, each with the init that suits it.
ACTIVATION_NAMES = ("sigmoid", "tanh", "relu")
_INIT = {"sigmoid": "xavier", "tanh": "xavier", "relu": "he"}


def deep_net(depth: int, activation: str = "tanh", residual: bool = False, *, n_in: int = 64,
             width: int = 32, n_out: int = 10, rng: np.random.Generator | int | None = None,
             ) -> layers.Sequential:  # fmt: skip
    """``Linear(n_in, width)``, ``depth`` blocks ``Linear(width, width) → g``, ``Linear(width, n_out)``.

    With ``residual`` each block is wrapped in ``layers.Residual`` (:math:`x + g(Wx + b)`).
    Sigmoid and tanh blocks get Xavier initialisation, ReLU blocks He.
    """
    if activation not in ACTIVATION_NAMES:
        raise ValueError(f"unknown activation {activation!r}; expected one of {ACTIVATION_NAMES}")
    gen = np.random.default_rng(rng)
    act = {"sigmoid": layers.Sigmoid, "tanh": layers.Tanh, "relu": layers.ReLU}[activation]
    blocks = []
    for _ in range(depth):
        block = layers.Sequential(layers.Linear(width, width, init=_INIT[activation], rng=gen), act())
        blocks.append(layers.Residual(block) if residual else block)
    return layers.Sequential(layers.Linear(n_in, width, rng=gen), *blocks,
                             layers.Linear(width, n_out, rng=gen))


@dataclass(frozen=True)
class GradientFlow:
    """The gradient norm of each block's weight matrix at initialisation, input side first."""

    depth: int
    activation: str
    residual: bool
    grad_norms: Array
    loss: float

    @property
    def ratio(self) -> float:
        """First block's gradient norm over the last block's: far below 1 means vanishing."""
        return float(self.grad_norms[0] / self.grad_norms[-1])


def gradient_flow(depth: int = 20, activation: str = "sigmoid", residual: bool = False, *,
                  n_samples: int = 128, seed: int = 0) -> GradientFlow:
    """One backward pass of :func:`deep_net` on standard-normal inputs and random labels of 10 classes."""
    gen = np.random.default_rng(seed)
    X = gen.normal(size=(n_samples, 64))
    y = gen.integers(0, 10, size=n_samples)
    net = deep_net(depth, activation, residual, rng=gen)
    ce = losses.CrossEntropyLoss()
    out = net(X)
    loss = ce(out, y)
    net.backward(ce.backward())
    blocks = net.layers[1:-1]
    weights = [(b.block if residual else b).layers[0].weight for b in blocks]
    norms = np.array([np.linalg.norm(w.grad) for w in weights])
    return GradientFlow(depth, activation, residual, norms, float(loss))


def train_deep_residual(X: ArrayLike, y: ArrayLike, validation: tuple, *, callbacks: Sequence = (),
                        schedule: str | None = None, lr: float = 0.01, epochs: int = 20,
                        seed: int = 0) -> training.History:
    """Train ``deep_net(10, "relu", residual=True)`` with SGD (momentum 0.9), batches of 64.

    The chapter's network whose gradients explode at initialisation. ``callbacks``
    go to ``fit`` (a ``GradientMonitor``, a ``ClipGradNorm``); ``schedule`` is a
    name of :data:`SCHEDULE_NAMES` (warmup of 3 epochs) or None for a constant rate.
    A run that diverges stops with ``History.diverged`` set and a ``DivergenceWarning``.
    """
    net = deep_net(10, "relu", residual=True, rng=seed)
    opt = optim.SGD(net.parameters(), lr=lr, momentum=0.9)
    sched = make_scheduler(schedule, opt, epochs=epochs, warmup=3) if schedule else None
    return training.fit(net, losses.CrossEntropyLoss(), opt, X, y, epochs=epochs, batch_size=64,
                        validation=validation, callbacks=list(callbacks), progress=False,
                        scheduler=sched, rng=seed)


# ------------------------------------------------------ learning-curve gallery

#: The classic shapes of learning curves, each produced by one recipe on digits:
#: name -> (layer sizes, optimizer, learning rate, epochs, training examples, shuffled labels).
CURVE_RECIPES: dict[str, tuple[tuple[int, ...], str, float, int, int | None, bool]] = {
    "healthy": ((64, 64, 10), "Adam", 1e-3, 30, None, False),
    "learning rate too high": ((64, 64, 10), "Adam", 0.1, 30, None, False),
    "learning rate too low": ((64, 64, 10), "SGD", 1e-3, 30, None, False),
    "overfitting": ((64, 256, 10), "Adam", 1e-2, 60, 100, False),
    "underfitting": ((64, 2, 10), "Adam", 1e-2, 30, None, False),
    "labels shuffled (a bug)": ((64, 64, 10), "Adam", 1e-3, 30, None, True),
}


def gallery_run(name: str, X: ArrayLike, y: ArrayLike, validation: tuple, *,
                seed: int = 0) -> training.History:
    """Train the recipe ``name`` of :data:`CURVE_RECIPES` (batches of 32) and return its history.

    ``"labels shuffled (a bug)"`` permutes the training labels, as a data-loading
    bug that misaligns images and labels would; the validation labels stay right.
    """
    if name not in CURVE_RECIPES:
        raise ValueError(f"unknown recipe {name!r}; expected one of {list(CURVE_RECIPES)}")
    sizes, opt_name, lr, epochs, n, shuffle = CURVE_RECIPES[name]
    X, y = np.asarray(X)[:n], np.asarray(y)[:n]
    if shuffle:
        y = np.random.default_rng(seed).permutation(y)
    net = layers.mlp((X.shape[1], *sizes[1:]), rng=seed)
    opt = optim.Adam(net.parameters(), lr=lr) if opt_name == "Adam" else optim.SGD(net.parameters(), lr=lr)
    return training.fit(net, losses.CrossEntropyLoss(), opt, X, y, epochs=epochs, batch_size=32,
                        validation=validation, progress=False, rng=seed)


# --------------------------------------------------------- LayerNorm vs BatchNorm

#: The normalisations :func:`normed_mlp` can put after each hidden ``Linear``.
NORM_NAMES = ("none", "BatchNorm1d", "LayerNorm")


def normed_mlp(sizes: tuple[int, ...], norm: str = "LayerNorm", *,
               rng: np.random.Generator | int | None = None) -> layers.Sequential:
    """An MLP whose hidden layers are ``Linear → norm → ReLU`` (He init; no bias before a norm)."""
    if norm not in NORM_NAMES:
        raise ValueError(f"unknown norm {norm!r}; expected one of {NORM_NAMES}")
    gen = np.random.default_rng(rng)
    mods: list[layers.Module] = []
    for n_in, n_out in zip(sizes[:-2], sizes[1:-1], strict=True):
        mods.append(layers.Linear(n_in, n_out, bias=norm == "none", rng=gen))
        if norm == "BatchNorm1d":
            mods.append(layers.BatchNorm1d(n_out))
        elif norm == "LayerNorm":
            mods.append(layers.LayerNorm(n_out))
        mods.append(layers.ReLU())
    mods.append(layers.Linear(sizes[-2], sizes[-1], rng=gen))
    return layers.Sequential(*mods)


def train_normed(norm: str, batch_size: int, X: ArrayLike, y: ArrayLike, validation: tuple, *,
                 epochs: int = 10, lr: float = 1e-3, seed: int = 0) -> training.History:
    """Train ``normed_mlp((64, 64, 64, 10), norm)`` with Adam on batches of ``batch_size``.

    The last ``len(X) % batch_size`` examples are left out, so every batch is full
    (PyTorch's ``drop_last=True``): batch norm cannot train on a batch of one.
    """
    X, y = np.asarray(X), np.asarray(y)
    keep = len(X) - len(X) % batch_size
    X, y = X[:keep], y[:keep]
    net = normed_mlp((X.shape[1], 64, 64, 10), norm, rng=seed)
    return training.fit(net, losses.CrossEntropyLoss(), optim.Adam(net.parameters(), lr=lr), X, y,
                        epochs=epochs, batch_size=batch_size, validation=validation, progress=False,
                        rng=seed)


# ------------------------------------------------------ hyperparameter search


def grid_points(low: tuple[float, float], high: tuple[float, float], n_per_axis: int) -> Array:
    """A log-spaced ``n_per_axis × n_per_axis`` grid over the box ``[low, high]``: shape ``(n², 2)``."""
    axes = [np.geomspace(lo, hi, n_per_axis) for lo, hi in zip(low, high, strict=True)]
    return np.array([(a, b) for a in axes[0] for b in axes[1]])


def random_points(low: tuple[float, float], high: tuple[float, float], n: int,
                  rng: np.random.Generator | int | None = None) -> Array:
    r"""``n`` points drawn log-uniformly in the box ``[low, high]``.

    Each coordinate is :math:`10^{u}` with :math:`u \sim U(\log_{10} lo, \log_{10} hi)`:
    every decade of the range gets the same share of the trials.
    """
    gen = np.random.default_rng(rng)
    lo, hi = np.log10(np.asarray(low, float)), np.log10(np.asarray(high, float))
    if np.any(hi <= lo):
        raise ValueError(f"every high must exceed its low; got low={low}, high={high}")
    return 10 ** gen.uniform(lo, hi, size=(n, 2))


def search_trial(lr: float, weight_decay: float, X: ArrayLike, y: ArrayLike, validation: tuple, *,
                 epochs: int = 5, seed: int = 0) -> float:
    """Validation loss of a 64-64-10 ReLU net after ``epochs`` of AdamW, batches of 64 (inf: diverged)."""
    X = np.asarray(X)
    net = layers.mlp((X.shape[1], 64, 10), rng=seed)
    opt = optim.AdamW(net.parameters(), lr=lr, weight_decay=weight_decay)
    hist = training.fit(net, losses.CrossEntropyLoss(), opt, X, y, epochs=epochs, batch_size=64,
                        validation=validation, progress=False, rng=seed)
    return float(hist.val_loss[-1]) if not hist.diverged else float("inf")
