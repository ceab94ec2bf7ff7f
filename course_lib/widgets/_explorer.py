"""The :class:`Explorer`: sliders -> pure compute function -> draw function."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import ipywidgets as W
import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..plots import small_multiples

__all__ = ["Explorer"]

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
    ) -> None:
        self.compute = compute
        self.draw = draw
        self.controls = dict(controls)
        self.fixed = dict(fixed or {})
        self.title = title
        self.figsize = figsize

    def values(self) -> dict[str, Any]:
        """The current slider values (initially the defaults) plus the fixed arguments."""
        return {**self.fixed, **{name: c.value for name, c in self.controls.items()}}

    def result(self, **overrides: Any) -> Any:
        """``compute`` at the current values, with some of them overridden."""
        return self.compute(**{**self.values(), **overrides})

    def figure(self, **overrides: Any) -> Figure:
        """A new figure drawn for the current values (with overrides).

        Live figures use fixed margins instead of the book's constrained layout:
        solving the layout costs 40-70 ms per redraw on a two-core machine, most of
        the 100 ms a slider move may take (see bench/widget_speed.py).
        """
        fig = plt.figure(figsize=self.figsize, layout="none")
        fig.subplots_adjust(**_LIVE_MARGINS)
        ax = fig.add_subplot()
        self.draw(self.result(**overrides), ax)
        return fig

    def _update(self, **values: Any) -> None:
        self.figure(**values)
        plt.show()

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
