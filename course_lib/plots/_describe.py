"""Text alternatives for the book's figures.

A figure shown in a notebook carries a short description of what it shows, built
from what the figure itself says: its titles, its axes (labels, ranges, log scales),
what is drawn on them (lines, points, contours, bars, images) and its legend.
``use_book_style`` writes that description into the figure's PNG (the PNG
``Description`` text chunk) and uses it as the figure's plain-text form; the book's
site turns it into the image's ``alt`` text (``book/_ext/site_fixes.py``), so a
screen reader never hears matplotlib's ``<Figure size 640x480 with 1 Axes>``.

A drawing function that knows better says so with :func:`set_description`.
"""

from __future__ import annotations

import re
from collections import Counter

import matplotlib.collections as mcoll
import matplotlib.contour as mcontour
from matplotlib.axes import Axes
from matplotlib.figure import Figure

__all__ = ["describe_axes", "describe_figure", "set_description"]

_OWN = "course_lib_description"  # the figure attribute set_description writes


def set_description(fig: Figure, text: str) -> Figure:
    """Give ``fig`` the text alternative ``text`` (replaces the one built from its contents)."""
    if not isinstance(fig, Figure):
        raise TypeError(f"set_description needs a matplotlib Figure, got {type(fig).__name__}")
    if not isinstance(text, str) or not text.strip():
        raise ValueError("a figure's description must be a non-empty string")
    setattr(fig, _OWN, text.strip())
    return fig


def _number(v: float) -> str:
    return f"{v:.3g}".replace("e+0", "e").replace("e-0", "e-")


_SPACES = re.compile(r"\\[,;:!]|\\q?quad\b")
_FRAC = re.compile(r"\\[dt]?frac\{([^{}]*)\}\{([^{}]*)\}")
_ACCENT = re.compile(r"\\(bar|hat|tilde|vec)\s*(\{[^{}]*\}|\\?[A-Za-z])")
_STYLE = re.compile(r"\\(?:mathrm|mathbf|mathbb|mathcal|operatorname|text|left|right|big|Big)\b\s*")


def _clean(text: str) -> str:
    """Mathtext as words a screen reader can say.

    ``$\\eta$`` → ``eta``, ``$\\frac{\\sigma^2}{B}$`` → ``(sigma^2)/(B)``, ``$\\bar g$`` → ``g-bar``.
    """
    out = _SPACES.sub(" ", text.replace("$", ""))
    while _FRAC.search(out):
        out = _FRAC.sub(r"(\1)/(\2)", out)
    out = _ACCENT.sub(lambda m: f"{m.group(2).strip('{}').lstrip(chr(92))}-{m.group(1)}", out)
    out = _STYLE.sub("", out).replace("\\", "")
    for ch in "{}":
        out = out.replace(ch, "")
    return " ".join(out.split())


def _kinds(ax: Axes) -> list[str]:
    """What is drawn on ``ax``, most frequent first: ``['2 lines', 'points']``."""
    counts: Counter[str] = Counter()
    counts["line"] = sum(1 for line in ax.lines if line.get_visible() and len(line.get_xdata()) > 1)
    for coll in ax.collections:
        if isinstance(coll, mcontour.ContourSet):
            counts["filled contour" if coll.filled else "contour"] += 1
        elif isinstance(coll, mcoll.PathCollection):
            counts["scatter"] += 1
        elif isinstance(coll, mcoll.PolyCollection):
            counts["shaded band"] += 1
        elif isinstance(coll, mcoll.QuadMesh):
            counts["heat map"] += 1
        elif isinstance(coll, mcoll.LineCollection):
            counts["line"] += 1
    counts["bar"] = sum(len(c) for c in ax.containers)
    counts["image"] = len(ax.images)
    words = {"line": "lines", "scatter": "scatter plots", "bar": "bars", "image": "images",
             "contour": "contour plots", "filled contour": "filled contour plots",
             "shaded band": "shaded bands", "heat map": "heat maps"}
    return [name if n == 1 else f"{n} {words[name]}" for name, n in counts.most_common() if n]


def _axis(ax: Axes, which: str) -> str:
    label = _clean((ax.get_xlabel if which == "x" else ax.get_ylabel)())
    lo, hi = ax.get_xlim() if which == "x" else ax.get_ylim()
    scale = (ax.get_xscale if which == "x" else ax.get_yscale)()
    text = f"{label + ' ' if label else ''}from {_number(min(lo, hi))} to {_number(max(lo, hi))}"
    return text + (", log scale" if scale == "log" else "")


def _legend(ax: Axes) -> str:
    legend = ax.get_legend()
    if legend is None:
        return ""
    labels = [_clean(t.get_text()) for t in legend.get_texts() if t.get_text()]
    return f"; legend: {', '.join(labels)}" if labels else ""


def describe_axes(ax: Axes) -> str:
    """One panel: its title, what is drawn, its axes (label, range, scale) and its legend."""
    kinds = _kinds(ax)
    what = " and ".join(kinds) if kinds else "empty axes"
    title = _clean(ax.get_title())
    head = f"“{title}”: " if title else ""
    return f"{head}{what}; x: {_axis(ax, 'x')}; y: {_axis(ax, 'y')}{_legend(ax)}"


def _panels(fig: Figure) -> list[Axes]:
    """The figure's data axes: visible, and not a colour bar."""
    return [ax for ax in fig.axes if ax.get_visible() and ax.axison and ax.get_label() != "<colorbar>"]


def describe_figure(fig: Figure) -> str:
    """A text alternative of ``fig``: its title, then each panel's title, content, axes and legend.

    The description set with :func:`set_description` wins. Otherwise, for example::

        Figure: loss against epoch. “SGD”: 2 lines; x: epoch from 0 to 50; y: loss
        from 0.01 to 2.3, log scale; legend: train, validation.
    """
    if not isinstance(fig, Figure):
        raise TypeError(f"describe_figure needs a matplotlib Figure, got {type(fig).__name__}")
    own = getattr(fig, _OWN, None)
    if own:
        return own
    title = _clean(fig.get_suptitle())
    panels = _panels(fig)
    head = f"Figure: {title}." if title else "Figure."
    if not panels:
        return head
    if len(panels) == 1:
        return f"{head} {describe_axes(panels[0])}."
    parts = [f"Panel {k}, {describe_axes(ax)}" for k, ax in enumerate(panels, 1)]
    return f"{head} {len(panels)} panels. " + ". ".join(parts) + "."
