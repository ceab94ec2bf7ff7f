r"""Synthetic training runs for the diagnostic items: data sets whose right answer is known.

A diagnostic exercise gives the learner what a run produced (learning curves, a
range test's losses, the iterates of gradient descent) and asks what it means.
Each generator here draws such a run from a known cause and keeps the cause in a
held-back array (never passed to the learner's function) that a checker scores
against: the answer comes from how the data were made, not from the solution's
own reading of them. Registered in :data:`course_lib.grading.cases.DATASETS`.

``learning_curves``
    ``n_runs`` pairs of training and validation losses over ``n_epochs`` epochs, each
    of one of the six shapes of the chapter on training in practice (the codes of
    :data:`CURVE_KINDS`), in ``train_loss``, ``val_loss`` of shape
    ``(n_runs, n_epochs)``; ``kind`` ``(n_runs,)`` holds the codes.
``range_test``
    A learning-rate range test, ``lrs`` ``(n,)`` growing geometrically and the
    noisy batch ``losses`` ``(n,)``: flat, then falling, then blowing up past
    ``lr_cliff`` (held back), stopped like ``training.lr_range_test``.
``gd_run``
    The iterates ``w_path`` ``(k + 1,)`` of gradient descent with learning rate ``lr``
    on the parabola :math:`J(w) = J^* + \tfrac{h}{2}(w - w^*)^2`; ``h`` is held back.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["CURVE_KINDS", "learning_curves", "range_test", "gd_run"]

# The codes of the six learning-curve shapes, in the order of the chapter's table.
CURVE_KINDS = ("healthy", "lr too high", "lr too low", "overfitting", "underfitting", "data bug")

Array = NDArray[np.float64]


def _falling(t: Array, start: float, end: float, rate: float) -> Array:
    """An exponential approach from ``start`` to ``end``, ``rate`` per epoch."""
    return end + (start - end) * np.exp(-rate * t)


def _jitter(rng: np.random.Generator, curve: Array, rel: float) -> Array:
    return curve * np.exp(rel * rng.normal(size=curve.shape))


def _curves(kind: int, rng: np.random.Generator, n_epochs: int, log_c: float) -> tuple[Array, Array]:
    """One run's (training, validation) losses of the given shape."""
    t = np.arange(n_epochs, dtype=np.float64)
    start = log_c * rng.uniform(0.9, 1.05)
    if kind == 0:  # healthy: both fall and flatten, a modest gap
        train = _falling(t, start, rng.uniform(0.01, 0.08), rng.uniform(0.3, 0.6))
        val = _falling(t, start, rng.uniform(0.12, 0.3), rng.uniform(0.3, 0.6))
        return _jitter(rng, train, 0.03), _jitter(rng, val, 0.03)
    if kind == 1:  # rate too high: jagged and rising, far from zero
        base = rng.uniform(0.6, 1.2) * (1 + rng.uniform(0.02, 0.06) * t)
        train = base * np.exp(0.4 * rng.normal(size=n_epochs))
        val = base * rng.uniform(1.1, 1.5) * np.exp(0.4 * rng.normal(size=n_epochs))
        return train, val
    if kind == 2:  # rate too low: both fall slowly and steadily, almost together
        end = rng.uniform(0.2, 0.6)
        train = _falling(t, start, end, rng.uniform(0.5, 1.2) / n_epochs)
        val = train * rng.uniform(1.02, 1.08)
        return _jitter(rng, train, 0.01), _jitter(rng, val, 0.01)
    if kind == 3:  # overfitting: training loss falls by orders of magnitude, validation turns up early
        train = start * np.exp(-t * np.log(start / rng.uniform(1e-4, 1e-3)) / (n_epochs - 1))
        best = rng.integers(2, n_epochs // 4)
        floor = rng.uniform(0.4, 0.8)
        rise = rng.uniform(0.02, 0.06) * np.maximum(t - best, 0)  # past its best epoch the model memorises
        val = floor + (start - floor) * np.exp(-t / max(best / 3, 0.5)) + rise
        return _jitter(rng, train, 0.03), _jitter(rng, val, 0.02)
    if kind == 4:  # underfitting: both level off high, close together
        floor = rng.uniform(0.8, 1.4)
        train = _falling(t, start, floor, rng.uniform(0.4, 0.8))
        val = _falling(t, start, floor * rng.uniform(1.03, 1.15), rng.uniform(0.4, 0.8))
        return _jitter(rng, train, 0.01), _jitter(rng, val, 0.01)
    # data bug (shuffled labels): training falls slowly by memorising, validation stays above log C
    train = _falling(t, start, rng.uniform(0.8, 1.6), rng.uniform(1.0, 2.0) / n_epochs)
    val = log_c * rng.uniform(1.02, 1.1) + rng.uniform(0.005, 0.02) * t
    return _jitter(rng, train, 0.01), _jitter(rng, val, 0.005)


def learning_curves(p: dict[str, Any], rng: np.random.Generator) -> dict[str, NDArray[Any]]:
    """``n_runs`` runs (default 12) of ``n_epochs`` epochs (default 30), ``n_classes`` (default 10)."""
    n_runs, n_epochs = int(p.get("n_runs", 12)), int(p.get("n_epochs", 30))
    log_c = float(np.log(int(p.get("n_classes", 10))))
    kinds = rng.permutation(np.resize(np.arange(len(CURVE_KINDS)), n_runs))  # every shape, as evenly as fits
    pairs = [_curves(int(k), rng, n_epochs, log_c) for k in kinds]
    return {"train_loss": np.array([a for a, _ in pairs]), "val_loss": np.array([b for _, b in pairs]),
            "kind": kinds.astype(np.int64)}


def range_test(p: dict[str, Any], rng: np.random.Generator) -> dict[str, NDArray[Any]]:
    r"""A range test's batch losses: a plateau, a fall over about two decades, then a blow-up past the cliff.

    The loss is :math:`L_0` up to the fall, :math:`L_\text{floor}` after it, and grows
    like :math:`(\alpha/\alpha_\text{cliff})^4` past the cliff; each batch loss is
    that times log-normal noise of ``noise`` (default 0.2). The sweep stops when the
    noise-free loss exceeds four times its floor.
    """
    n = int(p.get("num_steps", 100))
    start = 10.0 ** rng.uniform(-6, -5)
    lrs = start * (10.0 ** rng.uniform(6, 7)) ** (np.arange(n) / (n - 1))  # six to seven decades
    log_lr = np.log10(lrs)
    cliff = 10.0 ** rng.uniform(log_lr[n // 2], log_lr[int(0.8 * n)])
    fall = np.log10(cliff) - rng.uniform(1.5, 2.5)  # the middle of the fall, in decades
    l0, floor = rng.uniform(2.0, 2.5), rng.uniform(0.1, 0.5)
    blow_up = 20 * floor * np.maximum(lrs / cliff - 1, 0) ** 2
    curve = floor + (l0 - floor) / (1 + np.exp(3.0 * (log_lr - fall))) + blow_up
    stop = np.flatnonzero(curve > 4 * floor)
    stop = stop[stop > np.argmin(curve)]
    end = int(stop[0]) + 1 if stop.size else n
    losses = curve * np.exp(float(p.get("noise", 0.2)) * rng.normal(size=n))
    return {"lrs": lrs[:end], "losses": losses[:end], "lr_cliff": np.asarray(cliff)}


def gd_run(p: dict[str, Any], rng: np.random.Generator) -> dict[str, NDArray[Any]]:
    r"""Gradient descent on a 1-D parabola: :math:`w_{k+1} - w^* = (1 - \alpha h)(w_k - w^*)`.

    The factor :math:`r = 1 - \alpha h` is drawn from ``[-1.5, -0.1] \cup [0.1, 0.9]``
    (diverging runs included), over ``n_steps`` steps (default 6).
    """
    h = 10.0 ** rng.uniform(-1, 1)
    r = rng.uniform(0.1, 0.9) if rng.uniform() < 0.5 else -rng.uniform(0.1, 1.5)
    lr = (1 - r) / h
    w_star, err0 = rng.normal(scale=3.0), rng.choice([-1.0, 1.0]) * rng.uniform(0.5, 4.0)
    w_path = w_star + err0 * r ** np.arange(int(p.get("n_steps", 6)) + 1)
    return {"w_path": w_path, "lr": np.asarray(lr), "h": np.asarray(h)}
