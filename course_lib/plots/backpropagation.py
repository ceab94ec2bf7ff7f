"""Figures for the chapter on backpropagation.

Each function draws on an ``Axes`` it is given, from data computed elsewhere
(``course_lib.activations``, ``course_lib.autodiff.trace``, or the compute
functions of :mod:`course_lib.compute.backpropagation`):

* :func:`plot_curves`, :func:`plot_function_and_derivative`: line plots for the
  activation functions, the bias shift and the collapse of linear layers;
* :func:`plot_gradient_flow`, :func:`plot_scale_through_depth`: gradient and
  activation size per layer of a deep network (the vanishing-gradient figures);
* :func:`plot_finite_difference_errors`: forward against central differences;
* :func:`graph_layout`, :func:`draw_computational_graph`: a computational graph
  from :func:`course_lib.autodiff.trace`, boxes in columns by topological depth.

See the chapter on backpropagation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator
from numpy.typing import ArrayLike

from ._describe import set_description
from ._style import COLORS

if TYPE_CHECKING:  # only for annotations
    from ..autodiff import TraceNode
    from ..compute.backpropagation import FiniteDifferenceErrors, GradientFlow

__all__ = [
    "plot_curves",
    "plot_function_and_derivative",
    "plot_gradient_flow",
    "plot_scale_through_depth",
    "plot_finite_difference_errors",
    "graph_layout",
    "draw_computational_graph",
]

_CYCLE = [COLORS[c] for c in ("blue", "orange", "green", "red", "purple", "sky")]


def plot_curves(ax: Axes, x: ArrayLike, curves: Mapping[str, ArrayLike], *, xlabel: str,
                ylabel: str, styles: Sequence[str] | None = None) -> None:
    """One line per entry of ``curves`` (label -> y values over ``x``), with a legend."""
    styles = styles or ["-"] * len(curves)
    for (label, y), color, style in zip(curves.items(), _CYCLE * 4, styles, strict=False):
        ax.plot(x, y, style, color=color, label=label, lw=1.8)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=8)


def plot_function_and_derivative(ax: Axes, z: ArrayLike, value: ArrayLike, derivative: ArrayLike,
                                 *, name: str, title: str | None = None,
                                 derivative_label: str | None = None) -> None:
    """An activation :math:`g(z)` (solid) and its derivative :math:`g'(z)` (dashed).

    ``name`` labels the legend (``name(z)``, ``name'(z)`` unless ``derivative_label``
    is given); ``title`` (default ``name``) goes above the panel.
    """
    ax.plot(z, value, color=COLORS["blue"], lw=2, label=f"{name}(z)")
    ax.plot(z, derivative, "--", color=COLORS["orange"], lw=2,
            label=derivative_label or f"{name}'(z)")
    ax.axhline(0, color=COLORS["grey"], lw=0.8)
    ax.axvline(0, color=COLORS["grey"], lw=0.8)
    ax.set_xlabel("pre-activation z")
    ax.set_ylabel("value")
    ax.set_title(title or name)
    ax.legend(fontsize=8, loc="upper left")


# The explorer's fixed vertical range: every setting's gradients, down to well
# below float64's machine epsilon (smaller ones leave the bottom edge).
GRADIENT_RANGE = (1e-18, 1e3)


def plot_gradient_flow(result: GradientFlow, ax: Axes, *, max_depth: int | None = None) -> None:
    r""":math:`\lVert\partial L/\partial W_l\rVert` per hidden layer, log scale (the explorer's figure).

    Thin grey lines: each random network; thick line: their geometric mean.
    With ``max_depth``, the axes are fixed (layers 1 to ``max_depth``, gradients
    in :data:`GRADIENT_RANGE`), so figures for different settings compare at a
    glance, and a dotted line marks float64's machine epsilon: a gradient that
    much smaller than the weights it updates is lost in rounding.
    """
    layer = np.arange(1, result.depth + 1)
    ax.add_collection(LineCollection([np.column_stack([layer, norms])
                                      for norms in result.weight_grad_norms],
                                     colors=COLORS["grey"], linewidths=0.8, alpha=0.5,
                                     label="one random network"))
    ax.plot(layer, result.typical_weight_grad_norms, "o-", color=COLORS["blue"], lw=2, ms=4,
            label="geometric mean")
    ax.set_yscale("log")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("hidden layer (1 = next to the input)")
    ax.set_ylabel(r"$\|\partial L/\partial W_l\|_F$")
    init = f"auto = {result.init}" if result.auto else result.init
    ax.set_title(f"{result.activation}, {init} init, depth {result.depth}")
    if max_depth is not None:
        eps = float(np.finfo(np.float64).eps)
        ax.axhline(eps, color=COLORS["black"], lw=0.8, linestyle=":")
        ax.text(0.99, eps, " float64 machine epsilon", transform=ax.get_yaxis_transform(),
                ha="right", va="bottom", fontsize=7)
        ax.set_xlim(0.5, max(max_depth, result.depth) + 0.5)
        ax.set_ylim(*GRADIENT_RANGE)
    ax.legend(fontsize=7, title_fontsize=8, loc="best",
              title=f"layer 1 / layer {result.depth}: {result.first_to_last:.1e}")


_SCALE_LABELS = {
    "activation_rms": "RMS of the activations $A_l$",
    "weight_grad_norms": r"$\|\partial L/\partial W_l\|_F$",
    "delta_norms": r"$\|\partial L/\partial Z_l\|_F$",
}


def plot_scale_through_depth(ax: Axes, results: Mapping[str, GradientFlow], quantity: str) -> None:
    """One line per labelled result: the geometric mean of ``quantity`` per layer, log scale.

    ``quantity`` is ``"activation_rms"``, ``"weight_grad_norms"`` or ``"delta_norms"``.
    """
    if quantity not in _SCALE_LABELS:
        raise ValueError(f"Invalid quantity: {quantity!r}; expected one of {', '.join(_SCALE_LABELS)}")
    for (label, result), color in zip(results.items(), _CYCLE, strict=False):
        ax.plot(np.arange(1, result.depth + 1), result.typical(quantity), "o-", color=color, ms=3,
                label=label)
    ax.set_yscale("log")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("hidden layer (1 = next to the input)")
    ax.set_ylabel(_SCALE_LABELS[quantity])
    ax.legend(fontsize=8)


def plot_finite_difference_errors(result: FiniteDifferenceErrors, ax: Axes) -> None:
    """Error of the forward and central difference against the step size, log-log."""
    eps = result.eps
    ax.loglog(eps, result.forward, "o-", color=COLORS["red"], ms=3,
              label=r"forward $(f(x+\epsilon)-f(x))/\epsilon$")
    ax.loglog(eps, result.central, "s-", color=COLORS["blue"], ms=3,
              label=r"central $(f(x+\epsilon)-f(x-\epsilon))/2\epsilon$")
    ax.loglog(eps, eps, ":", color=COLORS["grey"], label=r"slope 1: $\epsilon$")
    ax.loglog(eps, eps**2, "--", color=COLORS["grey"], label=r"slope 2: $\epsilon^2$")
    ax.set_ylim(bottom=1e-14)
    ax.set_xlabel(r"step size $\epsilon$")
    ax.set_ylabel("absolute error of the derivative")
    ax.legend(fontsize=8, loc="lower right")


# --- the computational graph --------------------------------------------------------


def graph_layout(nodes: Sequence[TraceNode], edges: Sequence[tuple[int, int]]
                 ) -> dict[int, tuple[float, float]]:
    """Positions ``{node id: (column, row)}`` for a traced graph.

    The column of an operation is its topological depth (one more than its
    deepest operand); an input sits one column before its first use, so data
    flows left to right. Within a column, nodes are ordered by the mean row of
    the nodes they feed (placed first, right to left) and centred on 0.
    """
    operands: dict[int, list[int]] = {n.id: [] for n in nodes}
    users: dict[int, list[int]] = {n.id: [] for n in nodes}
    for a, b in edges:
        operands[b].append(a)
        users[a].append(b)
    column: dict[int, int] = {}
    for n in nodes:  # topological order: operands come first
        column[n.id] = 1 + max((column[a] for a in operands[n.id]), default=-1)
    for n in nodes:
        if not operands[n.id] and users[n.id]:
            column[n.id] = min(column[u] for u in users[n.id]) - 1
    row: dict[int, float] = {}
    for c in sorted(set(column.values()), reverse=True):
        members = [n.id for n in nodes if column[n.id] == c]
        members.sort(key=lambda i: (np.mean([row[u] for u in users[i]]) if users[i] else 0.0, i))
        for k, i in enumerate(members):
            row[i] = k - (len(members) - 1) / 2
    return {i: (float(column[i]), row[i]) for i in column}


def _node_text(node: TraceNode, precision: int) -> str:
    title = node.name or node.label
    if node.data.size != 1:
        return f"{title}\nshape {node.shape}"
    grad = "—" if node.grad is None else f"{node.grad.item():.{precision}f}"
    return f"{title}\nvalue {node.data.item():.{precision}f}\ngrad {grad}"


def _node_colour(node: TraceNode) -> str:
    if node.label != "leaf":
        return COLORS["sky"]
    return COLORS["orange"] if node.requires_grad else COLORS["grey"]


def draw_computational_graph(ax: Axes, nodes: Sequence[TraceNode],
                             edges: Sequence[tuple[int, int]], *, precision: int = 3,
                             fontsize: float = 9) -> None:
    """Draw a traced graph: one box per node (name or operation, value, gradient), arrows for edges.

    Orange boxes are inputs that require a gradient (parameters), grey ones are
    constants (data: no gradient is computed for them), blue ones operations.
    Values flow along the arrows; gradients flow back against them.
    """
    pos = graph_layout(nodes, edges)
    box: dict[str, Any] = dict(boxstyle="round,pad=0.3", ec=COLORS["black"], lw=0.8)
    texts = {}
    for n in nodes:
        x, y = pos[n.id]
        texts[n.id] = ax.text(x, y, _node_text(n, precision), ha="center", va="center",
                              fontsize=fontsize, family="monospace",
                              bbox={**box, "fc": _node_colour(n)}, zorder=3)
    for a, b in edges:
        # centre to centre, clipped where the arrow leaves box a and enters box b
        ax.annotate("", xy=pos[b], xytext=pos[a], zorder=2,
                    arrowprops=dict(arrowstyle="-|>", color=COLORS["black"], lw=1,
                                    patchA=texts[a].get_bbox_patch(),
                                    patchB=texts[b].get_bbox_patch(), shrinkA=1, shrinkB=1))
    xs = [p[0] for p in pos.values()]
    ys = [p[1] for p in pos.values()]
    ax.set_xlim(min(xs) - 0.6, max(xs) + 0.6)
    ax.set_ylim(min(ys) - 0.85, max(ys) + 0.5)  # room for the legend below
    ax.set_axis_off()
    boxes = "; ".join(" ".join(_node_text(n, precision).split()) for n in nodes)
    set_description(ax, f"A computational graph of {len(nodes)} boxes joined by {len(edges)} arrows "
                        f"(values flow along them, gradients back): {boxes}")
    ax.legend(handles=[Patch(fc=COLORS["orange"], ec="k", label="parameter (needs grad)"),
                       Patch(fc=COLORS["grey"], ec="k", label="constant (data)"),
                       Patch(fc=COLORS["sky"], ec="k", label="operation")],
              loc="lower center", bbox_to_anchor=(0.5, -0.02), ncol=3, fontsize=8)
