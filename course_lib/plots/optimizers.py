"""Figures for the chapter on optimizers: mini-batch runs, paths on loss surfaces, schedules.

Every function draws data computed elsewhere (mostly by
``course_lib.compute.optimizers``) on the ``Axes`` it is given. The contour
grid of each loss surface is computed once and cached, so the explorer redraws
quickly.

See the chapter on optimizers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.axes import Axes
from numpy.typing import NDArray

from ..data import LossSurface
from ._style import COLORS

if TYPE_CHECKING:  # the results come from compute; plots never compute them
    from ..compute.minibatch import BatchGradientError, BatchRun
    from ..compute.optimizers import Trajectory

__all__ = [
    "OPTIMIZER_COLORS", "draw_batch_runs", "draw_gradient_error", "draw_surface",
    "draw_paths", "draw_comparison", "draw_trajectory_surface",
    "draw_trajectory", "draw_curves", "draw_loss_curves",
]  # fmt: skip

#: One colour per optimizer, the same in every figure of the chapter.
OPTIMIZER_COLORS = {
    "GD": COLORS["black"],
    "Momentum": COLORS["blue"],
    "Nesterov": COLORS["sky"],
    "Adagrad": COLORS["green"],
    "RMSprop": COLORS["orange"],
    "Adam": COLORS["red"],
}

_BATCH_COLORS = [COLORS["orange"], COLORS["blue"], COLORS["green"], COLORS["purple"]]


# ------------------------------------------------------------------ mini-batches


def draw_batch_runs(runs: Sequence[BatchRun], ax_epochs: Axes, ax_updates: Axes,
                    lrs: Sequence[float] | None = None) -> None:
    """Training loss of each batch size against epochs (left) and against updates (right)."""
    for k, run in enumerate(runs):
        name = "full batch" if run.batch_size == run.n_samples else f"batch {run.batch_size}"
        label = name if lrs is None else f"{name}, lr = {lrs[k]:g}"
        style = dict(color=_BATCH_COLORS[k % 4], label=label, lw=1.4)
        marker = "o" if run.batch_size == run.n_samples else None
        ax_epochs.plot(run.epochs, run.loss, marker=marker, ms=3, **style)
        after = run.updates > 0  # a log axis has no 0: start at the first update
        ax_updates.plot(run.updates[after], run.loss[after], marker=marker, ms=3, **style)
    for ax in (ax_epochs, ax_updates):
        ax.set_yscale("log")
        ax.set_ylabel("training loss (cross-entropy)")
    ax_epochs.set_xlabel("epochs (= per-example gradients / n)")
    ax_epochs.set_title("Per epoch: same computation")
    ax_updates.set_xscale("log")
    ax_updates.set_xlabel("parameter updates (log scale)")
    ax_updates.set_title("Per update: same number of steps")
    ax_epochs.legend()


def draw_gradient_error(result: BatchGradientError, ax: Axes) -> None:
    """Measured and predicted mini-batch gradient error against batch size (log-log)."""
    rel = result.full_norm2
    ax.plot(result.batch_sizes, result.predicted / rel, color=COLORS["grey"], lw=2,
            label=r"predicted $\frac{\sigma^2}{B}\,\frac{n-B}{n-1}$")  # fmt: skip
    ax.plot(result.batch_sizes, result.measured / rel, "o", color=COLORS["blue"],
            label="measured (random batches)")  # fmt: skip
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("batch size $B$")
    ax.set_ylabel(r"$E\,\|g_B - \bar g\|^2 \,/\, \|\bar g\|^2$")
    ax.legend()


# ------------------------------------------------------------ loss surfaces


_GRIDS: dict[str, tuple[NDArray, NDArray, NDArray, NDArray]] = {}


def _grid(s: LossSurface) -> tuple[NDArray, NDArray, NDArray, NDArray]:
    """Contour grid and log-spaced levels of a surface, computed once per ``s.name``."""
    if s.name not in _GRIDS:
        W0, W1, Z = s.grid(121)
        levels = np.geomspace(max(float(Z.min()), 1e-2), float(Z.max()), 14)
        _GRIDS[s.name] = (W0, W1, Z, levels)
    return _GRIDS[s.name]


def draw_surface(s: LossSurface, ax: Axes) -> None:
    """Log-spaced contours of a loss surface and its minimum (a star), axes set to its bounds."""
    W0, W1, Z, levels = _grid(s)
    ax.contour(W0, W1, Z, levels=levels, colors=COLORS["grey"], linewidths=0.6)
    ax.plot(*s.minimum, marker="*", ms=12, color=COLORS["black"], ls="none", zorder=5)
    (a0, b0), (a1, b1) = s.bounds
    ax.set_xlim(a0, b0)
    ax.set_ylim(a1, b1)
    ax.set_xlabel("$w_0$")
    ax.set_ylabel("$w_1$")
    ax.grid(False)


def draw_paths(surface: LossSurface, paths: Mapping[str, NDArray], ax: Axes, *,
               colors: Mapping[str, str] | None = None, markers: bool = True) -> None:
    """Several optimizer paths ``{label: (k, 2) array}`` over the contours of one surface."""
    draw_surface(surface, ax)
    colors = colors or {}
    for k, (label, path) in enumerate(paths.items()):
        color = colors.get(label, OPTIMIZER_COLORS.get(label, _BATCH_COLORS[k % 4]))
        ax.plot(path[:, 0], path[:, 1], "-", color=color, lw=1.4, label=label,
                marker="." if markers else None, ms=3)  # fmt: skip
    start = next(iter(paths.values()))[0]
    ax.plot(*start, "o", color=COLORS["black"], ms=5, zorder=5)
    ax.legend(loc="lower right", fontsize=8, framealpha=0.8, frameon=True)


def draw_comparison(trajectories: Mapping[str, Trajectory], axes: Sequence[Axes]) -> None:
    """One panel per optimizer (its path, titled with its lr), then one panel of all losses.

    ``axes`` needs ``len(trajectories) + 1`` axes; any more are hidden.
    """
    items = list(trajectories.items())
    for ax, (name, t) in zip(axes, items, strict=False):
        draw_paths(t.surface, {name: t.path}, ax)
        ax.get_legend().remove()
        ax.set_title(f"{name}, lr = {t.lr:g}")
    draw_loss_curves({name: t.loss for name, t in items}, axes[len(items)])
    axes[len(items)].set_title("loss along each path")
    for ax in axes[len(items) + 1 :]:
        ax.set_visible(False)


def draw_trajectory_surface(result: Trajectory, ax: Axes) -> None:
    """The background of :func:`draw_trajectory`: the contours of the result's surface."""
    draw_surface(result.surface, ax)


