"""Writing grades: a CSV with one row per submission and item, and Gradescope's results.json.

CSV columns: ``submission, item, score, max_score, passed, total, status, message,
sha256``. ``status`` is ``ok`` (every hidden case passed), ``partial``, ``failed``,
``delegated`` (the function used course_lib's own version) or ``error`` (the
submission could not be graded: not a notebook, no matching solutions, a crash of
the grader itself; such a submission has one row with an empty ``item`` when no
solutions notebook matched). Scores are rounded to 4 decimals. ``sha256`` is the
first 16 hex digits of the submission file's hash when its row was written:
``--resume`` regrades a submission whose file changed since (``none`` when the file
could not be read).

A text cell that a spreadsheet would read as a formula (it begins with ``=``,
``+``, ``-``, ``@``, a tab or a carriage return) is written with a leading ``'``;
so is one that already begins with ``'`` (so that reading it back is exact).

Gradescope's format (https://gradescope-autograders.readthedocs.io, "Output format")::

    {"score": 7.5, "output": "...", "tests": [{"name": "sigmoid", "score": 2.0,
      "max_score": 2.0, "output": "5/5 hidden cases passed"}, ...]}

With one submission, ``--json PATH`` writes that file (on Gradescope:
``/autograder/results/results.json``). With several, ``PATH`` is a directory and
each submission gets ``PATH/<name>.json``, ``<name>`` from :func:`output_names`.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TextIO

from .scoring import SubmissionResult

__all__ = ["CSV_COLUMNS", "csv_rows", "write_csv", "CsvLog", "read_csv_rows", "escape_cell", "unescape_cell",
           "output_names", "gradescope_results", "write_gradescope", "write_gradescope_one"]

CSV_COLUMNS = ["submission", "item", "score", "max_score", "passed", "total", "status", "message", "sha256"]
_ACTIVE = ("=", "+", "-", "@", "\t", "\r", "'")
_HASH = re.compile(r"^[0-9a-f]{16}$")


def escape_cell(text: str) -> str:
    """``text`` made inert for spreadsheets (a leading ``'`` before a formula-like start)."""
    return "'" + text if text.startswith(_ACTIVE) else text


def unescape_cell(text: str) -> str:
    """Inverse of :func:`escape_cell`."""
    return text[1:] if text.startswith("'") else text


def csv_rows(result: SubmissionResult) -> list[list[str]]:
    """The CSV rows of one submission, every text cell escaped."""
    return [[escape_cell(r.submission), escape_cell(r.item), f"{r.score:g}", f"{r.max_score:g}",
             str(r.passed), str(r.total), escape_cell(r.status), escape_cell(r.message),
             result.sha256 or "none"]
            for r in result.items]


def write_csv(results: Iterable[SubmissionResult], path: Path) -> None:
    """One row per submission and item (written to a temporary file, then renamed into place)."""
    write_rows([row for res in results for row in csv_rows(res)], path)


def write_rows(rows: list[list[str]], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(CSV_COLUMNS)
        writer.writerows(rows)
    os.replace(tmp, path)


class CsvLog:
    """Rows appended and flushed as each submission finishes, so a crash or ctrl-C loses none.

    The file starts as the header and ``keep`` (the rows a resumed run keeps, written to
    a temporary file and renamed, so stale rows and a row cut short by a kill are gone).
    """

    def __init__(self, path: Path, keep: list[list[str]]) -> None:
        write_rows(keep, path)
        self.fh: TextIO = open(path, "a", newline="", encoding="utf-8")  # noqa: SIM115
        self.writer = csv.writer(self.fh)

    def add(self, result: SubmissionResult) -> None:
        self.writer.writerows(csv_rows(result))
        self.fh.flush()

    def close(self) -> None:
        self.fh.close()


def read_csv_rows(path: Path) -> dict[str, list[list[str]]]:
    """Rows of an earlier run's CSV by (unescaped) submission: its last block of well-formed rows.

    A submission graded twice (an interrupted resume) has several blocks; a new block
    starts when an item repeats or the hash changes, and the last one wins.
    """
    found: dict[str, list[list[str]]] = {}
    if not path.exists():
        return found
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        if next(reader, None) != CSV_COLUMNS:
            return found
        for row in reader:
            if len(row) != len(CSV_COLUMNS) or not (_HASH.match(row[-1]) or row[-1] == "none"):
                continue
            block = found.setdefault(unescape_cell(row[0]), [])
            if block and (block[-1][-1] != row[-1] or any(r[1] == row[1] for r in block)):
                block.clear()
            block.append(row)
    return found


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_MAX_NAME = 60


def _safe_stem(stem: str) -> str:
    name = _UNSAFE.sub("_", stem).strip("._-")[:_MAX_NAME].rstrip("._-")
    return name or "submission"


def output_names(paths: list[Path]) -> list[str]:
    """A safe, distinct file name stem for each submission (for Gradescope JSON and feedback pages).

    Only ``[A-Za-z0-9._-]``, at most ~70 characters, never starting with a dot, distinct
    even on a case-insensitive file system. Stems shared by several submissions (or
    equal to another's name) get a suffix from a hash of the submission's full path.
    """
    bases = [_safe_stem(p.stem) for p in paths]
    counts: dict[str, int] = {}
    for b in bases:
        counts[b.lower()] = counts.get(b.lower(), 0) + 1
    used: set[str] = set()
    names = []
    for path, base in zip(paths, bases, strict=True):
        name, salt = base, 0
        while counts[base.lower()] > 1 or name.lower() in used:
            digest = hashlib.sha256(f"{path.resolve()}\0{salt}".encode()).hexdigest()[:10]
            name, salt = f"{base}-{digest}", salt + 1
            if name.lower() not in used and name.lower() not in counts:
                break
        used.add(name.lower())
        names.append(name)
    return names


def gradescope_results(result: SubmissionResult) -> dict[str, Any]:
    """Gradescope's results.json content for one submission."""
    tests = [{"name": r.item, "score": r.score, "max_score": r.max_score, "output": r.message,
              "status": "passed" if r.status == "ok" else "failed"} for r in result.items]
    notes = list(result.notes) or ["Graded on hidden test cases."]
    return {"score": result.score, "output": "\n".join(notes), "tests": tests,
            "visibility": "visible", "stdout_visibility": "hidden"}


def write_gradescope_one(result: SubmissionResult, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(gradescope_results(result), indent=2) + "\n", encoding="utf-8")


def write_gradescope(results: list[SubmissionResult], path: Path) -> list[Path]:
    """Write results.json (one submission) or ``path/<name>.json`` each (several); returns the files."""
    if len(results) == 1 and path.suffix == ".json":
        targets = [path]
    else:
        targets = [path / f"{n}.json" for n in output_names([r.submission for r in results])]
    for res, target in zip(results, targets, strict=True):
        write_gradescope_one(res, target)
    return targets
