"""Writing grades: a CSV with one row per submission and item, and Gradescope's results.json.

CSV columns: ``submission, item, score, max_score, passed, total, status, message``.
``status`` is ``ok`` (every hidden case passed), ``partial``, ``failed``,
``delegated`` (the function used course_lib's own version) or ``error`` (the
notebook could not be read). Scores are rounded to 4 decimals.

Gradescope's format (https://gradescope-autograders.readthedocs.io, "Output format")::

    {"score": 7.5, "output": "...", "tests": [{"name": "sigmoid", "score": 2.0,
      "max_score": 2.0, "output": "5/5 hidden cases passed"}, ...]}

With one submission, ``--json PATH`` writes that file (on Gradescope:
``/autograder/results/results.json``). With several, ``PATH`` is a directory and
each submission gets ``PATH/<notebook stem>.json`` (``<stem>-2.json``, ... if two share a
name).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from .grader import SubmissionResult

__all__ = ["CSV_COLUMNS", "write_csv", "gradescope_results", "write_gradescope"]

CSV_COLUMNS = ["submission", "item", "score", "max_score", "passed", "total", "status", "message"]


def write_csv(results: list[SubmissionResult], path: Path) -> None:
    """One row per submission and item."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(CSV_COLUMNS)
        for res in results:
            for r in res.items:
                writer.writerow([r.submission, r.item, f"{r.score:g}", f"{r.max_score:g}", r.passed, r.total,
                                 r.status, r.message])


def gradescope_results(result: SubmissionResult) -> dict[str, Any]:
    """Gradescope's results.json content for one submission."""
    tests = [{"name": r.item, "score": r.score, "max_score": r.max_score, "output": r.message,
              "status": "passed" if r.status == "ok" else "failed"} for r in result.items]
    notes = list(result.notes) or ["Graded on hidden test cases."]
    return {"score": result.score, "output": "\n".join(notes), "tests": tests,
            "visibility": "visible", "stdout_visibility": "hidden"}


def write_gradescope(results: list[SubmissionResult], path: Path) -> list[Path]:
    """Write results.json (one submission) or ``path/<stem>.json`` each (several); returns the files."""
    if len(results) == 1 and path.suffix == ".json":
        targets = [path]
    else:
        path.mkdir(parents=True, exist_ok=True)
        stems = [r.submission.stem for r in results]
        # Two submissions with the same file name (from different folders) get -2, -3, ...
        targets = [path / (f"{s}.json" if stems[:i].count(s) == 0 else f"{s}-{stems[:i].count(s) + 1}.json")
                   for i, s in enumerate(stems)]
    for res, target in zip(results, targets, strict=True):
        target.write_text(json.dumps(gradescope_results(res), indent=2) + "\n", encoding="utf-8")
    return targets