def draw_trajectory(result: Trajectory, ax: Axes) -> None:
    """The explorer's figure: one path over the contours, and how the loss changed.

    The title names the optimizer and learning rate; a box in the corner gives
    the loss at the start and the end (red when it went up or diverged), so it
    survives when ``small_multiples`` replaces the title.
    """
    draw_surface(result.surface, ax)
    color = OPTIMIZER_COLORS.get(result.optimizer, COLORS["blue"])
    ax.plot(result.path[:, 0], result.path[:, 1], "-", marker=".", ms=3, lw=1.2, color=color)
    ax.plot(*result.path[0], "o", color=COLORS["black"], ms=5, zorder=5)
    beta = "" if result.beta is None else f", β = {result.beta:g}"
    noise = f", noise σ = {result.noise:g}" if result.noise else ""
    ax.set_title(f"{result.optimizer}, lr = {result.lr:.3g}{beta}{noise}")
    steps = len(result.path) - 1
    if result.diverged:
        text, bad = f"diverged after {steps} steps", True
    else:
        text = f"loss {result.loss[0]:.3g} → {result.loss[-1]:.2g}\nin {steps} steps"
        bad = result.loss[-1] > result.loss[0]
    ax.text(0.02, 0.03, text, transform=ax.transAxes, fontsize=8, va="bottom",
            color=COLORS["red"] if bad else COLORS["black"],
            bbox={"facecolor": "white", "alpha": 0.85, "edgecolor": "none"})  # fmt: skip


def draw_curves(curves: Mapping[str, tuple[NDArray, NDArray]], ax: Axes, *, xlabel: str,
                ylabel: str, logx: bool = False, logy: bool = True,
                colors: Mapping[str, str] | None = None,
                styles: Mapping[str, str] | None = None) -> None:
    """Several series ``{label: (x, y)}`` on one axes, with a legend.

    A label that names an optimizer gets its colour from :data:`OPTIMIZER_COLORS`
    unless ``colors`` says otherwise; ``styles`` gives matplotlib line styles.
    """
    colors, styles = colors or {}, styles or {}
    for k, (label, (x, y)) in enumerate(curves.items()):
        color = colors.get(label, OPTIMIZER_COLORS.get(label, _BATCH_COLORS[k % 4]))
        ax.plot(x, y, styles.get(label, "-"), color=color, lw=1.5, label=label)
    ax.set_xscale("log" if logx else "linear")
    ax.set_yscale("log" if logy else "linear")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=8)


def draw_loss_curves(losses: Mapping[str, NDArray], ax: Axes, *, xlabel: str = "step",
                     colors: Mapping[str, str] | None = None) -> None:
    """Loss against step (log scale) for several runs ``{label: (k,) losses}``."""
    curves = {label: (np.arange(len(loss)), loss) for label, loss in losses.items()}
    draw_curves(curves, ax, xlabel=xlabel, ylabel="loss", colors=colors)
