"""The :class:`Explorer`: sliders -> pure compute function -> draw function."""

from __future__ import annotations

import contextlib
import io
import itertools
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import ipywidgets as W
import numpy as np
import PIL.Image
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import LogFormatter, LogLocator, MaxNLocator, NullLocator

from ..plots import small_multiples

__all__ = ["Explorer", "sample_values"]

class Explorer:
    """An interactive figure: ``draw(compute(**slider_values), ax)`` redrawn on every change.

    Parameters
    ----------
    compute : pure function of the slider values (keyword arguments) returning a
        result object; no plotting, no ipywidgets, so tests can call it directly
    draw : ``draw(result, ax)`` draws one result on one ``Axes``
    controls : slider (or dropdown, checkbox) per keyword argument of ``compute``;
        their initial values are the default settings
    fixed : further keyword arguments passed to ``compute`` unchanged
    title : shown above the controls
    figsize : size of the interactive figure, inches
    precompute : compute every combination of the controls' values now, so that a
        slider move only draws. For explorers whose compute function trains a
        model; every control must then offer a finite list of options
        (``SelectionSlider``, ``Dropdown``, ``Checkbox``, ...), at most 64
        combinations.
    """

    def __init__(
        self,
        compute: Callable[..., Any],
        draw: Callable[[Any, Axes], None],
        controls: Mapping[str, W.ValueWidget],
        *,
        fixed: Mapping[str, Any] | None = None,
        title: str = "",
        figsize: tuple[float, float] = (6.4, 4.0),
        precompute: bool = False,
    ) -> None:
        self.compute = compute
        self.draw = draw
        self.controls = dict(controls)
        self.fixed = dict(fixed or {})
        self.title = title
        self.figsize = figsize
        # Results by control values: the latest few, or every combination if precomputed.
        self._results: OrderedDict[tuple, Any] = OrderedDict()
        self._keep_all = precompute
        self._live: _LiveFigure | None = None  # the figure every slider move redraws
        if precompute:
            for combination in _combinations(self.controls):
                self.result(**combination)

    def values(self) -> dict[str, Any]:
        """The current slider values (initially the defaults) plus the fixed arguments."""
        return {**self.fixed, **{name: c.value for name, c in self.controls.items()}}

    def result(self, **overrides: Any) -> Any:
        """``compute`` at the current values, with some of them overridden.

        ``compute`` is pure, so results are kept by control values: moving a
        slider back to a value seen lately only draws. Overriding a fixed
        argument, or a control value that cannot be a dict key, computes afresh.
        """
        values = {**self.values(), **overrides}
        key = tuple(values[name] for name in self.controls)
        if any(name not in self.controls for name in overrides) or not _hashable(key):
            return self.compute(**values)
        if key in self._results:
            self._results.move_to_end(key)
            return self._results[key]
        result = self._results[key] = self.compute(**values)
        if not self._keep_all and len(self._results) > _KEPT_RESULTS:
            self._results.popitem(last=False)
        return result

    def figure(self, **overrides: Any) -> Figure:
        """The live figure drawn for the current values (with overrides); see :meth:`figure_for`."""
        return self.figure_for(self.result(**overrides))

    def figure_for(self, result: Any) -> Figure:
        """The explorer's live figure, cleared and redrawn to show ``result``.

        A slider move must redraw in well under 100 ms, and on a two-core machine
        matplotlib's layout, ticks and text take most of that (see
        bench/widget_speed.py). So every redraw reuses one figure (see
        :class:`_LiveFigure`), whose layout is solved once, by constrained layout
        at the default values; axes get fewer ticks (:func:`_live_axes`). Each
        call returns that same figure; :meth:`render` turns it into the PNG the
        widget shows.
        """
        if self._live is None:
            self._live = _LiveFigure(self.figsize, self._layout_box())
        ax = self._live.clear()
        self.draw(result, ax)
        _live_axes(ax)
        return self._live.figure

    def _layout_box(self) -> list[float]:
        """The live axes' ``[left, bottom, width, height]``: constrained layout at the defaults."""
        fig = Figure(figsize=self.figsize, layout="constrained")
        ax = fig.add_subplot()
        self.draw(self.result(), ax)
        _live_axes(ax)
        return _solved_box(fig, ax)

    def render(self) -> bytes:
        """The live figure as last drawn by :meth:`figure_for`, as PNG bytes."""
        if self._live is None:
            raise RuntimeError("nothing drawn yet: call figure() or figure_for(result) first")
        return self._live.png()

    def png(self, **overrides: Any) -> bytes:
        """The live figure for the current values (with overrides), as PNG bytes."""
        self.figure(**overrides)
        return self.render()

    def _update(self, **values: Any) -> None:
        from IPython.display import Image, display

        display(Image(data=self.png(**values)))

    def widget(self) -> W.Widget:
        """The controls above a live output area; display it in a notebook cell."""
        output = W.interactive_output(self._update, self.controls)
        header = [W.HTML(f"<b>{self.title}</b>")] if self.title else []
        controls = W.HBox(list(self.controls.values()), layout=W.Layout(flex_flow="row wrap"))
        return W.VBox([*header, controls, output])

    def small_multiples(self, name: str, values: Sequence[Any], *, label: str | None = None,
                        ncols: int | None = None, sharey: bool = False) -> Figure:
        """The static fallback: one panel per value of the control ``name``.

        Every other control stays at its current value.
        """
        if name not in self.controls and name not in self.fixed:
            raise ValueError(f"no control named {name!r}; controls are {list(self.controls)}")
        label = label or name
        results = [self.result(**{name: v}) for v in values]
        titles = [f"{label} = {v:g}" if isinstance(v, float) else f"{label} = {v}" for v in values]
        return small_multiples(self.draw, results, titles, ncols=ncols, sharey=sharey)


