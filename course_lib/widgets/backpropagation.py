"""The chapter's explorer (:func:`gradient_flow_explorer`): sliders over the
computations of :mod:`course_lib.compute.backpropagation`, drawn by :mod:`course_lib.plots.backpropagation`.

The computations' public names are re-exported here, as the chapters use them.
"""

from __future__ import annotations

import functools

import ipywidgets as W

from ..compute.backpropagation import (  # the computations; re-exported for the chapters
    INITS,
    RECOMMENDED_INIT,
    FiniteDifferenceErrors,
    GradientFlow,
    build_mlp,
    finite_difference_errors,
    gradient_flow,
    gradient_flow_problem,
)
from ..layers import ACTIVATIONS  # the explorer's dropdown, by name
from ..plots import backpropagation as draw
from ._explorer import Explorer

__all__ = [
    "ACTIVATIONS",
    "INITS",
    "RECOMMENDED_INIT",
    "GradientFlow",
    "build_mlp",
    "gradient_flow_problem",
    "gradient_flow",
    "gradient_flow_explorer",
    "FiniteDifferenceErrors",
    "finite_difference_errors",
]


def gradient_flow_explorer(activation: str = "sigmoid", depth: int = 10,
                           init: str = "auto") -> Explorer:
    """Activation, depth and initialisation -> the weight-gradient norm of every hidden layer.

    The axes stay fixed (up to the deepest network the slider allows), so moving a
    slider shows the gradients themselves move.
    """
    max_depth = 20
    controls = {
        "activation": W.Dropdown(options=list(ACTIVATIONS), value=activation,
                                 description="activation"),
        "depth": W.IntSlider(value=depth, min=2, max=max_depth, step=1, description="depth",
                             continuous_update=False),
        "init": W.Dropdown(options=list(INITS), value=init, description="init"),
    }
    return Explorer(gradient_flow, functools.partial(draw.plot_gradient_flow, max_depth=max_depth),
                    controls,
                    title="How big is each layer's gradient at initialisation?", name="gradient-flow",
                    grid={"depth": [2, 3, 4, 5, 6, 8, 10, 12, 15, 20]})
