"""The computational graph as plain data, for the book's figure: :func:`trace`.

See the chapter on backpropagation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .engine import _topological_order
from .tensor import Tensor

__all__ = ["trace", "TraceNode"]

Array = NDArray[np.floating]


@dataclass(frozen=True)
class TraceNode:
    """One node of a traced graph: what a figure needs to draw it.

    ``label`` is the operation that produced the tensor (``"add"``, ``"mul"``,
    ``"matmul"``, ``"exp"``, ...) or ``"leaf"``; ``data`` and ``grad`` are copies.
    """

    id: int
    label: str
    shape: tuple[int, ...]
    name: str | None
    requires_grad: bool
    data: Array
    grad: Array | None


def trace(root: Tensor) -> tuple[list[TraceNode], list[tuple[int, int]]]:
    """The computational graph behind ``root``, as plain data (no plotting here).

    Returns
    -------
    nodes : list of :class:`TraceNode` in topological order (operands before results);
        ids are ``0, 1, ...`` in that order, so ``root`` is last.
    edges : list of ``(operand_id, result_id)``, one per operand slot: ``x * x``
        gives two edges from ``x``. Data flows along an edge; gradients flow back.
    """
    if not isinstance(root, Tensor):
        raise TypeError(f"trace expects a Tensor; got {type(root).__name__}")
    order = _topological_order(root, include_constants=True)
    ids = {id(t): i for i, t in enumerate(order)}
    nodes = [
        TraceNode(
            id=ids[id(t)],
            label=t._op,
            shape=t.shape,
            name=t.name,
            requires_grad=t.requires_grad,
            data=t.data.copy(),
            grad=None if t.grad is None else np.array(t.grad),
        )
        for t in order
    ]
    edges = [(ids[id(p)], ids[id(t)]) for t in order for p in t._prev]
    return nodes, edges
