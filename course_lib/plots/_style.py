"""The book's figure style and the small-multiples grid every static fallback uses."""

from __future__ import annotations

import json
from binascii import b2a_base64
from collections.abc import Callable, Sequence
from functools import partial
from io import BytesIO
from typing import Any

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ._describe import describable_panels, describe_axes, describe_figure

__all__ = ["COLORS", "use_book_style", "new_axes", "small_multiples", "panel_layout"]

# A colour-blind-safe palette (Okabe & Ito), in a fixed order so the same method
# has the same colour in every chapter.
COLORS = {
    "blue": "#0072B2",
    "orange": "#E69F00",
    "green": "#009E73",
    "red": "#D55E00",
    "purple": "#CC79A7",
    "sky": "#56B4E9",
    "yellow": "#F0E442",
    "black": "#000000",
    "grey": "#999999",
}


def _box(ax: Axes, renderer: Any, height: float) -> list[float]:
    bb = ax.get_tightbbox(renderer)
    return [bb.x0, height - bb.y1, bb.x1, height - bb.y0]  # left, top, right, bottom; y down


def _overlap(a: list[float], b: list[float]) -> float:
    """The area of two boxes' intersection over the smaller box's area."""
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    smaller = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return max(w, 0) * max(h, 0) / smaller if smaller > 0 else 0.0


def _gap(a: list[float], b: list[float]) -> float:
    """How far apart two boxes are (0 when they touch or overlap)."""
    dx = max(a[0] - b[2], b[0] - a[2], 0)
    dy = max(a[1] - b[3], b[1] - a[3], 0)
    return float(np.hypot(dx, dy))


def panel_layout(fig: Figure) -> dict[str, Any] | None:
    """Where each panel of a figure with several lies in its PNG, and what it shows.

    Returns ``{"title": suptitle, "panels": [{"box": [left, top, right, bottom], "alt": text}]}``
    in pixels of the whole figure saved at its own dpi (no tight crop), or None for a
    figure with one panel. A colour bar, a twin or an inset axes joins the panel it
    sits on or next to. The site shows the panels one under the other on phones.
    """
    panels = describable_panels(fig)
    if len(panels) < 2:
        return None
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    width, height = fig.bbox.width, fig.bbox.height
    boxes = [_box(ax, renderer, height) for ax in panels]
    # Twins and insets lie on a panel: keep the first of each stack, grown to cover the rest.
    kept: list[int] = []
    for k, box in enumerate(boxes):
        home = next((j for j in kept if _overlap(boxes[j], box) > 0.5), None)
        if home is None:
            kept.append(k)
        else:
            boxes[home] = [min(boxes[home][0], box[0]), min(boxes[home][1], box[1]),
                           max(boxes[home][2], box[2]), max(boxes[home][3], box[3])]
    # A colour bar joins the panel whose plotting area is nearest its own (tick labels,
    # which may reach the next panel, are left out of that distance).
    def area(ax: Axes) -> list[float]:
        bb = ax.get_window_extent(renderer)
        return [bb.x0, height - bb.y1, bb.x1, height - bb.y0]

    extras = [ax for ax in fig.axes if ax.get_visible() and ax not in panels]
    for ax in extras:
        box = _box(ax, renderer, height)
        j = min(kept, key=lambda i: _gap(area(panels[i]), area(ax)))
        boxes[j] = [min(boxes[j][0], box[0]), min(boxes[j][1], box[1]),
                    max(boxes[j][2], box[2]), max(boxes[j][3], box[3])]
    if len(kept) < 2:
        return None
    out = []
    for k in kept:
        left, top, right, bottom = boxes[k]
        out.append({"box": [max(0, int(left) - 4), max(0, int(top) - 4),
                            min(int(width), int(right) + 5), min(int(height), int(bottom) + 5)],
                    "alt": describe_axes(panels[k])})
    return {"title": fig.get_suptitle(), "panels": out}


