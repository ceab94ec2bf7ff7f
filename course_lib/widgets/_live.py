"""The live figure an :class:`~course_lib.widgets.Explorer` redraws on every slider move.

Its layout is solved once, its frame (ticks, labels, grid) drawn once per set of
limits and labels, and only the data are drawn again; see :class:`LiveFigure`.
"""

from __future__ import annotations

import contextlib
import io
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

import numpy as np
import PIL.Image
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.ticker import LogFormatter, LogLocator, MaxNLocator, NullLocator

__all__ = ["LiveFigure", "solved_box", "live_axes", "encode_png", "encode_rgba"]

_KEPT_FRAMES = 8  # frames (about 1 MB of pixels each) a live figure keeps


class LiveFigure:
    """The one figure (one ``Axes``) an explorer redraws, rendered in two layers.

    The *frame* is what stays put while a slider moves: the axes background,
    grid, spines, ticks, tick labels and axis labels. It is most of matplotlib's
    work for a simple plot (each tick is several artists, and new ones are made
    for every new ``Axes``), so its pixels are kept, by :func:`_frame_key` (the
    limits, ticks and labels), for the latest few frames, and drawn only for a
    frame not seen lately. The *content*, every other artist of the ``Axes``
    (lines, collections, patches, images, texts, the title, the legend), is
    drawn on top of it at every redraw.

    Both ways give the same pixels: the frame is always drawn first, the
    content over it. (So, unlike a one-pass matplotlib draw, grid lines and
    spines lie under filled contours and lines.) A figure with anything else on
    it (a second ``Axes``, a figure legend or text) is drawn in one pass.

    The figure lives outside pyplot, on an Agg canvas of its own, so its
    renderer keeps its text-size and mathtext caches between redraws.
    """

    def __init__(self, figsize: tuple[float, float], box: list[float]) -> None:
        self.figure = Figure(figsize=figsize, layout="none")
        FigureCanvasAgg(self.figure)
        self._box = box
        # Saved pixels (canvas.copy_from_bbox) of the latest frames, by _frame_key.
        self.frames: OrderedDict[tuple, Any] = OrderedDict()
        self.frames_reused = 0  # how many redraws reused a kept frame (a diagnostic)

    def clear(self) -> Axes:
        """Remove everything; return a new, empty ``Axes`` at the solved position."""
        self.figure.clear()
        return self.figure.add_axes(self._box)

    def png(self) -> bytes:
        fig, canvas = self.figure, self.figure.canvas
        figure_level = (fig.legends, fig.texts, fig.images, fig.artists, fig.lines, fig.patches)
        if len(fig.axes) != 1 or any(figure_level):
            canvas.draw()
        else:
            (ax,) = fig.axes
            content = _content(ax)
            key = _frame_key(ax)
            if key in self.frames:
                self.frames.move_to_end(key)
                canvas.restore_region(self.frames[key])
                ax.apply_aspect()  # content positions need the axes' final box
                self.frames_reused += 1
            else:
                with _frame_only(ax, content):
                    canvas.draw()
                self.frames[key] = canvas.copy_from_bbox(fig.bbox)
                if len(self.frames) > _KEPT_FRAMES:
                    self.frames.popitem(last=False)
            renderer = canvas.get_renderer()
            for artist in content:
                artist.draw(renderer)
        return encode_png(canvas)

    def rgba(self) -> np.ndarray:
        """The pixels of the last :meth:`png`, ``(height, width, 4)`` uint8 (a copy)."""
        return np.asarray(self.figure.canvas.buffer_rgba()).copy()


def encode_png(canvas: FigureCanvasAgg, compress_level: int = 1) -> bytes:
    """The canvas's pixels as a PNG with a 256-colour palette and light compression.

    A plot has few colours (lines, markers, text and their antialiased edges), so
    a palette loses nothing visible; the PNG is about a third of the size of a
    full-colour one and, with zlib's fastest level, encodes in half the time.
    """
    return encode_rgba(np.asarray(canvas.buffer_rgba()), compress_level)


