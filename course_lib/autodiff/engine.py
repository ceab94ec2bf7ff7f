r"""The backward pass, and the shape bookkeeping that the operations' closures share.

:func:`_backpropagate` runs every closure once, from the output back to the
leaves, in reverse topological order (:func:`_topological_order`), accumulating
into ``.grad``. :func:`_unbroadcast` and :func:`_expand` are the gradients of
numpy's broadcasting and of a reduction.

See the chapter on backpropagation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from .._validation import check_axis

if TYPE_CHECKING:
    from .tensor import Tensor

Array = NDArray[np.floating]


def _broadcast(ufunc: np.ufunc, a: Tensor, b: Tensor, symbol: str) -> Array:
    try:
        return ufunc(a.data, b.data)
    except ValueError:
        raise ValueError(
            f"cannot compute a {symbol} b for shapes {a.shape} and {b.shape}: they do not "
            "broadcast (aligned from the right, each dimension must match or be 1)"
        ) from None


def _unbroadcast(g: Array, shape: tuple[int, ...]) -> Array:
    """Sum ``g`` back down to ``shape``: the gradient of numpy's broadcasting.

    An operand broadcast from ``shape`` was copied along the leading axes numpy
    prepended and along its axes of length 1; its gradient sums over exactly those.
    """
    if g.shape == shape:
        return g
    lead = g.ndim - len(shape)
    if lead:
        g = g.sum(axis=tuple(range(lead)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    if stretched:
        g = g.sum(axis=stretched, keepdims=True)
    return np.asarray(g)


def _normalise_axes(axis: int | tuple[int, ...] | None, ndim: int) -> tuple[int, ...] | None:
    if axis is None:
        return None
    axes = tuple(axis) if isinstance(axis, (tuple, list)) else (axis,)
    axes = tuple(check_axis(ax, ndim) for ax in axes)
    if len(set(axes)) != len(axes):
        raise ValueError(f"axis={axis} repeats an axis")
    return axes


def _expand(g: Array, shape: tuple[int, ...], axes: tuple[int, ...] | None, keepdims: bool):
    """Gradient of a sum: put back the reduced axes and copy ``g`` along them."""
    if axes is not None and not keepdims:
        g = np.expand_dims(g, axes)
    return np.broadcast_to(g, shape).copy()  # a writable array, not a read-only view


def _topological_order(root: Tensor, include_constants: bool) -> list[Tensor]:
    """Every node ``root`` depends on, each after all of its operands.

    An iterative depth-first search (a recursive one would hit Python's recursion
    limit on long graphs). ``include_constants=False`` skips operands that need no
    gradient, which is all ``backward`` has to visit.
    """
    order: list[Tensor] = []
    visited: set[int] = set()
    stack = [(root, False)]
    while stack:
        node, operands_done = stack.pop()
        if operands_done:
            order.append(node)
        elif id(node) not in visited:
            visited.add(id(node))
            stack.append((node, True))
            for parent in reversed(node._prev):
                if include_constants or parent.requires_grad:
                    stack.append((parent, False))
    return order


def _backpropagate(root: Tensor, seed: Array) -> None:
    """Run every closure once, from ``root`` back to the leaves, accumulating ``.grad``.

    ``pending`` holds this pass's gradients, so a second ``backward`` propagates
    only its own gradient while ``.grad`` keeps the running total.
    """
    pending = {id(root): seed}
    for node in reversed(_topological_order(root, include_constants=False)):
        g = pending.pop(id(node))
        if type(g) is not np.ndarray or g.dtype != node.data.dtype:
            g = np.asarray(g, dtype=node.data.dtype)  # a float32 parameter keeps a float32 grad
        if node._backward is None and not g.flags.c_contiguous:
            # A leaf's gradient in C order (W's in x @ W.T arrives transposed): the
            # optimizer's elementwise maths on it then runs at full speed.
            g = np.ascontiguousarray(g)
        node.grad = g if node.grad is None else node.grad + g
        if node._backward is None:
            continue
        for parent, parent_grad in zip(node._prev, node._backward(g), strict=True):
            if parent_grad is not None:
                key = id(parent)
                pending[key] = pending[key] + parent_grad if key in pending else parent_grad
