"""Figures for the chapter "Introduction".

Each function draws on an ``Axes`` it is given, from data computed elsewhere
(``course_lib.data``, ``course_lib.compute.introduction``); the two ``draw_*``
functions with the signature ``(result, ax)`` are also the draw functions of the
chapter's explorers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from numpy.typing import ArrayLike

from ._style import COLORS

__all__ = [
    "digit_mosaic",
    "draw_digit_mosaic",
    "draw_feature_histogram",
    "draw_curve_fit",
    "draw_gradient_field",
    "draw_descent_path",
    "draw_sgd_paths",
    "draw_loss_curves",
]

_SERIES = ("blue", "orange", "green", "red", "purple", "sky")


# ------------------------------------------------------------------------ digits


def digit_mosaic(images: ArrayLike, ncols: int, pad: int = 1) -> np.ndarray:
    """Tile ``(n, h, w)`` images into one array, ``ncols`` per row, ``pad`` blank pixels between.

    Blank cells are nan (drawn as background).
    """
    imgs = np.asarray(images, dtype=float)
    n, h, w = imgs.shape
    nrows = -(-n // ncols)
    out = np.full((nrows * (h + pad) - pad, ncols * (w + pad) - pad), np.nan)
    for k, img in enumerate(imgs):
        r, c = divmod(k, ncols)
        out[r * (h + pad): r * (h + pad) + h, c * (w + pad): c * (w + pad) + w] = img
    return out


def draw_digit_mosaic(ax: Axes, images: ArrayLike, ncols: int, *,
                      row_labels: Sequence[str] | None = None,
                      tile_labels: Sequence[str] | None = None) -> None:
    """Draw 8x8 digit images (``(n, 64)`` or ``(n, 8, 8)``, ink 0..1) in a grid, dark ink on white.

    ``row_labels`` go on the left of each row; ``tile_labels`` under each image.
    """
    imgs = np.asarray(images, dtype=float).reshape(-1, 8, 8)
    mosaic = digit_mosaic(imgs, ncols)
    ax.imshow(mosaic, cmap="gray_r", vmin=0.0, vmax=1.0, interpolation="nearest")
    ax.grid(False)
    ax.set_xticks([])
    for side in ("left", "bottom"):
        ax.spines[side].set_visible(False)
    if row_labels is not None:
        ax.set_yticks([r * 9 + 3.5 for r in range(len(row_labels))], list(row_labels))
        ax.tick_params(axis="y", length=0)
    else:
        ax.set_yticks([])
    if tile_labels is not None:
        for k, text in enumerate(tile_labels):
            r, c = divmod(k, ncols)
            ax.text(c * 9 + 3.5, r * 9 + 8.3, text, ha="center", va="top", fontsize=8)


def draw_feature_histogram(ax: Axes, values: Mapping[str, ArrayLike], *, threshold: float | None = None,
                           xlabel: str, bins: ArrayLike | int = 20) -> None:
    """Overlaid histograms of one feature, one per class, and the rule's threshold."""
    all_values = np.concatenate([np.asarray(v, dtype=float) for v in values.values()])
    edges = np.histogram_bin_edges(all_values, bins=bins)
    for (label, v), color in zip(values.items(), _SERIES, strict=False):
        ax.hist(np.asarray(v, dtype=float), bins=edges, alpha=0.55, color=COLORS[color], label=label)
    if threshold is not None:
        ax.axvline(threshold, color=COLORS["black"], linestyle="--", label=f"threshold = {threshold:g}")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("number of images")
    ax.legend()


# --------------------------------------------------------- function approximation


def draw_curve_fit(result: Any, ax: Axes) -> None:
    """A :class:`~course_lib.compute.introduction.CurveFit`: target, training points and network."""
    ax.plot(result.x_grid, result.target, color=COLORS["black"], lw=2.5, alpha=0.35, label="target f*(x)")
    ax.plot(result.x_train, result.y_train, ".", color=COLORS["grey"], ms=3, label="training points")
    ax.plot(result.x_grid, result.prediction, color=COLORS["blue"], lw=1.6, label="network f(x)")
    ax.text(0.02, 0.03, f"max |f - f*| = {result.max_error:.3f}", transform=ax.transAxes, fontsize=8)
    ax.set_xlabel("input x")
    ax.set_ylabel("output y")
    ax.set_ylim(-2.2, 2.2)
    ax.legend(loc="upper left", fontsize=8)


