"""Layer normalisation, :class:`LayerNorm`: normalise each sample over its features.

See the chapter on training in practice.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

from .._validation import as_float_array, check_int, check_positive
from .module import Array, Module, Parameter, _accumulate, _check_grad_out

__all__ = ["LayerNorm"]


class LayerNorm(Module):
    r"""Layer normalisation (Ba, Kiros & Hinton 2016), PyTorch semantics.

    Each sample is normalised over its last ``len(normalized_shape)`` axes (its
    :math:`D` features), with its own mean and BIASED variance:

    .. math:: \mu = \frac1D\sum_j x_j,\quad \sigma^2 = \frac1D\sum_j (x_j - \mu)^2,\quad
              \hat x = \frac{x - \mu}{\sqrt{\sigma^2 + \epsilon}},\quad y = \gamma \hat x + \beta

    The backward pass has the shape of batch normalisation's, with the sums
    taken over the features of one sample instead of over the batch
    (:math:`\delta = \partial L/\partial y`, :math:`\hat\delta = \gamma\,\delta`):

    .. math:: \frac{\partial L}{\partial x} = \frac{1}{D\sqrt{\sigma^2+\epsilon}}
              \Big(D\,\hat\delta - \sum_j \hat\delta_j - \hat x \sum_j \hat\delta_j \hat x_j\Big),
              \quad \frac{\partial L}{\partial \gamma} = \sum_i \delta_i \hat x_i,
              \quad \frac{\partial L}{\partial \beta} = \sum_i \delta_i

    Nothing depends on the other samples of the batch: training and evaluation
    compute the same thing, there are no running statistics, and a batch of one
    is fine, which is why transformers and small-batch training use it instead of
    ``BatchNorm1d``.

    Parameters
    ----------
    normalized_shape : ``D`` or a tuple: the trailing shape of the input to normalise over
    eps : added to the variance for stability
    elementwise_affine : learn ``weight`` (:math:`\gamma`, ones) and ``bias`` (:math:`\beta`, zeros)
    bias : with ``elementwise_affine``, learn :math:`\beta` too (PyTorch's ``bias=True``)

    Input ``(..., *normalized_shape)`` (usually ``(n_samples, D)``) -> output of the same shape.
    See the chapter on training in practice.
    """

    def __init__(self, normalized_shape: int | Sequence[int], eps: float = 1e-5,
                 elementwise_affine: bool = True, bias: bool = True) -> None:
        super().__init__()
        shape = normalized_shape if isinstance(normalized_shape, (tuple, list)) else (normalized_shape,)
        self.normalized_shape = tuple(check_int(n, "normalized_shape") for n in shape)
        if not self.normalized_shape:
            raise ValueError("normalized_shape must name at least one axis; got ()")
        check_positive(eps, "eps")
        self.eps, self.elementwise_affine = float(eps), bool(elementwise_affine)
        self.weight = Parameter(np.ones(self.normalized_shape)) if elementwise_affine else None
        self.bias = (Parameter(np.zeros(self.normalized_shape))
                     if elementwise_affine and bias else None)  # fmt: skip
        self._out_shape: tuple | None = None

    def forward(self, x: ArrayLike) -> Array:
        x = as_float_array(x, "x")
        k = len(self.normalized_shape)
        if x.shape[x.ndim - k:] != self.normalized_shape or x.ndim < k:
            raise ValueError(
                f"LayerNorm: given normalized_shape={self.normalized_shape}, expected input of "
                f"shape (*, {', '.join(map(str, self.normalized_shape))}); got x.shape={x.shape}"
            )
        axes = tuple(range(x.ndim - k, x.ndim))
        centred = x - x.mean(axis=axes, keepdims=True)
        var = np.mean(centred * centred, axis=axes, keepdims=True)  # biased: divide by D
        inv_std = 1.0 / np.sqrt(var + x.dtype.type(self.eps))
        x_hat = centred * inv_std
        self._x_hat, self._inv_std, self._out_shape = x_hat, inv_std, x.shape
        out = x_hat
        if self.weight is not None:
            out = out * self.weight.data.astype(x.dtype, copy=False)
        if self.bias is not None:
            out = out + self.bias.data.astype(x.dtype, copy=False)
        return out

    def backward(self, grad_out: Array) -> Array:
        _check_grad_out(self, grad_out, self._out_shape)
        x_hat, inv_std = self._x_hat, self._inv_std
        k = len(self.normalized_shape)
        axes = tuple(range(x_hat.ndim - k, x_hat.ndim))  # the features of one sample
        batch = tuple(range(x_hat.ndim - k))  # the samples
        d_hat = grad_out
        if self.weight is not None:
            _accumulate(self.weight, np.sum(grad_out * x_hat, axis=batch))
            d_hat = grad_out * self.weight.data.astype(x_hat.dtype, copy=False)
        if self.bias is not None:
            _accumulate(self.bias, np.sum(grad_out, axis=batch))
        D = math.prod(self.normalized_shape)
        return (inv_std / D) * (
            D * d_hat - d_hat.sum(axis=axes, keepdims=True)
            - x_hat * np.sum(d_hat * x_hat, axis=axes, keepdims=True)
        )

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}")  # fmt: skip
