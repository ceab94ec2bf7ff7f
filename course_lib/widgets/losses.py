"""The chapter's explorers (:func:`outlier_explorer`, :func:`logit_explorer`): sliders over the
computations of :mod:`course_lib.compute.losses`, drawn by :mod:`course_lib.plots.losses`.

The computations' public names are re-exported here, as the chapters use them.
"""

from __future__ import annotations

import ipywidgets as W

from ..compute.losses import (  # the computations; re-exported for the chapters
    LineFits,
    LogitLosses,
    constant_descent,
    constant_losses,
    lad_line,
    largest_stable_lr,
    logit_losses,
    ols_line,
    outlier_fits,
)
from ..plots.losses import draw_line_fits, draw_logit_losses
from ._explorer import Explorer

__all__ = [
    "LineFits",
    "LogitLosses",
    "ols_line",
    "lad_line",
    "outlier_fits",
    "logit_losses",
    "constant_losses",
    "constant_descent",
    "largest_stable_lr",
    "outlier_explorer",
    "logit_explorer",
]


# --- the explorers ---------------------------------------------------------------


def outlier_explorer() -> Explorer:
    """Sliders for one outlier's y and x; the figure shows the MSE and the MAE line."""
    controls = {
        "outlier_y": W.FloatSlider(value=30.0, min=-20.0, max=40.0, step=1.0, description="outlier y"),
        "outlier_x": W.FloatSlider(value=4.5, min=0.0, max=10.0, step=0.5, description="outlier x"),
    }
    return Explorer(outlier_fits, draw_line_fits, controls, title="One outlier: MSE line vs MAE line",
                    name="outlier", grid={"outlier_y": [-20.0 + 5 * k for k in range(13)],
                                          "outlier_x": [0.0, 1.5, 3.0, 4.5, 6.0, 7.5, 9.0, 10.0]})


def logit_explorer() -> Explorer:
    """A logit slider and a target selector; the figure shows BCE and squared error with tangents."""
    controls = {
        "z": W.FloatSlider(value=-4.0, min=-7.0, max=7.0, step=0.5, description="logit z"),
        "target": W.Dropdown(options=[("y = 1", 1.0), ("y = 0", 0.0)], value=1.0, description="target"),
    }
    return Explorer(logit_losses, draw_logit_losses, controls,
                    title="Loss of one prediction p = σ(z), and its slope in z", name="logit",
                    grid={"z": [-7.0 + 0.5 * k for k in range(29)]})  # every slider value
