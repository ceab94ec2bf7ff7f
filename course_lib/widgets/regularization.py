"""The chapter's explorers (:func:`poly_ridge_explorer`, :func:`dropout_explorer`): sliders over the
computations of :mod:`course_lib.compute.regularization`, drawn by :mod:`course_lib.plots.regularization`.

The computations' public names are re-exported here, as the chapters use them.
"""

from __future__ import annotations

import ipywidgets as W

from ..compute.regularization import (  # the computations; re-exported for the chapters
    DROPOUT_RATES,
    LAMBDAS,
    DecayRace,
    DropoutFit,
    LearningCurve,
    PolyData,
    PolyFit,
    SparseProblem,
    Sweep,
    _default_poly_data,
    choose_penalty,
    decay_race,
    degree_sweep,
    fit_dropout_net,
    fit_poly_ridge,
    half_mse,
    lambda_sweep,
    learning_curve,
    make_poly_data,
    sparse_regression_data,
)
from ..plots import regularization as draw
from ._explorer import Explorer

__all__ = [
    "PolyData", "PolyFit", "Sweep", "LearningCurve", "SparseProblem", "DecayRace", "DropoutFit",
    "make_poly_data", "fit_poly_ridge", "lambda_sweep", "degree_sweep", "learning_curve",
    "sparse_regression_data", "choose_penalty", "decay_race", "fit_dropout_net", "half_mse",
    "poly_ridge_explorer", "dropout_explorer", "LAMBDAS", "DROPOUT_RATES",
]  # fmt: skip


def poly_ridge_explorer(data: PolyData | None = None) -> Explorer:
    """Sliders for the degree and λ of :func:`fit_poly_ridge`."""
    return Explorer(
        fit_poly_ridge, draw.draw_poly_fit,
        {
            "degree": W.IntSlider(value=15, min=1, max=15, description="degree",
                                  continuous_update=False),
            "lam": W.SelectionSlider(options=list(LAMBDAS), value=0.0, description="λ",
                                     continuous_update=False),
        },
        fixed={"data": data if data is not None else _default_poly_data()},
        title="Ridge regression of a polynomial: degree and λ",
        name="polynomial-ridge", grid={"degree": list(range(1, 16))},
    )  # fmt: skip


def dropout_explorer(data: PolyData | None = None) -> Explorer:
    """A slider for the dropout rate of :func:`fit_dropout_net`."""
    return Explorer(
        fit_dropout_net, draw.draw_dropout_fit,
        {"p": W.SelectionSlider(options=list(DROPOUT_RATES), value=0.0, description="p",
                                continuous_update=False)},
        fixed={"data": data if data is not None else _default_poly_data()},
        title="Dropout rate of a one-hidden-layer network", name="dropout",
        precompute=True,  # training takes 0.3-0.4 s per rate: train every rate once, up front
    )  # fmt: skip
