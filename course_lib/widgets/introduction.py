"""The chapter's explorers (:func:`approximation_explorer`, :func:`learning_rate_explorer`): sliders over the
computations of :mod:`course_lib.compute.introduction`, drawn by :mod:`course_lib.plots.introduction`.

The computations' public names are re-exported here, as the chapters use them.
"""

from __future__ import annotations

import ipywidgets as W
from numpy.typing import ArrayLike

from ..compute.introduction import (  # the computations; re-exported for the chapters
    HIDDEN_UNITS,
    CurveFit,
    DescentPath,
    SGDPath,
    _line_data,
    descend_line,
    fit_curve,
    line_loss,
    line_loss_grad,
    sgd_line,
    target_curve,
    train_with_batch_size,
)
from ..plots import introduction as plots
from ._explorer import Explorer

__all__ = [
    "target_curve",
    "CurveFit",
    "fit_curve",
    "line_loss",
    "line_loss_grad",
    "DescentPath",
    "descend_line",
    "SGDPath",
    "sgd_line",
    "train_with_batch_size",
    "approximation_explorer",
    "learning_rate_explorer",
]


# -------------------------------------------------------------------- explorers


def approximation_explorer(*, epochs: int = 2000, seed: int = 0) -> Explorer:
    """Slider over the number of hidden units; draws :func:`fit_curve`'s fit against :math:`f^*`."""
    controls = {
        "hidden_units": W.SelectionSlider(options=HIDDEN_UNITS, value=2, description="hidden units"),
    }
    # Training takes 0.2-0.4 s per width: train every width once, up front.
    return Explorer(fit_curve, plots.draw_curve_fit, controls, fixed={"epochs": epochs, "seed": seed},
                    title="A one-hidden-layer network approximating f*(x) = sin 2x + 0.3x",
                    precompute=True, name="approximation")  # fmt: skip


def learning_rate_explorer(x: ArrayLike, y: ArrayLike, *, w0: float = -1.0, n_steps: int = 10) -> Explorer:
    """Slider over the learning rate; draws :func:`descend_line`'s iterates on the loss parabola."""
    x, y = _line_data(x, y)
    controls = {
        "lr": W.FloatSlider(value=0.3, min=0.0, max=1.2, step=0.05, description="learning rate",
                            readout_format=".2f"),
    }  # fmt: skip
    return Explorer(descend_line, plots.draw_descent_path, controls,
                    fixed={"x": x, "y": y, "w0": w0, "n_steps": n_steps},
                    title="Gradient descent on J(w) = mean((w x - y)^2)", name="learning-rate",
                    # every value of the slider: the steps at which GD zig-zags and diverges
                    grid={"lr": [round(0.05 * k, 2) for k in range(25)]})  # fmt: skip
