"""Grading a class (issue 13 item 1, issue 10 classes 3 and 7): ctrl-C and --resume, bad inputs,
hostile file names, a crash of the grader's own code, the start-up errors, and an executor that
loses its machines mid-batch (exit code 3, a row for every submission, the indices right on resume).

The done-when test: a 40-notebook batch interrupted with SIGINT and rerun with --resume ends with
the same CSV, byte for byte, as one clean run (the CSV is rewritten in input order at the end)."""

from __future__ import annotations

import csv
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest

HERE = Path(__file__).parent / "grading"
ROOT = Path(__file__).resolve().parents[1]
SOLUTION = HERE / "solutions" / "01_demo.ipynb"
WRONG = HERE / "wrong" / "wrong_softmax_mse.ipynb"
SECRET = "batch-secret"
pytestmark = pytest.mark.slow


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "TMPDIR": os.environ.get("TMPDIR", "/tmp")}


def _grade_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "course_lib.grading", "grade", *args]


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("batch-cache")


def test_interrupted_batch_resumes_to_the_same_csv(tmp_path: Path, cache: Path) -> None:
    subs = tmp_path / "subs"
    subs.mkdir()
    for i in range(40):
        shutil.copyfile(WRONG if i % 7 == 3 else SOLUTION, subs / f"student_{i:02d}.ipynb")
    paths = [str(p) for p in sorted(subs.glob("*.ipynb"))]
    common = ["--solutions", str(SOLUTION), "--jobs", "2", "--secret", SECRET, "--cache", str(cache)]
    out = tmp_path / "grades.csv"
    with open(tmp_path / "stderr.txt", "w") as err:
        proc = subprocess.Popen(_grade_cmd(*paths, "--out", str(out), *common), cwd=tmp_path, env=_env(),
                                stdout=subprocess.DEVNULL, stderr=err)
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and proc.poll() is None:
            if out.exists() and len(out.read_text(encoding="utf-8").splitlines()) > 1 + 5 * 8:
                break
            time.sleep(0.2)
        assert proc.poll() is None, "the batch ended before it could be interrupted"
        # Between two submissions a job may have no sandbox for a moment: wait for one.
        running: list[psutil.Process] = []
        while not running and time.monotonic() < deadline and proc.poll() is None:
            running = psutil.Process(proc.pid).children(recursive=True)
            time.sleep(0.05)
        assert running, "no sandbox was running"
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=60) == 130
    stderr = (tmp_path / "stderr.txt").read_text(encoding="utf-8")
    assert "interrupted" in stderr and "--resume" in stderr
    time.sleep(0.5)
    alive = [p.pid for p in running if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert alive == [], "processes of the interrupted batch are still running"
    partial = _rows(out)
    graded = {r["submission"] for r in partial}
    assert 8 <= len(graded) < 40 and len(partial) == 5 * len(graded)  # whole submissions only
    # A submission graded before the interrupt is changed: --resume must grade it again.
    changed = next(p for p in paths if p in graded)
    shutil.copyfile(WRONG if Path(changed).read_bytes() == SOLUTION.read_bytes() else SOLUTION, changed)

    resumed = subprocess.run(_grade_cmd(*paths, "--out", str(out), "--resume", *common), cwd=tmp_path,
                             env=_env(), capture_output=True, text=True, timeout=600)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert f"resuming: {len(graded) - 1} of 40" in resumed.stderr

    clean_out = tmp_path / "clean.csv"
    clean = subprocess.run(_grade_cmd(*paths, "--out", str(clean_out), *common), cwd=tmp_path, env=_env(),
                           capture_output=True, text=True, timeout=600)
    assert clean.returncode == 0, clean.stderr[-3000:]
    assert out.read_text(encoding="utf-8") == clean_out.read_text(encoding="utf-8")
    assert len(_rows(out)) == 40 * 5


def _notebook_inputs(tmp_path: Path) -> tuple[Path, list[str]]:
    sols = tmp_path / "solutions"
    sols.mkdir()
    shutil.copyfile(SOLUTION, sols / "01_demo.ipynb")
    shutil.copyfile(SOLUTION, sols / "02_other.ipynb")
    subs = tmp_path / "subs"
    for folder in ("a", "b", "folder", "empty"):
        (subs / folder).mkdir(parents=True)
    for rel in ("a/bob_01_demo.ipynb", "b/bob_01_demo.ipynb", "folder/carol_01_demo.ipynb",
                '=HYPERLINK("evil.example","x")_01_demo.ipynb', "<script>alert(1)_01_demo.ipynb",
                "élève_01_demo.ipynb", "n" * 200 + "_01_demo.ipynb", "alice.ipynb"):
        shutil.copyfile(SOLUTION, subs / rel)
    (subs / "folder" / "notes.md").write_text("not graded: a folder's notebooks only", encoding="utf-8")
    (subs / "readme.md").write_text("# hi", encoding="utf-8")
    (subs / "empty_01_demo.ipynb").write_text("{}", encoding="utf-8")
    (subs / "list_01_demo.ipynb").write_text("[]", encoding="utf-8")
    args = ["a/bob_01_demo.ipynb", "b/bob_01_demo.ipynb", "folder", "empty",
            '=HYPERLINK("evil.example","x")_01_demo.ipynb', "<script>alert(1)_01_demo.ipynb",
            "élève_01_demo.ipynb", "n" * 200 + "_01_demo.ipynb", "alice.ipynb", "readme.md",
            "empty_01_demo.ipynb", "list_01_demo.ipynb", "missing_01_demo.ipynb", "alice.ipynb"]
    return sols, args


def test_bad_inputs_hostile_names_and_duplicates(tmp_path: Path, cache: Path) -> None:
    sols, args = _notebook_inputs(tmp_path)
    res = subprocess.run(_grade_cmd(*args, "--solutions", str(sols), "--out", "g.csv",
                                    "--json", "json", "--feedback", "fb", "--jobs", "2", "--secret", SECRET,
                                    "--cache", str(cache)),
                         cwd=tmp_path / "subs", env=_env(), capture_output=True, text=True, timeout=600)
    cwd = tmp_path / "subs"
    assert res.returncode == 1, res.stderr[-3000:]
    rows = _rows(cwd / "g.csv")
    by_sub: dict[str, list[dict[str, str]]] = {}
    for r in rows:
        by_sub.setdefault(r["submission"].removeprefix("'"), []).append(r)
    errors = {s for s, rs in by_sub.items() if all(r["status"] == "error" for r in rs)}
    want_errors = {"empty", "alice.ipynb", "readme.md", "empty_01_demo.ipynb", "list_01_demo.ipynb",
                   "missing_01_demo.ipynb"}
    assert errors == want_errors, sorted(by_sub)
    for sub in want_errors:  # one clear line each
        assert f"error: {sub}:" in res.stderr
    assert "no solutions notebook matches alice.ipynb" in by_sub["alice.ipynb"][0]["message"]
    assert "given twice" in res.stderr and "2 submissions are named bob_01_demo.ipynb" in res.stderr
    graded = set(by_sub) - want_errors
    assert len(graded) == 7 and "folder/carol_01_demo.ipynb" in graded
    for sub in graded:
        score = sum(float(r["score"]) for r in by_sub[sub])
        assert score == sum(float(r["max_score"]) for r in by_sub[sub]) > 0
    with open(cwd / "g.csv", newline="", encoding="utf-8") as fh:
        cells = [c for row in csv.reader(fh) for c in row]
    assert not any(c.startswith(("=", "+", "-", "@", "\t", "\r")) for c in cells)
    assert any(c.startswith("'=HYPERLINK") for c in cells)
    n_subs = len(by_sub)
    for folder, ext in (("json", ".json"), ("fb", ".html")):
        files = sorted((cwd / folder).iterdir())
        assert len(files) == n_subs and all(f.suffix == ext and f.parent == cwd / folder for f in files)
    pages = " ".join(p.read_text(encoding="utf-8") for p in (cwd / "fb").iterdir())
    assert "<script>alert" not in pages and "&lt;script&gt;alert(1)" in pages


def test_a_crash_of_the_graders_own_code_gives_an_error_row(tmp_path: Path, cache: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from course_lib.grading import grader as grader_module
    from course_lib.grading.grader import Grader
    from course_lib.grading.runner import RunOptions

    original = grader_module.score_item

    def flaky(spec, cases, expected, results, n_public, delegated, name):  # noqa: ANN001, ANN202
        if "boom" in name:
            raise RecursionError("maximum recursion depth exceeded")
        return original(spec, cases, expected, results, n_public, delegated, name)

    monkeypatch.setattr(grader_module, "score_item", flaky)
    for name in ("boom.ipynb", "fine.ipynb"):
        shutil.copyfile(SOLUTION, tmp_path / name)
    with Grader(SOLUTION, SECRET, RunOptions(timeout=120.0), cache) as g:
        boom, fine = g.grade([tmp_path / "boom.ipynb", tmp_path / "fine.ipynb"], jobs=2)
    assert boom.error.startswith("internal grader error") and "RecursionError" in boom.error
    assert [r.status for r in boom.items] == ["error"] and boom.score == 0.0
    assert fine.score == fine.max_score > 0


def test_startup_errors_are_one_line(tmp_path: Path) -> None:
    for args, words in ((["x.ipynb"], "no solutions notebook or folder at solutions (the default"),
                        (["x.ipynb", "--solutions", "nowhere"], "no solutions notebook or folder at nowhere"),
                        (["x.ipynb", "--jobs", "0"], "--jobs: must be a positive"),
                        (["x.ipynb", "--timeout", "-1"], "--timeout: must be a positive")):
        res = subprocess.run(_grade_cmd(*args), cwd=tmp_path, env=_env(), capture_output=True, text=True,
                             timeout=60)
        assert res.returncode == 2 and words in res.stderr and "Traceback" not in res.stderr, res.stderr
    helptext = subprocess.run(_grade_cmd("--help"), cwd=tmp_path, env=_env(), capture_output=True, text=True,
                              timeout=60).stdout
    assert "(default: 300.0)" in helptext and "(default: 1)" in helptext


def _pretend_graded(grader: Any, sub: Path) -> Any:
    """Full marks on every item, without a kernel: rows that --resume keeps."""
    from course_lib.grading.grader import file_hash

    res = grader.error_result(sub, "", file_hash(sub))
    for row in res.items:
        row.status, row.score, row.message = "ok", row.max_score, "pretend"
    res.error, res.notes = "", []
    return res


class _LosesTheRest:
    """Grades (pretends to) the first submission it is given, then loses the others."""

    def grade(self, grader: Any, submissions: list[Path]) -> Iterator[tuple[int, Any]]:
        from course_lib.grading.executor import ExecutorLost

        yield 0, _pretend_graded(grader, submissions[0])
        raise ExecutorLost("the cluster was lost", "bring it back",
                           [(k, grader.error_result(sub, "not graded: lost", "")) for k, sub in
                            enumerate(submissions) if k > 0])


def test_a_lost_executor_leaves_a_row_for_each_and_exits_3(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    from course_lib.grading.batch import run_batch
    from course_lib.grading.grader import Grader
    from course_lib.grading.runner import RunOptions

    subs = [tmp_path / f"s{k}_01_demo.ipynb" for k in range(4)]
    for sub in subs:
        shutil.copyfile(SOLUTION, sub)
    out = tmp_path / "g.csv"

    def batch(resume: bool) -> tuple[int, str, dict[str, set[str]]]:
        with Grader(SOLUTION, SECRET, RunOptions(), tmp_path / "cache") as g:
            code = run_batch(g, subs, out, executor=_LosesTheRest(), resume=resume, json_path=None,
                             feedback=None)
        statuses: dict[str, set[str]] = {}
        for r in _rows(out):
            statuses.setdefault(Path(r["submission"]).name, set()).add(r["status"])
        return code, capsys.readouterr().err, statuses

    code, err, statuses = batch(resume=False)
    assert code == 3
    line = (f"error: the cluster was lost: 3 of 4 submissions not graded (error rows in {out}). To grade "
            "them, bring it back, then run the same command with --resume.")
    assert line in err.splitlines(), err
    assert "not graded: lost" not in err  # no line each: the one line says it
    assert statuses == {"s0_01_demo.ipynb": {"ok"}, **{f"s{k}_01_demo.ipynb": {"error"} for k in (1, 2, 3)}}
    code, err, statuses = batch(resume=True)  # s1 graded, s2 and s3 lost again: to their own rows
    assert code == 3 and "resuming: 1 of 4 submissions already graded" in err
    assert "2 of 4 submissions not graded" in err
    assert statuses == {**{f"s{k}_01_demo.ipynb": {"ok"} for k in (0, 1)},
                        **{f"s{k}_01_demo.ipynb": {"error"} for k in (2, 3)}}
