"""Two fixes for Jupyter Book 1 pages, found by the headless-browser test (tests/test_site.py).

* JB1 registers sphinx-thebe's and sphinx-togglebutton's inline configuration
  scripts twice (once with filename ``None``, once with ``''``, so Sphinx's own
  de-duplication misses them); every page then declared ``const THEBE_JS_URL``
  twice and the browser logged a SyntaxError. Repeated scripts are dropped.
* The theme logged "Got invalid theme mode" on every page because its template
  variable ``default_mode`` is empty under JB1: it is set to light here (setting
  ``html_context`` in _config.yml would replace the context JB1 fills in).
"""

from __future__ import annotations


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


def setup(app):
    app.connect("config-inited", _set_default_mode, priority=900)
    app.connect("html-page-context", _dedupe_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
