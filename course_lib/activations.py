"""Activation functions and their derivatives, as pure numpy function pairs.

Every activation ``f`` comes with ``f_grad(z)``, the elementwise derivative
``f'(z)`` evaluated at the *input* ``z`` (not at the output). All functions
accept any shape, keep float32 as float32, and are numerically stable for
``|z|`` up to 1e3 and beyond: no overflow warnings, no nan.

See the chapter on backpropagation.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._validation import as_float_array, check_axis, check_nonnegative

__all__ = [
    "sigmoid",
    "sigmoid_grad",
    "tanh",
    "tanh_grad",
    "relu",
    "relu_grad",
    "leaky_relu",
    "leaky_relu_grad",
    "softmax",
    "log_softmax",
    "logsumexp",
]

Array = NDArray[np.floating]


def sigmoid(z: ArrayLike) -> Array:
    r"""Logistic sigmoid.

    .. math:: \sigma(z) = \frac{1}{1 + e^{-z}}

    Parameters
    ----------
    z : array of any shape

    Returns
    -------
    array, same shape and dtype as ``z``, values in ``[0, 1]``.
    """
    z = as_float_array(z, "z")
    return _sigmoid(z)


def _sigmoid(z: Array) -> Array:
    # Two-branch form: exp is only ever taken of a non-positive number, so it
    # cannot overflow. For z >= 0 use 1/(1+e^{-z}); for z < 0 use e^{z}/(1+e^{z}).
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(z.dtype, copy=False)


def sigmoid_grad(z: ArrayLike) -> Array:
    r"""Derivative of the sigmoid, evaluated at the input ``z``.

    .. math:: \sigma'(z) = \sigma(z)\,(1 - \sigma(z))

    The course notes also write it as ``a(1 - a)`` with ``a = σ(z)``: the same number,
    computed from the activation instead of the input.
    """
    s = sigmoid(z)
    return s * (1 - s)


def tanh(z: ArrayLike) -> Array:
    r"""Hyperbolic tangent, a rescaled sigmoid: :math:`\tanh(z) = 2\sigma(2z) - 1`.

    .. math:: \tanh(z) = \frac{e^{z} - e^{-z}}{e^{z} + e^{-z}}

    ``numpy.tanh`` is already stable for large ``|z|`` (it saturates at ±1).
    """
    return np.tanh(as_float_array(z, "z"))


def tanh_grad(z: ArrayLike) -> Array:
    r"""Derivative of tanh at ``z``: :math:`1 - \tanh^2(z)`."""
    t = tanh(z)
    return 1 - t * t


def relu(z: ArrayLike) -> Array:
    r"""Rectified linear unit, :math:`\max(0, z)`."""
    z = as_float_array(z, "z")
    return np.maximum(z, 0).astype(z.dtype, copy=False)


def relu_grad(z: ArrayLike) -> Array:
    r"""Derivative of ReLU at ``z``: 1 where ``z > 0``, else 0.

    ReLU has no derivative at 0; like PyTorch we use 0 there. (One of the notes writes
    ``1 if z >= 0``: a valid subgradient too, but not what the frameworks use.)
    """
    z = as_float_array(z, "z")
    return (z > 0).astype(z.dtype)


def leaky_relu(z: ArrayLike, negative_slope: float = 0.01) -> Array:
    r"""Leaky ReLU: :math:`z` for :math:`z > 0`, else :math:`\text{negative\_slope}\cdot z`.

    The small slope keeps a gradient flowing for negative inputs, so a unit
    cannot "die" the way a ReLU unit can. PyTorch's default slope is 0.01.
    """
    z = as_float_array(z, "z")
    check_nonnegative(negative_slope, "negative_slope")
    return np.where(z > 0, z, negative_slope * z).astype(z.dtype, copy=False)


def leaky_relu_grad(z: ArrayLike, negative_slope: float = 0.01) -> Array:
    r"""Derivative of leaky ReLU at ``z``: 1 where ``z > 0``, else ``negative_slope``."""
    z = as_float_array(z, "z")
    check_nonnegative(negative_slope, "negative_slope")
    return np.where(z > 0, 1.0, negative_slope).astype(z.dtype)


def logsumexp(z: ArrayLike, axis: int = -1, keepdims: bool = False) -> Array:
    r"""Stable :math:`\log\sum_k e^{z_k}` along ``axis``.

    .. math:: \operatorname{LSE}(z) = m + \log\sum_k e^{z_k - m},\quad m = \max_k z_k
    """
    z = as_float_array(z, "z")
    axis = check_axis(axis, z.ndim)
    return _logsumexp(z, axis, keepdims)


def _logsumexp(z: Array, axis: int, keepdims: bool) -> Array:
    # Shift by the max so the largest exponent is e^0 = 1: no overflow, and at
    # least one term of the sum is 1, so the log never sees 0.
    m = np.max(z, axis=axis, keepdims=True)
    out = m + np.log(np.sum(np.exp(z - m), axis=axis, keepdims=True))
    return out if keepdims else np.squeeze(out, axis=axis)


def softmax(z: ArrayLike, axis: int = -1) -> Array:
    r"""Softmax along ``axis`` (the class axis; the last one by default).

    .. math:: \operatorname{softmax}(z)_j = \frac{e^{z_j}}{\sum_k e^{z_k}}
              = \frac{e^{z_j - m}}{\sum_k e^{z_k - m}}

    Parameters
    ----------
    z : array, e.g. logits of shape ``(n_samples, n_classes)``
    axis : the axis that sums to one. For a batch of rows this is ``-1``; using
        ``axis=0`` normalises over the *batch*, a classic bug.

    Returns
    -------
    array, same shape as ``z``, non-negative, summing to 1 along ``axis``.
    """
    z = as_float_array(z, "z")
    axis = check_axis(axis, z.ndim)
    # Subtracting the max leaves the ratio unchanged and keeps exp from overflowing.
    e = np.exp(z - np.max(z, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def log_softmax(z: ArrayLike, axis: int = -1) -> Array:
    r"""Log of the softmax, computed without ever taking ``log`` of a tiny number.

    .. math:: \log\operatorname{softmax}(z)_j = z_j - \operatorname{LSE}(z)
    """
    z = as_float_array(z, "z")
    axis = check_axis(axis, z.ndim)
    return z - _logsumexp(z, axis, keepdims=True)
