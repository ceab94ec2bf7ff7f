r"""Function forms of the tensor operations, and the two losses built on them.

``relu(x)`` is ``x.relu()`` and so on (PyTorch's ``torch.nn.functional``);
:func:`cross_entropy` has a fused backward, :func:`mse_loss` is built from
tensor operations.

See the chapter on backpropagation.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from .. import losses
from .._validation import check_same_shape
from ..activations import _logsumexp
from .tensor import Tensor, _as_tensor, _result

__all__ = ["relu", "sigmoid", "tanh", "log_softmax", "cross_entropy", "mse_loss"]


def relu(x: Tensor) -> Tensor:
    """Function form of :meth:`Tensor.relu`."""
    return _as_tensor(x, "x").relu()


def sigmoid(x: Tensor) -> Tensor:
    """Function form of :meth:`Tensor.sigmoid`."""
    return _as_tensor(x, "x").sigmoid()


def tanh(x: Tensor) -> Tensor:
    """Function form of :meth:`Tensor.tanh`."""
    return _as_tensor(x, "x").tanh()


def log_softmax(x: Tensor, axis: int = -1) -> Tensor:
    """Function form of :meth:`Tensor.log_softmax`."""
    return _as_tensor(x, "x").log_softmax(axis)


def cross_entropy(logits: Tensor, target: ArrayLike) -> Tensor:
    r"""Softmax cross-entropy of a batch of logits, averaged over the batch.

    .. math:: L = -\frac{1}{n}\sum_{i=1}^{n}\sum_{k=1}^{C} y_{ik}\,\log\operatorname{softmax}(z_i)_k,
              \qquad \frac{\partial L}{\partial z} = \frac{1}{n}\big(\operatorname{softmax}(z) - y\big)

    The same value as :func:`course_lib.losses.cross_entropy` (PyTorch's mean over
    samples; one of the notes writes the sum without ``1/n``, which only rescales the
    learning rate). The backward is *fused*: the simple formula above replaces
    backpropagating through ``log`` and ``softmax`` separately, which would divide
    by probabilities that can round to 0.

    Parameters
    ----------
    logits : Tensor ``(n_samples, n_classes)``
    target : integer labels ``(n_samples,)``, or one-hot / probability rows
        ``(n_samples, n_classes)``; a constant (numpy array or a Tensor without grad)

    Returns
    -------
    Tensor of shape ``()``, the dtype of ``logits``.
    """
    if not isinstance(logits, Tensor):
        raise TypeError(f"logits must be a Tensor; got {type(logits).__name__}")
    if isinstance(target, Tensor):
        if target.requires_grad:
            raise TypeError("cross_entropy treats target as a constant; pass target.detach()")
        target = target.data
    z, y = losses._logits_and_targets(logits.data, target)  # y: one-hot or probability rows
    n = z.shape[0]
    log_p = z - _logsumexp(z, axis=1, keepdims=True)  # stable log-softmax (max-shifted LSE)

    def backward(g):
        return ((np.exp(log_p) - y) * (g / n),)

    return _result(-np.sum(y * log_p) / n, (logits,), "cross_entropy", backward)


def mse_loss(pred: Tensor, target: Tensor | ArrayLike) -> Tensor:
    r"""Mean squared error, :math:`\frac{1}{N}\sum_i (\hat y_i - y_i)^2`, built from tensor ops.

    Like :func:`course_lib.losses.mse`: the mean over all ``N`` elements, without
    the ½ one of the notes writes. ``pred`` and ``target`` must have the same shape (no
    silent broadcasting of ``(n, 1)`` against ``(n,)``).
    """
    pred, target = _as_tensor(pred, "pred"), _as_tensor(target, "target")
    check_same_shape(pred.data, target.data, "pred", "target")
    return ((pred - target) ** 2).mean()
