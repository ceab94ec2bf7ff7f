"""Figures for the chapter on training in practice: schedules, range tests, gradient flow.

Every function draws data computed elsewhere (by ``course_lib.compute.practice``
or ``course_lib.training``) on the ``Axes`` it is given.

See the chapter on training in practice.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np
from matplotlib import colormaps
from matplotlib.axes import Axes

from ._style import COLORS

if TYPE_CHECKING:  # the results come from compute.practice and training; plots never compute them
    from ..compute.practice import GradientFlow, ScheduleCurve
    from ..training import History, LRRangeTestResult

__all__ = ["SCHEDULE_COLORS", "draw_schedule", "draw_range_test", "draw_curves", "draw_gradient_flow",
           "draw_learning_curves", "draw_search", "draw_gradient_norms"]

#: One colour per schedule, the same in every figure of the chapter.
SCHEDULE_COLORS = {
    "constant": COLORS["black"],
    "step": COLORS["grey"],
    "exponential": COLORS["sky"],
    "cosine": COLORS["blue"],
    "warmup + cosine": COLORS["orange"],
    "one-cycle": COLORS["red"],
}


def draw_schedule(curve: ScheduleCurve, ax: Axes) -> None:
    """The learning rate of each epoch, with the warmup shaded where the schedule has one."""
    from ..compute.practice import WARMUP_SCHEDULES

    color = SCHEDULE_COLORS[curve.schedule]
    if curve.schedule in WARMUP_SCHEDULES:
        ax.axvspan(0, curve.warmup, color=COLORS["yellow"], alpha=0.3, lw=0, label="warmup")
    ax.plot(curve.epochs, curve.lr, color=color, lw=2, marker="o", ms=3,
            label=f"{curve.schedule}, mean α = {curve.mean_lr:.3f}")
    ax.set_xlim(-0.5, curve.epochs[-1] + 0.5)
    ax.set_ylim(0, 1.6 * curve.lr.max())  # room for the legend above the curve
    ax.set_xlabel("epoch")
    ax.set_ylabel("learning rate α")
    ax.legend(loc="upper right")


def draw_range_test(result: LRRangeTestResult, ax: Axes) -> None:
    """Batch losses and their smoothed curve against the learning rate (log axis), with the suggestion."""
    ax.plot(result.lrs, result.losses, color=COLORS["grey"], lw=0.8, label="batch loss")
    ax.plot(result.lrs, result.smoothed_losses, color=COLORS["blue"], lw=2, label="smoothed")
    ax.axvline(result.lr_min_loss, color=COLORS["red"], ls="--", lw=1,
               label=f"minimum, α = {result.lr_min_loss:.2g}")
    ax.axvline(result.suggested_lr, color=COLORS["green"], lw=1.5,
               label=f"suggested (÷10), α = {result.suggested_lr:.2g}")
    ax.set_xscale("log")
    # the batch losses after divergence are huge: keep the axis on the useful range
    ax.set_ylim(0, 1.5 * result.smoothed_losses[: max(1, len(result.lrs) // 10)].max())
    ax.set_xlabel("learning rate α (log scale)")
    ax.set_ylabel("training loss")
    ax.legend(loc="upper left")


def draw_curves(ax: Axes, curves: Mapping[str, np.ndarray], *, ylabel: str, logy: bool = True,
                colors: Mapping[str, str] | None = None, style: str = "-") -> None:
    """One line per named curve against the epoch (epoch 1 first)."""
    for name, values in curves.items():
        color = (colors or SCHEDULE_COLORS).get(name)
        ax.plot(np.arange(1, len(values) + 1), values, style, color=color, lw=1.6, label=name)
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel(ylabel)
    ax.legend()


def draw_gradient_flow(flow: GradientFlow, ax: Axes) -> None:
    """Each block's weight-gradient norm against its position (1 = next to the input), log scale."""
    color = COLORS["green"] if flow.residual else COLORS["red"]
    kind = "residual" if flow.residual else "plain"
    blocks = np.arange(1, flow.depth + 1)
    ax.semilogy(blocks, flow.grad_norms, color=color, marker="o", ms=4, lw=1.6,
                label=f"{kind} {flow.activation} blocks")
    ax.set_ylim(1e-27, 1e11)  # fixed: the plain sigmoid stack of 40 blocks reaches 1e-25
    ax.set_xlim(0.5, 40.5)
    ax.set_xlabel("block (1 = next to the input)")
    ax.set_ylabel("‖∂L/∂W‖ at initialisation")
    ax.legend(loc="lower right", title=f"first / last block: {flow.ratio:.1e}")


def draw_learning_curves(hist: History, ax: Axes) -> None:
    """Training and validation loss of one run against the epoch, log scale."""
    epochs = np.arange(1, len(hist.loss) + 1)
    ax.plot(epochs, hist.loss, color=COLORS["blue"], lw=1.6, label="training")
    ax.plot(epochs, hist.val_loss, color=COLORS["orange"], lw=1.6, label="validation")
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("cross-entropy (log scale)")
    ax.legend()


def draw_search(trials: Mapping[str, tuple[np.ndarray, np.ndarray]], ax_plane: Axes, ax_lr: Axes) -> None:
    """Each search's trials in the (learning rate, weight decay) plane, and their loss against the rate.

    ``trials`` maps a search's name to its points ``(n, 2)`` and validation losses ``(n,)``.
    """
    markers = {0: ("s", COLORS["black"]), 1: ("o", COLORS["red"]), 2: ("^", COLORS["blue"])}
    for k, (name, (points, values)) in enumerate(trials.items()):
        marker, color = markers[k % 3]
        ax_plane.scatter(points[:, 0], points[:, 1], marker=marker, color=color, s=36, label=name,
                         facecolors="none" if k == 0 else color)
        ax_lr.scatter(points[:, 0], np.minimum(values, 10.0), marker=marker, color=color, s=36,
                      label=name, facecolors="none" if k == 0 else color)
    ax_plane.set(xscale="log", yscale="log", xlabel="learning rate (log scale)",
                 ylabel="weight decay (log scale)")
    ax_lr.set(xscale="log", yscale="log", xlabel="learning rate (log scale)",
              ylabel="validation loss after 5 epochs")
    ax_lr.legend(loc="upper center")  # one legend: the markers are the same in both panels


def draw_gradient_norms(ax: Axes, epochs: np.ndarray, norms: np.ndarray, names: list[str], *,
                        threshold: float | None = None) -> None:
    """Per-epoch gradient norms of each weight matrix (``GradientMonitor.per_epoch``), input side dark.

    ``norms`` is ``(n_epochs, n_params)``; only the parameters named ``*weight`` are drawn,
    and the first and last are labelled. ``threshold`` adds a clipping line.
    """
    weights = [i for i, name in enumerate(names) if name.endswith("weight")]
    colors = colormaps["viridis"](np.linspace(0, 0.9, len(weights)))
    for color, i in zip(colors, weights, strict=True):
        label = names[i] if i in (weights[0], weights[-1]) else None
        ax.plot(epochs, norms[:, i], color=color, lw=1.2, label=label)
    if threshold is not None:
        ax.axhline(threshold, color=COLORS["red"], ls="--", label=f"clipping threshold c = {threshold:g}")
    ax.set(yscale="log", xlabel="epoch", ylabel="gradient norm (mean over the epoch)")
    ax.legend()
