"""Fast tests of the grader's untrusted-input handling and report writing (no kernel started):
status validation, the static check on hostile sources, CSV escaping and resume reading,
collision-free output names, and the feedback pages."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from course_lib.grading.delegation import expand_forbid, find_delegation
from course_lib.grading.feedback import feedback_page
from course_lib.grading.report import (
    CSV_COLUMNS,
    CsvLog,
    csv_rows,
    escape_cell,
    output_names,
    read_csv_rows,
    unescape_cell,
    write_csv,
)
from course_lib.grading.runner import CaseResult, _error_record, validated_status
from course_lib.grading.scoring import ItemResult, PublicCase, SubmissionResult, hidden_reason
from course_lib.grading.spec import NotebookError, parse_submission

# ---------------------------------------------------------------- untrusted status and errors

JUNK = [None, 3, "text", [1, 2], {"cells": "abc", "items": [1], "printed_bytes": "9" * 50,
                                   "kernel_restarts": {"a": 1}, "driver_error": ["x"]},
        {"cells": [{"cell": "1", "status": ["ok"], "error": {}}, 7, {"cell": 2, "status": "ok", "error": 5}],
         "items": {"softmax": [1], "sigmoid": {"status": 3, "error": None}, "1": "x"},
         "printed_bytes": 2**70, "kernel_restarts": True}]


@pytest.mark.parametrize("raw", JUNK)
def test_status_is_rebuilt_with_the_expected_types(raw: object) -> None:
    st = validated_status(raw)
    assert set(st) == {"cells", "items", "printed_bytes", "kernel_restarts", "driver_error"}
    assert all(isinstance(c["cell"], int) and isinstance(c["error"], str) for c in st["cells"])
    assert all(isinstance(v, dict) and isinstance(v["status"], str) for v in st["items"].values())
    assert isinstance(st["printed_bytes"], int) and st["printed_bytes"] < 2**62
    assert isinstance(st["kernel_restarts"], int) and isinstance(st["driver_error"], str)


@pytest.mark.parametrize("text", ['{"kind": ["x"], "type": 5, "text": null}', "[]", "not json", "",
                                  '{"kind": "timeout", "text": "timed out after 2 s"}'])
def test_error_records_are_validated(text: str) -> None:
    rec = _error_record(text, "fallback")
    assert rec.output is None and isinstance(rec.error, str) and rec.error
    assert rec.kind in ("timeout", "exception", "bad_return", "missing")
    assert isinstance(hidden_reason(rec), str)


def test_hidden_reasons_never_echo_the_learners_text() -> None:
    leaky = CaseResult(None, "ValueError: [0.123456, 0.654321]", "exception", "ValueError")
    assert hidden_reason(leaky) == "raised ValueError"
    custom = CaseResult(None, "Leak_0_123456: x", "exception", "Leak_0_123456")
    assert hidden_reason(custom) == "raised an exception"
    assert hidden_reason(CaseResult(None, "0.123456 anything", "missing")) == "no output"


@pytest.mark.parametrize("content, why", [("{}", "no list of cells"), ("[]", "no list of cells"),
                                          ("not json {", "not valid JSON"),
                                          ('{"cells": [], "nbformat": 3}', "nbformat 4"),
                                          ('{"cells": [3], "nbformat": 4}', "cell 0"),
                                          ('{"cells": [{"cell_type": "code", "source": 5}], "nbformat": 4}',
                                           "not text")])
def test_bad_notebooks_raise_one_clear_error(tmp_path: Path, content: str, why: str) -> None:
    path = tmp_path / "n.ipynb"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(NotebookError, match=why):
        parse_submission(path)


def test_missing_directory_and_non_notebook_inputs(tmp_path: Path) -> None:
    with pytest.raises(NotebookError, match="no such file"):
        parse_submission(tmp_path / "missing.ipynb")
    with pytest.raises(NotebookError, match="directory"):
        parse_submission(tmp_path)
    (tmp_path / "readme.md").write_text("# hi", encoding="utf-8")
    with pytest.raises(NotebookError, match="not a notebook"):
        parse_submission(tmp_path / "readme.md")


# ---------------------------------------------------------------- the static check on hostile sources


def test_a_chain_of_3000_helpers_is_followed_without_recursion_error() -> None:
    chain = [f"def h{i}(z):\n    return h{i + 1}(z)" for i in range(3000)]
    chain.append("import course_lib.activations as act\ndef h3000(z):\n    return act.sigmoid(z)")
    source = "\n".join(chain) + "\ndef sigmoid(z):\n    return h0(z)"
    assert find_delegation([source], "sigmoid", ("course_lib.activations.sigmoid",)) == \
        "course_lib.activations.sigmoid"
    deep = "x = " + ".".join(["a"] * 5000)  # a 5,000-deep attribute chain
    assert find_delegation([deep, "def sigmoid(z):\n    return z"], "sigmoid",
                           ("course_lib.activations.sigmoid",)) is None


@pytest.mark.parametrize("line", ["return np.linalg.solve(A, b)  # why?",
                                  "return np.linalg.solve(A, b) if '?' else 0  # ?",
                                  "return la.solve(A, b)  # ??"])
def test_lines_ending_in_a_question_mark_are_still_checked(line: str) -> None:
    src = f"import numpy as np\nimport numpy.linalg as la\ndef fit(A, b):\n    {line}"
    assert find_delegation([src], "fit", ("numpy.linalg.solve",)) == "numpy.linalg.solve"


def test_magics_and_help_lines_do_not_hide_the_cell() -> None:
    src = ("%matplotlib inline\nx = !ls\nnp.linalg.solve?\nimport course_lib.activations as act\n"
           "def sigmoid(z):\n    return act.sigmoid(z)")
    assert find_delegation([src], "sigmoid", ("course_lib.activations.sigmoid",)) is not None


def test_private_helpers_of_the_forbidden_code_are_forbidden_too() -> None:
    forbid = expand_forbid(("course_lib.activations.sigmoid",))
    assert "course_lib.activations._sigmoid" in forbid
    src = "from course_lib.activations import _sigmoid\ndef sigmoid(z):\n    return _sigmoid(z)"
    assert find_delegation([src], "sigmoid", forbid) == "course_lib.activations._sigmoid"
    assert find_delegation([src], "sigmoid", ("course_lib.activations.sigmoid",)) is None


# ---------------------------------------------------------------- CSV escaping and resume


@pytest.mark.parametrize("text", ["=HYPERLINK(\"http://x\",\"y\")", "+1", "-2+3", "@SUM(A1)", "\tx", "\rx",
                                  "'=x", "'", "plain", ""])
def test_escape_cell_round_trips_and_defuses_formulas(text: str) -> None:
    escaped = escape_cell(text)
    assert not escaped.startswith(("=", "+", "-", "@", "\t", "\r"))
    assert unescape_cell(escaped) == text


def _result(name: str, sha: str = "0123456789abcdef", message: str = "m") -> SubmissionResult:
    rows = [ItemResult(name, item, 1.0, 2.0, 1, 2, "partial", message) for item in ("a", "b")]
    return SubmissionResult(Path(name), rows, sha256=sha)


def test_csv_cells_are_escaped(tmp_path: Path) -> None:
    write_csv([_result("=HYPERLINK(\"http://evil\",\"x\").ipynb", message="-1 hidden")], tmp_path / "g.csv")
    with open(tmp_path / "g.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == CSV_COLUMNS
    assert rows[1][0].startswith("'=") and rows[1][7] == "'-1 hidden"
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


def test_resume_reads_the_last_complete_block(tmp_path: Path) -> None:
    path = tmp_path / "g.csv"
    log = CsvLog(path, [])
    log.add(_result("=s.ipynb", sha="1111111111111111"))
    log.add(_result("t.ipynb"))
    log.add(_result("=s.ipynb", sha="2222222222222222"))  # regraded after a change
    log.close()
    with open(path, "a", encoding="utf-8") as fh:  # a row cut short by a kill
        fh.write("u.ipynb,a,1,2,1,2,partial,\"unterminated")
    rows = read_csv_rows(path)
    assert set(rows) == {"=s.ipynb", "t.ipynb"}
    assert [r[-1] for r in rows["=s.ipynb"]] == ["2222222222222222"] * 2
    assert rows["t.ipynb"] == csv_rows(_result("t.ipynb"))
    CsvLog(path, rows["t.ipynb"]).close()  # a resumed run starts from the rows it keeps
    assert read_csv_rows(path) == {"t.ipynb": rows["t.ipynb"]}


# ---------------------------------------------------------------- output names


def test_output_names_are_safe_and_collision_free(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    paths = [a / "alice.ipynb", b / "alice.ipynb", tmp_path / "ALICE.ipynb", tmp_path / "../x.ipynb",
             tmp_path / "=HYPERLINK(1).ipynb", tmp_path / "<script>alert(1)</script>.ipynb",
             tmp_path / "élève ünïcode.ipynb", tmp_path / ("n" * 300 + ".ipynb"), tmp_path / "..ipynb"]
    names = output_names(paths)
    # A submission named like the suffix another one gets cannot take its place.
    names2 = output_names(paths + [tmp_path / f"{names[0]}.ipynb"])
    for ns in (names, names2):
        assert len({n.lower() for n in ns}) == len(ns)
        for n in ns:
            assert n and not n.startswith(".") and len(n) <= 72 and all(c.isalnum() or c in "._-" for c in n)
            assert n.isascii()


# ---------------------------------------------------------------- feedback pages


def test_feedback_page_escapes_everything_from_the_submission() -> None:
    hostile = "<script>alert(1)</script>"
    public = PublicCase("edge case 1", False, f"z={hostile}", "[1. 0.]", "[0. 0.]",
                        f"values differ {hostile}", ["Your softmax normalises over axis 0"],
                        f"Traceback\n  {hostile}\x1b[31mred\x1b[0m")
    item = ItemResult(hostile, "softmax", 0.0, 2.0, 0, 4, "failed", f"0/4 hidden cases passed {hostile}",
                      [public], hint=hostile)
    res = SubmissionResult(Path(f"{hostile}.ipynb"), [item], notes=[hostile],
                           cells=[{"cell": 1, "status": "error", "error": hostile, "traceback": hostile}])
    page = feedback_page(res)
    assert "<script>" not in page and "&lt;script&gt;" in page and "\x1b" not in page
    assert "edge case 1" in page and "[1. 0.]" in page and "axis 0" in page

