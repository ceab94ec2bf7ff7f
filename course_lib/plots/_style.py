"""The book's figure style and the small-multiples grid every static fallback uses."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ._describe import describe_axes, describe_figure

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


# ``small_multiples`` keeps its panels' axes here; a figure that has them is shown on
# phones one panel at a time (book/_ext/site_fixes.py crops them from its PNG).
_PANELS = "course_lib_panels"


def panel_layout(fig: Figure) -> dict[str, Any] | None:
    """Where each panel of a ``small_multiples`` figure lies in its PNG, and what it shows.

    Returns ``{"title": suptitle, "panels": [{"box": [left, top, right, bottom], "alt": text}]}``
    in pixels of the whole figure saved at its own dpi (no tight crop), or None for
    any other figure.
    """
    axes = [ax for ax in getattr(fig, _PANELS, ()) if ax.get_visible()]
    if not axes:
        return None
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    width, height = fig.bbox.width, fig.bbox.height
    panels = []
    for ax in axes:
        bb = ax.get_tightbbox(renderer)
        box = [max(0, int(bb.x0) - 4), max(0, int(height - bb.y1) - 4),
               min(int(width), int(bb.x1) + 5), min(int(height), int(height - bb.y0) + 5)]
        panels.append({"box": box, "alt": describe_axes(ax)})
    return {"title": fig.get_suptitle(), "panels": panels}


def _png_with_description(fig: Figure, **kwargs: Any) -> bytes | None:
    from IPython.core.pylabtools import print_figure

    metadata = {"Description": describe_figure(fig)}
    layout = panel_layout(fig)
    if layout is not None:  # the boxes are in the whole figure's pixels: no tight crop
        metadata["Panels"] = json.dumps(layout)
        kwargs = {**kwargs, "bbox_inches": None}
    return print_figure(fig, fmt="png", base64=True, metadata=metadata, **kwargs)


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
    setattr(fig, _PANELS, list(axes[:n]))
    if suptitle:
        fig.suptitle(suptitle)
    return fig
