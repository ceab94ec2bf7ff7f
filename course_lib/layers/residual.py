r"""A residual connection: the block's output plus its input.

See the chapter on training in practice.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .module import Module, _check_grad_out

__all__ = ["Residual"]

Array = NDArray[np.float64]


class Residual(Module):
    r"""Wrap a block :math:`f` whose output has its input's shape: :math:`y = x + f(x)`.

    .. math:: \frac{\partial L}{\partial x} = \frac{\partial L}{\partial y}
              + \Big(\frac{\partial f}{\partial x}\Big)^{\!\top}\frac{\partial L}{\partial y}

    The identity path carries the gradient past the block unchanged, so in a
    stack of residual blocks it cannot vanish, whatever the blocks do to it
    (He et al., 2016). The block's parameters are the module's parameters
    (named ``block.…``).

    Parameters
    ----------
    block : a module mapping ``(n_samples, d)`` to ``(n_samples, d)``

    Examples
    --------
    >>> block = Residual(Sequential(Linear(32, 32, rng=0), ReLU(), Linear(32, 32, rng=1)))
    """

    def __init__(self, block: Module) -> None:
        super().__init__()
        if not isinstance(block, Module):
            raise TypeError(f"Residual: block must be a Module; got {block!r}")
        self.block = block
        self._out_shape: tuple | None = None

    def forward(self, x: ArrayLike) -> Array:
        x = np.asarray(x)
        fx = self.block.forward(x)
        if fx.shape != x.shape:
            raise ValueError(f"Residual: the block maps an input of shape {x.shape} to {fx.shape}; "
                             "a residual connection needs the same shape (add a projection)")
        self._out_shape = fx.shape
        return x + fx

    def backward(self, grad_out: Array) -> Array:
        _check_grad_out(self, grad_out, self._out_shape)
        return grad_out + self.block.backward(grad_out)

    def extra_repr(self) -> str:
        return "\n  " + repr(self.block).replace("\n", "\n  ") + "\n"
