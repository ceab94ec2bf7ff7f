"""Interactive explorers (ipywidgets) for the book. Only this package and ``plots``
import ipywidgets or matplotlib.

Every widget is an :class:`Explorer`: sliders feed a *pure compute function*
(numpy in, numbers out, unit-tested over a grid of slider values in
``tests/test_widgets_<chapter>.py``) and a *draw function* (``course_lib.plots``)
that turns the result into a figure. The split keeps what a learner sees
testable without a browser, and lets the book show a static small-multiples
figure of the same function for readers of the web site, who have no kernel.
One module per chapter defines that chapter's explorers.
"""

from collections.abc import Callable

from ._explorer import Explorer

__all__ = ["Explorer", "book_explorers"]


def book_explorers() -> dict[str, tuple[int, Callable[[], Explorer]]]:
    """Every explorer the chapters show, in book order: name -> (chapter, factory).

    For the tests and the benchmark that visit them all. The learning-rate
    explorer gets a standardized noisy line like chapter 1's.
    """
    from .. import data
    from . import backpropagation, introduction, losses, optimizers, regression, regularization

    def learning_rate() -> Explorer:
        x, y = data.noisy_line(40, slope=2.0, intercept=0.0, noise=1.0, x_range=(-2.0, 2.0), rng=0)
        return introduction.learning_rate_explorer(data.standardize(x)[0][:, 0], y)

    return {
        "approximation": (1, introduction.approximation_explorer),
        "learning rate": (1, learning_rate),
        "linear GD loss": (2, regression.linear_gd_loss_explorer),
        "linear GD path": (2, regression.linear_gd_path_explorer),
        "logistic GD": (2, regression.logistic_gd_explorer),
        "outlier": (3, losses.outlier_explorer),
        "logit": (3, losses.logit_explorer),
        "gradient flow": (4, backpropagation.gradient_flow_explorer),
        "optimizer paths": (5, optimizers.optimizer_explorer),
        "polynomial ridge": (6, regularization.poly_ridge_explorer),
        "dropout": (6, regularization.dropout_explorer),
    }
