"""The kernel-free explorers on the book's pages (see ``course_lib/widgets/site.py``).

Every page gets ``web/static/explorer.js`` and its stylesheet (a few kB), and
``a11y.js``, which repairs two accessibility faults of the theme's markup. The
explorers' markup comes with the notebooks' outputs; their pictures are written
to ``_build/html/explorers/`` by ``python -m course_lib.widgets.site`` after the
HTML build (``make book``).
"""

from __future__ import annotations

from pathlib import Path

ASSETS = Path(__file__).resolve().parents[2] / "web" / "static"


def _add_static_path(app, config) -> None:
    config.html_static_path.append(str(ASSETS))


def setup(app):
    app.connect("config-inited", _add_static_path)
    app.add_js_file("explorer.js")
    app.add_js_file("a11y.js")
    app.add_css_file("explorer.css")
    return {"parallel_read_safe": True, "parallel_write_safe": True}
