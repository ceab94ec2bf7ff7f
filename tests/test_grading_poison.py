"""Issue 10, class 4: the graded kernel has no forbidden code to delegate to (``poison.py``).

The end-to-end attacks on course_lib functions (threads, hooks, re-executed source,
``.pyc`` files) are in ``test_grading_integrity.py``; here: the copy itself, the rule
that one notebook's items share one switched-off set, and numpy functions in a
forbid list, graded end to end under bwrap.
"""

from __future__ import annotations

import ast
import csv
import importlib
import inspect
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest
from nbformat.v4 import new_code_cell, new_notebook

import course_lib.activations
from course_lib.grading.delegation import expand_forbid
from course_lib.grading.poison import MARK, kernel_groups, numpy_targets, poisoned_library, switched_off_name
from course_lib.grading.sandbox import bwrap_available
from course_lib.grading.spec import read_items, read_sources

ROOT = Path(__file__).resolve().parents[1]


def _run(library: Path, code: str, tmp: Path) -> subprocess.CompletedProcess[str]:
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(library), "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run([sys.executable, "-c", code], cwd=tmp, env=env, capture_output=True, text=True,
                          timeout=300)


def test_the_copy_holds_a_stub_where_the_forbidden_code_was(tmp_path: Path) -> None:
    forbid = expand_forbid(["course_lib.activations.sigmoid", "course_lib.layers.Sigmoid"])
    lib = poisoned_library(forbid, tmp_path / "cache")
    assert poisoned_library(forbid, tmp_path / "cache") == lib  # built once per forbid set
    tree = ast.parse((lib / "course_lib" / "activations.py").read_text(encoding="utf-8"))
    defs = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
    for name in ("sigmoid", "_sigmoid"):  # the docstring, then the stub: nothing of the reference
        body = [n for n in defs[name].body
                if not (isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant))]
        assert len(body) == 1 and isinstance(body[0], ast.Raise), name
    assert "return" in inspect.getsource(course_lib.activations._sigmoid)  # the real one has code
    assert len(defs["relu"].body) > 1  # not forbidden: kept
    res = _run(lib, "import inspect, numpy as np, course_lib.activations as a, course_lib.layers as L\n"
                    "print(a.relu(np.array([-1.0, 2.0])).tolist())\n"
                    "assert 'switched off' in inspect.getsource(a._sigmoid)\n"
                    "for f in (lambda: a.sigmoid(np.zeros(2)), lambda: a._sigmoid(np.zeros(2)),\n"
                    "          lambda: L.Sigmoid()(np.zeros((1, 2)))):\n"
                    "    try:\n        f()\n    except NotImplementedError as exc:\n        print(exc)\n",
               tmp_path)
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    assert lines[0] == "[0.0, 2.0]"  # what is not forbidden still works
    assert [switched_off_name(line) for line in lines[1:]] == [
        "course_lib.activations.sigmoid", "course_lib.activations._sigmoid", "course_lib.layers.Sigmoid"]


@pytest.mark.parametrize("solutions", sorted((ROOT / "solutions").glob("*.ipynb")), ids=lambda p: p.stem)
def test_each_notebooks_union_still_imports(solutions: Path, tmp_path: Path) -> None:
    """One kernel per notebook: the union of its items' forbid lists is switched off, and the
    package must still import (no module calls forbidden code when it is imported)."""
    forbid = {f for s in read_items(solutions) for f in expand_forbid(s.forbid)}
    lib = poisoned_library(forbid, tmp_path / "cache")
    res = _run(lib, "import importlib, pkgutil, course_lib\n"
                    "for m in pkgutil.walk_packages(course_lib.__path__, 'course_lib.'):\n"
                    "    importlib.import_module(m.name)\n"
                    "print(course_lib.__file__)", tmp_path)
    assert res.returncode == 0, res.stderr[-2000:]
    assert res.stdout.strip().startswith(str(lib))


def test_an_item_whose_solution_uses_anothers_forbidden_code_gets_its_own_kernel() -> None:
    path = ROOT / "solutions" / "06_regularization.ipynb"
    items = kernel_groups(read_items(path), read_sources(path))
    own = {s.item: s.kernel for s in items}
    assert own.pop("train_regularized_classifier") == 1  # its solution builds on layers.Dropout
    assert set(own.values()) == {0}
    dropout = next(s for s in items if s.item == "dropout_forward")
    assert "course_lib.layers.module._check_grad_out" in dropout.forbid  # widened with private helpers
    demo = ROOT / "tests" / "grading" / "solutions" / "01_demo.ipynb"
    assert {s.kernel for s in kernel_groups(read_items(demo), read_sources(demo))} == {0}


