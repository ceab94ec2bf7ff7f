r"""The :class:`Tensor`: an array that remembers how it was computed.

Every operation is a method that computes its result and, right beside that
forward maths, defines its ``backward`` closure (micrograd's layout).
:func:`no_grad` switches the recording of the graph off. The backward pass
itself, and the broadcasting bookkeeping the closures use, are in ``engine``.

See the chapter on backpropagation.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._validation import as_float_array, check_axis
from ..activations import _logsumexp, _sigmoid
from .engine import _backpropagate, _broadcast, _expand, _normalise_axes, _unbroadcast

__all__ = ["Tensor", "no_grad", "is_grad_enabled"]

Array = NDArray[np.floating]
Backward = Callable[[Array], tuple]  # upstream gradient -> one gradient (or None) per operand

_grad_enabled = True


@contextlib.contextmanager
def no_grad() -> Iterator[None]:
    """Context manager: operations inside it record no graph (PyTorch's ``torch.no_grad``).

    Use it for evaluation: results have ``requires_grad=False`` and keep no
    references to their operands, so nothing is stored for a backward pass.
    """
    global _grad_enabled
    previous, _grad_enabled = _grad_enabled, False
    try:
        yield
    finally:
        _grad_enabled = previous


def is_grad_enabled() -> bool:
    """``False`` inside :func:`no_grad`, ``True`` otherwise."""
    return _grad_enabled


class Tensor:
    """An array that remembers how it was computed, so gradients can flow back to it.

    Parameters
    ----------
    data : array-like of any shape. float32 stays float32; ints, bools and Python
        scalars become float64. The array is copied (like ``torch.tensor``), so
        an optimizer updating ``.data`` in place never changes the caller's array.
    requires_grad : whether ``backward`` should compute ``.grad`` for this tensor
        (``True`` for parameters).
    name : optional label, shown by :func:`trace` (e.g. ``"W1"``).

    Attributes
    ----------
    data : numpy array
    grad : numpy array shaped like ``data``, or ``None`` until a backward pass reaches it

    See the chapter on backpropagation.
    """

    __slots__ = ("data", "grad", "requires_grad", "name", "_prev", "_op", "_backward")
    __array_ufunc__ = None  # numpy defers to us: ndarray + Tensor calls Tensor.__radd__

    def __init__(self, data: ArrayLike, requires_grad: bool = False, *, name: str | None = None):
        if isinstance(data, Tensor):
            raise TypeError("Tensor(data) expects an array, not a Tensor; use t.detach()")
        arr = as_float_array(data, "data")
        if isinstance(data, np.ndarray) and np.may_share_memory(arr, data):
            arr = arr.copy()
        self.data: Array = arr
        self.grad: Array | None = None
        self.requires_grad = bool(requires_grad)
        self.name = name
        self._prev: tuple[Tensor, ...] = ()
        self._op = "leaf"
        self._backward: Backward | None = None

    # --- the engine ------------------------------------------------------------

    def backward(self, grad: ArrayLike | None = None) -> None:
        """Add :math:`\\partial\\,\\text{self}/\\partial t` to ``t.grad`` for each ``t`` it depends on.

        Parameters
        ----------
        grad : the upstream gradient, shaped like ``self``. It may be omitted only
            for a tensor with one element (a loss), where it defaults to 1.
        """
        if not self.requires_grad:
            raise RuntimeError(
                "backward() on a tensor that does not require grad: no tensor it was computed "
                "from has requires_grad=True (or it was computed under no_grad())"
            )
        if grad is None:
            if self.data.size != 1:
                raise RuntimeError(
                    "grad can be implicitly created only for scalar outputs; this tensor has "
                    f"shape {self.shape}. Reduce it first (.sum(), .mean()) or pass grad=..."
                )
            seed = np.ones_like(self.data)
        else:
            seed = np.array(as_float_array(grad, "grad"), dtype=self.dtype)  # a copy we own
            if seed.shape != self.shape:
                raise ValueError(f"grad must have the tensor's shape {self.shape}; got {seed.shape}")
        _backpropagate(self, seed)

    # --- elementwise arithmetic (broadcasting) -----------------------------------

    def __add__(self, other: Tensor | ArrayLike) -> Tensor:
        other = self._lift(other)
        a_shape, b_shape = self.shape, other.shape

        def backward(g):  # d(a + b)/da = d(a + b)/db = 1
            return (_unbroadcast(g, a_shape) if self.requires_grad else None,
                    _unbroadcast(g, b_shape) if other.requires_grad else None)

        return _result(_broadcast(np.add, self, other, "+"), (self, other), "add", backward)

    def __sub__(self, other: Tensor | ArrayLike) -> Tensor:
        other = self._lift(other)
        a_shape, b_shape = self.shape, other.shape

        def backward(g):  # d(a - b)/da = 1, d(a - b)/db = -1
            return (_unbroadcast(g, a_shape) if self.requires_grad else None,
                    _unbroadcast(-g, b_shape) if other.requires_grad else None)

        return _result(_broadcast(np.subtract, self, other, "-"), (self, other), "sub", backward)

    def __mul__(self, other: Tensor | ArrayLike) -> Tensor:
        other = self._lift(other)
        a, b = self.data, other.data

        def backward(g):  # d(ab)/da = b, d(ab)/db = a
            return (_unbroadcast(g * b, a.shape) if self.requires_grad else None,
                    _unbroadcast(g * a, b.shape) if other.requires_grad else None)

        return _result(_broadcast(np.multiply, self, other, "*"), (self, other), "mul", backward)

    def __truediv__(self, other: Tensor | ArrayLike) -> Tensor:
        other = self._lift(other)
        a, b = self.data, other.data
        out = _broadcast(np.divide, self, other, "/")

        def backward(g):  # d(a/b)/da = 1/b, d(a/b)/db = -a/b^2 = -(a/b)/b
            return (_unbroadcast(g / b, a.shape) if self.requires_grad else None,
                    _unbroadcast(-g * out / b, b.shape) if other.requires_grad else None)

        return _result(out, (self, other), "div", backward)

    def __neg__(self) -> Tensor:
        return _result(-self.data, (self,), "neg", lambda g: (-g,))

    def __pow__(self, exponent: float) -> Tensor:
        """``x ** p`` for a scalar ``p``: :math:`\\partial x^p/\\partial x = p\\,x^{p-1}`."""
        if not isinstance(exponent, (int, float, np.number)):
            raise TypeError(f"Tensor ** p needs a scalar exponent p; got {type(exponent).__name__}")
        a = self.data
        return _result(a**exponent, (self,), "pow", lambda g: (g * exponent * a ** (exponent - 1),))

    def __rpow__(self, base: float) -> Tensor:
        """``c ** x`` for a scalar ``c > 0``: :math:`\\partial c^x/\\partial x = c^x \\ln c`."""
        if not (isinstance(base, (int, float, np.number)) and base > 0):
            raise ValueError(f"c ** Tensor needs a positive scalar base c; got {base!r}")
        out = base**self.data
        return _result(out, (self,), "pow", lambda g: (g * out * np.log(base),))

    __radd__ = __add__
    __rmul__ = __mul__

    def __rsub__(self, other: ArrayLike) -> Tensor:
        return self._lift(other) - self

    def __rtruediv__(self, other: ArrayLike) -> Tensor:
        return self._lift(other) / self

    # --- matrix product ------------------------------------------------------------

    def __matmul__(self, other: Tensor | ArrayLike) -> Tensor:
        r"""Matrix product of 1-D/2-D tensors: :math:`\bar A = \bar Y B^\top,\ \bar B = A^\top \bar Y`."""
        other = self._lift(other)
        a, b = self.data, other.data
        if a.ndim not in (1, 2) or b.ndim not in (1, 2) or a.shape[-1] != b.shape[0]:
            raise ValueError(
                f"matmul: shapes {a.shape} and {b.shape} are not aligned; @ needs 1-D or 2-D "
                "operands whose inner dimensions agree, (n, k) @ (k, m)"
            )
        a2 = a.reshape(1, -1) if a.ndim == 1 else a  # a vector on the left is one row...
        b2 = b.reshape(-1, 1) if b.ndim == 1 else b  # ...and on the right one column

        def backward(g):
            g2 = g.reshape(a2.shape[0], b2.shape[1])
            return ((g2 @ b2.T).reshape(a.shape) if self.requires_grad else None,
                    (a2.T @ g2).reshape(b.shape) if other.requires_grad else None)

        return _result(a @ b, (self, other), "matmul", backward)

    def __rmatmul__(self, other: ArrayLike) -> Tensor:
        return self._lift(other) @ self

    # --- elementwise functions -----------------------------------------------------

    def exp(self) -> Tensor:
        r""":math:`e^x`, whose derivative is itself."""
        out = np.exp(self.data)
        return _result(out, (self,), "exp", lambda g: (g * out,))

    def log(self) -> Tensor:
        r"""Natural log, :math:`\partial \ln x/\partial x = 1/x`."""
        a = self.data
        return _result(np.log(a), (self,), "log", lambda g: (g / a,))

    def relu(self) -> Tensor:
        r""":math:`\max(0, x)`; its derivative is 1 where ``x > 0`` and 0 elsewhere (0 at 0, as PyTorch)."""
        a = self.data
        return _result(np.maximum(a, 0), (self,), "relu", lambda g: (g * (a > 0),))

    def sigmoid(self) -> Tensor:
        r""":math:`\sigma(x) = 1/(1+e^{-x})`, two-branch stable form; :math:`\sigma' = \sigma(1-\sigma)`."""
        s = _sigmoid(self.data)
        return _result(s, (self,), "sigmoid", lambda g: (g * s * (1 - s),))

    def tanh(self) -> Tensor:
        r""":math:`\tanh x`, with :math:`\tanh' = 1 - \tanh^2`."""
        t = np.tanh(self.data)
        return _result(t, (self,), "tanh", lambda g: (g * (1 - t * t),))

    def log_softmax(self, axis: int = -1) -> Tensor:
        r"""Log-softmax along ``axis``: :math:`y = x - \operatorname{LSE}(x)`.

        Backward: :math:`\bar x = \bar y - \operatorname{softmax}(x) \sum_k \bar y_k`.
        """
        ax = check_axis(axis, self.ndim)
        out = self.data - _logsumexp(self.data, ax, keepdims=True)  # max-shifted, never overflows

        def backward(g):
            return (g - np.exp(out) * g.sum(axis=ax, keepdims=True),)

        return _result(out, (self,), "log_softmax", backward)

    # --- reductions and shape ------------------------------------------------------

    def sum(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        r"""Sum over ``axis`` (all axes by default). Every summand gets the upstream gradient."""
        axes = _normalise_axes(axis, self.ndim)
        shape = self.shape
        out = self.data.sum(axis=axes, keepdims=keepdims)
        return _result(out, (self,), "sum", lambda g: (_expand(g, shape, axes, keepdims),))

    def mean(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        r"""Mean over ``axis``: a sum scaled by ``1/N``, ``N`` the number of values averaged."""
        axes = _normalise_axes(axis, self.ndim)
        shape = self.shape
        out = np.asarray(self.data.mean(axis=axes, keepdims=keepdims))
        count = self.data.size // max(out.size, 1)
        return _result(out, (self,), "mean", lambda g: (_expand(g / count, shape, axes, keepdims),))

    def reshape(self, *shape: int | tuple[int, ...]) -> Tensor:
        """Same values, new shape: ``t.reshape(2, 3)`` or ``t.reshape((2, 3))``."""
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        old = self.shape
        return _result(self.data.reshape(shape), (self,), "reshape", lambda g: (g.reshape(old),))

    def transpose(self, *axes: int) -> Tensor:
        """Permute the axes, e.g. ``t.transpose(1, 2, 0)``; no arguments reverses them (``.T``)."""
        if not axes:
            return self.T
        perm = tuple(axes[0]) if len(axes) == 1 and isinstance(axes[0], (tuple, list)) else axes
        perm = tuple(check_axis(ax, self.ndim) for ax in perm)
        if sorted(perm) != list(range(self.ndim)):
            raise ValueError(f"transpose axes {axes} are not a permutation of {self.ndim} axes")
        inverse = tuple(sorted(range(self.ndim), key=perm.__getitem__))  # undoes perm
        out = self.data.transpose(perm)
        return _result(out, (self,), "transpose", lambda g: (g.transpose(inverse),))

    @property
    def T(self) -> Tensor:
        """Reversed axes: for a matrix, rows become columns. The gradient is transposed back."""
        return _result(self.data.T, (self,), "transpose", lambda g: (g.T,))

    # --- plumbing ------------------------------------------------------------------

    def _lift(self, other: Tensor | ArrayLike) -> Tensor:
        """Wrap a non-Tensor operand as a constant; Python scalars take ``self``'s dtype."""
        if isinstance(other, (int, float)):
            return _result(np.asarray(other, dtype=self.dtype), (), "leaf", None)
        return _as_tensor(other, "other operand")

    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> int:
        return self.data.size

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    def item(self) -> float:
        """The value of a one-element tensor as a Python float."""
        return self.data.item()

    def numpy(self) -> Array:
        """The underlying array (shared, not copied)."""
        return self.data

    def detach(self) -> Tensor:
        """A tensor sharing ``data`` but cut from the graph (``requires_grad=False``)."""
        return _result(self.data, (), "leaf", None)

    def __repr__(self) -> str:
        body = np.array2string(self.data, precision=4, separator=", ", prefix="Tensor(")
        dtype = "" if self.dtype == np.float64 else f", dtype={self.dtype}"
        if self._prev:
            extra = f", op={self._op}"
        else:
            extra = ", requires_grad=True" if self.requires_grad else ""
        return f"Tensor({body}{dtype}{extra})"


def _result(data: Array, parents: tuple[Tensor, ...], op: str, backward: Backward | None) -> Tensor:
    """Make an op's output; record its operands and closure only if a gradient can flow."""
    out = Tensor.__new__(Tensor)
    if type(data) is not np.ndarray:  # numpy returns scalars for 0-d results
        data = np.asarray(data)
    out.data, out.grad, out.name = data, None, None
    if _grad_enabled and any(p.requires_grad for p in parents):
        out.requires_grad, out._prev, out._op, out._backward = True, parents, op, backward
    else:
        out.requires_grad, out._prev, out._op, out._backward = False, (), "leaf", None
    return out


def _as_tensor(x: Tensor | ArrayLike, name: str) -> Tensor:
    if isinstance(x, Tensor):
        return x
    return _result(as_float_array(x, name), (), "leaf", None)
