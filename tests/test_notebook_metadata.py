"""Every committed notebook carries the metadata JupyterLab writes, so opening one changes nothing.

JupyterLab replaces a notebook's ``kernelspec`` with the installed kernel's as soon
as it opens it, and saves widget state or per-cell timings only if they are
there. A notebook committed with exactly that metadata stays byte-identical
when a learner opens and reads it (tests/test_lab.py checks two chapters in the
browser; this checks every notebook, fast).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(p.relative_to(ROOT).as_posix()
                   for folder in ("book", "exercises", "solutions") for p in (ROOT / folder).glob("*.ipynb"))


def _execute_notebooks():
    path = ROOT / "tools" / "execute_notebooks.py"
    spec = importlib.util.spec_from_file_location("execute_notebooks", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("rel", NOTEBOOKS)
def test_notebook_has_the_metadata_jupyterlab_writes(rel):
    nb = nbformat.read(ROOT / rel, as_version=4)
    assert nb.metadata["kernelspec"] == _execute_notebooks().kernelspec_metadata(), (
        f"{rel}: JupyterLab would rewrite this kernelspec on opening the notebook")
    assert "widgets" not in nb.metadata, f"{rel}: saved widget state (it changes on every run)"
    timed = [i for i, cell in enumerate(nb.cells) if "execution" in cell.metadata]
    assert not timed, f"{rel}: cells {timed} carry execution timestamps"
