"""The site's repository, issues and launch (Binder, Colab) buttons, from one setting.

``make book REPO_URL=https://github.com/OWNER/REPO`` (the environment variable
``REPO_URL``) turns them on, each built from that URL. Without it the site shows
none of them: Jupyter Book's default would point them at its own repository,
buttons that lead nowhere a reader of this course wants to go.
"""

from __future__ import annotations

import os
import re

from sphinx.errors import ConfigError

_GITHUB = re.compile(r"^https://github\.com/[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
_BUTTONS = ("use_repository_button", "use_issues_button", "use_edit_page_button")


def repository_options(url: str, options: dict) -> dict:
    """``html_theme_options`` with the repository buttons on for ``url``, or all off if it is empty."""
    options = dict(options)
    url = url.strip().removesuffix("/").removesuffix(".git")
    if not url:
        for button in _BUTTONS:
            options[button] = False
        options.pop("repository_url", None)
        options.pop("launch_buttons", None)
        return options
    if not _GITHUB.match(url):
        raise ConfigError(f"REPO_URL must look like https://github.com/OWNER/REPO (Binder and Colab "
                          f"launch from GitHub); got {url!r}")
    options.update(repository_url=url, use_repository_button=True, use_issues_button=True,
                   use_edit_page_button=False,
                   launch_buttons={"notebook_interface": "jupyterlab", "binderhub_url": "https://mybinder.org",
                                   "colab_url": "https://colab.research.google.com"})
    return options


def _configure(app, config) -> None:
    config.html_theme_options = repository_options(os.environ.get("REPO_URL", ""), config.html_theme_options)


def setup(app):
    app.connect("config-inited", _configure, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
