"""Interactive explorers (ipywidgets) for the book. Only this package and ``plots``
import ipywidgets or matplotlib.

Every widget is an :class:`Explorer`: sliders feed a *pure compute function*
(``course_lib.compute``: numpy in, numbers out, unit-tested over a grid of slider values in
``tests/test_widgets_<chapter>.py``) and a *draw function* (``course_lib.plots``)
that turns the result into a figure. The split keeps what a learner sees
testable without a browser, and lets the book show a static small-multiples
figure of the same function for readers of the web site, who have no kernel.
One module per chapter defines that chapter's explorers and re-exports its
computations' public names. The layers import downwards only: ``compute``, then
``plots``, then ``widgets`` (``tests/test_layering.py``).
"""

from collections.abc import Callable

from ._explorer import Background, Explorer

__all__ = ["Explorer", "Background", "book_explorers"]


def book_explorers() -> dict[str, tuple[int, Callable[[], Explorer]]]:
    """Every explorer the chapters show, in book order: name -> (chapter, factory).

    For the tests, the benchmark and the static site, which visit them all. Each
    factory builds the explorer exactly as its chapter does (the site build checks
    this against the chapter page): the learning-rate explorer gets chapter 1's
    standardized noisy line, drawn from the chapter's generator (seed 2024).
    """
    from .. import data
    from . import backpropagation, introduction, losses, optimizers, practice, regression, regularization

    def learning_rate() -> Explorer:
        x, y = data.noisy_line(40, slope=2.0, intercept=0.0, noise=1.0, x_range=(-2.0, 2.0), rng=2024)
        return introduction.learning_rate_explorer(data.standardize(x)[0][:, 0], y)

    factories = [
        (1, introduction.approximation_explorer),
        (1, learning_rate),
        (2, regression.linear_gd_loss_explorer),
        (2, regression.linear_gd_path_explorer),
        (2, regression.logistic_gd_explorer),
        (3, losses.outlier_explorer),
        (3, losses.logit_explorer),
        (4, backpropagation.gradient_flow_explorer),
        (5, optimizers.optimizer_explorer),
        (6, regularization.poly_ridge_explorer),
        (6, regularization.dropout_explorer),
        (7, practice.schedule_explorer),
        (7, practice.gradient_flow_explorer),
    ]
    names = ["approximation", "learning-rate", "linear-gd-loss", "linear-gd-path", "logistic-gd",
             "outlier", "logit", "gradient-flow", "optimizer-paths", "polynomial-ridge", "dropout",
             "lr-schedules", "residual-flow"]
    return dict(zip(names, factories, strict=True))
