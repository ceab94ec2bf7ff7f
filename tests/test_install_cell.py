"""Each chapter's Colab/Binder install cell (tagged ``install-course-lib``) and tools/set_repo_url.py."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
URL_SET = 'REPO_URL = "https://github.com/alice/nn-course"'
CHAPTERS = sorted((ROOT / "book").glob("[0-9]*.ipynb"))
TAG = "install-course-lib"

_spec = importlib.util.spec_from_file_location("set_repo_url", ROOT / "tools" / "set_repo_url.py")
set_repo_url = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(set_repo_url)


def _install_cell(path: Path):
    nb = nbformat.read(path, as_version=4)
    cells = [c for c in nb.cells if TAG in c.metadata.get("tags", [])]
    assert len(cells) == 1, f"{path.name}: {len(cells)} install cells"
    first_code = next(c for c in nb.cells if c.cell_type == "code")
    assert cells[0] is first_code, f"{path.name}: the install cell must run before the imports"
    return cells[0]


def _run(source: str, *, installed: bool, monkeypatch) -> list[list[str]]:
    """Execute the cell's code with course_lib found or not; return the pip commands it ran."""
    calls: list[list[str]] = []
    real_find_spec = importlib.util.find_spec
    def find_spec(name, *args):
        return real_find_spec(name, *args) if installed or name != "course_lib" else None

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    monkeypatch.setattr(subprocess, "check_call", lambda cmd, **kw: calls.append(list(cmd)))
    exec(compile(source, "<install cell>", "exec"), {})
    return calls


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_every_chapter_has_an_install_cell_hidden_on_the_site(path):
    cell = _install_cell(path)
    assert "remove-cell" in cell.metadata["tags"]
    assert cell.outputs == []  # it printed nothing when the chapter was executed


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_the_install_cell_does_nothing_where_course_lib_is_installed(path, monkeypatch):
    source = set_repo_url._LINE.sub(URL_SET, _install_cell(path).source)
    assert _run(source, installed=True, monkeypatch=monkeypatch) == []


def test_the_install_cell_installs_from_the_repository_where_course_lib_is_missing(monkeypatch):
    source = _install_cell(CHAPTERS[0]).source
    with pytest.raises(RuntimeError, match="course_lib is not installed"):
        _run(source, installed=False, monkeypatch=monkeypatch)  # no URL yet: say what to do
    source = set_repo_url._LINE.sub(URL_SET, source)
    (cmd,) = _run(source, installed=False, monkeypatch=monkeypatch)
    assert cmd[1:4] == ["-m", "pip", "install"]
    assert cmd[-1] == "course_lib[book] @ git+https://github.com/alice/nn-course"


def test_set_repo_url_rewrites_only_the_url_line(tmp_path):
    copy = tmp_path / CHAPTERS[0].name
    shutil.copy(CHAPTERS[0], copy)
    before = nbformat.read(copy, as_version=4)
    assert set_repo_url.main(["https://github.com/alice/nn-course.git/", str(copy)]) == 0
    after = nbformat.read(copy, as_version=4)
    pairs = zip(before.cells, after.cells, strict=True)
    changed = [(a.source, b.source) for a, b in pairs if a.source != b.source]
    assert len(changed) == 1
    old, new = changed[0]
    assert URL_SET in new
    assert set_repo_url._LINE.sub('REPO_URL = ""', new) == set_repo_url._LINE.sub('REPO_URL = ""', old)
    assert not set_repo_url.set_url(copy, "https://github.com/alice/nn-course")  # already set: unchanged


@pytest.mark.parametrize("url", ["github.com/alice/x", "https://gitlab.com/alice/x", "https://github.com/alice"])
def test_set_repo_url_refuses_a_url_colab_cannot_install_from(url, tmp_path):
    copy = tmp_path / CHAPTERS[0].name
    shutil.copy(CHAPTERS[0], copy)
    with pytest.raises(SystemExit):
        set_repo_url.main([url, str(copy)])
    assert copy.read_bytes() == CHAPTERS[0].read_bytes()
