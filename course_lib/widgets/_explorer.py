"""The :class:`Explorer`: sliders -> pure compute function -> draw function."""

from __future__ import annotations

import io
import itertools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import ipywidgets as W
import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import LogFormatter, NullFormatter

from ..plots import small_multiples

__all__ = ["Explorer", "render_png"]

# Margins of a live figure, as fractions of its size: room for tick labels, axis
# labels and a title on a single Axes.
_LIVE_MARGINS = {"left": 0.11, "right": 0.97, "bottom": 0.13, "top": 0.91}


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
        """A new figure drawn for the current values (with overrides).

        Live figures use fixed margins instead of the book's constrained layout:
        solving the layout costs 40-70 ms per redraw on a two-core machine, most of
        the 100 ms a slider move may take (see bench/widget_speed.py). For the same
        reason their log-scale axes are labelled ``1e-05`` rather than as
        typeset powers of ten, which matplotlib parses as mathtext on every draw.
        """
        fig = plt.figure(figsize=self.figsize, layout="none")
        fig.subplots_adjust(**_LIVE_MARGINS)
        ax = fig.add_subplot()
        self.draw(self.result(**overrides), ax)
        _plain_log_labels(ax)
        return fig

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

    Its margins are fixed, so this skips the inline backend's ``bbox_inches="tight"``
    pass (an extra layout of every text) and uses light PNG compression: together
    about 20 ms of a slider move (see bench/widget_speed.py).
    """
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", pil_kwargs={"compress_level": 1})
    plt.close(fig)
    return buffer.getvalue()


_MAX_PRECOMPUTED = 64


def _plain_log_labels(ax: Axes) -> None:
    """Label log-scale axes with plain text (``1e-05``) instead of mathtext."""
    for axis in (ax.xaxis, ax.yaxis):
        if axis.get_scale() == "log":
            axis.set_major_formatter(LogFormatter())
            axis.set_minor_formatter(NullFormatter())


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
