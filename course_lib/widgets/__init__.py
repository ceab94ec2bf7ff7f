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

from ._explorer import Explorer

__all__ = ["Explorer"]
