"""Batch normalisation, :class:`BatchNorm1d`, with PyTorch's running statistics.

See the chapter on regularization.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from .._validation import as_float_array, check_int, check_positive, check_probability
from .module import (
    Array,
    Module,
    Parameter,
    _accumulate,
    _check_2d,
    _check_grad_out,
)

__all__ = ["BatchNorm1d"]


class BatchNorm1d(Module):
    r"""Batch normalisation over the batch axis (Ioffe & Szegedy 2015), PyTorch semantics.

    Training mode, with batch mean :math:`\mu`, BIASED batch variance
    :math:`\sigma^2` (divide by :math:`n`) and :math:`\delta = \partial L/\partial y`:

    .. math:: \hat x = \frac{x - \mu}{\sqrt{\sigma^2 + \epsilon}},\qquad
              y = \gamma \hat x + \beta

    .. math:: \frac{\partial L}{\partial x} = \frac{1}{n\sqrt{\sigma^2+\epsilon}}
              \Big(n\,\hat\delta - \sum_i \hat\delta_i - \hat x \sum_i \hat\delta_i \hat x_i\Big),
              \quad \hat\delta = \gamma\,\delta

    The batch statistics depend on every row, hence the two sums. The running
    estimates use the UNBIASED variance (divide by :math:`n-1`):

    .. math:: \text{running} \leftarrow (1 - \text{momentum})\,\text{running}
              + \text{momentum}\cdot\text{batch statistic}

    ``momentum=None`` gives the cumulative average instead (as in PyTorch).
    ``eval()`` mode normalises with the running estimates, so the layer is a
    fixed affine map there and :math:`\partial L/\partial x =
    \gamma\delta/\sqrt{\text{running\_var}+\epsilon}`. The course notes place it on the
    pre-activations :math:`z`: ``Linear -> BatchNorm1d -> ReLU``.

    Parameters
    ----------
    num_features : number of features ``C``; input ``(n_samples, C)``
    eps : added to the variance for stability
    momentum : weight of the new batch in the running estimates, or None
    affine : learn ``weight`` (:math:`\gamma`, ones) and ``bias`` (:math:`\beta`, zeros)

    Attributes
    ----------
    running_mean, running_var : arrays ``(C,)``, start at 0 and 1 (not parameters)
    num_batches_tracked : int

    See the chapter on regularization.
    """

    def __init__(
        self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
        affine: bool = True,
    ) -> None:
        super().__init__()
        self.num_features = check_int(num_features, "num_features")
        check_positive(eps, "eps")
        if momentum is not None:
            check_probability(momentum, "momentum", include_one=True)
        self.eps, self.momentum, self.affine = float(eps), momentum, bool(affine)
        self.weight = Parameter(np.ones(num_features)) if affine else None
        self.bias = Parameter(np.zeros(num_features)) if affine else None
        self.running_mean = np.zeros(num_features)
        self.running_var = np.ones(num_features)
        self.num_batches_tracked = 0
        self._out_shape: tuple | None = None

    def forward(self, x: ArrayLike) -> Array:
        x = as_float_array(x, "x")
        _check_2d(x, self.num_features, self)
        if self.training:
            mean, var = self._batch_stats(x)
        else:
            mean, var = self.running_mean, self.running_var
        inv_std = (1.0 / np.sqrt(var + self.eps)).astype(x.dtype, copy=False)
        x_hat = (x - mean.astype(x.dtype, copy=False)) * inv_std
        self._x_hat, self._inv_std = x_hat, inv_std
        self._batch_mode, self._out_shape = self.training, x.shape
        if not self.affine:
            return x_hat
        dt = x.dtype
        return x_hat * self.weight.data.astype(dt, copy=False) + self.bias.data.astype(dt, copy=False)

    def _batch_stats(self, x: Array) -> tuple[Array, Array]:
        n = x.shape[0]
        if n < 2:
            raise ValueError(
                f"Expected more than 1 value per channel when training, got input size {x.shape}"
            )
        mean, var = x.mean(axis=0), x.var(axis=0)  # biased: divide by n
        self.num_batches_tracked += 1
        m = 1.0 / self.num_batches_tracked if self.momentum is None else self.momentum
        self.running_mean = (1 - m) * self.running_mean + m * mean
        self.running_var = (1 - m) * self.running_var + m * var * (n / (n - 1))  # unbiased
        return mean, var

    def backward(self, grad_out: Array) -> Array:
        _check_grad_out(self, grad_out, self._out_shape)
        x_hat, inv_std = self._x_hat, self._inv_std
        if self.affine:
            _accumulate(self.weight, np.sum(grad_out * x_hat, axis=0))
            _accumulate(self.bias, grad_out.sum(axis=0))
            d_hat = grad_out * self.weight.data.astype(x_hat.dtype, copy=False)
        else:
            d_hat = grad_out
        if not self._batch_mode:  # eval: a fixed affine map
            return d_hat * inv_std
        n = x_hat.shape[0]
        return (inv_std / n) * (
            n * d_hat - d_hat.sum(axis=0) - x_hat * np.sum(d_hat * x_hat, axis=0)
        )

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}"
        )
