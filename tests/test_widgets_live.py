"""What a learner sees in each book widget's live figure, over every slider's range.

A live figure solves its layout once, at the default values, and reuses it on
every slider move; it keeps the pixels of its frame (ticks, labels, grid) while
they stay the same, and draws only the content again (see ``Explorer.figure_for``
and ``_LiveFigure``). These tests draw each book explorer at its defaults and
after moving each control through its range, and check that nothing a learner
should read (tick labels, axis labels, titles, legends, notes) is cut off at the
canvas edge, and that a redraw over a kept frame gives exactly the picture a
first draw gives.
"""

import matplotlib
import matplotlib.pyplot as plt
import pytest

from course_lib import plots
from course_lib.widgets import book_explorers, regression
from course_lib.widgets._explorer import sample_values

matplotlib.use("Agg")

EXPLORERS = {name: factory for name, (_, factory) in book_explorers().items()}


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
    for move in _moves(explorer):
        fig = explorer.figure(**move)
        assert overflow_px(fig) <= 1.0, f"{name} at {move or 'defaults'} is cut off"


def _moves(explorer):
    return [{}] + [{control: v} for control, widget in explorer.controls.items()
                   for v in sample_values(widget, n=4)]


@pytest.mark.parametrize("name", list(EXPLORERS))
def test_redraw_over_a_kept_frame_is_pixel_identical_to_a_first_draw(name):
    explorer = EXPLORERS[name]()
    explorer.png()
    live = explorer._live
    for move in _moves(explorer):
        redrawn = explorer.png(**move)  # over a kept frame where it can
        live.frames.clear()  # forget every frame: the next render draws it anew
        assert explorer.render() == redrawn, f"{name} at {move or 'defaults'}"
    assert live.frames_reused > 0, "no slider move kept the frame"


def test_moving_back_reuses_the_frame_and_the_result():
    explorer = regression.linear_gd_loss_explorer()  # its frame changes with every lr
    live_png = explorer.png(lr=0.01)
    reused = explorer._live.frames_reused
    explorer.png(lr=0.1)
    assert explorer._live.frames_reused == reused
    assert explorer.result(lr=0.01) is explorer.result(lr=0.01)
    assert explorer.png(lr=0.01) == live_png
    assert explorer._live.frames_reused == reused + 1
