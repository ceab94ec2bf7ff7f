"""Loss functions, their gradients, and PyTorch-style loss modules.

Every loss ``L(prediction, target)`` returns a Python ``float``: the *mean* over
the batch (PyTorch's default ``reduction="mean"``). ``L_grad(prediction, target)``
returns :math:`\\partial L / \\partial \\text{prediction}`, an array of the
prediction's shape, already including the ``1/n`` of the mean.

Shapes are checked strictly: a prediction of shape ``(n, 1)`` against a target of
shape ``(n,)`` raises ``ValueError`` instead of broadcasting to ``(n, n)``.

The modules (``MSELoss``, ``L1Loss``, ``BCELoss``, ``BCEWithLogitsLoss``,
``CrossEntropyLoss``) wrap a pair: ``forward(pred, target)`` returns the loss and
caches what ``backward()`` needs to return the gradient. ``fit`` and
``check_gradients`` use them.

See the chapter on loss functions.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._validation import (
    as_float_array,
    check_in_closed_interval,
    check_labels,
    check_ndim,
    check_same_shape,
)
from .activations import _logsumexp, _sigmoid, softmax

__all__ = [
    "mse",
    "mse_grad",
    "mae",
    "mae_grad",
    "binary_cross_entropy",
    "binary_cross_entropy_grad",
    "binary_cross_entropy_with_logits",
    "binary_cross_entropy_with_logits_grad",
    "cross_entropy",
    "cross_entropy_grad",
    "Loss",
    "MSELoss",
    "L1Loss",
    "BCELoss",
    "BCEWithLogitsLoss",
    "CrossEntropyLoss",
]

Array = NDArray[np.floating]

# PyTorch clamps log(p) at -100 in binary_cross_entropy so that p = 0 or 1 gives a
# large finite loss instead of inf; we do the same so our numbers match theirs.
_LOG_CLAMP = -100.0
# ... and clamps p(1 - p) at 1e-12 in the gradient.
_BCE_GRAD_EPS = 1e-12


def _pair(pred: ArrayLike, target: ArrayLike, pred_name: str) -> tuple[Array, Array]:
    p = as_float_array(pred, pred_name)
    t = as_float_array(target, "target").astype(p.dtype, copy=False)
    check_same_shape(p, t, pred_name, "target")
    if p.size == 0:
        raise ValueError(f"{pred_name} is empty (shape {p.shape}); a mean over 0 values is nan")
    return p, t


# --- regression losses -------------------------------------------------------


def mse(pred: ArrayLike, target: ArrayLike) -> float:
    r"""Mean squared error (the squared L2 norm of the residual, averaged).

    .. math:: \operatorname{MSE}(\hat y, y) = \frac{1}{N}\sum_{i=1}^{N} (\hat y_i - y_i)^2

    ``N`` counts every element (PyTorch's ``MSELoss``). Some texts, including one
    of the course seeds, write :math:`\frac12\sum(y-\hat y)^2`: the ½ only makes
    the derivative tidier and the missing ``1/N`` only rescales the learning rate;
    the minimiser is the same. This function uses the mean without ½.

    Parameters
    ----------
    pred, target : arrays of the same shape, e.g. ``(n_samples,)`` or ``(n_samples, n_out)``
    """
    p, t = _pair(pred, target, "pred")
    return float(np.mean((p - t) ** 2))


def mse_grad(pred: ArrayLike, target: ArrayLike) -> Array:
    r""":math:`\partial\,\mathrm{MSE}/\partial\hat y = \frac{2}{N}(\hat y - y)`, shape of ``pred``."""
    p, t = _pair(pred, target, "pred")
    return 2.0 * (p - t) / p.size


def mae(pred: ArrayLike, target: ArrayLike) -> float:
    r"""Mean absolute error (the L1 norm of the residual, averaged): PyTorch's ``L1Loss``.

    .. math:: \operatorname{MAE}(\hat y, y) = \frac{1}{N}\sum_{i=1}^{N} |\hat y_i - y_i|

    Grows linearly, not quadratically, with a residual, so one outlier moves the
    fit far less than under MSE.
    """
    p, t = _pair(pred, target, "pred")
    return float(np.mean(np.abs(p - t)))


def mae_grad(pred: ArrayLike, target: ArrayLike) -> Array:
    r""":math:`\frac{1}{N}\operatorname{sign}(\hat y - y)`, with 0 where the residual is 0 (as PyTorch)."""
    p, t = _pair(pred, target, "pred")
    return np.sign(p - t) / p.size


# --- binary classification ---------------------------------------------------


def binary_cross_entropy(p: ArrayLike, target: ArrayLike) -> float:
    r"""Binary cross-entropy of probabilities ``p`` against targets in ``[0, 1]``.

    .. math:: \operatorname{BCE}(p, y) = -\frac{1}{N}\sum_{i}
              \big[y_i \log p_i + (1 - y_i)\log(1 - p_i)\big]

    ``log`` is clamped at -100 (as in PyTorch), so ``p = 0`` for a positive example
    gives a loss of 100, not ``inf``. Prefer :func:`binary_cross_entropy_with_logits`
    when you have logits: it never rounds ``p`` to exactly 0 or 1.

    Parameters
    ----------
    p : array of probabilities in ``[0, 1]``, any shape
    target : array of the same shape, values in ``[0, 1]``
    """
    p, t = _pair(p, target, "p")
    check_in_closed_interval(p, 0.0, 1.0, "p (probabilities)")
    check_in_closed_interval(t, 0.0, 1.0, "target")
    with np.errstate(divide="ignore"):
        log_p = np.maximum(np.log(p), _LOG_CLAMP)
        log_1mp = np.maximum(np.log1p(-p), _LOG_CLAMP)
    return float(-np.mean(t * log_p + (1 - t) * log_1mp))


def binary_cross_entropy_grad(p: ArrayLike, target: ArrayLike) -> Array:
    r""":math:`\frac{1}{N}\,\frac{p - y}{p(1 - p)}`, with :math:`p(1-p)` clamped at 1e-12 (as PyTorch)."""
    p, t = _pair(p, target, "p")
    check_in_closed_interval(p, 0.0, 1.0, "p (probabilities)")
    check_in_closed_interval(t, 0.0, 1.0, "target")
    return (p - t) / np.maximum(p * (1 - p), _BCE_GRAD_EPS) / p.size


def binary_cross_entropy_with_logits(z: ArrayLike, target: ArrayLike) -> float:
    r"""Binary cross-entropy of ``sigmoid(z)``, computed from the logits ``z`` directly.

    .. math:: \ell(z, y) = \max(z, 0) - z\,y + \log\big(1 + e^{-|z|}\big)

    which equals :math:`-[y\log\sigma(z) + (1-y)\log(1-\sigma(z))]` but never
    evaluates ``log(0)`` or ``exp`` of a large positive number.
    """
    z, t = _pair(z, target, "z")
    check_in_closed_interval(t, 0.0, 1.0, "target")
    # log(1 + e^{-|z|}) with log1p: exact for tiny e^{-|z|}, and e^{-|z|} <= 1 never overflows.
    return float(np.mean(np.maximum(z, 0) - z * t + np.log1p(np.exp(-np.abs(z)))))


def binary_cross_entropy_with_logits_grad(z: ArrayLike, target: ArrayLike) -> Array:
    r""":math:`\frac{1}{N}(\sigma(z) - y)`: the sigmoid's derivative cancels the log's."""
    z, t = _pair(z, target, "z")
    check_in_closed_interval(t, 0.0, 1.0, "target")
    return (_sigmoid(z) - t) / z.size


# --- multi-class classification ----------------------------------------------


def _logits_and_targets(logits: ArrayLike, target: ArrayLike) -> tuple[Array, Array]:
    """Validate logits ``(n, C)`` and return them with targets as probability rows ``(n, C)``.

    Integer labels ``(n,)`` become one-hot rows; ``(n, C)`` float targets (one-hot
    or class probabilities, as PyTorch accepts) are checked to be rows in [0, 1]
    that sum to 1.
    """
    z = as_float_array(logits, "logits")
    check_ndim(z, 2, "logits", "Expected (n_samples, n_classes).")
    n, c = z.shape
    if n == 0:
        raise ValueError("logits is empty (0 rows); a mean over 0 samples is nan")
    y = np.asarray(target)
    if y.ndim == 1:
        labels = check_labels(y, c, n, "target")
        onehot = np.zeros_like(z)
        onehot[np.arange(n), labels] = 1.0
        return z, onehot
    if y.ndim == 2 and y.shape == (n, 1) and c > 1:
        raise ValueError(
            f"target has shape {y.shape}; class indices must be shape ({n},) (use "
            f"target.ravel()), and one-hot or probability rows shape (n_samples, n_classes) = "
            f"{z.shape}"
        )
    y = as_float_array(y, "target").astype(z.dtype, copy=False)
    check_same_shape(z, y, "logits", "target")
    check_in_closed_interval(y, 0.0, 1.0, "target (class probabilities)")
    sums = y.sum(axis=1)
    if not np.allclose(sums, 1.0, atol=1e-6):
        raise ValueError(
            "target rows must sum to 1 (one-hot or class probabilities); "
            f"row sums range over [{sums.min():.4g}, {sums.max():.4g}]"
        )
    return z, y


def cross_entropy(logits: ArrayLike, target: ArrayLike) -> float:
    r"""Softmax cross-entropy from logits, averaged over the batch (PyTorch's ``cross_entropy``).

    .. math:: \operatorname{CE}(z, y) = -\frac{1}{n}\sum_{i=1}^{n}\sum_{k=1}^{C}
              y_{ik}\log\operatorname{softmax}(z_i)_k
              = \frac{1}{n}\sum_i \big[\operatorname{LSE}(z_i) - z_{i,y_i}\big]

    Note the mean is over the ``n`` samples, not the ``n·C`` entries. One of the notes
    writes the sum without ``1/n``; that only rescales the learning rate.

    Parameters
    ----------
    logits : array ``(n_samples, n_classes)``, unnormalised scores (not probabilities)
    target : integer labels ``(n_samples,)`` in ``[0, n_classes)``, or rows
        ``(n_samples, n_classes)`` of one-hot vectors or class probabilities.
    """
    z, y = _logits_and_targets(logits, target)
    log_p = z - _logsumexp(z, axis=1, keepdims=True)  # stable log-softmax
    return float(-np.sum(y * log_p) / z.shape[0])


def cross_entropy_grad(logits: ArrayLike, target: ArrayLike) -> Array:
    r""":math:`\frac{1}{n}(\operatorname{softmax}(z) - y)`, shape ``(n_samples, n_classes)``."""
    z, y = _logits_and_targets(logits, target)
    return (softmax(z, axis=1) - y) / z.shape[0]


# --- loss modules ------------------------------------------------------------


class Loss:
    """A loss as a module: ``forward(pred, target) -> float`` then ``backward() -> dL/dpred``.

    ``loss(pred, target)`` is ``loss.forward(pred, target)``.
    """

    @staticmethod
    def _value(pred: ArrayLike, target: ArrayLike) -> float:
        raise NotImplementedError

    @staticmethod
    def _grad(pred: ArrayLike, target: ArrayLike) -> Array:
        raise NotImplementedError

    def __init__(self) -> None:
        self._cache: tuple[ArrayLike, ArrayLike] | None = None

    def forward(self, pred: ArrayLike, target: ArrayLike) -> float:
        value = self._value(pred, target)
        self._cache = (pred, target)
        return value

    __call__ = forward

    def backward(self) -> Array:
        if self._cache is None:
            raise RuntimeError(f"{type(self).__name__}.backward() called before forward()")
        return self._grad(*self._cache)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class MSELoss(Loss):
    """Module form of :func:`mse` / :func:`mse_grad`."""

    _value = staticmethod(mse)
    _grad = staticmethod(mse_grad)


class L1Loss(Loss):
    """Module form of :func:`mae` / :func:`mae_grad` (PyTorch's name)."""

    _value = staticmethod(mae)
    _grad = staticmethod(mae_grad)


class BCELoss(Loss):
    """Module form of :func:`binary_cross_entropy` (inputs are probabilities)."""

    _value = staticmethod(binary_cross_entropy)
    _grad = staticmethod(binary_cross_entropy_grad)


class BCEWithLogitsLoss(Loss):
    """Module form of :func:`binary_cross_entropy_with_logits` (inputs are logits)."""

    _value = staticmethod(binary_cross_entropy_with_logits)
    _grad = staticmethod(binary_cross_entropy_with_logits_grad)


class CrossEntropyLoss(Loss):
    """Module form of :func:`cross_entropy` (inputs are logits ``(n, C)``)."""

    _value = staticmethod(cross_entropy)
    _grad = staticmethod(cross_entropy_grad)