class _LiveFigure:
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
        return _encode_png(canvas)


def _encode_png(canvas: FigureCanvasAgg) -> bytes:
    """The canvas's pixels as a PNG with a 256-colour palette and light compression.

    A plot has few colours (lines, markers, text and their antialiased edges), so
    a palette loses nothing visible; the PNG is about a third of the size of a
    full-colour one and, with zlib's fastest level, encodes in half the time.
    """
    image = PIL.Image.frombuffer("RGBA", canvas.get_width_height(), canvas.buffer_rgba(),
                                 "raw", "RGBA", 0, 1)
    palette = image.convert("RGB").quantize(256, method=PIL.Image.Quantize.FASTOCTREE)
    buffer = io.BytesIO()
    palette.save(buffer, format="png", compress_level=1)
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
    titles = {title: title.get_text() for title in (ax.title, ax._left_title, ax._right_title)}
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


def _hashable(key: tuple) -> bool:
    try:
        hash(key)
    except TypeError:
        return False
    return True


def sample_values(control: W.ValueWidget, n: int = 5) -> list[Any]:
    """Up to ``n`` values a learner can move ``control`` to, its current value excluded.

    Spread over the control's range (every option of a selection, both states of
    a checkbox); tests and bench/widget_speed.py move the sliders through these.
    """
    if isinstance(control, W.Checkbox):
        return [not control.value]
    if isinstance(control, W.FloatLogSlider):
        values = [float(v) for v in control.base ** np.linspace(control.min, control.max, n)]
    elif isinstance(control, W.IntSlider):
        values = sorted({int(v) for v in np.linspace(control.min, control.max, n)})
    elif isinstance(control, W.FloatSlider):
        values = [float(v) for v in np.linspace(control.min, control.max, n)]
    elif getattr(control, "options", None) is not None:
        values = _options("", control)
    else:
        raise TypeError(f"no values known for a {type(control).__name__}")
    values = [v for v in values if v != control.value]
    step = max(1, len(values) // n)
    return values[::step][:n]


_MAX_PRECOMPUTED = 64
_KEPT_RESULTS = 32  # results an explorer keeps of its latest slider values
_KEPT_FRAMES = 8  # frames (about 1 MB of pixels each) a live figure keeps


# Room left around the solved layout for labels that grow as the sliders move
# (a tick label ``10`` becoming ``1e+03``, or one landing on the right edge), as
# fractions of the figure.
_SLACK = {"left": 0.025, "bottom": 0.01, "right": 0.02, "top": 0.01}


def _solved_box(fig: Figure, ax: Axes) -> list[float]:
    """The position constrained layout gives ``ax``, with some slack for growing labels."""
    fig.draw_without_rendering()
    box = ax.get_position(original=True)
    left, bottom = box.x0 + _SLACK["left"], box.y0 + _SLACK["bottom"]
    right, top = box.x1 - _SLACK["right"], box.y1 - _SLACK["top"]
    return [left, bottom, right - left, top - bottom]


def _live_axes(ax: Axes) -> None:
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


def _options(name: str, control: W.ValueWidget) -> list[Any]:
    if isinstance(control, W.Checkbox):
        return [False, True]
    options = getattr(control, "options", None)
    if options is None:
        raise ValueError(
            f"cannot precompute control {name!r} ({type(control).__name__}): it has no finite "
            "list of values; use a SelectionSlider or Dropdown"
        )
    # options are plain values or (label, value) pairs
    return [o[1] if isinstance(o, tuple) else o for o in options]


def _combinations(controls: Mapping[str, W.ValueWidget]) -> list[dict[str, Any]]:
    """Every combination of the controls' values, as keyword arguments."""
    names = list(controls)
    grids = [_options(name, controls[name]) for name in names]
    count = 1
    for grid in grids:
        count *= len(grid)
    if count > _MAX_PRECOMPUTED:
        raise ValueError(f"precompute would run compute {count} times (at most {_MAX_PRECOMPUTED})")
    return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*grids)]
