"""The :class:`Explorer`: sliders -> pure compute function -> draw function."""

from __future__ import annotations

import io
import itertools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import ipywidgets as W
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import LogFormatter, LogLocator, NullLocator

from ..plots import small_multiples

__all__ = ["Explorer", "render_png", "sample_values"]

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
        self._cache: dict[tuple, Any] | None = None
        self._box: list[float] | None = None  # the live axes' [left, bottom, width, height]
        if precompute:
            self._cache = {}
            for combination in _combinations(self.controls):
                self.result(**combination)

    def values(self) -> dict[str, Any]:
        """The current slider values (initially the defaults) plus the fixed arguments."""
        return {**self.fixed, **{name: c.value for name, c in self.controls.items()}}

    def result(self, **overrides: Any) -> Any:
        """``compute`` at the current values, with some of them overridden."""
        values = {**self.values(), **overrides}
        if self._cache is None:
            return self.compute(**values)
        key = tuple(values[name] for name in self.controls)
        if key not in self._cache:
            self._cache[key] = self.compute(**values)
        return self._cache[key]

    def figure(self, **overrides: Any) -> Figure:
        """A new live figure drawn for the current values (with overrides)."""
        return self.figure_for(self.result(**overrides))

    def figure_for(self, result: Any) -> Figure:
        """A new live figure showing ``result``: one ``Axes``, drawn by ``draw``.

        A slider move must redraw in well under 100 ms, and on a two-core machine
        matplotlib's layout and text rendering take most of that (see
        bench/widget_speed.py). So the layout is solved once per explorer, by
        constrained layout at the default values, and every live figure reuses
        the axes' position. Log-scale axes get plain labels (``1e-05``: no
        mathtext to parse on each redraw) and no minor ticks.
        """
        box = self._layout_box()
        fig = plt.figure(figsize=self.figsize, layout="none")
        ax = fig.add_axes(box)
        self.draw(result, ax)
        _light_log_axes(ax)
        return fig

    def _layout_box(self) -> list[float]:
        """The live axes' ``[left, bottom, width, height]``, solved on first use."""
        if self._box is None:
            fig = plt.figure(figsize=self.figsize, layout="constrained")
            ax = fig.add_subplot()
            self.draw(self.result(), ax)
            _light_log_axes(ax)
            self._box = _solved_box(fig, ax)
            plt.close(fig)
        return self._box

    def png(self, **overrides: Any) -> bytes:
        """The live figure for the current values (with overrides), rendered to PNG."""
        return render_png(self.figure(**overrides))

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


def render_png(fig: Figure) -> bytes:
    """Render a live figure to PNG bytes and close it.

    Its layout is already solved, so this skips the inline backend's
    ``bbox_inches="tight"`` pass (an extra layout of every text) and uses light PNG
    compression: together about 20 ms of a slider move (see bench/widget_speed.py).
    """
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", pil_kwargs={"compress_level": 1})
    plt.close(fig)
    return buffer.getvalue()


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


def _light_log_axes(ax: Axes) -> None:
    """Log-scale axes: at most 7 major ticks, labelled ``1e-05`` (not mathtext); no minor ticks."""
    for axis in (ax.xaxis, ax.yaxis):
        if axis.get_scale() == "log":
            axis.set_major_locator(LogLocator(numticks=7))
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