def encode_rgba(pixels: np.ndarray, compress_level: int = 1, *, alpha: bool = False) -> bytes:
    """``(height, width, 4)`` uint8 pixels as a 256-colour PNG (keeping transparency if ``alpha``)."""
    image = PIL.Image.fromarray(np.ascontiguousarray(pixels), "RGBA")
    palette = (image if alpha else image.convert("RGB")).quantize(256, method=PIL.Image.Quantize.FASTOCTREE)
    buffer = io.BytesIO()
    palette.save(buffer, format="png", compress_level=compress_level)
    return buffer.getvalue()


def _content(ax: Axes) -> list[Artist]:
    """The visible artists of ``ax`` outside its frame, in matplotlib's drawing order."""
    frame = {ax.patch, ax.xaxis, ax.yaxis, *ax.spines.values()}
    artists = [a for a in ax.get_children()
               if a not in frame and a.get_visible() and not a.get_animated()]
    return sorted(artists, key=lambda a: a.get_zorder())


@contextlib.contextmanager
def _frame_only(ax: Axes, content: list[Artist]) -> Iterator[None]:
    """Hide ``ax``'s content for one draw of its frame.

    The titles are blanked rather than hidden: matplotlib would place a hidden
    title as if it overlapped the axes and move it. Blank, they stay where a
    redraw over a kept frame finds them.
    """
    titles = {title: title.get_text() for title in _titles(ax)}
    hidden = [artist for artist in content if artist not in titles]
    for artist in hidden:
        artist.set_visible(False)
    for title in titles:
        title.set_text("")
    try:
        yield
    finally:
        for artist in hidden:
            artist.set_visible(True)
        for title, text in titles.items():
            title.set_text(text)


def _frame_key(ax: Axes) -> tuple:
    """Everything the frame's pixels depend on that a draw function sets."""
    key: list[Any] = [ax.get_position(original=True).bounds, ax.get_aspect(), ax.get_facecolor(),
                      ax.get_xlim(), ax.get_ylim(), ax.get_axisbelow(),
                      tuple((side, spine.get_visible()) for side, spine in ax.spines.items())]
    for axis in (ax.xaxis, ax.yaxis):
        major, minor = axis.get_majorticklocs(), axis.get_minorticklocs()
        key += [axis.get_scale(), axis.get_label_text(), tuple(major), tuple(minor),
                tuple(axis.get_major_formatter().format_ticks(major)),
                tuple(axis.get_minor_formatter().format_ticks(minor)),
                axis.get_tick_params(which="major").get("gridOn")]
    return tuple(key)




# Room left around the solved layout for labels that grow as the sliders move
# (a tick label ``10`` becoming ``1e+03``, or one landing on the right edge), as
# fractions of the figure.
_SLACK = {"left": 0.025, "bottom": 0.01, "right": 0.02, "top": 0.01}


def solved_box(fig: Figure, ax: Axes) -> list[float]:
    """The position constrained layout gives ``ax``, with some slack for growing labels."""
    fig.draw_without_rendering()
    box = ax.get_position(original=True)
    left, bottom = box.x0 + _SLACK["left"], box.y0 + _SLACK["bottom"]
    right, top = box.x1 - _SLACK["right"], box.y1 - _SLACK["top"]
    return [left, bottom, right - left, top - bottom]


def live_axes(ax: Axes) -> None:
    """Light axes for a live figure: about five major ticks per axis (each tick is
    several artists to make and draw); log axes labelled ``1e-05`` (no mathtext to
    typeset), without minor ticks."""
    for axis in (ax.xaxis, ax.yaxis):
        locator = axis.get_major_locator()
        if isinstance(locator, MaxNLocator):  # also AutoLocator, and integer tick locators
            locator.set_params(nbins=5)
        elif axis.get_scale() == "log":
            axis.set_major_locator(LogLocator(numticks=6))
            axis.set_major_formatter(LogFormatter())
            axis.set_minor_locator(NullLocator())




def _titles(ax: Axes) -> list[Text]:
    """The axes' three titles (centre, left, right): its own Text children that are not ``ax.texts``."""
    return [a for a in ax.get_children() if isinstance(a, Text) and a not in ax.texts]
