"""The project's own static files on every page of the book (``web/static/``, a few kB).

* ``explorer.js`` and ``explorer.css``: the kernel-free explorers (see
  ``course_lib/widgets/site.py``);
* ``a11y.js``: repairs of accessibility faults in the theme's markup;
* ``site.css``: layout repairs (display math on phones). The
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
    app.add_css_file("site.css")
    return {"parallel_read_safe": True, "parallel_write_safe": True}
