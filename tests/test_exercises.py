"""The course's own exercises: generated from solutions/, full marks for the solutions, 0 untouched,
and 0 for a nearest-centroid rule on the open-ended classifiers (they must need what they teach).

Runs the grading CLI exactly as an instructor would, over every chapter's
solutions notebook and its generated exercise notebook at once (two in parallel),
in the bubblewrap sandbox when it is available.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from course_lib.grading.generate import fill_regions
from course_lib.grading.spec import read_items

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = sorted((ROOT / "solutions").glob("[0-9][0-9]_*.ipynb"))
CHAPTERS = ["01_introduction", "02_regression", "03_losses", "04_backpropagation", "05_optimizers",
            "06_regularization", "07_training_in_practice"]
pytestmark = pytest.mark.slow

# The shortcut the open-ended classifiers must not reward: predict the class whose training mean
# is nearest (after standardising), which passes on well-separated round blobs.
CENTROID = [
    "    mu, sd = X_train.mean(axis=0), X_train.std(axis=0) + 1e-12",
    "    A, B = (X_train - mu) / sd, (X_test - mu) / sd",
    "    classes = np.unique(y_train)",
    "    means = np.stack([A[y_train == c].mean(axis=0) for c in classes])",
    "    return classes[((B[:, None, :] - means[None]) ** 2).sum(axis=-1).argmin(axis=1)]",
]
OPEN_ENDED = {"02_regression": "train_logistic", "04_backpropagation": "train_relu_network"}


def _centroid_submission(chapter: str, folder: Path) -> Path:
    """The exercise notebook with only the open-ended classifier filled in, by nearest centroid."""
    nb = nbformat.read(ROOT / "exercises" / f"{chapter}.ipynb", as_version=4)
    for cell in nb.cells:
        if cell.get("metadata", {}).get("grading", {}).get("item") == OPEN_ENDED[chapter]:
            cell.source = fill_regions(cell.source, [CENTROID])
    path = folder / f"{chapter}.ipynb"
    nbformat.write(nb, path)
    return path


def _grading(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "course_lib.grading", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=900)


def test_every_chapter_has_five_graded_items_and_one_checked_by_behaviour():
    assert [p.stem for p in SOLUTIONS] == CHAPTERS
    total = 0
    for path in SOLUTIONS:
        items = read_items(path)
        assert len(items) >= 5, f"{path.name} has {len(items)} graded items"
        behavioural = [i for i in items if i.compare.get("checker", "allclose") != "allclose"]
        assert behavioural, f"{path.name} has no item checked by behaviour"
        total += len(items)
    assert total >= 35
    assert len(read_items(ROOT / "solutions" / "07_training_in_practice.ipynb")) >= 6


def test_exercises_are_generated_from_the_current_solutions():
    res = _grading("generate", "--check", cwd=ROOT)
    assert res.returncode == 0, res.stdout + res.stderr


@pytest.fixture(scope="module")
def grades(tmp_path_factory) -> dict[str, list[dict[str, str]]]:
    out = tmp_path_factory.mktemp("course-grades") / "grades.csv"
    centroid = out.parent / "centroid"
    centroid.mkdir()
    subs = [str(p) for p in SOLUTIONS] + [str(ROOT / "exercises" / p.name) for p in SOLUTIONS]
    subs += [str(_centroid_submission(chapter, centroid)) for chapter in OPEN_ENDED]
    res = _grading("grade", *subs, "--solutions", str(ROOT / "solutions"), "--out", str(out),
                   "--jobs", "2", "--cache", str(out.parent / "cache"), cwd=out.parent)
    assert res.returncode == 0, res.stderr[-3000:]
    rows: dict[str, list[dict[str, str]]] = {}
    with open(out, newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            rows.setdefault(row["submission"], []).append(row)
    return rows


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_solutions_score_full_marks(grades, chapter):
    rows = grades[str(ROOT / "solutions" / f"{chapter}.ipynb")]
    assert len(rows) == len(read_items(ROOT / "solutions" / f"{chapter}.ipynb"))
    for row in rows:
        assert float(row["score"]) == float(row["max_score"]) > 0, row


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_untouched_exercises_score_zero(grades, chapter):
    rows = grades[str(ROOT / "exercises" / f"{chapter}.ipynb")]
    assert len(rows) == len(read_items(ROOT / "solutions" / f"{chapter}.ipynb"))
    for row in rows:
        assert float(row["score"]) == 0.0, row


@pytest.mark.parametrize("chapter", sorted(OPEN_ENDED))
def test_a_nearest_centroid_rule_fails_the_open_ended_classifier(grades, chapter):
    rows = [r for sub, rs in grades.items() if sub.endswith(f"centroid/{chapter}.ipynb") for r in rs]
    (row,) = [r for r in rows if r["item"] == OPEN_ENDED[chapter]]
    assert float(row["score"]) == 0.0 < float(row["max_score"]), row
    assert "accuracy below" in row["message"], row
