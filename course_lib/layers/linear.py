"""The fully connected layer :class:`Linear` and its three weight initialisations (from ``init``).

See the chapter on backpropagation.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from .._validation import as_float_array, check_int, make_rng
from .init import kaiming_normal_, normal_, xavier_normal_, zeros_
from .module import (
    Array,
    Module,
    Parameter,
    _accumulate,
    _check_2d,
    _check_grad_out,
)

__all__ = ["Linear"]

_INITS = ("he", "xavier", "normal")


class Linear(Module):
    r"""Affine layer :math:`y = x W^\top + b` (PyTorch's layout).

    .. math:: y_{ij} = \sum_k x_{ik} W_{jk} + b_j, \qquad
              \frac{\partial L}{\partial W} = \delta^\top x,\quad
              \frac{\partial L}{\partial b} = \sum_i \delta_i,\quad
              \frac{\partial L}{\partial x} = \delta W

    with :math:`\delta = \partial L/\partial y` of shape ``(n, out_features)``.
    One of the notes writes :math:`z = \Theta a` for a single column vector :math:`a`, with
    the bias folded in as :math:`a_0 = 1`. That is the same map written for one
    sample; stacking samples as rows gives :math:`x W^\top`. This layer uses rows
    and a separate bias.

    Initialisation (``init``); the bias starts at zero:

    - ``"he"`` (default): Kaiming normal (``init.kaiming_normal_`` with
      ``nonlinearity="relu"``), :math:`\sigma = \sqrt{2/\text{in}}`. Use it
      before ReLU or leaky ReLU. From He et al. 2015, *Delving Deep into
      Rectifiers*: a ReLU zeroes half its inputs, and the factor 2 makes up for it.
    - ``"xavier"``: Glorot normal (``init.xavier_normal_``),
      :math:`\sigma = \sqrt{2/(\text{in}+\text{out})}`. Use it before tanh. From
      Glorot & Bengio 2010, *Understanding the difficulty of training deep
      feedforward neural networks*.
    - ``"normal"``: :math:`\mathcal N(0, 0.01^2)`, the course notes' "initialise randomly
      :math:`\sim\mathcal N(0,\sigma^2)`". In deep networks it shrinks the
      activations layer by layer.

    PyTorch's own default is different: uniform on
    :math:`\pm 1/\sqrt{\text{in}}`, for both weight and bias.

    Parameters
    ----------
    in_features, out_features : sizes of the input and output
    bias : whether to add a learnable bias
    init : ``"he"``, ``"xavier"`` or ``"normal"``
    rng : generator or seed for the initial weights

    Attributes
    ----------
    weight : Parameter ``(out_features, in_features)``
    bias : Parameter ``(out_features,)`` or None

    Input ``(n_samples, in_features)`` -> output ``(n_samples, out_features)``.
    See the chapter on backpropagation.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        init: str = "he",
        rng: np.random.Generator | int | None = None,
    ) -> None:
        super().__init__()
        self.in_features = check_int(in_features, "in_features")
        self.out_features = check_int(out_features, "out_features")
        if init not in _INITS:
            raise ValueError(f"Invalid init: {init!r}; expected one of {', '.join(_INITS)}")
        gen = make_rng(rng)
        self.weight = Parameter(np.empty((out_features, in_features)))
        if init == "he":
            kaiming_normal_(self.weight, mode="fan_in", nonlinearity="relu", rng=gen)
        elif init == "xavier":
            xavier_normal_(self.weight, rng=gen)
        else:
            normal_(self.weight, std=0.01, rng=gen)
        self.bias = zeros_(Parameter(np.empty(out_features))) if bias else None
        self._x: Array | None = None
        self._w: Array | None = None
        self._out_shape: tuple | None = None

    def forward(self, x: ArrayLike) -> Array:
        x = as_float_array(x, "x")
        _check_2d(x, self.in_features, self)
        w = self.weight.data
        if w.dtype != x.dtype:  # float32 input: compute in float32
            w = w.astype(x.dtype)
        out = x @ w.T
        if self.bias is not None:
            out += self.bias.data.astype(x.dtype, copy=False)
        self._x, self._w, self._out_shape = x, w, out.shape
        return out

    def backward(self, grad_out: Array) -> Array:
        _check_grad_out(self, grad_out, self._out_shape)
        _accumulate(self.weight, grad_out.T @ self._x)
        if self.bias is not None:
            _accumulate(self.bias, grad_out.sum(axis=0))
        return grad_out @ self._w

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )
