"""The chapter's explorers (:func:`linear_gd_loss_explorer`, :func:`linear_gd_path_explorer`,
:func:`logistic_gd_explorer`): sliders over the computations
of :mod:`course_lib.compute.regression`, drawn by :mod:`course_lib.plots.regression`.

The computations' public names are re-exported here, as the chapters use them.
"""

from __future__ import annotations

import ipywidgets as W

from ..compute.regression import (  # the computations; re-exported for the chapters
    LINE_LRS,
    LOGISTIC_ITERS,
    LOGISTIC_LRS,
    SITE_ITERS,
    CheckpointCurve,
    LinearGDResult,
    LogisticGDResult,
    linear_gd,
    logistic_gd,
    logistic_gd_checkpoints,
    run_gd,
)
from ..plots import regression as draw
from ._explorer import Background, Explorer

__all__ = [
    "LinearGDResult",
    "LogisticGDResult",
    "linear_gd",
    "logistic_gd",
    "run_gd",
    "CheckpointCurve",
    "logistic_gd_checkpoints",
    "linear_gd_loss_explorer",
    "linear_gd_path_explorer",
    "logistic_gd_explorer",
    "LINE_LRS",
    "LOGISTIC_LRS",
    "LOGISTIC_ITERS",
]


def _lr_slider(value: float, options: tuple[float, ...]) -> W.SelectionSlider:
    return W.SelectionSlider(options=list(options), value=value, description="lr",
                             continuous_update=False)


def _linear_gd_controls(lr: float, n_iter: int) -> dict[str, W.ValueWidget]:
    """The sliders of both linear-regression explorers, at their own defaults."""
    return {
        "lr": _lr_slider(lr, LINE_LRS),
        "n_iter": W.IntSlider(value=n_iter, min=1, max=300, step=1, description="n_iter",
                              continuous_update=False),
        "standardize": W.Checkbox(value=False, description="standardize x"),
    }


def linear_gd_loss_explorer() -> Explorer:
    """The loss curve of gradient descent on a line, for a learning rate and a number of steps."""
    return Explorer(
        linear_gd,
        draw.draw_excess_loss,
        _linear_gd_controls(lr=0.05, n_iter=100),
        title="Gradient descent on the MSE of a line: the loss still to be removed",
        name="linear-gd-loss", grid={"n_iter": SITE_ITERS},
    )


def linear_gd_path_explorer() -> Explorer:
    """The path of gradient descent on the contours of the MSE, raw or standardized feature."""
    return Explorer(
        linear_gd,
        draw.draw_gd_path,
        _linear_gd_controls(lr=0.095, n_iter=40),
        title="Gradient descent on the MSE of a line: the path in parameter space",
        figsize=(5.0, 4.6), name="linear-gd-path", grid={"n_iter": SITE_ITERS},
        # the contours depend on the data only: the site ships them once per setting
        background=Background(("standardize",), draw.draw_gd_contours),
    )


def logistic_gd_explorer() -> Explorer:
    """The decision boundary of logistic regression after ``n_iter`` steps at learning rate ``lr``."""
    return Explorer(
        logistic_gd,
        draw.draw_logistic_boundary,
        {
            "lr": W.SelectionSlider(options=list(LOGISTIC_LRS), value=1.0, description="lr",
                                    continuous_update=False),
            "n_iter": W.SelectionSlider(options=list(LOGISTIC_ITERS), value=10,
                                        description="n_iter", continuous_update=False),
        },
        title="Logistic regression by gradient descent: the decision boundary",
        figsize=(5.4, 4.4), name="logistic-gd",
        inactive=lambda lr, n_iter: ({"lr": "no effect at n_iter = 0: no step is taken"}
                                     if n_iter == 0 else {}),
    )
