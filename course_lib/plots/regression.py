r"""Figures for the chapter on regression.

Each function draws on an ``Axes`` it is given, from numbers computed elsewhere
(``course_lib.regression`` or the compute functions of
:mod:`course_lib.compute.regression`). The ``draw_*`` functions take one of those
compute functions' results and are the draw functions of the chapter's explorers.

See the chapter on regression.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import LogNorm
from numpy.typing import ArrayLike

from ._style import COLORS

__all__ = [
    "plot_line_fits",
    "plot_curves",
    "plot_sigmoid",
    "plot_checkpoints",
    "draw_excess_loss",
    "draw_gd_contours", "draw_gd_path",
    "draw_logistic_boundary",
]

_LINE_STYLES = ("-", "--", "-.", ":")


def plot_line_fits(ax: Axes, x: ArrayLike, y: ArrayLike, curves: Mapping[str, tuple[ArrayLike, ArrayLike]],
                   *, xlabel: str = "x", ylabel: str = "y") -> None:
    """Scatter ``(x, y)`` and draw each named curve ``(x_curve, y_curve)`` over it."""
    ax.scatter(x, y, s=14, color=COLORS["grey"], alpha=0.8, label="data", zorder=1)
    colors = [COLORS["blue"], COLORS["orange"], COLORS["green"], COLORS["red"], COLORS["purple"]]
    for k, (label, (xc, yc)) in enumerate(curves.items()):
        ax.plot(xc, yc, color=colors[k % len(colors)], linestyle=_LINE_STYLES[k % 4], lw=2, label=label)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend()


def plot_curves(ax: Axes, curves: Mapping[str, ArrayLike], *, xlabel: str, ylabel: str,
                logy: bool = False, colors: Sequence[str] | None = None) -> None:
    """One line per named series against its index (an iteration count)."""
    colors = list(colors or [COLORS["blue"], COLORS["orange"], COLORS["green"], COLORS["red"]])
    for k, (label, values) in enumerate(curves.items()):
        values = np.asarray(values, dtype=float)
        ax.plot(np.arange(len(values)), values, color=colors[k % len(colors)], lw=2,
                linestyle=_LINE_STYLES[k % 4], label=label)
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if len(curves) > 1:
        ax.legend()


def plot_sigmoid(ax: Axes, z: ArrayLike, p: ArrayLike) -> None:
    r"""The sigmoid :math:`\sigma(z)` with its midpoint :math:`\sigma(0) = \tfrac12` marked."""
    ax.plot(z, p, color=COLORS["blue"], lw=2, label=r"$\sigma(z) = 1/(1+e^{-z})$")
    ax.axhline(0.5, color=COLORS["grey"], lw=1, linestyle="--", label=r"$p = \frac{1}{2}$, i.e. $z = 0$")
    ax.axvline(0.0, color=COLORS["grey"], lw=1, linestyle="--")
    ax.set_xlabel(r"logit $z = x\theta$")
    ax.set_ylabel(r"$p(y=1 \mid x) = \sigma(z)$")
    ax.set_ylim(-0.03, 1.03)
    ax.legend(loc="upper left")


def plot_checkpoints(ax: Axes, curve: Any) -> None:
    """Training and validation loss against the number of gradient-descent steps (log x axis).

    ``curve`` is a :class:`course_lib.compute.regression.CheckpointCurve`; the step
    with the lowest validation loss is marked.
    """
    ax.semilogx(curve.steps, curve.train_loss, marker="o", ms=4, lw=2, color=COLORS["blue"],
                label="training set")
    ax.semilogx(curve.steps, curve.val_loss, marker="s", ms=4, lw=2, linestyle="--",
                color=COLORS["orange"], label="validation set")
    best = int(np.argmin(curve.val_loss))
    ax.axvline(curve.steps[best], color=COLORS["grey"], lw=1, linestyle=":",
               label=f"lowest validation loss ({curve.steps[best]} steps)")
    ax.set_xlabel("gradient-descent steps (log scale)")
    ax.set_ylabel("mean binary cross-entropy")
    ax.legend()


def _lr_note(result: Any) -> tuple[str, str]:
    ratio = result.lr / result.lr_critical
    state = "diverging" if result.diverging else "converging"
    text = f"lr = {result.lr:g} = {ratio:.2f}" + r" $\times\, 2/\lambda_{\max}$" + f"\n{state}"
    return text, (COLORS["red"] if result.diverging else COLORS["black"])


def draw_excess_loss(result: Any, ax: Axes) -> None:
    r"""The loss still to be removed, :math:`J(\theta_k) - J(\theta^\ast)`, against k, on a log scale.

    ``result`` is a :class:`course_lib.compute.regression.LinearGDResult`. Values that
    reach the rounding floor are drawn at it (a log axis cannot show 0).
    """
    floor = 1e-14 * max(float(result.losses[0]), 1.0)
    excess = np.maximum(result.excess, floor)
    ax.semilogy(np.arange(len(excess)), excess, color=COLORS["blue"], lw=2)
    ax.set_xlabel("iteration k")
    ax.set_ylabel(r"$J(\theta_k) - J(\theta^\ast)$")
    ax.set_xlim(0, max(result.n_iter, 1))
    text, color = _lr_note(result)
    if result.stopped_at is not None:
        text += f" (stopped at k = {result.stopped_at})"
    ax.text(0.97, 0.95, text, transform=ax.transAxes, ha="right", va="top", color=color, fontsize=9)


def draw_gd_contours(result: Any, ax: Axes) -> None:
    """The contours of the MSE around its minimiser, on axes of equal scale (no path)."""
    t0, t1, J = result.grid
    excess = J - result.loss_star
    top = float(excess.max())
    levels = top * np.geomspace(1e-4, 1.0, 13)
    ax.contour(t0, t1, np.maximum(excess, levels[0] / 10), levels=levels, norm=LogNorm(),
               cmap="viridis", linewidths=0.8)
    ax.set_xlim(t0[0], t0[-1])
    ax.set_ylim(t1[0], t1[-1])
    ax.set_aspect("equal")
    ax.set_xlabel(r"intercept $\theta_0$")
    ax.set_ylabel(r"slope $\theta_1$")


def draw_gd_path(result: Any, ax: Axes) -> None:
    r"""The iterates :math:`\theta_k` over the contours of the MSE, with the minimiser.

    ``result`` is a :class:`course_lib.compute.regression.LinearGDResult`. Both axes
    have the same scale, so the contours' elongation is the Hessian's.
    """
    draw_gd_contours(result, ax)
    path = result.thetas
    ax.plot(path[:, 0], path[:, 1], color=COLORS["orange"], lw=1.2, marker="o", ms=2.5,
            label=r"path $\theta_0, \theta_1, \dots$")
    ax.plot(*path[0], marker="s", color=COLORS["black"], ms=6, linestyle="none", label="start")
    ax.plot(*result.theta_star, marker="*", color=COLORS["red"], ms=13, linestyle="none",
            label=r"minimum $\theta^\ast$")
    text, color = _lr_note(result)
    feature = "standardised x" if result.standardized else "raw x"
    # the step count, so that n_iter shows even where the path barely moves or was cut short
    steps = len(path) - 1
    done = (f"{steps} steps" if steps == result.n_iter
            else f"stopped after {steps} of {result.n_iter} steps")
    ax.text(0.03, 0.97, f"{feature}, {text}, {done}", transform=ax.transAxes, ha="left", va="top",
            color=color, fontsize=8, bbox={"facecolor": "white", "alpha": 0.8, "edgecolor": "none"})
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=3, fontsize=8, handlelength=1.5,
              columnspacing=1.0)


def _boundary(ax: Axes, theta: ArrayLike, lims: tuple[float, float], **style: Any) -> bool:
    """Draw the line theta0 + theta1*u + theta2*v = 0 inside the square ``lims``; False if none."""
    b, w1, w2 = (float(t) for t in theta)
    if max(abs(w1), abs(w2)) < 1e-12:
        return False
    s = np.linspace(*lims, 200)
    if abs(w2) >= abs(w1):
        ax.plot(s, -(b + w1 * s) / w2, **style)
    else:
        ax.plot(-(b + w2 * s) / w1, s, **style)
    return True


def draw_logistic_boundary(result: Any, ax: Axes) -> None:
    r"""Training points, :math:`p(y=1 \mid x)` as shading, and the decision boundary :math:`p = \tfrac12`.

    ``result`` is a :class:`course_lib.compute.regression.LogisticGDResult`. The
    dashed line is the boundary of the minimiser, where gradient descent is heading.
    """
    lims = (-2.5, 4.5)
    u, v, p = result.probability_grid(lims)
    ax.contourf(u, v, p, levels=np.linspace(0, 1, 11), cmap="RdBu", alpha=0.35, vmin=0, vmax=1)
    X, y = result.X, result.y
    ax.scatter(*X[y == 0].T, s=10, marker="x", color=COLORS["red"], label="malignant (y = 0)")
    ax.scatter(*X[y == 1].T, s=10, marker="o", facecolors="none", edgecolors=COLORS["blue"],
               label="benign (y = 1)")
    _boundary(ax, result.theta_ref, lims, color=COLORS["black"], lw=1.2, linestyle="--",
              label="boundary at the minimum")
    drawn = _boundary(ax, result.theta, lims, color=COLORS["black"], lw=2.2,
                      label=f"boundary after {result.n_iter} step{'' if result.n_iter == 1 else 's'}")
    ax.set_xlim(*lims)
    ax.set_ylim(*lims)
    ax.set_aspect("equal")
    ax.set_xlabel(f"{result.feature_names[0]} (standardised)")
    ax.set_ylabel(f"{result.feature_names[1]} (standardised)")
    steps = f"lr = {result.lr:g}" if result.n_iter else "no step taken (the start, θ = 0)"
    note = f"{steps}, train accuracy {result.accuracy:.3f}\nBCE {result.losses[-1]:.3f}"
    if not drawn:
        note += "\nθ = 0: p = ½ everywhere, no boundary"
    ax.text(0.03, 0.97, note, transform=ax.transAxes, ha="left", va="top", fontsize=8,
            bbox={"facecolor": "white", "alpha": 0.8, "edgecolor": "none"})
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2, fontsize=8, handlelength=1.5,
              columnspacing=1.0)