def test_numpy_targets_include_the_compiled_routines() -> None:
    targets = numpy_targets(["numpy.linalg.solve", "course_lib.activations.softmax"])
    assert ["numpy.linalg", "solve", "numpy.linalg.solve"] in targets
    routines = [(m, a) for m, a, _ in targets if m != "numpy.linalg"]
    assert routines and all(callable(getattr(importlib.import_module(m), a)) for m, a in routines)


# A numpy function in a forbid list, graded end to end.
ITEM = {"item": "solve2", "points": 1, "forbid": ["numpy.linalg.solve"],
        "cases": {"args": {"A": {"dist": "normal", "shape": [2, 2]}, "b": {"dist": "normal", "shape": [2]}},
                  "random": 4, "public": 1}}
HONEST = ("def solve2(A, b):\n    det = A[0, 0] * A[1, 1] - A[0, 1] * A[1, 0]\n"
          "    return np.array([b[0] * A[1, 1] - A[0, 1] * b[1], A[0, 0] * b[1] - b[0] * A[1, 0]]) / det")
_GET = "    import importlib\n    m = importlib.import_module({!r})\n    f = getattr(m, {!r})\n"
CHEATS = {
    "np_alias": ("def solve2(A, b):\n" + _GET.format("num" + "py.linalg", "sol" + "ve")
                 + "    return f(A, b)", []),
    "np_private_module": ("def solve2(A, b):\n" + _GET.format("numpy.linalg._linalg", "sol" + "ve")
                          + "    return f(A, b)", []),
    "np_compiled": ("def solve2(A, b):\n" + _GET.format("numpy.linalg._umath_linalg", "sol" + "ve1")
                    + "    return f(A, b)", []),
    # Caught by an earlier cell, then called from a thread the graded call did not start.
    "np_earlier_cell": ("def solve2(A, b):\n    out = []\n"
                        "    t = threading.Thread(target=lambda: out.append(SOLVE(A, b)))\n"
                        "    t.start()\n    t.join()\n    return out[0]",
                        ["import threading\nSOLVE = getattr(np.linalg, 'sol' + 've')"]),
}


def _notebook(body: str, extra: list[str]) -> nbformat.NotebookNode:
    cells = [new_code_cell("import numpy as np"), new_code_cell(body, metadata={"grading": dict(ITEM)}),
             *(new_code_cell(src) for src in extra)]
    return new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                              "language": "python"}})


@pytest.mark.slow
def test_forbidden_numpy_functions_are_switched_off(tmp_path: Path) -> None:
    if not bwrap_available():
        pytest.skip("bubblewrap (bwrap) is not usable here; .ci/run installs it")
    subs = tmp_path / "subs"
    subs.mkdir()
    nbformat.write(_notebook(HONEST, []), tmp_path / "solve.ipynb")
    nbformat.write(_notebook(HONEST, []), subs / "honest.ipynb")
    for name, (body, extra) in CHEATS.items():
        nbformat.write(_notebook(body, extra), subs / f"{name}.ipynb")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COURSE_GRADING_SANDBOX": "bwrap"}
    args = ["grade", *sorted(map(str, subs.glob("*"))), "--solutions", str(tmp_path / "solve.ipynb"),
            "--out", str(tmp_path / "g.csv"), "--jobs", "2", "--timeout", "120", "--call-timeout", "5",
            "--secret", "poison", "--cache", str(tmp_path / "cache")]
    res = subprocess.run([sys.executable, "-m", "course_lib.grading", *args], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=900)
    with open(tmp_path / "g.csv", newline="", encoding="utf-8") as fh:
        rows = {Path(r["submission"]).stem: r for r in csv.DictReader(fh)}
    assert set(rows) == {"honest", *CHEATS}, res.stderr[-3000:]
    assert float(rows["honest"]["score"]) == 1.0, rows["honest"]
    for name in CHEATS:
        assert float(rows[name]["score"]) == 0.0, (name, rows[name])
    for name in ("np_alias", "np_private_module", "np_compiled"):
        assert rows[name]["status"] == "delegated", (name, rows[name])
    assert MARK not in rows["honest"]["message"]


def test_the_cheats_would_work_without_the_switch_off() -> None:
    """Each numpy cheat solves the system when numpy is left alone: the test above can fail."""
    A, b = np.array([[2.0, 1.0], [1.0, 3.0]]), np.array([1.0, 2.0])
    for name, (body, extra) in CHEATS.items():
        ns: dict[str, object] = {"np": np}
        for src in extra:
            exec(src, ns)
        exec(body, ns)
        assert np.allclose(ns["solve2"](A, b), np.linalg.solve(A, b)), name  # type: ignore[operator]
