"""The chapter's explorers (:func:`schedule_explorer`, :func:`gradient_flow_explorer`): sliders over the
computations of :mod:`course_lib.compute.practice`, drawn by :mod:`course_lib.plots.practice`.

The computations' public names are re-exported here, as the chapters use them.
"""

from __future__ import annotations

import ipywidgets as W

from ..compute.practice import (  # the computations; re-exported for the chapters
    ACTIVATION_NAMES,
    CURVE_RECIPES,
    NORM_NAMES,
    SCHEDULE_NAMES,
    WARMUP_SCHEDULES,
    GradientFlow,
    ScheduleCurve,
    deep_net,
    gallery_run,
    gradient_flow,
    grid_points,
    make_scheduler,
    normed_mlp,
    random_points,
    schedule_curve,
    search_trial,
    train_deep_residual,
    train_normed,
    train_with_schedule,
)
from ._explorer import Explorer

__all__ = [
    "SCHEDULE_NAMES", "WARMUP_SCHEDULES", "make_scheduler", "ScheduleCurve", "schedule_curve",
    "train_with_schedule", "ACTIVATION_NAMES", "deep_net", "GradientFlow", "gradient_flow",
    "train_deep_residual", "schedule_explorer", "gradient_flow_explorer", "CURVE_RECIPES", "gallery_run",
    "NORM_NAMES", "normed_mlp", "train_normed", "grid_points", "random_points", "search_trial",
]  # fmt: skip


# ----------------------------------------------------------------- explorers


def schedule_explorer(epochs: int = 40) -> Explorer:
    """A schedule dropdown and a warmup slider over the learning rate of every epoch.

    Compute: :func:`schedule_curve`; draw: ``plots.practice.draw_schedule``.
    """
    from ..plots.practice import draw_schedule  # plots imports matplotlib

    style = {"description_width": "initial"}
    controls = {
        "schedule": W.Dropdown(options=SCHEDULE_NAMES, value="warmup + cosine", description="schedule"),
        "warmup": W.IntSlider(value=5, min=1, max=20, description="warmup epochs", style=style),
    }
    return Explorer(schedule_curve, draw_schedule, controls, fixed={"epochs": epochs, "lr": 0.1},
                    title="Learning-rate schedules", figsize=(6.4, 3.6), name="lr-schedules",
                    grid={"warmup": [1, 2, 5, 10, 20]}, inactive=_inactive_warmup)


def _inactive_warmup(schedule: str, **_: object) -> dict[str, str]:
    """Only the warmup schedules ramp up; the others start at the full rate."""
    if schedule not in WARMUP_SCHEDULES:
        return {"warmup": f"no effect with {schedule}: it starts at the full rate"}
    return {}


def gradient_flow_explorer() -> Explorer:
    """Depth, activation and a residual switch over each block's gradient norm at initialisation.

    Compute: :func:`gradient_flow`; draw: ``plots.practice.draw_gradient_flow``.
    """
    from ..plots.practice import draw_gradient_flow  # plots imports matplotlib

    controls = {
        "depth": W.IntSlider(value=20, min=2, max=40, description="blocks"),
        "activation": W.Dropdown(options=ACTIVATION_NAMES, value="sigmoid", description="activation"),
        "residual": W.Checkbox(value=False, description="residual connections"),
    }
    return Explorer(gradient_flow, draw_gradient_flow, controls, fixed={"seed": 0},
                    title="Gradient norms through a deep network", figsize=(6.4, 3.8),
                    name="residual-flow", grid={"depth": [2, 5, 10, 20, 40]})
