"""check() as the grader sees it: delegation warned about, unknown item names answered with the list.

The exercise notebook is the grading fixture's (tests/grading/build_fixtures.py), with its
public outputs computed here from the fixture's own solutions.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest

HERE = Path(__file__).parent / "grading"
sys.path.insert(0, str(HERE))

from build_fixtures import ADAM, CLASSIFIER, MSE, SIGMOID, SOFTMAX, solutions_notebook  # noqa: E402

from course_lib.grading import check  # noqa: E402
from course_lib.grading.cases import public_cases  # noqa: E402
from course_lib.grading.compare import Output  # noqa: E402
from course_lib.grading.generate import _public_payload, make_exercise  # noqa: E402
from course_lib.grading.runner import CaseResult  # noqa: E402
from course_lib.grading.spec import notebook_items  # noqa: E402


def _solutions() -> dict:
    ns: dict = {"np": np}
    for src in (SIGMOID, SOFTMAX, MSE, ADAM, CLASSIFIER):
        exec(src, ns)  # noqa: S102 - the fixture's own solution code
    return ns


def _exercise(cells_before: list[str] | None = None) -> nbformat.NotebookNode:
    fns = _solutions()
    public = {}
    for spec in notebook_items(solutions_notebook()):
        results = []
        for case in public_cases(spec):
            args = [a.item() if a.ndim == 0 else a for a in case.args.values()]
            results.append(CaseResult(Output.from_value(fns[spec.function](*args))))
        public[spec.item] = _public_payload(spec, results)
    nb = make_exercise(solutions_notebook(), "01_demo", public)
    for src in cells_before or []:
        nb.cells.append(nbformat.v4.new_code_cell(src))
    return nb


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    return tmp_path


def test_runtime_delegation_is_warned_about_even_when_every_case_passes(folder: Path, capsys) -> None:
    nbformat.write(_exercise(), folder / "01_demo.ipynb")
    from course_lib import activations

    def sigmoid(z):
        return activations.sigmoid(z)  # right answers, but course_lib's own function

    result = check("sigmoid", function=sigmoid)
    out = capsys.readouterr().out
    assert result.passed == result.total > 0
    assert not result and result.delegated == "course_lib.activations.sigmoid"
    assert "grader gives this item 0" in out and "course_lib.activations.sigmoid" in out
    assert "All" not in out
    assert sys.getprofile() is None  # the watch is gone after the check


def test_a_copy_of_the_forbidden_code_is_still_recognised(folder: Path) -> None:
    import types

    from course_lib import activations

    nbformat.write(_exercise(), folder / "01_demo.ipynb")
    sigmoid = types.FunctionType(activations.sigmoid.__code__.replace(co_name="mine"), vars(activations))
    assert check("sigmoid", function=sigmoid).delegated == "course_lib.activations.sigmoid"


def test_switching_the_watch_off_counts_as_tampering(folder: Path, capsys) -> None:
    from course_lib.grading.watch import TAMPERED

    nbformat.write(_exercise(), folder / "01_demo.ipynb")
    own = _solutions()["sigmoid"]

    def sigmoid(z):
        sys.setprofile(None)  # the learner's own code, but it removes check()'s hook
        return own(z)

    result = check("sigmoid", function=sigmoid)
    assert result.passed == result.total and result.delegated == TAMPERED
    assert TAMPERED in capsys.readouterr().out
    assert sys.getprofile() is None


def test_static_delegation_in_the_saved_cells_is_warned_about(folder: Path, capsys) -> None:
    # No IPython history here, so check() reads the notebook's cells, as the grader does.
    nbformat.write(_exercise(["from course_lib.activations import softmax as sm\n"
                              "def softmax(z):\n    return sm(z)"]), folder / "01_demo.ipynb")
    fns = _solutions()
    result = check("softmax", function=fns["softmax"])  # the call itself is the learner's own code
    assert result.passed == result.total and result.delegated == "course_lib.activations.softmax"
    assert "grader gives this item 0" in capsys.readouterr().out


def test_own_code_is_not_flagged(folder: Path, capsys) -> None:
    nbformat.write(_exercise(), folder / "01_demo.ipynb")
    result = check("sigmoid", function=_solutions()["sigmoid"])
    assert result and result.delegated is None
    assert "All" in capsys.readouterr().out


def test_a_typo_lists_the_items_with_a_did_you_mean(folder: Path, capsys) -> None:
    nbformat.write(_exercise(), folder / "01_demo.ipynb")
    result = check("sofmax")
    out = capsys.readouterr().out
    assert result.total == 0
    assert "Did you mean 'softmax'?" in out
    for name in ("sigmoid", "softmax", "mse_and_grad", "adam_step", "train_and_predict"):
        assert name in out
    check("zzz")
    out = capsys.readouterr().out
    assert "Did you mean" not in out and "sigmoid" in out


def test_no_notebook_at_all_says_where_to_run(folder: Path, capsys) -> None:
    assert check("softmax").total == 0
    assert "no public cases" in capsys.readouterr().out
