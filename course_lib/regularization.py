r"""Regularization: weight penalties, the λ grid, and early stopping.

The seeds add a penalty to the loss, :math:`L'(\theta) = L(\theta) + \lambda R(\theta)`,
with L2 (:math:`R = \sum\theta_i^2`, many small weights) or L1
(:math:`R = \sum|\theta_i|`, sparse weights). This module provides those
penalties and their gradients, the doubling grid of λ values the seeds tune over,
:func:`fit_penalized_linear`, which fits a linear model with either penalty
(exactly sparse weights for L1), :class:`EarlyStopping`, the callback that stops
training when the validation loss stops improving, and :func:`thinned_average`,
the ensemble view of dropout. The dropout and batch-normalisation layers live in
``course_lib.layers``.

See the chapter on regularization.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._validation import as_float_array, check_int, check_ndim, check_nonnegative, check_positive
from .layers import Linear, Module

__all__ = [
    "l1_penalty",
    "l1_penalty_grad",
    "l2_penalty",
    "l2_penalty_grad",
    "lambda_grid",
    "fit_penalized_linear",
    "weight_decay_groups",
    "EarlyStopping",
    "thinned_average",
]

Array = NDArray[np.floating]
# One array, one parameter (an object with ``.data``), or a collection of them.
Weights = Any


# --- penalties ------------------------------------------------------------------------


def _as_arrays(w: Weights) -> tuple[list[Array], bool]:
    """Return the weight arrays and whether ``w`` was a collection of them.

    ``w`` is one array, one parameter (anything with ``.data``), or a list/tuple/
    iterable of arrays and parameters (e.g. ``model.parameters()``). A plain list of
    numbers counts as one array.
    """
    if isinstance(w, np.ndarray):
        return [as_float_array(w, "w")], False
    if hasattr(w, "data") and not isinstance(w, (list, tuple)):
        return [as_float_array(w.data, "w.data")], False
    if not isinstance(w, Iterable) or isinstance(w, str):
        return [as_float_array(w, "w")], False  # a scalar (or a TypeError for a string)
    items = list(w)  # also consumes a generator such as model.parameters()
    if items and all(isinstance(x, np.ndarray) or hasattr(x, "data") for x in items):
        arrays = [x if isinstance(x, np.ndarray) else x.data for x in items]
        return [as_float_array(a, f"w[{i}]") for i, a in enumerate(arrays)], True
    return [as_float_array(items, "w")], False


def _check_lam(lam: float) -> float:
    check_nonnegative(lam, "lam (the regularization strength λ)")
    return float(lam)


def l2_penalty(w: Weights, lam: float) -> float:
    r"""L2 penalty (weight decay) summed over all weights.

    .. math:: R_2(w) = \frac{\lambda}{2}\sum_i w_i^2, \qquad
              \frac{\partial R_2}{\partial w_i} = \lambda\,w_i

    The ½ makes the gradient :math:`\lambda w`, exactly what PyTorch's
    ``optim.SGD(..., weight_decay=λ)`` adds to each gradient, so the same λ means
    the same thing here and there. The seeds write two other forms:

    * :math:`\lambda\sum_i\theta_i^2` (no ½): the same as this with ``lam = 2λ``;
    * the regularised linear-regression cost
      :math:`\frac{1}{2m}\sum_i(h_\theta(x^{(i)}) - y^{(i)})^2 + \frac{\lambda}{2m}\sum_{j\ge1}\theta_j^2`:
      its penalty is ``l2_penalty(theta[1:], lam=λ/m)``. The sum starts at
      :math:`j = 1`, leaving the bias :math:`\theta_0` unpenalised (the seed's
      upper limit :math:`m` is a typo for the number of parameters).

    Pass only the arrays you want penalised, typically the weight matrices and
    not the biases. (PyTorch's ``weight_decay`` decays every parameter in the
    group, biases included, unless you put them in a separate group.)

    Parameters
    ----------
    w : an array, a parameter (with ``.data``), or a list of them (e.g.
        ``model.parameters()``); the penalty sums over all of them
    lam : λ >= 0

    Returns
    -------
    float
    """
    lam = _check_lam(lam)
    arrays, _ = _as_arrays(w)
    return 0.5 * lam * float(sum(np.sum(np.square(a, dtype=np.float64)) for a in arrays))


def l2_penalty_grad(w: Weights, lam: float) -> Array | list[Array]:
    r""":math:`\lambda w`: an array shaped like ``w``, or a list with one array per entry of ``w``."""
    lam = _check_lam(lam)
    arrays, many = _as_arrays(w)
    grads = [(lam * a).astype(a.dtype, copy=False) for a in arrays]
    return grads if many else grads[0]


def l1_penalty(w: Weights, lam: float) -> float:
    r"""L1 penalty summed over all weights: it pushes weights to exactly zero (sparsity).

    .. math:: R_1(w) = \lambda\sum_i |w_i|, \qquad
              \frac{\partial R_1}{\partial w_i} = \lambda\,\operatorname{sign}(w_i)

    ``w`` and ``lam`` as in :func:`l2_penalty`. This is the seeds' form
    :math:`\lambda\sum|\theta_i|` exactly (no ½).
    """
    lam = _check_lam(lam)
    arrays, _ = _as_arrays(w)
    return lam * float(sum(np.sum(np.abs(a), dtype=np.float64) for a in arrays))


def l1_penalty_grad(w: Weights, lam: float) -> Array | list[Array]:
    r""":math:`\lambda\operatorname{sign}(w)`, with 0 where :math:`w = 0`.

    :math:`|w|` has no derivative at 0; any value in :math:`[-\lambda, \lambda]` is a
    subgradient there, and 0 (``np.sign(0)``, as PyTorch's ``sign``) is the usual
    choice. Plain gradient descent therefore makes weights oscillate around 0 rather
    than land on it; proximal methods (soft thresholding) fix that.
    """
    lam = _check_lam(lam)
    arrays, many = _as_arrays(w)
    grads = [(lam * np.sign(a)).astype(a.dtype, copy=False) for a in arrays]
    return grads if many else grads[0]


# --- choosing lambda ---------------------------------------------------------------------


def lambda_grid(start: float = 0.01, stop: float = 10.0, factor: float = 2.0) -> Array:
    r"""The seeds' geometric grid of λ values: start, start·factor, start·factor², ... <= stop.

    .. math:: \lambda_k = \text{start}\cdot\text{factor}^k, \quad k = 0, 1, \dots, K,
              \qquad K = \max\{k : \lambda_k \le \text{stop}\}

    ``stop`` is included when some :math:`\lambda_k` equals it (up to a relative
    rounding error of 1e-9: ``lambda_grid(0.1, 100, 10)`` ends at 100). The seeds'
    "0.01, 0.02, 0.04, ..., 10" never hits 10 exactly: the default grid has the ten
    values 0.01 ... 5.12 (the next one, 10.24, is above 10; pass ``stop=10.24`` to
    include it). Fit one model per λ, then pick the λ with the lowest
    *validation* error.

    Returns
    -------
    float64 array ``(K + 1,)``, increasing
    """
    check_positive(start, "start")
    check_positive(stop, "stop")
    if not (np.isscalar(factor) and factor > 1):
        raise ValueError(f"Invalid factor: {factor} (must be > 1)")
    if stop < start:
        raise ValueError(f"stop must be >= start; got start={start}, stop={stop}")
    k_max = math.floor(math.log(stop / start) / math.log(factor) + 1e-9)
    return float(start) * float(factor) ** np.arange(k_max + 1, dtype=np.float64)


# --- a linear model with either penalty ------------------------------------------------------


def fit_penalized_linear(X: ArrayLike, y: ArrayLike, penalty: str, lam: float, *,
                         tol: float = 1e-10, max_iter: int = 50_000) -> Array:
    r"""Minimise :math:`\frac{1}{2n}\lVert Xw - y\rVert^2 + R(w)` by proximal gradient descent.

    ``penalty`` is ``"none"``, ``"l2"`` (:math:`R` = :func:`l2_penalty`,
    :math:`\frac{\lambda}{2}\lVert w\rVert^2`) or ``"l1"`` (:math:`R` =
    :func:`l1_penalty`, :math:`\lambda\lVert w\rVert_1`, scikit-learn's
    ``Lasso(alpha=λ)``). Each step is a gradient step on the smooth part, with
    step :math:`1/L` (:math:`L` its largest curvature); for L1 it is followed by
    soft thresholding, :math:`w \leftarrow \operatorname{sign}(w)\max(|w| - \lambda/L, 0)`,
    which sets small weights *exactly* to zero. (A plain subgradient step,
    :func:`l1_penalty_grad`, would make them oscillate around zero instead.) No
    intercept: centre ``X`` and ``y``, or add a column of ones (which is then penalised).

    Parameters
    ----------
    X : ``(n_samples, n_features)``
    y : ``(n_samples,)``
    penalty : ``"none"``, ``"l1"`` or ``"l2"``
    lam : λ >= 0
    tol : stop when a step moves ``w`` by less than ``tol * (1 + |w|)``
    max_iter : at most this many steps

    Returns
    -------
    w : ``(n_features,)``
    """
    X, y = as_float_array(X, "X"), as_float_array(y, "y")
    check_ndim(X, 2, "X", "Expected (n_samples, n_features).")
    check_ndim(y, 1, "y", "Expected (n_samples,).")
    if X.shape[0] != y.shape[0]:
        raise ValueError(f"X has {X.shape[0]} rows but y has {y.shape[0]} values")
    if penalty not in ("none", "l1", "l2"):
        raise ValueError(f"Invalid penalty: {penalty!r}; expected 'none', 'l1' or 'l2'")
    check_nonnegative(lam, "lam")
    check_positive(tol, "tol")
    max_iter = check_int(max_iter, "max_iter")
    n = X.shape[0]
    curvature = np.linalg.eigvalsh(X.T @ X / n)[-1] + (lam if penalty == "l2" else 0.0)
    if curvature <= 0:
        raise ValueError("X is all zeros: there is nothing to fit")
    step = 1.0 / curvature
    w = np.zeros(X.shape[1])
    for _ in range(max_iter):
        grad = X.T @ (X @ w - y) / n
        if penalty == "l2":
            grad = grad + l2_penalty_grad(w, lam)
        w_new = w - step * grad
        if penalty == "l1":  # the proximal step of lam * |w|: soft thresholding
            w_new = np.sign(w_new) * np.maximum(np.abs(w_new) - step * lam, 0.0)
        done = np.linalg.norm(w_new - w) <= tol * (1.0 + np.linalg.norm(w))
        w = w_new
        if done:
            break
    return w


# --- which parameters to decay -------------------------------------------------------------


def weight_decay_groups(model: Any, weight_decay: float) -> list[dict[str, Any]]:
    r"""Optimizer parameter groups that decay the weight matrices of ``Linear`` layers only.

    Biases and batch norm's :math:`\gamma, \beta` shift or scale a unit's output,
    they do not couple inputs; shrinking them towards zero does not simplify the
    function, so the usual practice (and the notes' penalty, which skips
    :math:`\theta_0`) leaves them out. Pass the result to any optimizer::

        optim.AdamW(regularization.weight_decay_groups(model, 1e-2), lr=1e-3)

    Parameters
    ----------
    model : a ``course_lib.layers`` module
    weight_decay : λ >= 0 for the weight matrices

    Returns
    -------
    ``[{"params": weights, "weight_decay": λ}, {"params": the rest, "weight_decay": 0.0}]``,
    without the second group if there is no other parameter
    """
    if not isinstance(model, Module):
        raise TypeError(f"model must be a course_lib.layers Module; got {type(model).__name__}")
    check_nonnegative(weight_decay, "weight_decay")
    weights: list[Any] = []
    stack = [model]
    while stack:
        module = stack.pop()
        if isinstance(module, Linear):
            weights.append(module.weight)
        stack.extend(reversed(module.children()))
    if not weights:
        raise ValueError("the model has no Linear layer: no weight matrix to decay")
    decayed = {id(w) for w in weights}
    rest = [p for p in model.parameters() if id(p) not in decayed]
    groups = [{"params": weights, "weight_decay": float(weight_decay)}]
    return groups + ([{"params": rest, "weight_decay": 0.0}] if rest else [])


# --- early stopping -------------------------------------------------------------------------


class EarlyStopping:
    r"""Stop training when a monitored quantity has stopped improving.

    After every epoch, the monitored value (by default the validation loss) is
    compared with the best so far. It counts as an improvement if

    .. math:: v < \text{best} - \text{min\_delta}\ \ (\text{mode="min"}), \qquad
              v > \text{best} + \text{min\_delta}\ \ (\text{mode="max"}).

    After ``patience`` epochs in a row without improvement, training should stop.
    nan is never an improvement. This is the seeds' rule "if we see a consistent
    increase of errors in validation data we should stop", with ``patience``
    saying how consistent.

    Two ways to use it:

    * by hand: ``if stopper.step(val_loss): break`` after each epoch;
    * as a callback of ``course_lib.training.fit``: ``fit(..., callbacks=[stopper])``
      calls :meth:`on_epoch_end` with the epoch's logs.

    With ``restore_best_weights`` the callback keeps a copy of every parameter at
    the best epoch and writes it back into the model when it stops training. If
    training instead ran out of epochs, call :meth:`restore` yourself.

    Parameters
    ----------
    patience : epochs without improvement before stopping, an int >= 1
    min_delta : smallest change that counts as an improvement, >= 0
    mode : ``"min"`` for losses, ``"max"`` for accuracies
    restore_best_weights : keep and restore the parameters of the best epoch
    monitor : the key of the logs to watch (``"val_loss"``, ``"val_accuracy"``,
        ``"loss"``, ...); only :meth:`on_epoch_end` uses it

    Attributes
    ----------
    best_ : best value so far (``inf`` for ``"min"``, ``-inf`` for ``"max"`` before any)
    best_epoch_ : epoch of ``best_`` (None before any)
    stopped_epoch_ : epoch at which stopping was first signalled (None if not yet)
    num_bad_epochs_ : epochs since the last improvement

    Epochs are numbered by the caller in :meth:`on_epoch_end` (``fit`` counts from
    1) and from 0 by :meth:`step`.

    See the chapter on regularization.
    """

    def __init__(
        self,
        patience: int = 5,
        min_delta: float = 0.0,
        mode: str = "min",
        restore_best_weights: bool = True,
        monitor: str = "val_loss",
    ) -> None:
        check_int(patience, "patience")
        check_nonnegative(min_delta, "min_delta")
        if mode not in ("min", "max"):
            raise ValueError(f"Invalid mode: {mode!r} (use 'min' for losses, 'max' for accuracies)")
        if not isinstance(monitor, str):
            raise TypeError(f"monitor must be the name of a logged quantity; got {monitor!r}")
        self.patience = int(patience)
        self.min_delta = float(min_delta)
        self.mode = mode
        self.restore_best_weights = bool(restore_best_weights)
        self.monitor = monitor
        self.reset()

    def reset(self) -> None:
        """Forget everything seen so far, to reuse the object for another training run."""
        self.best_ = math.inf if self.mode == "min" else -math.inf
        self.best_epoch_: int | None = None
        self.stopped_epoch_: int | None = None
        self.num_bad_epochs_ = 0
        self._n_seen = 0
        self._best_weights: list[Array] | None = None

    def _is_improvement(self, value: float) -> bool:
        if self.mode == "min":
            return value < self.best_ - self.min_delta  # False for nan
        return value > self.best_ + self.min_delta

    def _record(self, value: float, epoch: int) -> tuple[bool, bool]:
        """Update the state with one epoch's value; return (improved, should_stop)."""
        self._n_seen += 1
        improved = self._is_improvement(value)
        if improved:
            self.best_, self.best_epoch_, self.num_bad_epochs_ = value, epoch, 0
        else:
            self.num_bad_epochs_ += 1
        stop = self.num_bad_epochs_ >= self.patience
        if stop and self.stopped_epoch_ is None:
            self.stopped_epoch_ = epoch
        return improved, stop

    def step(self, value: float) -> bool:
        """Record one epoch's monitored value; return True when training should stop.

        Epochs are numbered 0, 1, 2, ... in the order of the calls.
        """
        return self._record(float(value), self._n_seen)[1]

    def on_epoch_end(self, epoch: int, logs: dict[str, float], model: Any = None) -> bool:
        """Callback hook for ``training.fit``: watch ``logs[monitor]``; True means stop.

        ``model`` must have ``parameters()`` (objects with a ``.data`` array) when
        ``restore_best_weights`` is set.
        """
        if self.monitor not in logs:
            raise KeyError(
                f"EarlyStopping monitors {self.monitor!r}, which is not in the logs; "
                f"available keys: {sorted(logs)}. (val_* keys need validation data in fit.)"
            )
        if self.restore_best_weights and model is None:
            raise ValueError("restore_best_weights=True needs the model to copy its weights")
        improved, stop = self._record(float(logs[self.monitor]), int(epoch))
        if improved and self.restore_best_weights:
            self._best_weights = [np.array(p.data, copy=True) for p in model.parameters()]
        if stop and self.restore_best_weights and self._best_weights is not None:
            self.restore(model)
        return stop

    def restore(self, model: Any) -> None:
        """Write the parameters saved at the best epoch back into ``model``, in place."""
        if not self.restore_best_weights:
            raise RuntimeError("this EarlyStopping was created with restore_best_weights=False")
        if self._best_weights is None:
            raise RuntimeError("no weights saved yet: no epoch has improved on the start")
        params = list(model.parameters())
        if len(params) != len(self._best_weights):
            raise ValueError(
                f"model has {len(params)} parameters but {len(self._best_weights)} were saved"
            )
        for i, (p, best) in enumerate(zip(params, self._best_weights, strict=True)):
            if p.data.shape != best.shape:
                raise ValueError(
                    f"parameter {i} has shape {p.data.shape} but the saved one {best.shape}"
                )
            p.data[...] = best

    def __repr__(self) -> str:
        return (
            f"EarlyStopping(patience={self.patience}, min_delta={self.min_delta}, "
            f"mode={self.mode!r}, restore_best_weights={self.restore_best_weights}, "
            f"monitor={self.monitor!r})"
        )


# --- dropout as an ensemble -----------------------------------------------------------------


def thinned_average(model: Any, X: ArrayLike, n_masks: int) -> tuple[Array, Array]:
    """Mean and standard error of ``n_masks`` training-mode outputs (one dropout mask each).

    Each forward pass in training mode draws new masks, so it runs one *thinned*
    network; their average is the ensemble prediction that evaluation mode
    approximates (exactly, when the only dropout layer sits just before the last,
    linear layer). ``model`` is a ``course_lib.layers`` module; it is left in
    evaluation mode.

    Returns
    -------
    ``(mean, standard error)``, each of the shape of ``model(X)``
    """
    n_masks = check_int(n_masks, "n_masks", minimum=2)
    model.train()
    try:
        outs = np.array([model(X) for _ in range(n_masks)])
    finally:
        model.eval()
    return outs.mean(axis=0), outs.std(axis=0, ddof=1) / np.sqrt(n_masks)
