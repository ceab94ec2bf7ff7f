r"""Figures for the chapter on regularization.

Each function draws on the ``Axes`` it is given, from numbers computed elsewhere
(the compute functions of :mod:`course_lib.compute.regularization`, or a
``training.History``). ``draw_poly_fit`` and ``draw_dropout_fit`` are the draw
functions of the chapter's two explorers.

See the chapter on regularization.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter
from numpy.typing import ArrayLike

from ._style import COLORS

__all__ = [
    "draw_poly_fit",
    "plot_sweep",
    "plot_learning_curve",
    "plot_weight_histograms",
    "plot_decay_race",
    "draw_dropout_fit",
    "plot_epoch_curves",
    "plot_runs_with_minima",
]


_BOX = {"facecolor": "white", "alpha": 0.8, "edgecolor": "none", "pad": 1.5}
_RUN_COLORS = [COLORS[c] for c in ("blue", "orange", "green", "red", "purple", "sky")]


def _scatter_data(ax: Axes, data: Any) -> None:
    """Training points (filled), validation points (hollow) and the true cubic."""
    ax.scatter(data.x_val, data.y_val, s=16, facecolors="none", edgecolors=COLORS["orange"],
               label="val. data", zorder=2)  # fmt: skip
    ax.scatter(data.x_train, data.y_train, s=22, color=COLORS["blue"], label="train data", zorder=3)
    x = np.linspace(min(data.x_train.min(), data.x_val.min()), max(data.x_train.max(), data.x_val.max()), 200)
    ax.plot(x, data.truth(x), color=COLORS["grey"], ls="--", lw=1.5, label="true curve")
    ys = np.concatenate([data.y_train, data.y_val])
    span = ys.max() - ys.min()
    # Fixed limits: a wild fit leaves the frame instead of squashing the data; the room
    # at the bottom is for the legend.
    ax.set_ylim(ys.min() - 0.45 * span, ys.max() + 0.15 * span)
    ax.set_xlabel("x")
    ax.set_ylabel("y")


def draw_poly_fit(fit: Any, ax: Axes) -> None:
    """A :class:`~course_lib.compute.regularization.PolyFit`: data, true curve, fitted curve, errors."""
    _scatter_data(ax, fit.data)
    ax.plot(fit.x_curve, fit.y_curve, color=COLORS["red"], lw=2, label="fit")
    ax.text(0.02, 0.98, f"$J_{{train}}$ = {fit.train_error:.3g}\n$J_{{val}}$ = {fit.val_error:.3g}\n"
            f"$\\|w\\|_2$ = {fit.weight_norm:.3g}", transform=ax.transAxes, va="top", fontsize=9, bbox=_BOX)
    ax.legend(loc="lower right", fontsize=7, ncol=2)


def plot_sweep(ax: Axes, sweep: Any, *, xlabel: str, logx: bool = False,
               noise_floor: float | None = None) -> None:
    """Training and validation error against λ or the degree, log scale, best value marked."""
    x = np.asarray(sweep.values, dtype=float)
    ax.plot(x, sweep.train_error, "o-", color=COLORS["blue"], label="$J_{train}$")
    ax.plot(x, sweep.val_error, "s-", color=COLORS["orange"], label="$J_{val}$")
    best = int(np.argmin(sweep.val_error))
    ax.plot(x[best], sweep.val_error[best], "*", ms=16, color=COLORS["red"],
            label=f"lowest $J_{{val}}$ ({xlabel.split(' ')[0]} = {x[best]:g})")
    if noise_floor is not None:
        ax.axhline(noise_floor, color=COLORS["grey"], ls=":", label="noise level")
    if logx:
        ax.set_xscale("log", base=2)
        ax.set_xticks(x[::2], [f"{v:g}" for v in x[::2]])
        ax.xaxis.set_minor_formatter(NullFormatter())
    _log_y(ax)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("J (half the mean squared error)")
    ax.legend(fontsize=8)


def _log_y(ax: Axes) -> None:
    """Log y axis with plain numbers (0.3, 1, 100) as tick labels."""
    ax.set_yscale("log")
    lo, hi = ax.get_ylim()
    if hi / lo < 30:  # less than about a decade and a half: label 1, 2, 3, 5 of each decade
        ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 3.0, 5.0)))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.yaxis.set_minor_formatter(NullFormatter())


def plot_learning_curve(ax: Axes, curve: Any, *, title: str) -> None:
    """A :class:`~course_lib.compute.regularization.LearningCurve`: J against training-set size."""
    ax.plot(curve.sizes, curve.train_error, "o-", color=COLORS["blue"], label="$J_{train}$")
    ax.plot(curve.sizes, curve.val_error, "s-", color=COLORS["orange"], label="$J_{val}$")
    ax.axhline(curve.noise_floor, color=COLORS["grey"], ls=":", label="noise level")
    ax.set_xscale("log")
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xticks([4, 8, 16, 32, 64, 128])
    _log_y(ax)
    ax.set_xlabel("training-set size m")
    ax.set_ylabel("J (median over draws)")
    ax.set_title(title)
    ax.legend(fontsize=8)


def plot_weight_histograms(axes: Sequence[Axes], weights: Mapping[str, ArrayLike],
                           true_weights: ArrayLike) -> None:
    """One histogram of learned weights per penalty, on shared bins, true weights marked."""
    all_w = np.concatenate([np.ravel(w) for w in weights.values()])
    width = np.abs(all_w).max() / 20
    bins = (np.arange(-21, 22) + 0.5) * width  # 0 sits in the middle of a bin
    colors = [COLORS["grey"], COLORS["blue"], COLORS["green"]]
    for k, (ax, (name, w)) in enumerate(zip(axes, weights.items(), strict=True)):
        w = np.ravel(w)
        ax.hist(w, bins=bins, color=colors[k % 3], label="learned")
        for t in np.ravel(true_weights)[np.ravel(true_weights) != 0]:
            ax.axvline(t, color=COLORS["red"], lw=0.8, alpha=0.7)
        ax.set_title(f"{name}: {np.sum(w == 0)} of {w.size} exactly 0")
        ax.set_xlabel("weight value")
    axes[0].set_ylabel("number of weights")
    axes[0].plot([], [], color=COLORS["red"], lw=0.8, label="true non-zero weights")
    axes[0].legend(fontsize=8)


def plot_decay_race(axes: Sequence[Axes], race: Any) -> None:
    """Mean weight against the step, one panel per optimizer, one line per gradient-noise scale."""
    styles = ["-", "--", "-."]
    for ax, name, traj in zip(axes, ("Adam + L2 (weight_decay)", "AdamW (decoupled)"),
                              (race.adam, race.adamw), strict=True):
        ax.plot(race.steps, race.plain, color=COLORS["grey"], lw=4, alpha=0.5,
                label=r"$(1-\alpha\lambda)^t$")
        for k, s in enumerate(race.noise_scales):
            ax.plot(race.steps, traj[k], styles[k % 3], lw=2,
                    color=(COLORS["orange"], COLORS["blue"], COLORS["green"])[k % 3],
                    label=f"gradient noise std {s:g}")
        ax.set_title(name)
        ax.set_xlabel("step t")
        ax.set_ylim(-0.05, 1.05)
    axes[0].set_ylabel("mean weight of the group")
    axes[0].legend(fontsize=8)


def draw_dropout_fit(fit: Any, ax: Axes) -> None:
    """A :class:`~course_lib.compute.regularization.DropoutFit`: thinned nets and the eval-mode net."""
    _scatter_data(ax, fit.data)
    for k, y in enumerate(fit.y_thinned if fit.p > 0 else []):
        ax.plot(fit.x_curve, y, color=COLORS["purple"], lw=0.8, alpha=0.6,
                label="thinned nets" if k == 0 else None)
    ax.plot(fit.x_curve, fit.y_eval, color=COLORS["red"], lw=2, label="eval mode")
    ax.text(0.02, 0.98, f"$J_{{train}}$ = {fit.train_error:.3g}\n$J_{{val}}$ = {fit.val_error:.3g}",
            transform=ax.transAxes, va="top", fontsize=9, bbox=_BOX)
    ax.legend(loc="lower right", fontsize=7, ncol=2)


def plot_epoch_curves(ax: Axes, curves: Mapping[str, ArrayLike], *, ylabel: str,
                      marks: Mapping[str, int] | None = None, logy: bool = True) -> None:
    """Per-epoch curves (epoch 1, 2, ...) and vertical lines at marked epochs."""
    colors = [COLORS["blue"], COLORS["orange"], COLORS["green"], COLORS["red"]]
    for k, (label, values) in enumerate(curves.items()):
        values = np.asarray(values, dtype=float)
        ax.plot(np.arange(1, len(values) + 1), values, color=colors[k % 4], lw=2,
                ls=("-", "--", "-.", ":")[k % 4], label=label)
    for k, (label, epoch) in enumerate((marks or {}).items()):
        ax.axvline(epoch, color=(COLORS["grey"], COLORS["black"])[k % 2], ls=":", label=label)
    if logy:
        _log_y(ax)
    ax.set_xlabel("epoch")
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=8)


def plot_runs_with_minima(ax: Axes, curves: Mapping[str, ArrayLike], *, ylabel: str,
                          zoom_after: int = 1) -> None:
    """One line per run (label -> per-epoch values, epoch 1 first), a dot at each run's minimum.

    The y-axis is linear and covers the values from epoch ``zoom_after`` on, so
    small rises after a minimum stay visible.
    """
    shown = []
    for k, (label, values) in enumerate(curves.items()):
        values = np.asarray(values, dtype=float)
        epochs = np.arange(1, len(values) + 1)
        color = _RUN_COLORS[k % len(_RUN_COLORS)]
        ax.plot(epochs, values, color=color, lw=1.2, label=label)
        best = int(np.argmin(values))
        ax.plot(epochs[best], values[best], "o", color=color, ms=5)
        shown.append(values[zoom_after - 1:])
    low, high = min(v.min() for v in shown), max(v.max() for v in shown)
    pad = 0.05 * (high - low)
    ax.set_ylim(low - pad, high + pad)
    ax.set_xlabel("epoch")
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=8, ncol=2)
