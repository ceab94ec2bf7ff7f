"""Activation layers: Identity, ReLU, LeakyReLU, Sigmoid, Tanh and Softmax.

Each wraps the function of :mod:`course_lib.activations` and caches the local
derivative (or the output it is computed from) for ``backward``.

See the chapter on backpropagation.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from .. import activations
from .._validation import as_float_array, check_axis, check_nonnegative
from .module import Array, _check_grad_out, _Elementwise

__all__ = ["Identity", "ReLU", "LeakyReLU", "Sigmoid", "Tanh", "Softmax"]


class Identity(_Elementwise):
    """:math:`y = x`: a placeholder, e.g. for a switched-off layer."""

    def forward(self, x: ArrayLike) -> Array:
        return self._set(as_float_array(x, "x"))

    def backward(self, grad_out: Array) -> Array:
        _check_grad_out(self, grad_out, self._out_shape)
        return grad_out


class ReLU(_Elementwise):
    r""":math:`\max(0, x)`; backward passes the gradient where :math:`x > 0`.

    Caches the mask :math:`x > 0`. At :math:`x = 0` the derivative is taken as 0, as
    in PyTorch (one of the notes writes 1 for :math:`z \ge 0`). See :func:`activations.relu_grad`.
    """

    def forward(self, x: ArrayLike) -> Array:
        x = as_float_array(x, "x")
        self._mask = x > 0
        return self._set(activations.relu(x))

    def backward(self, grad_out: Array) -> Array:
        _check_grad_out(self, grad_out, self._out_shape)
        return grad_out * self._mask


class LeakyReLU(_Elementwise):
    r""":math:`x` for :math:`x > 0`, else ``negative_slope``:math:`\cdot x` (PyTorch default 0.01).

    Caches the local derivative (1 or ``negative_slope``). See :func:`activations.leaky_relu`.
    """

    def __init__(self, negative_slope: float = 0.01) -> None:
        super().__init__()
        check_nonnegative(negative_slope, "negative_slope")
        self.negative_slope = float(negative_slope)

    def forward(self, x: ArrayLike) -> Array:
        x = as_float_array(x, "x")
        self._slope = activations.leaky_relu_grad(x, self.negative_slope)
        return self._set(x * self._slope)

    def backward(self, grad_out: Array) -> Array:
        _check_grad_out(self, grad_out, self._out_shape)
        return grad_out * self._slope

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class Sigmoid(_Elementwise):
    r""":math:`s = \sigma(x)`; caches the output and uses :math:`\sigma' = s(1 - s)`."""

    def forward(self, x: ArrayLike) -> Array:
        self._s = activations.sigmoid(x)
        return self._set(self._s)

    def backward(self, grad_out: Array) -> Array:
        _check_grad_out(self, grad_out, self._out_shape)
        return grad_out * self._s * (1 - self._s)


class Tanh(_Elementwise):
    r""":math:`t = \tanh(x)`; caches the output and uses :math:`\tanh' = 1 - t^2`."""

    def forward(self, x: ArrayLike) -> Array:
        self._t = activations.tanh(x)
        return self._set(self._t)

    def backward(self, grad_out: Array) -> Array:
        _check_grad_out(self, grad_out, self._out_shape)
        return grad_out * (1 - self._t * self._t)


class Softmax(_Elementwise):
    r"""Softmax along ``dim`` (default: the last axis), with its Jacobian-vector product.

    .. math:: \frac{\partial L}{\partial x_j} = s_j\Big(\delta_j - \sum_k \delta_k s_k\Big)

    Do not put it in front of ``losses.CrossEntropyLoss``: that loss takes logits
    and applies the softmax itself.
    """

    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, x: ArrayLike) -> Array:
        x = as_float_array(x, "x")
        self._axis = check_axis(self.dim, x.ndim, "dim")
        self._s = activations.softmax(x, axis=self._axis)
        return self._set(self._s)

    def backward(self, grad_out: Array) -> Array:
        _check_grad_out(self, grad_out, self._out_shape)
        s = self._s
        return s * (grad_out - np.sum(grad_out * s, axis=self._axis, keepdims=True))

    def extra_repr(self) -> str:
        return f"dim={self.dim}"
