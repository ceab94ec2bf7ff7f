"""The :class:`Explorer`: controls -> pure compute function -> draw function.

One explorer serves three places: the live ipywidgets figure of a notebook
(:meth:`Explorer.widget`), the kernel-free explorer of the static site (its
frames precomputed on :meth:`Explorer.site_grid` by ``course_lib.widgets.site``),
and the tests, which call ``compute`` directly.
"""

from __future__ import annotations

import itertools
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import ipywidgets as W
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..plots import small_multiples
from ._live import LiveFigure, live_axes, solved_box

__all__ = ["Explorer", "Background", "sample_values"]


@dataclass(frozen=True)
class Background:
    """The part of an explorer's picture that only some controls change.

    On the static site the picture is shipped in two layers: one background per
    combination of the ``depends_on`` controls (e.g. the contours of a loss
    surface), and per combination of all controls only the pixels that differ
    from it. ``draw(result, ax)`` draws the background alone (limits and labels
    included); it must depend on nothing but the ``depends_on`` controls.
    """

    depends_on: tuple[str, ...]
    draw: Callable[[Any, Axes], None]


class Explorer:
    """An interactive figure: ``draw(compute(**control_values), ax)`` redrawn on every change.

    Parameters
    ----------
    compute : pure function of the control values (keyword arguments) returning a
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
    name : the explorer's name on the site (``book_explorers()`` key, a slug)
    grid : the values the static site offers for each continuous slider
        (``FloatSlider``, ``IntSlider``, ``FloatLogSlider``); controls with a
        finite list of options offer all of them. Every grid must contain the
        control's default and lie in its range.
    inactive : ``inactive(**values) -> {control: reason}``, the controls that
        have no effect at these values (e.g. momentum β while plain GD is
        selected). They are shown disabled, with the reason, in the notebook and
        on the site.
    background : what of the picture only some controls change (see
        :class:`Background`); lets the site ship that part once.
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
        name: str = "",
        grid: Mapping[str, Sequence[Any]] | None = None,
        inactive: Callable[..., Mapping[str, str]] | None = None,
        background: Background | None = None,
    ) -> None:
        self.compute = compute
        self.draw = draw
        self.controls = dict(controls)
        self.fixed = dict(fixed or {})
        self.title = title
        self.figsize = figsize
        self.name = name
        self._grid = {k: list(v) for k, v in (grid or {}).items()}
        self._inactive = inactive
        self.background = background
        self._defaults = {name: c.value for name, c in self.controls.items()}
        unknown = set(self._grid) - set(self.controls)
        if background is not None:
            unknown |= set(background.depends_on) - set(self.controls)
        if unknown:
            raise ValueError(f"grid or background names unknown controls {sorted(unknown)}; "
                             f"controls are {list(self.controls)}")
        # Results by control values: the latest few, or every combination if precomputed.
        self._results: OrderedDict[tuple, Any] = OrderedDict()
        self._keep_all = precompute
        self._live: LiveFigure | None = None  # the figure every slider move redraws
        if precompute:
            for combination in _combinations(self.controls):
                self.result(**combination)

    def values(self) -> dict[str, Any]:
        """The current slider values (initially the defaults) plus the fixed arguments."""
        return {**self.fixed, **{name: c.value for name, c in self.controls.items()}}

    def defaults(self) -> dict[str, Any]:
        """The controls' initial values (what the explorer shows first)."""
        return dict(self._defaults)

    def inactive_controls(self, **overrides: Any) -> dict[str, str]:
        """The controls with no effect at the current values (with overrides): name -> reason."""
        if self._inactive is None:
            return {}
        values = {**self.values(), **overrides}
        found = dict(self._inactive(**{name: values[name] for name in self.controls}))
        unknown = set(found) - set(self.controls)
        if unknown:
            raise ValueError(f"inactive() names unknown controls {sorted(unknown)}")
        return found

    def site_grid(self) -> dict[str, list[Any]]:
        """The values each control takes on the static site, in order (see ``grid``)."""
        grids = {}
        for name, control in self.controls.items():
            if name in self._grid:
                values = self._grid[name]
                _check_in_range(name, control, values)
            elif _is_continuous(control):
                raise ValueError(f"explorer {self.name or self.title!r}: control {name!r} "
                                 f"({type(control).__name__}) needs a declared grid of site values")
            else:
                values = _options(name, control)
            if control.value not in values:
                raise ValueError(f"control {name!r}: the grid {values} lacks its default {control.value!r}")
            if len(set(map(repr, values))) != len(values):
                raise ValueError(f"control {name!r}: the grid {values} repeats a value")
            grids[name] = values
        return grids

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

    def figure_for(self, result: Any, draw: Callable[[Any, Axes], None] | None = None) -> Figure:
        """The explorer's live figure, cleared and redrawn to show ``result``.

        A slider move must redraw in well under 100 ms, and on a two-core machine
        matplotlib's layout, ticks and text take most of that (see
        bench/widget_speed.py). So every redraw reuses one figure (see
        :class:`~course_lib.widgets._live.LiveFigure`), whose layout is solved
        once, by constrained layout at the default values; axes get fewer ticks.
        Each call returns that same figure; :meth:`render` turns it into the PNG
        the widget shows. ``draw`` replaces the explorer's draw function for
        this call (the site draws backgrounds this way).
        """
        if self._live is None:
            self._live = LiveFigure(self.figsize, self._layout_box())
        ax = self._live.clear()
        (draw or self.draw)(result, ax)
        live_axes(ax)
        return self._live.figure

    def _layout_box(self) -> list[float]:
        """The live axes' ``[left, bottom, width, height]``: constrained layout at the defaults."""
        fig = Figure(figsize=self.figsize, layout="constrained")
        ax = fig.add_subplot()
        self.draw(self.result(**self.defaults()), ax)
        live_axes(ax)
        return solved_box(fig, ax)

    def render(self) -> bytes:
        """The live figure as last drawn by :meth:`figure_for`, as PNG bytes."""
        if self._live is None:
            raise RuntimeError("nothing drawn yet: call figure() or figure_for(result) first")
        return self._live.png()

    def render_rgba(self) -> np.ndarray:
        """The live figure as last drawn, as ``(height, width, 4)`` uint8 pixels."""
        self.render()
        return self._live.rgba()  # type: ignore[union-attr]  # render() raised if None

    def png(self, **overrides: Any) -> bytes:
        """The live figure for the current values (with overrides), as PNG bytes."""
        self.figure(**overrides)
        return self.render()

    def _update(self, **values: Any) -> None:
        from IPython.display import Image, display

        self._show_inactive(values)
        display(Image(data=self.png(**values)))

    def _show_inactive(self, values: Mapping[str, Any]) -> None:
        """Disable the controls that have no effect now, with the reason as their tooltip."""
        inactive = self.inactive_controls(**values)
        for name, control in self.controls.items():
            control.disabled = name in inactive
            control.tooltip = inactive.get(name)

    def widget(self) -> W.Widget:
        """The controls above a live output area; display it in a notebook cell.

        On the static site, where no kernel runs, the same explorer is shown
        kernel-free instead (``course_lib.widgets.site``): the box also carries
        that explorer's HTML.
        """
        output = W.interactive_output(self._update, self.controls)
        header = [W.HTML(f"<b>{self.title}</b>")] if self.title else []
        controls = W.HBox(list(self.controls.values()), layout=W.Layout(flex_flow="row wrap"))
        return _ExplorerBox([*header, controls, output], explorer=self)

    def small_multiples(self, name: str, values: Sequence[Any], *, label: str | None = None,
                        ncols: int | None = None, sharey: bool = False) -> Figure:
        """The static figure: one panel per value of the control ``name``.

        Every other control stays at its current value.
        """
        if name not in self.controls and name not in self.fixed:
            raise ValueError(f"no control named {name!r}; controls are {list(self.controls)}")
        label = label or name
        results = [self.result(**{name: v}) for v in values]
        titles = [f"{label} = {v:g}" if isinstance(v, float) else f"{label} = {v}" for v in values]
        return small_multiples(self.draw, results, titles, ncols=ncols, sharey=sharey)


