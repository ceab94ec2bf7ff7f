"""The Explorer shared by every widget: values, overrides, precomputation, PNG rendering."""

import ipywidgets as W
import matplotlib
import numpy as np
import pytest

from course_lib.widgets import Explorer

matplotlib.use("Agg")


class CountingCompute:
    def __init__(self):
        self.calls = []

    def __call__(self, a, flag, scale):
        self.calls.append((a, flag, scale))
        return np.linspace(0, 1, 5) * a * scale * (2 if flag else 1)


def _draw(result, ax):
    ax.plot(result)


def _controls(a_widget=None):
    return {
        "a": a_widget or W.SelectionSlider(options=[1, 2, 3], value=2),
        "flag": W.Checkbox(value=False),
    }


def test_result_uses_current_values_fixed_arguments_and_overrides():
    compute = CountingCompute()
    explorer = Explorer(compute, _draw, _controls(), fixed={"scale": 10.0})
    np.testing.assert_allclose(explorer.result(), np.linspace(0, 1, 5) * 20.0)
    np.testing.assert_allclose(explorer.result(a=3, flag=True), np.linspace(0, 1, 5) * 60.0)
    assert explorer.values() == {"scale": 10.0, "a": 2, "flag": False}


def test_precompute_computes_every_combination_once_and_reuses_it():
    compute = CountingCompute()
    explorer = Explorer(compute, _draw, _controls(), fixed={"scale": 1.0}, precompute=True)
    assert sorted(compute.calls) == sorted((a, f, 1.0) for a in (1, 2, 3) for f in (False, True))
    before = len(compute.calls)
    first = explorer.result(a=3, flag=True)
    assert explorer.result(a=3, flag=True) is first
    explorer.png(a=1)
    assert len(compute.calls) == before  # slider moves only draw


def test_precompute_refuses_continuous_or_huge_controls():
    with pytest.raises(ValueError, match="no finite list of values"):
        Explorer(CountingCompute(), _draw, _controls(W.FloatSlider(value=1.0)),
                 fixed={"scale": 1.0}, precompute=True)
    many = {f"c{i}": W.SelectionSlider(options=[0, 1, 2], value=0) for i in range(4)}
    with pytest.raises(ValueError, match="81 times"):
        Explorer(lambda **kw: 0, _draw, many, precompute=True)


def test_png_redraws_one_live_figure_outside_pyplot():
    import matplotlib.pyplot as plt

    explorer = Explorer(CountingCompute(), _draw, _controls(), fixed={"scale": 1.0})
    open_before = len(plt.get_fignums())
    with pytest.raises(RuntimeError, match="nothing drawn yet"):
        explorer.render()
    first = explorer.png(a=1)
    assert first[:8] == b"\x89PNG\r\n\x1a\n"
    fig = explorer.figure(a=3)
    assert explorer.figure(a=1) is fig  # every redraw reuses the figure
    assert len(fig.axes) == 1  # cleared, not drawn over
    assert explorer.render() == first  # same values, same picture
    assert explorer.png(a=3) != first
    assert len(plt.get_fignums()) == open_before  # nothing left open in pyplot


def test_results_are_kept_for_recent_values_and_never_for_overridden_fixed_arguments():
    compute = CountingCompute()
    explorer = Explorer(compute, _draw, _controls(), fixed={"scale": 1.0})
    first = explorer.result(a=1)
    assert explorer.result(a=1) is first and len(compute.calls) == 1
    np.testing.assert_allclose(explorer.result(a=1, scale=10.0), first * 10)  # not the kept one
    assert len(compute.calls) == 2
    for a in range(100):  # many other values push the oldest out
        explorer.result(a=a + 10)
    assert len(explorer._results) <= 32
    explorer.result(a=1)
    assert len(compute.calls) == 2 + 100 + 1


def test_book_explorers_lists_every_chapter_explorer():
    import inspect

    from course_lib.widgets import (
        backpropagation,
        book_explorers,
        introduction,
        losses,
        optimizers,
        practice,
        regression,
        regularization,
    )

    defined = {name for module in (introduction, regression, losses, backpropagation, optimizers,
                                   regularization, practice)
               for name, f in inspect.getmembers(module, inspect.isfunction)
               if name.endswith("_explorer") and f.__module__ == module.__name__}
    listed = {factory.__name__ for _, factory in book_explorers().values()}
    assert defined - {"learning_rate_explorer"} <= listed  # the one that needs data is wrapped
    assert all(isinstance(factory(), Explorer) for name, (_, factory) in book_explorers().items()
               if name in ("learning rate", "logit"))


def test_unhashable_control_values_are_computed_not_kept():
    calls = []

    def compute(v):
        calls.append(v)
        return np.asarray(v).sum()

    explorer = Explorer(compute, _draw, {"v": W.SelectionSlider(options=[("a", (1, 2)), ("b", (3, 4))],
                                                                 value=(1, 2))})
    assert explorer.result(v=[5, 6]) == 11 and explorer.result(v=[5, 6]) == 11
    assert calls == [[5, 6], [5, 6]]
    explorer.result()
    explorer.result()
    assert calls[2:] == [(1, 2)]  # hashable values are kept
