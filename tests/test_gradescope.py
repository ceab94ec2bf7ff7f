"""The Gradescope bundle, played in a fake container: /autograder laid out, setup.sh run once, bwrap failing.

``AUTOGRADER_ROOT`` points the bundle's scripts at a temporary folder instead of
``/autograder``. setup.sh runs for real, except that it reuses this interpreter's
installed packages (``COURSE_GRADING_SITE_SEED``) instead of downloading them. A fake
``bwrap`` on PATH fails as it does in Docker, so grading takes the container fallback
(root, an unprivileged user per kernel).
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

HERE = Path(__file__).parent / "grading"
sys.path.insert(0, str(HERE))

from adversarial import HONEST_POINTS  # noqa: E402
from adversarial_isolation import build, stub  # noqa: E402
from build_fixtures import ITEMS  # noqa: E402
from pythons import SITE, base_python  # noqa: E402

from course_lib.grading.gradescope import find_notebook, make_bundle  # noqa: E402

SOLUTION = HERE / "solutions" / "01_demo.ipynb"
HALF = HERE / "wrong" / "wrong_softmax_mse.ipynb"
SECRET = "gradescope-test-secret"
FULL = float(sum(m["points"] for m in ITEMS.values()))
FAKE_BWRAP = '#!/bin/sh\necho "bwrap: Creating new namespace failed: Operation not permitted" >&2\nexit 1\n'
pytestmark = pytest.mark.slow


def test_zip_has_the_scripts_at_its_root(tmp_path: Path) -> None:
    out = make_bundle(SOLUTION, tmp_path / "autograder.zip", SECRET)
    with zipfile.ZipFile(out) as zf:
        names = zf.namelist()
        modes = {i.filename: i.external_attr >> 16 for i in zf.infolist()}
    required = {"setup.sh", "run_autograder", "requirements.txt", "hidden/solution.ipynb",
                "hidden/secret.txt"}
    assert required <= set(names)
    assert any(n.startswith("course/course_lib-") and n.endswith(".whl") for n in names)
    assert modes["run_autograder"] & stat.S_IXUSR and modes["setup.sh"] & stat.S_IXUSR


def test_find_notebook_takes_any_name_and_refuses_links(tmp_path: Path) -> None:
    (tmp_path / "Copy of 05_optimizers (1).ipynb").write_text("{}")
    assert find_notebook(tmp_path)[0] == tmp_path / "Copy of 05_optimizers (1).ipynb"
    (tmp_path / "other.ipynb").symlink_to(SOLUTION)
    nb, _ = find_notebook(tmp_path)
    assert nb == tmp_path / "Copy of 05_optimizers (1).ipynb"  # the link is not a notebook of theirs
    (tmp_path / "second.ipynb").write_text("{}")
    assert find_notebook(tmp_path)[0] is None and "2 notebooks" in find_notebook(tmp_path)[1]


@pytest.fixture(scope="module")
def container() -> Iterator[dict]:
    if os.geteuid() != 0:
        pytest.skip("Gradescope runs the autograder as root; the fallback needs it")
    python = base_python(readable=True)
    if python is None:
        pytest.skip("no interpreter an unprivileged user can run")
    d = Path(tempfile.mkdtemp(prefix="gradescope-"))  # not pytest's: other users must traverse it
    os.chmod(d, 0o755)
    root = d / "autograder"
    (root / "source").mkdir(parents=True)
    bundle = make_bundle(SOLUTION, d / "autograder.zip", SECRET)
    with zipfile.ZipFile(bundle) as zf:  # as Gradescope does: unzip into /autograder/source, modes kept
        for info in zf.infolist():
            target = root / "source" / info.filename
            zf.extract(info, root / "source")
            if info.external_attr >> 16:
                os.chmod(target, (info.external_attr >> 16) & 0o777)
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "COURSE_GRADING_PYTHON": python,
           "COURSE_GRADING_SITE_SEED": SITE}
    (d / "bin").mkdir()
    (d / "bin" / "bwrap").write_text(FAKE_BWRAP)
    os.chmod(d / "bin" / "bwrap", 0o755)
    env["PATH"] = f"{d / 'bin'}:{env['PATH']}"
    setup = subprocess.run(["bash", str(root / "source" / "setup.sh")], cwd=root / "source", env=env,
                           capture_output=True, text=True, timeout=600)
    assert setup.returncode == 0, setup.stdout[-2000:] + setup.stderr[-2000:]
    shutil.copy2(root / "source" / "run_autograder", root / "run_autograder")
    yield {"root": root, "env": env, "d": d}
    shutil.rmtree(d, ignore_errors=True)


def _submit(container: dict, files: dict[str, Path | str]) -> tuple[dict, str]:
    root = container["root"]
    for sub in ("submission", "results"):
        shutil.rmtree(root / sub, ignore_errors=True)
    (root / "submission").mkdir()
    for name, src in files.items():
        if isinstance(src, Path):
            shutil.copyfile(src, root / "submission" / name)
        else:
            (root / "submission" / name).write_text(src, encoding="utf-8")
    res = subprocess.run([str(root / "run_autograder")], cwd=root, env=container["env"], capture_output=True,
                         text=True, timeout=600)
    assert res.returncode == 0, res.stderr[-3000:]
    data = json.loads((root / "results" / "results.json").read_text(encoding="utf-8"))
    assert isinstance(data["score"], float) and isinstance(data["output"], str)
    assert data["score"] == pytest.approx(sum(t["score"] for t in data["tests"]))
    for t in data["tests"]:
        assert set(t) >= {"name", "score", "max_score", "status", "output"}
        assert t["status"] in ("passed", "failed")
        assert "expected" not in t["output"] and "input" not in t["output"]  # nothing of the hidden cases
    return data, res.stdout


def test_setup_hides_the_source_from_other_users(container: dict) -> None:
    src = container["root"] / "source"
    assert stat.S_IMODE(src.stat().st_mode) & 0o077 == 0
    assert (src / "hidden" / "cache").is_dir()  # expected outputs precomputed by setup.sh


def test_solution_full_marks_and_stdout_names_the_isolation(container: dict) -> None:
    data, stdout = _submit(container, {"01_demo.ipynb": SOLUTION})
    assert data["score"] == FULL and [t["name"] for t in data["tests"]] == list(ITEMS)
    assert "isolation: user" in stdout


def test_untouched_stub_scores_zero(container: dict) -> None:
    data, _ = _submit(container, {"05_whatever.ipynb": stub(container["d"] / "stub.ipynb")})
    assert data["score"] == 0.0 and len(data["tests"]) == len(ITEMS)


def test_half_solved_matches_grade(container: dict) -> None:
    data, _ = _submit(container, {"Copy of 01_demo (1).ipynb": HALF})
    d = container["d"]
    # Copies: the container fallback makes the folders (and repository) of what it grades private.
    (d / "half").mkdir(exist_ok=True)
    half, solution = shutil.copy(HALF, d / "half" / "half.ipynb"), shutil.copy(SOLUTION, d / SOLUTION.name)
    python = str(container["root"] / "venv" / "bin" / "python")
    res = subprocess.run([python, "-m", "course_lib.grading", "grade", str(half),
                          "--solutions", str(solution), "--secret", SECRET, "--out", str(d / "half.csv"),
                          "--cache", str(d / "half-cache")],
                         cwd=d, env=container["env"], capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr
    import csv

    with open(d / "half.csv", newline="", encoding="utf-8") as fh:
        expected = {r["item"]: float(r["score"]) for r in csv.DictReader(fh)}
    assert {t["name"]: t["score"] for t in data["tests"]} == expected
    assert 0 < data["score"] < FULL


@pytest.mark.parametrize("honest", [False, True])
@pytest.mark.parametrize("attack", ["iso_forge", "iso_steal", "iso_kill_parent"])
def test_attacks_score_their_honest_part(container: dict, attack: str, honest: bool) -> None:
    root = container["root"]
    paths = {"forge_targets": [str(root / "results" / "results.json"), str(root / "results" / "x.json")],
             "steal_roots": [str(root)], "tmp": os.environ.get("TMPDIR", "/tmp")}
    dest = container["d"] / f"{attack}-{honest}"
    dest.mkdir(exist_ok=True)
    nb = build(dest, paths, [attack], honest=honest)[attack]
    data, _ = _submit(container, {"submission.ipynb": nb})
    assert data["score"] == pytest.approx(HONEST_POINTS if honest else 0.0), data


@pytest.mark.parametrize("files, why", [
    ({}, "No Jupyter notebook"),
    ({"a.ipynb": SOLUTION, "b.ipynb": SOLUTION}, "2 notebooks"),
    ({"answers.py": "def softmax(z):\n    return z\n"}, "No Jupyter notebook"),
])
def test_no_single_notebook_gives_zero_and_says_why(container: dict, files: dict, why: str) -> None:
    data, _ = _submit(container, files)
    assert data["score"] == 0.0 and why in data["output"]


def test_a_file_that_is_not_a_notebook_gives_zero(container: dict) -> None:
    data, _ = _submit(container, {"mine.ipynb": "this is not a notebook {"})
    assert data["score"] == 0.0 and all("could not read the notebook" in t["output"] for t in data["tests"])
