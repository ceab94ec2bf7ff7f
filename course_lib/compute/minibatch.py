"""Mini-batch gradients on a real problem, for the chapter on optimizers.

:func:`per_example_gradients` (one flattened gradient per example),
:func:`batch_gradient_error` (how far a mini-batch gradient is from the full one,
against the batch size) and :func:`minibatch_runs` (the loss against epochs,
updates and gradient evaluations, for several batch sizes). Drawn by
``course_lib.plots.optimizers``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .. import layers, losses, optim, training

__all__ = [
    "per_example_gradients",
    "BatchGradientError",
    "batch_gradient_error",
    "BatchRun",
    "minibatch_runs",
]

Array = NDArray[np.float64]


def _flat_grad(model: layers.Module) -> Array:
    return np.concatenate([p.grad.ravel() for p in model.parameters()])


def per_example_gradients(model: layers.Module, loss: losses.Loss, X: ArrayLike,
                          y: ArrayLike) -> Array:
    r"""The gradient of the loss on each example alone, one backward pass per example.

    .. math:: g_i = \nabla_\theta L(\theta; x_i, y_i), \qquad
              \nabla_\theta \frac1n\sum_i L_i = \frac1n\sum_i g_i

    Returns an array ``(n_samples, n_parameters)``: row ``i`` is :math:`g_i`, all of
    the model's parameters flattened in ``model.parameters()`` order. Their mean
    is the full-batch gradient. The model's ``.grad`` are left at None.
    """
    X, y = np.asarray(X, dtype=np.float64), np.asarray(y)
    rows = []
    for i in range(len(X)):
        model.zero_grad()
        loss.forward(model.forward(X[i : i + 1]), y[i : i + 1])
        model.backward(loss.backward())
        rows.append(_flat_grad(model))
    model.zero_grad()
    return np.stack(rows)


@dataclass
class BatchGradientError:
    r"""How far mini-batch gradients fall from the full-batch gradient.

    Attributes
    ----------
    batch_sizes : ``(k,)``
    measured : ``(k,)``, mean of :math:`\lVert g_B - \bar g\rVert^2` over the draws
    predicted : ``(k,)``, :math:`\frac{\sigma^2}{B}\,\frac{n-B}{n-1}` (sampling without replacement)
    full_norm2 : :math:`\lVert\bar g\rVert^2`, for scale
    """

    batch_sizes: NDArray[np.int64]
    measured: Array
    predicted: Array
    full_norm2: float


def batch_gradient_error(G: ArrayLike, batch_sizes: Sequence[int], n_draws: int,
                         rng: np.random.Generator) -> BatchGradientError:
    r"""Measure and predict the error of the mean gradient of a random mini-batch.

    A mini-batch of ``B`` distinct examples drawn at random from ``n`` has mean
    gradient :math:`g_B` with :math:`E[g_B] = \bar g` and

    .. math:: E\lVert g_B - \bar g\rVert^2 = \frac{\sigma^2}{B}\,\frac{n - B}{n - 1},
              \qquad \sigma^2 = \frac1n\sum_i \lVert g_i - \bar g\rVert^2

    (the variance of a sample mean without replacement), so the error falls like
    :math:`1/B` and vanishes at ``B = n``.

    Parameters
    ----------
    G : per-example gradients ``(n, n_parameters)`` (:func:`per_example_gradients`)
    batch_sizes : sizes to try, each in ``1..n``
    n_draws : random mini-batches per size
    rng : generator for the draws
    """
    G = np.asarray(G, dtype=np.float64)
    n = len(G)
    g_bar = G.mean(axis=0)
    sigma2 = float(np.mean(np.sum((G - g_bar) ** 2, axis=1)))
    sizes = np.asarray(batch_sizes, dtype=np.int64)
    if np.any(sizes < 1) or np.any(sizes > n):
        raise ValueError(f"batch sizes must be in 1..{n}; got {list(sizes)}")
    measured = np.empty(len(sizes))
    for k, B in enumerate(sizes):
        errs = [np.sum((G[rng.choice(n, B, replace=False)].mean(0) - g_bar) ** 2)
                for _ in range(n_draws)]  # fmt: skip
        measured[k] = np.mean(errs)
    predicted = sigma2 / sizes * (n - sizes) / (n - 1)
    return BatchGradientError(sizes, measured, predicted, float(g_bar @ g_bar))


@dataclass
class BatchRun:
    """Training loss of one batch size, recorded at checkpoints.

    Attributes
    ----------
    batch_size : examples per update
    examples : ``(k,)``, per-example gradients computed so far (``epochs * n`` at the end)
    updates : ``(k,)``, parameter updates made so far
    loss : ``(k,)``, loss on the whole training set at each checkpoint
    n_samples : size of the training set
    """

    batch_size: int
    examples: NDArray[np.int64]
    updates: NDArray[np.int64]
    loss: Array
    n_samples: int

    @property
    def epochs(self) -> Array:
        """``examples`` in units of passes over the training set."""
        return self.examples / self.n_samples


def minibatch_runs(X: ArrayLike, y: ArrayLike, batch_sizes: Sequence[int | None], *,
                   lr: float, epochs: int, checkpoints_per_epoch: int = 20,
                   seed: int = 0) -> list[BatchRun]:
    r"""Softmax regression trained by plain SGD at several batch sizes, same start, same lr.

    The model is ``layers.Linear(n_features, n_classes)`` with
    ``losses.CrossEntropyLoss``, updated by ``optim.SGD(lr=lr)`` on the batches of
    ``training.make_batches`` (``None`` = full batch), from the same small random
    weights (``init="normal"``, seeded) and the same shuffles. The loss on the
    whole training set is recorded at the start, about ``checkpoints_per_epoch``
    times per epoch (after every update when an update covers that many
    examples or more), and at the end.
    """
    X, y = np.asarray(X, dtype=np.float64), np.asarray(y)
    n, n_classes = len(X), int(y.max()) + 1
    loss = losses.CrossEntropyLoss()
    runs = []
    for B in batch_sizes:
        model = layers.Linear(X.shape[1], n_classes, init="normal", rng=seed)
        opt = optim.SGD(model.parameters(), lr=lr)
        shuffle_rng = np.random.default_rng(seed)
        record = [(0, 0, loss.forward(model.forward(X), y))]
        every = max(1, n // checkpoints_per_epoch)
        seen = updates = 0
        for _ in range(epochs):
            for xb, yb in training.make_batches(X, y, B, rng=shuffle_rng):
                opt.zero_grad()
                loss.forward(model.forward(xb), yb)
                model.backward(loss.backward())
                opt.step()
                updates += 1
                if (seen + len(xb)) // every > seen // every:
                    record.append((seen + len(xb), updates, loss.forward(model.forward(X), y)))
                seen += len(xb)
        if record[-1][0] != seen:  # always end with the final loss
            record.append((seen, updates, loss.forward(model.forward(X), y)))
        ex, up, lo = (np.array(c) for c in zip(*record, strict=True))
        runs.append(BatchRun(n if B is None else int(B), ex, up, lo, n))
    return runs
