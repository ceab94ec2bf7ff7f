"""Figures for the chapter on loss functions.

Each function draws data computed elsewhere (``course_lib.losses`` and
``course_lib.compute.losses``) on the ``Axes`` it is given. One colour per
family throughout the chapter: L1 / MAE blue, squared L2 / MSE orange, the L2
norm green, cross-entropy purple, outliers red.

See the chapter on loss functions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib.axes import Axes

from ._style import COLORS

if TYPE_CHECKING:  # only for annotations
    from ..compute.losses import LineFits, LogitLosses

__all__ = ["LOSS_COLORS", "draw_curves", "draw_line_fits", "draw_logit_losses", "draw_unit_balls"]

LOSS_COLORS = {
    "MAE": COLORS["blue"],
    "L1": COLORS["blue"],
    "MSE": COLORS["orange"],
    "squared L2": COLORS["orange"],
    "squared error": COLORS["orange"],
    "L2": COLORS["green"],
    "BCE": COLORS["purple"],
    "outlier": COLORS["red"],
}


def _color(label: str) -> str | None:
    """The family colour of a label that starts with a known name, else None (next in the cycle)."""
    for name in sorted(LOSS_COLORS, key=len, reverse=True):
        if label.startswith(name):
            return LOSS_COLORS[name]
    return None


def draw_curves(
    ax: Axes,
    x: np.ndarray,
    curves: Mapping[str, np.ndarray],
    *,
    xlabel: str,
    ylabel: str,
    styles: Mapping[str, Mapping[str, Any]] | None = None,
    vlines: Mapping[str, float] | None = None,
    hlines: Mapping[str, float] | None = None,
    logy: bool = False,
) -> None:
    """One line per entry of ``curves`` (label -> y values at ``x``), plus labelled reference lines.

    ``vlines`` / ``hlines`` map a label to an x (or y) position, drawn dotted. ``styles`` maps
    any label to extra ``plot`` keywords; by default a label starting with a family name
    (``"MSE"``, ``"L1"``, ...) gets that family's colour.
    """
    styles = styles or {}
    for label, y in curves.items():
        ax.plot(x, y, label=label, **{"color": _color(label), "lw": 2, **styles.get(label, {})})
    refs = [(ax.axvline, label, v) for label, v in (vlines or {}).items()]
    refs += [(ax.axhline, label, v) for label, v in (hlines or {}).items()]
    for line, label, v in refs:
        line(v, label=label, **{"color": _color(label) or COLORS["grey"], "ls": ":", "lw": 1.5,
                                **styles.get(label, {})})
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if len(curves) + len(refs) > 1:
        ax.legend(fontsize=8)


def draw_line_fits(result: LineFits, ax: Axes) -> None:
    """The points, the outlier (red), the true line and the MSE and MAE lines of :func:`outlier_fits`."""
    xs, _ = result.all_points()
    grid = np.linspace(min(xs.min(), 0.0), max(xs.max(), 5.0), 50)
    ax.scatter(result.x, result.y, s=18, color=COLORS["black"], label="data", zorder=3)
    if result.outlier is not None:
        ax.scatter(*result.outlier, s=80, marker="*", color=LOSS_COLORS["outlier"], label="outlier", zorder=4)
    ax.plot(grid, 2.0 * grid + 1.0, color=COLORS["grey"], ls="--", lw=1, label="true line (slope 2)")
    ax.plot(grid, result.mse_slope * grid + result.mse_intercept, color=LOSS_COLORS["MSE"], lw=2,
            label=f"MSE fit, slope {result.mse_slope:.2f}")
    ax.plot(grid, result.mae_slope * grid + result.mae_intercept, color=LOSS_COLORS["MAE"], lw=2,
            label=f"MAE fit, slope {result.mae_slope:.2f}")
    ax.set_ylim(-22, 42)
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.legend(fontsize=7, loc="upper left")


def draw_logit_losses(result: LogitLosses, ax: Axes, step_scale: float = 3.0) -> None:
    r"""BCE and squared error against the logit; an arrow shows each loss's gradient step at ``z``.

    Each arrow starts at the current point and has length :math:`-s\,\partial\ell/\partial z`
    (``s = step_scale``): the step gradient descent with learning rate ``s`` would take.
    """
    g = result.z_grid
    ax.plot(g, result.bce_curve, color=LOSS_COLORS["BCE"], lw=2,
            label=f"BCE, slope {result.bce_grad:+.3f}")
    ax.plot(g, result.mse_curve, color=LOSS_COLORS["MSE"], lw=2,
            label=f"squared error, slope {result.mse_grad:+.3f}")
    for value, grad, name in ((result.bce, result.bce_grad, "BCE"), (result.mse, result.mse_grad, "MSE")):
        ax.scatter([result.z], [value], color=LOSS_COLORS[name], s=30, zorder=3)
        ax.annotate("", xy=(result.z - step_scale * grad, value), xytext=(result.z, value),
                    arrowprops={"arrowstyle": "->", "color": LOSS_COLORS[name], "lw": 2})
    ax.set_ylim(-0.3, 8.3)
    ax.set_xlabel("logit z")
    ax.set_ylabel(f"loss of one example (y = {result.target:g})")
    ax.legend(fontsize=8, loc="upper right", title=f"arrows: step of {step_scale:g} × (−slope)",
              title_fontsize=8)


def draw_unit_balls(ax: Axes, norms: Sequence[str] = ("L1", "L2")) -> None:
    r"""The unit spheres :math:`\lVert x\rVert = 1` in the plane for the L1, L2 (and ``"Linf"``) norms."""
    t = np.linspace(0.0, 2.0 * np.pi, 721)
    direction = np.stack([np.cos(t), np.sin(t)])  # unit-L2 directions, scaled onto each sphere
    for name in norms:
        if name == "L1":
            radius = np.abs(direction).sum(axis=0)
            label, color = r"L1: $|x_1| + |x_2| = 1$", LOSS_COLORS["L1"]
        elif name == "L2":
            radius = np.ones_like(t)
            label, color = r"L2 (and squared L2): $x_1^2 + x_2^2 = 1$", LOSS_COLORS["L2"]
        elif name == "Linf":
            radius = np.abs(direction).max(axis=0)
            label, color = r"L$\infty$: $\max(|x_1|, |x_2|) = 1$", COLORS["grey"]
        else:
            raise ValueError(f"unknown norm {name!r}; expected 'L1', 'L2' or 'Linf'")
        x1, x2 = direction / radius
        ax.plot(x1, x2, color=color, lw=2, label=label)
    ax.set_aspect("equal")
    ax.set_xlim(-1.4, 1.4)
    ax.set_ylim(-1.4, 1.4)
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.legend(fontsize=8, loc="lower center", bbox_to_anchor=(0.5, 1.0))
