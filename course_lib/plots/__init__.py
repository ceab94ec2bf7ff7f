"""Figures for the book (matplotlib). Only this package and ``widgets`` import matplotlib.

``use_book_style()`` is called once at the top of every chapter; it fixes the
look of every figure and makes them PNG (nbval compares SVG text, not PNG).
One module per chapter holds that chapter's drawing functions; each takes an
``Axes`` (or a ``Figure``) and data computed elsewhere, and draws nothing else.

See ``course_lib.widgets`` for the interactive versions.
"""

from ._describe import describe_figure, set_description
from ._style import COLORS, new_axes, panel_layout, small_multiples, use_book_style

__all__ = ["COLORS", "describe_figure", "new_axes", "panel_layout", "set_description", "small_multiples",
           "use_book_style"]
