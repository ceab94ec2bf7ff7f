"""End-to-end tests of the grader: real kernels, real bwrap, the CLI, CSV and Gradescope JSON.

One grading run (``graded``) covers the solutions fixture, its generated exercise,
the deliberately wrong submissions and the adversarial set, in parallel
(``--jobs 3``). Under pytest-xdist the run happens once: the first worker to need
it runs it under a file lock and the others read its results.

Expected scores are derived from the declarations' case counts, never tuned.
"""

from __future__ import annotations

import csv
import fcntl
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest

HERE = Path(__file__).parent / "grading"
sys.path.insert(0, str(HERE))

from adversarial import HONEST, HONEST_POINTS, build  # noqa: E402
from build_fixtures import ITEMS  # noqa: E402
from pythons import base_python, make_venv  # noqa: E402

from course_lib.grading.cases import n_hidden  # noqa: E402
from course_lib.grading.grader import expected_cache_key  # noqa: E402
from course_lib.grading.sandbox import bwrap_available  # noqa: E402
from course_lib.grading.spec import read_items  # noqa: E402

SOLUTION = HERE / "solutions" / "01_demo.ipynb"
SECRET = "e2e-secret"
PY = sys.executable
pytestmark = pytest.mark.slow


def _cli(*args: str, cwd: Path, env_extra: dict[str, str] | None = None, timeout: float = 600,
         python: str = PY) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **(env_extra or {})}
    if python == PY:
        env["PYTHONPATH"] = str(Path(__file__).resolve().parents[1])
    return subprocess.run([python, "-m", "course_lib.grading", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)


FAKE_BWRAP = '#!/bin/sh\necho "bwrap: Creating new namespace failed: Operation not permitted" >&2\nexit 1\n'


def _mode_setup(d: Path, mode: str) -> tuple[str, dict[str, str]]:
    """The interpreter and environment of a mode: real bwrap, or Docker's failing bwrap as root."""
    if mode == "bwrap":
        return PY, {"COURSE_GRADING_SANDBOX": "bwrap"}
    python = make_venv(d / "env", readable=True)
    assert python is not None
    (d / "bin").mkdir(parents=True, exist_ok=True)
    (d / "bin" / "bwrap").write_text(FAKE_BWRAP)
    os.chmod(d / "bin" / "bwrap", 0o755)
    return str(python), {"COURSE_GRADING_SANDBOX": "auto", "PATH": f"{d / 'bin'}:{os.environ['PATH']}"}


def _rows(path: Path) -> dict[tuple[str, str], dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return {(Path(r["submission"]).stem, r["item"]): r for r in csv.DictReader(fh)}


def _marker_processes(marker: str) -> list[int]:
    import psutil

    found = []
    for proc in psutil.process_iter(["pid", "cmdline"]):
        if marker in " ".join(proc.info.get("cmdline") or []):
            found.append(proc.info["pid"])
    return found


def _run_everything(d: Path, mode: str = "bwrap") -> dict[str, object]:
    python, mode_env = _mode_setup(d, mode)
    for sub in ("solutions", "subs", "cwd", "out", "cache", "json"):
        (d / sub).mkdir(parents=True, exist_ok=True)
    solution = d / "solutions" / SOLUTION.name
    shutil.copyfile(SOLUTION, solution)
    gen = _cli("generate", "--solutions", str(d / "solutions"), "--exercises", str(d / "exercises"),
               cwd=d / "cwd", env_extra=mode_env, python=python)
    exercise = d / "exercises" / SOLUTION.name
    shutil.copyfile(exercise, d / "subs" / "exercise.ipynb")
    shutil.copyfile(solution, d / "subs" / "solution.ipynb")
    for wrong in sorted((HERE / "wrong").glob("*.ipynb")):
        shutil.copyfile(wrong, d / "subs" / wrong.name)
    (d / "subs" / "garbage.ipynb").write_text("this is not a notebook {", encoding="utf-8")
    victim = d / "out" / "victim.txt"
    victim.write_text("original", encoding="utf-8")
    n_softmax = n_hidden(next(s for s in read_items(solution) if s.item == "softmax"))
    key = expected_cache_key(solution, SECRET)
    marker = f"course-grading-daemon-{uuid.uuid4().hex}"
    paths = {"cwd": str(d / "cwd"), "out_csv": str(d / "out" / "grades.csv"), "victim": str(victim),
             "solutions_dir": str(d / "solutions"), "solution": str(solution), "cache_dir": str(d / "cache"),
             "marker": marker,
             "expected_softmax": [str(d / "cache" / key / "softmax" / f"{i}.npz") for i in range(n_softmax)]}
    build(d / "subs", paths)
    subs = sorted(str(p) for p in (d / "subs").glob("*.ipynb"))
    start = time.monotonic()
    res = _cli("grade", *subs, "--solutions", str(d / "solutions"), "--out", paths["out_csv"],
               "--json", str(d / "json"), "--jobs", "3", "--timeout", "90", "--cell-timeout", "5",
               "--call-timeout", "2", "--memory", "1024", "--secret", SECRET, "--cache", str(d / "cache"),
               cwd=d / "cwd", env_extra=mode_env, python=python)
    elapsed = time.monotonic() - start
    csv_text = Path(paths["out_csv"]).read_text(encoding="utf-8") if res.returncode in (0, 1) else ""
    time.sleep(3)  # give any surviving daemon time to strike
    pwned = [str(p) for p in d.rglob("pwned.txt")]
    return {
        "generate_rc": gen.returncode, "generate_err": gen.stderr[-3000:],
        "rc": res.returncode, "stdout": res.stdout, "stderr": res.stderr[-5000:], "elapsed": elapsed,
        "csv_path": paths["out_csv"], "csv_text": csv_text,
        "csv_after": Path(paths["out_csv"]).read_text(encoding="utf-8") if res.returncode in (0, 1) else "",
        "victim": victim.read_text(encoding="utf-8"), "pwned": pwned,
        "marker_pids": _marker_processes(marker), "json_dir": str(d / "json"),
        "cache_files": sorted(str(p.relative_to(d / "cache")) for p in (d / "cache").rglob("*")),
        "solution_after": solution.read_bytes() == SOLUTION.read_bytes(),
    }


@pytest.fixture(scope="session", params=["bwrap", "container"])
def graded(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    mode = request.param  # container: root, bwrap failing as in Docker -> an unprivileged user per kernel
    if mode == "bwrap" and not bwrap_available():
        pytest.skip("bubblewrap (bwrap) is not usable here; .ci/run installs it")
    if mode == "container" and (os.geteuid() != 0 or base_python(readable=True) is None):
        pytest.skip("the container fallback needs root and an interpreter an unprivileged user can run")
    run_id = os.environ.get("PYTEST_XDIST_TESTRUNUID")
    # Not pytest's own temp folders in container mode: they are private, the kernel's user could not run.
    base = Path(tempfile.gettempdir()) if mode == "container" else tmp_path_factory.getbasetemp().parent
    if run_id:  # shared by every xdist worker of this test run
        d = base / f"grading-e2e-{mode}-{run_id}"
    elif mode == "container":
        d = Path(tempfile.mkdtemp(prefix="grading-e2e-container-"))
    else:
        d = tmp_path_factory.mktemp("grading-e2e")
    d.mkdir(parents=True, exist_ok=True)
    os.chmod(d, 0o755)
    with open(d / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        result = d / "result.json"
        if not result.exists():
            result.write_text(json.dumps(_run_everything(d / "run", mode)), encoding="utf-8")
        data = json.loads(result.read_text(encoding="utf-8"))
    # 1: garbage.ipynb could not be graded (an error row); everything else was
    assert data["rc"] == 1 and "1 submission(s) could not be graded" in data["stderr"], data["stderr"]
    data["rows"] = _rows(Path(data["csv_path"]))
    return data


def _points(item: str) -> float:
    return float(ITEMS[item]["points"])


def _n(item: str) -> tuple[int, int]:
    cases = ITEMS[item]["cases"]
    return len(cases.get("edge", [])), int(cases["random"])


def _assert_scores(rows: dict, name: str, expected: dict[str, float]) -> None:
    for item in ITEMS:
        row = rows[(name, item)]
        assert float(row["score"]) == pytest.approx(round(expected.get(item, 0.0), 4), abs=1e-9), (item, row)
        assert float(row["max_score"]) == _points(item)


def test_generate_succeeded(graded: dict) -> None:
    assert graded["generate_rc"] == 0, graded["generate_err"]


def test_solutions_score_full_marks(graded: dict) -> None:
    _assert_scores(graded["rows"], "solution", {i: _points(i) for i in ITEMS})
    assert all(graded["rows"][("solution", i)]["status"] == "ok" for i in ITEMS)


def test_untouched_exercise_scores_zero(graded: dict) -> None:
    _assert_scores(graded["rows"], "exercise", {})
    for item in ITEMS:
        assert "NotImplementedError" in graded["rows"][("exercise", item)]["message"]


def test_unreadable_notebook_gets_rows_with_reason(graded: dict) -> None:
    _assert_scores(graded["rows"], "garbage", {})
    assert all("could not read the notebook" in graded["rows"][("garbage", i)]["message"] for i in ITEMS)


def test_wrong_softmax_and_summed_mse(graded: dict) -> None:
    edge, rand = _n("softmax")  # no max-shift: nan on exactly the large-logit edge cases, which are
    expected = {i: _points(i) for i in ITEMS}  # public (reported, not scored)
    expected["mse_and_grad"] = 0.0  # summed: wrong on every case (n >= 2)
    _assert_scores(graded["rows"], "wrong_softmax_mse", expected)
    public = ITEMS["softmax"]["cases"]["public"]
    message = graded["rows"][("wrong_softmax_mse", "softmax")]["message"]
    assert f"public cases: {public}/{edge + public} passed" in message
    assert "likely mistake: Your result is n times too large" in graded["rows"][
        ("wrong_softmax_mse", "mse_and_grad")]["message"]


def test_wrong_adam_classifier_and_sigmoid(graded: dict) -> None:
    edge, rand = _n("sigmoid")  # raises on the 1-D edge case only, which is public
    expected = {i: _points(i) for i in ITEMS}
    expected.update(adam_step=0.0, train_and_predict=0.0)
    _assert_scores(graded["rows"], "wrong_adam_classifier", expected)
    assert "accuracy below" in graded["rows"][("wrong_adam_classifier", "train_and_predict")]["message"]
    public = ITEMS["sigmoid"]["cases"]["public"]
    assert f"public cases: {public}/{edge + public}" in graded["rows"][("wrong_adam_classifier", "sigmoid")][
        "message"]


def test_delegation_earns_nothing(graded: dict) -> None:
    expected = {i: _points(i) for i in ITEMS}
    expected.update(sigmoid=0.0, softmax=0.0)
    _assert_scores(graded["rows"], "wrong_delegation", expected)
    for item in ("sigmoid", "softmax"):  # static (alias) and run-time (importlib + getattr) detection
        row = graded["rows"][("wrong_delegation", item)]
        assert row["status"] == "delegated" and "course_lib.activations" in row["message"]


ADVERSARIAL = ["adv_numpy_patch", "adv_check_redefined", "adv_exits", "adv_loops", "adv_memory",
               "adv_subclass", "adv_escape", "adv_daemon", "adv_print", "adv_read_hidden", "adv_syntax",
               "adv_forge_outputs", "adv_replay_forge"]


@pytest.mark.parametrize("name", ADVERSARIAL)
def test_adversarial_scores_exactly_its_honest_part(graded: dict, name: str) -> None:
    _assert_scores(graded["rows"], name, {i: _points(i) for i in HONEST})
    total = sum(float(graded["rows"][(name, i)]["score"]) for i in ITEMS)
    assert total == pytest.approx(HONEST_POINTS)


def test_reasons_are_reported(graded: dict) -> None:
    rows = graded["rows"]
    assert "timed out" in rows[("adv_loops", "softmax")]["message"]
    assert "kernel died" in rows[("adv_exits", "softmax")]["message"]
    assert "MemoryError" in rows[("adv_memory", "softmax")]["message"]
    assert "MB (discarded)" in rows[("adv_print", "softmax")]["message"]
    assert "SyntaxError" in rows[("adv_syntax", "softmax")]["message"]
    # Links planted over softmax's outputs after its calls returned were discarded: its own
    # (wrong) zeros were graded.
    assert "values differ" in rows[("adv_escape", "softmax")]["message"]
    # The cells could not read the hidden inputs: they are not in WORK/in/ while cells run.
    assert "FileNotFoundError" in rows[("adv_read_hidden", "softmax")]["message"]


def test_attacks_really_ran(graded: dict) -> None:
    # The attack cells themselves ran without error (so the tests below are not vacuous).
    for name in ("adv_daemon", "adv_escape", "adv_numpy_patch", "adv_check_redefined", "adv_forge_outputs"):
        assert "code cell" not in graded["rows"][(name, "softmax")]["message"], name


def test_sandbox_kept_files_and_daemons_in(graded: dict) -> None:
    assert graded["pwned"] == []
    assert graded["victim"] == "original"
    assert graded["csv_after"] == graded["csv_text"] and "PWNED" not in graded["csv_text"]
    assert graded["marker_pids"] == []
    assert graded["solution_after"]
    assert not any("pwned" in f for f in graded["cache_files"])


def test_gradescope_json(graded: dict) -> None:
    data = json.loads((Path(graded["json_dir"]) / "solution.json").read_text(encoding="utf-8"))
    assert data["score"] == pytest.approx(sum(_points(i) for i in ITEMS))
    assert [t["name"] for t in data["tests"]] == list(ITEMS)
    for t in data["tests"]:
        assert set(t) >= {"name", "score", "max_score", "output"} and t["score"] == t["max_score"]
    wrong = json.loads((Path(graded["json_dir"]) / "adv_exits.json").read_text(encoding="utf-8"))
    assert wrong["score"] == pytest.approx(HONEST_POINTS) and "restarted" in wrong["output"]


def test_csv_has_one_row_per_submission_and_item(graded: dict) -> None:
    lines = list(csv.reader(graded["csv_text"].splitlines()))
    assert lines[0] == ["submission", "item", "score", "max_score", "passed", "total", "status", "message",
                        "sha256"]
    n_subs = len({Path(r[0]).stem for r in lines[1:]})
    assert len(lines) - 1 == n_subs * len(ITEMS)


def test_fallback_without_bwrap_warns_and_grades(tmp_path: Path) -> None:
    subs = [str(SOLUTION), str(HERE / "wrong" / "wrong_softmax_mse.ipynb")]
    res = _cli("grade", *subs, "--solutions", str(SOLUTION), "--out", str(tmp_path / "g.csv"),
               "--jobs", "2", "--secret", SECRET, "--cache", str(tmp_path / "cache"), "--sandbox", "none",
               cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert "grading is NOT sandboxed" in res.stderr
    rows = _rows(tmp_path / "g.csv")
    assert sum(float(rows[("01_demo", i)]["score"]) for i in ITEMS) == pytest.approx(sum(map(_points, ITEMS)))
    assert float(rows[("wrong_softmax_mse", "softmax")]["score"]) == _points("softmax")
    assert "graded without a sandbox" in rows[("wrong_softmax_mse", "mse_and_grad")]["message"]


def test_generate_is_idempotent_and_check_detects_staleness(tmp_path: Path) -> None:
    sol = tmp_path / "solutions"
    sol.mkdir()
    shutil.copyfile(SOLUTION, sol / SOLUTION.name)
    ex = tmp_path / "exercises"
    assert _cli("generate", "--solutions", str(sol), "--exercises", str(ex), cwd=tmp_path).returncode == 0
    first = (ex / SOLUTION.name).read_bytes()
    again = _cli("generate", "--solutions", str(sol), "--exercises", str(ex), cwd=tmp_path)
    assert again.returncode == 0 and "0 exercise notebook(s) updated" in again.stdout
    assert (ex / SOLUTION.name).read_bytes() == first
    fresh = _cli("generate", "--solutions", str(sol), "--exercises", str(ex), "--check", cwd=tmp_path)
    assert fresh.returncode == 0, fresh.stdout
    (ex / SOLUTION.name).write_text(first.decode().replace("Demo exercises", "Stale"), encoding="utf-8")
    stale = _cli("generate", "--solutions", str(sol), "--exercises", str(ex), "--check", cwd=tmp_path)
    assert stale.returncode == 1 and "out of date" in stale.stdout
