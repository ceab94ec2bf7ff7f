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
* A small-multiples grid (``course_lib.plots.small_multiples``) is also cut into
  its panels, which phones show one under the other at full size instead of the
  whole grid shrunk to specks (web/static/site.css switches between the two).
* MyST-NB's folded code cells (tag ``hide-input``) are ``<summary>`` elements
  labelled "Toggle hidden content" while they read "Show code cell source": axe
  reports the mismatch as serious (a voice user saying what they see would not
  find them). Without the label, the visible text names them.
"""

from __future__ import annotations

import json
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


def _png_text(path: Path) -> tuple[str, dict | None]:
    """The description a figure's PNG carries, and its panels' layout if it is a small-multiples grid."""
    with Image.open(path) as img:
        layout = img.info.get("Panels")
        return str(img.info.get("Description", "")).strip(), json.loads(layout) if layout else None


def _phone_panels(path: Path, uri: str, layout: dict) -> nodes.container:
    """The grid's panels cropped one by one, for phones, where the whole grid would be too small to read."""
    box = nodes.container(classes=["course-panels"])
    if layout.get("title"):
        box += nodes.paragraph(text=layout["title"], classes=["course-panels-title"])
    with Image.open(path) as img:
        for k, panel in enumerate(layout["panels"], 1):
            name = f"{path.stem}-panel{k}.png"
            img.crop(tuple(panel["box"])).save(path.with_name(name), optimize=True)
            box += nodes.image(uri=f"{uri.rsplit('/', 1)[0]}/{name}", alt=panel["alt"])
    return box


def _describe_figures(app, doctree) -> None:
    """Alt text for every notebook figure; a phone layout for every small-multiples grid.

    Runs before Sphinx collects the page's images, so the cropped panels are copied
    to the site like any other image.
    """
    for image in list(doctree.findall(nodes.image)):
        uri = image.get("uri", "")
        if image.get("alt") or not uri.lower().endswith(".png"):
            continue
        # myst-nb writes a notebook's outputs under the build folder and gives their
        # path from the source root; a hand-written image is relative to its page.
        path = Path(app.srcdir) / uri
        if not path.is_file():
            path = Path(app.env.relfn2path(uri, app.env.docname)[1])
        text, layout = _png_text(path) if path.is_file() else ("", None)
        if not text:
            _LOG.warning("figure %s has no description for its alt text: draw it after "
                         "course_lib.plots.use_book_style(), or give it one with set_description",
                         uri, location=image)
            continue
        image["alt"] = text
        if layout:
            image["classes"].append("course-panels-whole")
            image.parent.insert(image.parent.index(image) + 1, _phone_panels(path, uri, layout))
_SUMMARY_LABEL = re.compile(r'(<summary\b[^>]*?) aria-label="Toggle hidden content"')


def _summary_names(app, pagename, templatename, context, doctree) -> None:
    if "body" in context:
        context["body"] = _SUMMARY_LABEL.sub(r"\1", context["body"])


def setup(app):
    app.connect("doctree-read", _describe_figures, priority=400)  # before Sphinx's image collector (500)
    app.connect("config-inited", _set_default_mode, priority=900)
    app.connect("html-page-context", _dedupe_scripts, priority=900)
    app.connect("html-page-context", _lazy_images, priority=900)
    app.connect("html-page-context", _summary_names, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