# ------------------------------------------------------------ gradient descent


def draw_gradient_field(ax: Axes, surface: Any, points: ArrayLike, *, arrow_length: float = 0.9) -> None:
    """Contours of a 2-D :class:`~course_lib.data.LossSurface` and the negative gradient at ``points``.

    The arrows are scaled to a common length: they show the direction of steepest
    descent, not its size.
    """
    W0, W1, Z = surface.grid(121)
    ax.contour(W0, W1, Z, levels=12, colors=COLORS["grey"], linewidths=0.8)
    pts = np.asarray(points, dtype=float)
    d = -surface.grad(pts)
    d = arrow_length * d / np.linalg.norm(d, axis=1, keepdims=True)
    ax.quiver(pts[:, 0], pts[:, 1], d[:, 0], d[:, 1], angles="xy", scale_units="xy", scale=1,
              color=COLORS["red"], width=0.006, label="negative gradient (direction)")
    ax.plot(*surface.minimum, "*", color=COLORS["black"], ms=11, label="minimum")
    ax.set_aspect("equal")
    ax.set_xlabel("parameter $w_0$")
    ax.set_ylabel("parameter $w_1$")
    ax.legend(loc="upper right", fontsize=8)


def draw_descent_path(result: Any, ax: Axes) -> None:
    """A :class:`~course_lib.compute.introduction.DescentPath`: the loss parabola and the iterates."""
    w_star, spread = result.w_star, max(1.6 * abs(result.w[0] - result.w_star), 1e-3)
    lo, hi = w_star - spread, w_star + spread
    ws = np.linspace(lo, hi, 200)
    curve = result.loss_star + 0.5 * result.curvature * (ws - w_star) ** 2
    ax.plot(ws, curve, color=COLORS["grey"], label="loss J(w)")
    inside = (result.w >= lo) & (result.w <= hi)
    ax.plot(result.w, result.loss, "-o", color=COLORS["blue"], ms=4, lw=1, label="iterates $w_k$")
    ax.plot([result.w[0]], [result.loss[0]], "o", color=COLORS["orange"], ms=7, label="start $w_0$")
    ax.axvline(w_star, color=COLORS["black"], lw=0.8, linestyle=":", label="minimum $w^*$")
    note = result.regime
    if not inside.all():
        growth = abs(result.factor) ** (len(result.w) - 1)
        note += f": |w - w*| grew x{growth:.1f}"
    # The parabola fills the lower 2/3 of the axes; legend and note go in the top third.
    ax.text(0.5, 0.79, note, transform=ax.transAxes, ha="center", va="top", fontsize=8.5,
            bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8, "pad": 1})
    ax.set_xlim(lo, hi)
    ax.set_ylim(0, 1.5 * curve.max())
    ax.set_xlabel("weight w")
    ax.set_ylabel("loss J(w) (MSE)")
    ax.legend(loc="upper center", ncols=2, fontsize=7, columnspacing=1.0, handlelength=1.5,
              frameon=True, facecolor="white", edgecolor="none", framealpha=0.8)


def draw_sgd_paths(ax: Axes, paths: Sequence[Any]) -> None:
    """Weight against update number for several :class:`~course_lib.compute.introduction.SGDPath`."""
    for path, color in zip(paths, _SERIES, strict=False):
        ax.plot(np.arange(len(path.w)), path.w, color=COLORS[color], lw=0.8,
                label=f"learning rate {path.lr:g}")  # fmt: skip
    ax.axhline(paths[0].w_star, color=COLORS["black"], lw=1, linestyle="--", label="minimum $w^*$")
    ax.set_xlabel("update number")
    ax.set_ylabel("weight w")
    ax.legend()


# ------------------------------------------------------------------ training loop


def draw_loss_curves(ax: Axes, curves: Mapping[str, ArrayLike], *, ylabel: str = "training loss",
                     logy: bool = True, legend_loc: str = "best") -> None:
    """Loss per epoch, one line per label (epochs numbered from 1)."""
    for (label, loss), color in zip(curves.items(), _SERIES, strict=False):
        loss = np.asarray(loss, dtype=float)
        ax.plot(np.arange(1, len(loss) + 1), loss, "-o", ms=3, color=COLORS[color], label=label)
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel(ylabel)
    ax.legend(loc=legend_loc)
