"""The chapter's explorer (:func:`optimizer_explorer`): sliders over the
computations of :mod:`course_lib.compute.optimizers`, drawn by :mod:`course_lib.plots.optimizers`.

The computations' public names are re-exported here, as the chapters use them.
"""

from __future__ import annotations

import ipywidgets as W

from ..compute.minibatch import (
    BatchGradientError,
    BatchRun,
    batch_gradient_error,
    minibatch_runs,
    per_example_gradients,
)
from ..compute.optimizers import (  # the computations; re-exported for the chapters
    MOMENTUM_OPTIMIZERS,
    OPTIMIZER_NAMES,
    SURFACE_NAMES,
    Trajectory,
    adam_step_sizes,
    exact_line_search_quadratic,
    make_optimizer,
    make_surface,
    optimizer_trajectory,
    run_optimizer,
    steps_to_tolerance,
)
from ._explorer import Background, Explorer

__all__ = [
    "OPTIMIZER_NAMES", "MOMENTUM_OPTIMIZERS", "SURFACE_NAMES", "make_surface", "make_optimizer",
    "per_example_gradients", "BatchGradientError", "batch_gradient_error",
    "BatchRun", "minibatch_runs",
    "Trajectory", "run_optimizer", "optimizer_trajectory", "steps_to_tolerance",
    "adam_step_sizes", "exact_line_search_quadratic",
    "optimizer_explorer",
]  # fmt: skip


# ---------------------------------------------------------------- the explorer


def optimizer_explorer(n_steps: int = 150) -> Explorer:
    """Sliders for optimizer, learning rate, β, gradient noise and surface over a contour plot.

    Compute: :func:`optimizer_trajectory`; draw: ``plots.optimizers.draw_trajectory``.
    """
    from ..plots.optimizers import draw_trajectory, draw_trajectory_surface  # plots imports matplotlib

    style = {"description_width": "initial"}
    controls = {
        "optimizer": W.Dropdown(options=OPTIMIZER_NAMES, value="GD",
                                description="optimizer"),
        "surface": W.Dropdown(options=SURFACE_NAMES, value="quadratic", description="surface"),
        "lr": W.FloatLogSlider(value=0.03, base=10, min=-4, max=0, step=0.05,
                               description="learning rate", readout_format=".4f", style=style),
        "beta": W.FloatSlider(value=0.9, min=0.0, max=0.99, step=0.01,
                              description="momentum β", style=style),
        "noise": W.FloatSlider(value=0.0, min=0.0, max=10.0, step=0.5,
                               description="gradient noise σ", style=style),
    }  # fmt: skip
    return Explorer(optimizer_trajectory, draw_trajectory, controls,
                    fixed={"n_steps": n_steps, "seed": 0},
                    title="One optimizer on a 2-D loss surface", figsize=(6.4, 4.4),
                    name="optimizer-paths", grid=SITE_GRID, inactive=_inactive_beta,
                    # the contours depend on the surface only: the site ships them once per surface
                    background=Background(("surface",), draw_trajectory_surface))  # fmt: skip


#: The values the site offers for the continuous sliders. The learning rates
#: bracket GD's limit 2/L = 0.08 on the quadratic (0.079 zig-zags in, 0.085 out);
#: 6 optimizers x 4 surfaces x 13 x 4 x 3 combinations, 2,340 distinct pictures
#: (β does nothing for three of the optimizers). As pictures of the whole figure
#: that would be about 35 MB, over the site's budget; shipped as the pixels of the
#: path and labels over one contour background per surface, it is about 16 MB.
SITE_GRID = {
    "lr": [1e-4, 1e-3, 3e-3, 0.01, 0.02, 0.03, 0.05, 0.07, 0.079, 0.085, 0.1, 0.3, 1.0],
    "beta": [0.0, 0.5, 0.9, 0.99],
    "noise": [0.0, 2.0, 10.0],
}


def _inactive_beta(optimizer: str, **_: object) -> dict[str, str]:
    """β is the momentum of Momentum, Nesterov and Adam (β₁); the others have none."""
    if optimizer not in MOMENTUM_OPTIMIZERS:
        return {"beta": f"no effect with {optimizer}: it has no momentum"}
    return {}