class _ExplorerBox(W.VBox):
    """The notebook widget, whose display also carries the site's kernel-free explorer.

    JupyterLab shows the live widget (its renderer ranks above HTML); the book's
    HTML builder is told not to render widget views (``_config.yml``), so the
    site shows the ``text/html`` part: the explorer's controls and first picture,
    which ``web/static/explorer.js`` brings to life.
    """

    def __init__(self, children: list[W.Widget], *, explorer: Explorer) -> None:
        super().__init__(children)
        self._explorer = explorer

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any] | None:
        from .site import explorer_html

        return {**super()._repr_mimebundle_(**kwargs), "text/html": explorer_html(self._explorer)}


def _hashable(key: tuple) -> bool:
    try:
        hash(key)
    except TypeError:
        return False
    return True


def _is_continuous(control: W.ValueWidget) -> bool:
    return isinstance(control, W.FloatSlider | W.IntSlider | W.FloatLogSlider)


def _check_in_range(name: str, control: W.ValueWidget, values: Sequence[Any]) -> None:
    if not values:
        raise ValueError(f"control {name!r}: the grid is empty")
    if isinstance(control, W.FloatLogSlider):
        low, high = control.base ** control.min, control.base ** control.max
    elif _is_continuous(control):
        low, high = control.min, control.max
    else:
        allowed = _options(name, control)
        bad = [v for v in values if v not in allowed]
        if bad:
            raise ValueError(f"control {name!r}: grid values {bad} are not among its options {allowed}")
        return
    bad = [v for v in values if not low - 1e-12 <= v <= high + 1e-12]
    if bad:
        raise ValueError(f"control {name!r}: grid values {bad} lie outside its range [{low:g}, {high:g}]")


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


def option_labels(control: W.ValueWidget) -> list[str]:
    """What a selection control shows for each of its options, in order."""
    if isinstance(control, W.Checkbox):
        return ["off", "on"]
    return [str(o[0]) if isinstance(o, tuple) else str(o) for o in control.options]


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
