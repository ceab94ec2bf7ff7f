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
* MyST-NB's folded code cells (tag ``hide-input``) are ``<summary>`` elements
  labelled "Toggle hidden content" while they read "Show code cell source": axe
  reports the mismatch as serious (a voice user saying what they see would not
  find them). Without the label, the visible text names them.
"""

from __future__ import annotations

import re


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


_SUMMARY_LABEL = re.compile(r'(<summary\b[^>]*?) aria-label="Toggle hidden content"')


def _summary_names(app, pagename, templatename, context, doctree) -> None:
    if "body" in context:
        context["body"] = _SUMMARY_LABEL.sub(r"\1", context["body"])


def setup(app):
    app.connect("config-inited", _set_default_mode, priority=900)
    app.connect("html-page-context", _dedupe_scripts, priority=900)
    app.connect("html-page-context", _lazy_images, priority=900)
    app.connect("html-page-context", _summary_names, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
