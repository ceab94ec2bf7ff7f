"""The book's own Sphinx extensions (book/_ext/), called as Sphinx calls them."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

EXT = Path(__file__).resolve().parents[1] / "book" / "_ext"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"book_ext_{name}", EXT / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


repository = _load("repository")
# What Jupyter Book 1 puts in html_theme_options when _config.yml names no repository.
JB_DEFAULTS = {"repository_url": "https://github.com/executablebooks/jupyter-book", "path_to_docs": ".",
               "use_repository_button": False, "launch_buttons": {"binderhub_url": "https://mybinder.org"}}


def test_without_a_url_no_button_points_anywhere():
    options = repository.repository_options("", JB_DEFAULTS)
    assert "repository_url" not in options and "launch_buttons" not in options
    assert not any(options[b] for b in ("use_repository_button", "use_issues_button", "use_edit_page_button"))
    assert options["path_to_docs"] == "."


@pytest.mark.parametrize("url", ["https://github.com/alice/nn-course", "https://github.com/alice/nn-course/",
                                 "https://github.com/alice/nn-course.git"])
def test_with_a_url_every_button_is_built_from_it(url):
    options = repository.repository_options(url, JB_DEFAULTS)
    assert options["repository_url"] == "https://github.com/alice/nn-course"
    assert options["use_repository_button"] and options["use_issues_button"]
    assert options["launch_buttons"]["binderhub_url"] == "https://mybinder.org"
    assert options["launch_buttons"]["colab_url"] == "https://colab.research.google.com"


@pytest.mark.parametrize("url", ["github.com/alice/x", "https://gitlab.com/alice/x", "https://github.com/alice",
                                 "https://github.com/alice/x/tree/main"])
def test_a_url_binder_and_colab_cannot_use_is_refused(url):
    from sphinx.errors import ConfigError

    with pytest.raises(ConfigError, match="REPO_URL must look like"):
        repository.repository_options(url, JB_DEFAULTS)


site_fixes = _load("site_fixes")


def test_folded_code_cells_are_named_by_their_visible_text():
    body = ('<details class="admonition hide above-input">\n<summary aria-label="Toggle hidden content">\n'
            '<p class="collapsed admonition-title">Show code cell source</p>\n</summary>')
    context = {"body": body}
    site_fixes._summary_names(None, "page", "page.html", context, None)
    assert "aria-label" not in context["body"]
    assert context["body"] == body.replace(' aria-label="Toggle hidden content"', "")
