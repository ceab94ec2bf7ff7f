"""Every live widget figure fits its canvas, whatever the sliders say.

A live figure solves its layout once, at the default values, and reuses it on
every slider move (see ``Explorer.figure_for``). These tests draw each book
explorer at its defaults and after moving each control through its range, and
check that nothing a learner should read (tick labels, axis labels, titles,
legends, notes) is cut off at the canvas edge.
"""

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest

from course_lib import data, plots
from course_lib.widgets import (
    backpropagation,
    introduction,
    losses,
    optimizers,
    regression,
    regularization,
)
from course_lib.widgets._explorer import sample_values

matplotlib.use("Agg")


def _line_explorer():
    rng = np.random.default_rng(0)
    x, y = data.noisy_line(40, slope=2.0, intercept=0.0, noise=1.0, x_range=(-2.0, 2.0), rng=rng)
    return introduction.learning_rate_explorer(data.standardize(x)[0][:, 0], y)


EXPLORERS = {
    "approximation": introduction.approximation_explorer,
    "learning rate": _line_explorer,
    "linear GD loss": regression.linear_gd_loss_explorer,
    "linear GD path": regression.linear_gd_path_explorer,
    "logistic GD": regression.logistic_gd_explorer,
    "outlier": losses.outlier_explorer,
    "logit": losses.logit_explorer,
    "gradient flow": backpropagation.gradient_flow_explorer,
    "optimizer paths": optimizers.optimizer_explorer,
    "polynomial ridge": regularization.poly_ridge_explorer,
    "dropout": regularization.dropout_explorer,
}


def overflow_px(fig) -> float:
    """How far (pixels) the drawn figure's contents reach past its canvas; 0 if they fit."""
    renderer = fig.canvas.get_renderer()
    fig.draw(renderer)
    inside = fig.bbox
    drawn = fig.get_tightbbox(renderer).transformed(fig.dpi_scale_trans)  # inches -> pixels
    return max(inside.x0 - drawn.x0, inside.y0 - drawn.y0, drawn.x1 - inside.x1,
               drawn.y1 - inside.y1, 0.0)


def test_overflow_is_measured_in_pixels():
    fig = plt.figure(figsize=(4, 3), dpi=100, layout="none")
    ax = fig.add_axes([0.0, 0.2, 0.9, 0.7])  # no room for the y tick labels
    ax.plot([0, 1], [100, 200])
    assert overflow_px(fig) > 10
    ax.set_position([0.25, 0.2, 0.7, 0.7])
    assert overflow_px(fig) == 0.0
    plt.close(fig)


@pytest.fixture(scope="module", autouse=True)
def _book_style():
    plots.use_book_style()


@pytest.mark.parametrize("name", list(EXPLORERS))
def test_live_figure_fits_its_canvas_for_every_slider_value(name):
    explorer = EXPLORERS[name]()
    moves = [{}] + [{control: v} for control, widget in explorer.controls.items()
                    for v in sample_values(widget, n=4)]
    for move in moves:
        fig = explorer.figure(**move)
        assert overflow_px(fig) <= 1.0, f"{name} at {move or 'defaults'} is cut off"
        plt.close(fig)