def _png_with_description(fig: Figure, **kwargs: Any) -> str | None:
    """The figure as base64 PNG with its description (and panel boxes) in the PNG's text chunks."""
    from IPython.core.pylabtools import print_figure

    metadata = {"Description": describe_figure(fig)}
    layout = panel_layout(fig)
    if layout is None:
        return print_figure(fig, fmt="png", base64=True, metadata=metadata, **kwargs)
    # The boxes are in the whole figure's pixels: no tight crop. panel_layout has just drawn
    # the whole figure at its dpi, which is what print_figure would draw again: save those pixels.
    metadata["Panels"] = json.dumps(layout)
    if not hasattr(fig.canvas, "buffer_rgba"):  # not an Agg canvas
        return print_figure(fig, fmt="png", base64=True, metadata=metadata, **{**kwargs, "bbox_inches": None})
    out = BytesIO()
    mpl.image.imsave(out, np.asarray(fig.canvas.buffer_rgba()), format="png", origin="upper", dpi=fig.dpi,
                     metadata=metadata)  # fmt: skip
    return b2a_base64(out.getvalue(), newline=False).decode("ascii")


def _use_described_png() -> None:
    """Inside IPython: figures display as PNG carrying their description (``_describe.py``).

    The description is also the figure's plain text, the form nbval compares (it does
    not compare PNG bytes), so a changed figure shows in the notebook tests.
    """
    try:
        from IPython import get_ipython
        from matplotlib_inline.backend_inline import InlineBackend, set_matplotlib_formats
    except ImportError:  # plain Python: nothing to configure
        return
    shell = get_ipython()
    if shell is None:
        return
    set_matplotlib_formats("png")
    kwargs = dict(InlineBackend.instance().print_figure_kwargs)
    formatters = shell.display_formatter.formatters
    formatters["image/png"].for_type(Figure, partial(_png_with_description, **kwargs))
    formatters["text/plain"].for_type(Figure, lambda fig, printer, cycle: printer.text(describe_figure(fig)))


def use_book_style() -> None:
    """Set matplotlib's defaults for the book: PNG output, readable sizes, the palette."""
    _use_described_png()
    mpl.rcParams.update(
        {
            "figure.figsize": (6.4, 4.0),
            "figure.dpi": 100,
            "savefig.dpi": 100,
            "figure.constrained_layout.use": True,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.prop_cycle": mpl.cycler(color=list(COLORS.values())),
            "font.size": 10,
            "axes.titlesize": 11,
            "legend.frameon": False,
            "image.cmap": "viridis",
        }
    )
    np.set_printoptions(precision=4, suppress=True)


def new_axes(ncols: int = 1, nrows: int = 1, *, width: float = 4.0, height: float = 3.2,
             **kwargs: Any) -> tuple[Figure, np.ndarray]:
    """A figure with a grid of axes, returned as a flat array of ``Axes``."""
    fig, axes = plt.subplots(nrows, ncols, figsize=(width * ncols, height * nrows),
                             squeeze=False, **kwargs)
    return fig, axes.ravel()


def small_multiples(
    draw: Callable[[Any, Axes], None],
    results: Sequence[Any],
    titles: Sequence[str],
    *,
    ncols: int | None = None,
    width: float = 3.2,
    height: float = 2.8,
    suptitle: str | None = None,
    sharey: bool = False,
) -> Figure:
    """Draw ``draw(result, ax)`` for each result in a grid, one panel per slider value.

    This is the static stand-in for a widget on the book's web site, where no
    Python kernel runs: the reader sees the effect of the slider at a few values
    side by side.
    """
    if len(results) != len(titles):
        raise ValueError(f"got {len(results)} results but {len(titles)} titles")
    n = len(results)
    ncols = ncols or min(n, 4)
    nrows = -(-n // ncols)
    fig, axes = new_axes(ncols, nrows, width=width, height=height, sharey=sharey)
    for ax, result, title in zip(axes, results, titles, strict=False):
        draw(result, ax)
        ax.set_title(title)
    for ax in axes[n:]:
        ax.set_visible(False)
    if suptitle:
        fig.suptitle(suptitle)
    return fig
