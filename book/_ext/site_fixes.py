"""Fixes for Jupyter Book 1 pages, found by the headless-browser test (tests/test_site.py)
and the site's budget benchmark (bench/site_budget.py).

* JB1 registers sphinx-thebe's and sphinx-togglebutton's inline configuration
  scripts twice (once with filename ``None``, once with ``''``, so Sphinx's own
  de-duplication misses them); every page then declared ``const THEBE_JS_URL``
  twice and the browser logged a SyntaxError. Repeated scripts are dropped.
* The theme logged "Got invalid theme mode" on every page because its template
  variable ``default_mode`` is empty under JB1: it is set to light here (setting
  ``html_context`` in _config.yml would replace the context JB1 fills in).
* A chapter's figures load when the reader scrolls to them (``loading="lazy"``),
  not all with the page (chapter 5 has 15 figures, 1.3 MB).
* A notebook figure's ``alt`` text is the description its PNG carries
  (``course_lib.plots.describe_figure``, written by ``use_book_style``); Sphinx
  would otherwise use the file's path. A PNG without one is a build warning
  (an error under ``make book``'s ``-W``).
"""

from __future__ import annotations

import re
from pathlib import Path

from docutils import nodes
from PIL import Image
from sphinx.util import logging

_LOG = logging.getLogger(__name__)


def _set_default_mode(app, config) -> None:
    config.html_context.setdefault("default_mode", "light")


def _dedupe_scripts(app, pagename, templatename, context, doctree) -> None:
    seen = set()
    kept = []
    for script in context.get("script_files", []):
        attributes = getattr(script, "attributes", {})
        key = (getattr(script, "filename", None) or "", tuple(sorted(attributes.items())))
        if key not in seen:
            seen.add(key)
            kept.append(script)
    context["script_files"] = kept


_IMG = re.compile(r"<img (?![^>]*\bloading=)")


def _lazy_images(app, pagename, templatename, context, doctree) -> None:
    if "body" in context:
        context["body"] = _IMG.sub('<img loading="lazy" ', context["body"])


def _png_description(path: Path) -> str:
    with Image.open(path) as img:
        return str(img.info.get("Description", "")).strip()


def _figure_alt_text(app, doctree, docname) -> None:
    for image in doctree.findall(nodes.image):
        uri = image.get("uri", "")
        if image.get("alt") or not uri.lower().endswith(".png"):
            continue
        # myst-nb writes a notebook's outputs under the build folder and gives their
        # path from the source root; a hand-written image is relative to its page.
        path = Path(app.srcdir) / uri
        if not path.is_file():
            path = Path(app.env.relfn2path(uri, docname)[1])
        text = _png_description(path) if path.is_file() else ""
        if text:
            image["alt"] = text
        else:
            _LOG.warning("figure %s has no description for its alt text: draw it after "
                         "course_lib.plots.use_book_style(), or give it one with set_description",
                         uri, location=image)


def setup(app):
    app.connect("doctree-resolved", _figure_alt_text)
    app.connect("config-inited", _set_default_mode, priority=900)
    app.connect("html-page-context", _dedupe_scripts, priority=900)
    app.connect("html-page-context", _lazy_images, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
