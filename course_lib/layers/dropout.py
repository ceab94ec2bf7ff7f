"""Inverted :class:`Dropout`: the regularizer that is on in ``train()`` mode only.

See the chapter on regularization.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from .._validation import as_float_array, check_probability, make_rng
from .module import Array, _check_grad_out, _Elementwise

__all__ = ["Dropout"]


class Dropout(_Elementwise):
    r"""Inverted dropout: zero each unit with probability ``p``, scale the rest by :math:`1/(1-p)`.

    .. math:: y = \frac{m \odot x}{1 - p}, \qquad m_i \sim \text{Bernoulli}(1 - p),
              \qquad \frac{\partial L}{\partial x} = \frac{m \odot \delta}{1 - p}

    Srivastava et al. 2014, *Dropout: A Simple Way to Prevent Neural Networks from
    Overfitting*. The paper keeps units unscaled during training and multiplies
    the weights by :math:`1-p` at test time. "Inverted" dropout scales during
    training instead, so :math:`\mathbb E[y] = x` and evaluation is the plain
    identity: the same network runs at test time with no rescaling. PyTorch does
    this, and so does this layer. In ``eval()`` mode, or with ``p=0``, it is the
    identity.

    Parameters
    ----------
    p : probability of zeroing a unit, in ``[0, 1)``
    rng : generator or seed for the masks (each forward draws a new mask)

    See the chapter on regularization.
    """

    def __init__(self, p: float = 0.5, rng: np.random.Generator | int | None = None) -> None:
        super().__init__()
        check_probability(p, "p (dropout probability)")
        self.p = float(p)
        self.rng = make_rng(rng)
        self._mask: Array | None = None

    def forward(self, x: ArrayLike) -> Array:
        x = as_float_array(x, "x")
        if not self.training or self.p == 0.0:
            self._mask = None
            return self._set(x)
        keep = 1.0 - self.p
        # The mask already holds 0 or 1/keep, so backward is one multiplication.
        self._mask = (self.rng.random(x.shape, dtype=x.dtype) < keep) * x.dtype.type(1 / keep)
        return self._set(x * self._mask)

    def backward(self, grad_out: Array) -> Array:
        _check_grad_out(self, grad_out, self._out_shape)
        return grad_out if self._mask is None else grad_out * self._mask

    def extra_repr(self) -> str:
        return f"p={self.p}"
