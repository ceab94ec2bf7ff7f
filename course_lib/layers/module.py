"""The module protocol: :class:`Parameter`, the :class:`Module` base class, :class:`Sequential`.

A :class:`Module` has ``forward`` (which caches what ``backward`` needs),
``backward`` (which returns the input gradient and adds into each parameter's
``.grad``), ``parameters()``, ``train()``/``eval()`` and ``zero_grad()``. The
private helpers here are shared by every layer: gradient accumulation and the
cheap shape checks on the hot path.

See the chapter on backpropagation.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Self

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._validation import as_float_array

__all__ = ["Parameter", "Module", "Sequential"]

Array = NDArray[np.floating]


class Parameter:
    """An array that an optimizer updates: ``.data`` and its gradient ``.grad``.

    ``.grad`` is None until a backward pass adds to it; ``zero_grad()`` resets it
    to None. ``autodiff.Tensor`` follows the same protocol.
    """

    def __init__(self, data: ArrayLike) -> None:
        self.data: Array = np.array(as_float_array(data, "data"), copy=True)
        self.grad: Array | None = None

    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    def __repr__(self) -> str:
        grad = "None" if self.grad is None else "set"
        return f"Parameter(shape={self.data.shape}, dtype={self.data.dtype}, grad={grad})"


def _accumulate(p: Parameter, g: Array) -> None:
    # Add, never overwrite: a parameter used twice gets the sum of both gradients.
    g = g.astype(p.data.dtype, copy=False)
    p.grad = g if p.grad is None else p.grad + g


def _check_grad_out(module: Module, grad_out: Array, out_shape: tuple | None) -> None:
    if out_shape is None:
        raise RuntimeError(
            f"{type(module).__name__}.backward() called before forward(): "
            "run forward first, it caches what backward needs"
        )
    if grad_out.shape != out_shape:
        raise ValueError(
            f"{type(module).__name__}.backward(): grad_out must have the shape of the "
            f"forward output {out_shape}; got {grad_out.shape}"
        )


def _check_2d(x: Array, n_features: int, module: Module) -> None:
    # The one check on the hot path: cheap, and it stops silent broadcasting.
    if x.ndim != 2 or x.shape[1] != n_features:
        raise ValueError(
            f"{type(module).__name__} expects input of shape (n_samples, {n_features}); "
            f"got x.shape={x.shape}"
        )


class Module:
    """Base class: ``forward``, ``backward``, ``parameters``, ``train``/``eval``, ``zero_grad``.

    A subclass implements ``forward(x)`` (caching what it needs) and
    ``backward(grad_out) -> grad_in``. ``parameters()`` finds every
    :class:`Parameter` and sub-module stored as an attribute. ``module(x)`` is
    ``module.forward(x)``.
    """

    training: bool = True

    def __init__(self) -> None:
        self.training = True

    def forward(self, x: ArrayLike) -> Array:
        raise NotImplementedError

    def backward(self, grad_out: Array) -> Array:
        raise NotImplementedError

    def __call__(self, x: ArrayLike) -> Array:
        return self.forward(x)

    def children(self) -> list[Module]:
        """The direct sub-modules (in attribute order)."""
        return [v for v in vars(self).values() if isinstance(v, Module)]

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Parameter]]:
        """Yield ``(name, parameter)`` pairs, e.g. ``("0.weight", p)``, each parameter once."""
        seen: set[int] = set()
        for name, p in self._named_parameters(prefix):
            if id(p) not in seen:
                seen.add(id(p))
                yield name, p

    def _named_parameters(self, prefix: str) -> Iterator[tuple[str, Parameter]]:
        for name, v in vars(self).items():
            if isinstance(v, Parameter):
                yield prefix + name, v
            elif isinstance(v, Module):
                yield from v._named_parameters(f"{prefix}{name}.")

    def parameters(self) -> list[Parameter]:
        """Every parameter of this module and its sub-modules, each once."""
        return [p for _, p in self.named_parameters()]

    def train(self, mode: bool = True) -> Self:
        """Set training mode (dropout active, batch norm uses batch statistics); return self."""
        self.training = bool(mode)
        for child in self.children():
            child.train(mode)
        return self

    def eval(self) -> Self:
        """Set evaluation mode (dropout off, batch norm uses running statistics); return self."""
        return self.train(False)

    def zero_grad(self) -> None:
        """Set every parameter's ``.grad`` to None (PyTorch's default ``set_to_none=True``)."""
        for p in self.parameters():
            p.grad = None

    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.extra_repr()})"


class _Elementwise(Module):
    """An elementwise map: backward multiplies ``grad_out`` by a cached local derivative."""

    def __init__(self) -> None:
        super().__init__()
        self._out_shape: tuple | None = None

    def _set(self, out: Array) -> Array:
        self._out_shape = out.shape
        return out


class Sequential(Module):
    """Chain modules: ``forward`` runs them in order, ``backward`` in reverse.

    Supports ``len``, iteration and indexing (a slice gives a new ``Sequential``
    sharing the same layers). ``train()``/``eval()`` reach every layer.

    Examples
    --------
    >>> net = Sequential(Linear(64, 128, rng=0), ReLU(), Linear(128, 10, rng=1))
    """

    def __init__(self, *layers: Module) -> None:
        super().__init__()
        for i, layer in enumerate(layers):
            if not isinstance(layer, Module):
                raise TypeError(f"Sequential: layer {i} is not a Module; got {layer!r}")
        self.layers: list[Module] = list(layers)

    def forward(self, x: ArrayLike) -> Array:
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, grad_out: Array) -> Array:
        for layer in reversed(self.layers):
            grad_out = layer.backward(grad_out)
        return grad_out

    def children(self) -> list[Module]:
        return list(self.layers)

    def _named_parameters(self, prefix: str) -> Iterator[tuple[str, Parameter]]:
        for i, layer in enumerate(self.layers):
            yield from layer._named_parameters(f"{prefix}{i}.")

    def __len__(self) -> int:
        return len(self.layers)

    def __iter__(self) -> Iterator[Module]:
        return iter(self.layers)

    def __getitem__(self, index: int | slice) -> Module:
        if isinstance(index, slice):
            return Sequential(*self.layers[index])
        return self.layers[index]

    def __repr__(self) -> str:
        lines = [f"  ({i}): " + repr(layer).replace("\n", "\n  ") for i, layer in enumerate(self)]
        return "Sequential(\n" + "\n".join(lines) + "\n)" if lines else "Sequential()"
