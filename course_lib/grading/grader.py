"""Grading submissions against the solutions notebook: the grader's side of the fence.

For each solutions notebook the hidden cases are drawn from the secret, and the
solutions are run through the same sandboxed driver to get the expected outputs
(cached under a hash of the notebook, the secret and this package's code). Each
submission then runs in its own fresh kernel and sandbox; only its plain-array
outputs come back, and they are compared here.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import shutil
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .cases import Case, hidden_cases
from .compare import Output, load_output, score_case
from .delegation import delegation_message, find_delegation
from .runner import RunOptions, RunResult, SubmissionRefused, read_submission, run_notebook
from .sandbox import CONTAINER_NOTE, NOT_SANDBOXED_WARNING
from .spec import NOTEBOOK_KEY, ItemSpec, read_items, read_notebook

__all__ = ["ItemResult", "SubmissionResult", "GradingError", "Grader", "default_cache_dir", "code_version",
           "expected_cache_key"]


class GradingError(RuntimeError):
    """The solutions themselves cannot be graded (e.g. a solution fails its own case)."""


@dataclass
class ItemResult:
    """One row of the grades: a submission's score on one item, and why."""

    submission: str
    item: str
    score: float
    max_score: float
    passed: int
    total: int
    status: str
    message: str


@dataclass
class SubmissionResult:
    """All items of one submission, plus notes about the run as a whole."""

    submission: Path
    items: list[ItemResult]
    notes: list[str] = field(default_factory=list)

    @property
    def score(self) -> float:
        return round(sum(r.score for r in self.items), 4)

    @property
    def max_score(self) -> float:
        return round(sum(r.max_score for r in self.items), 4)


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/course_lib/grading`` (``~/.cache/...`` by default)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "course_lib" / "grading"


def code_version() -> str:
    """A hash of this package's source: expected outputs are recomputed when it changes."""
    h = hashlib.sha256()
    for p in sorted(Path(__file__).parent.glob("*.py")):
        h.update(p.name.encode() + b"\0" + p.read_bytes())
    return h.hexdigest()[:16]


def expected_cache_key(solutions: Path, secret: str) -> str:
    """The cache folder name of a solutions notebook's expected outputs."""
    h = hashlib.sha256(solutions.read_bytes())
    h.update(b"\0" + secret.encode() + b"\0" + code_version().encode())
    return h.hexdigest()[:32]


def _notes(run: RunResult) -> list[str]:
    notes = []
    st = run.status
    for cell in st.get("cells", [])[:50]:
        if isinstance(cell, dict) and cell.get("status") not in ("ok", None):
            notes.append(f"code cell {cell.get('cell', '?')}: {cell.get('status')}: {cell.get('error', '')}"
                         .strip()[:300])
    printed = st.get("printed_bytes", 0)
    if isinstance(printed, int) and printed > 1_000_000:
        notes.append(f"the notebook printed {printed / 1e6:.1f} MB (discarded)")
    if st.get("kernel_restarts"):
        notes.append(f"the kernel died and was restarted {st['kernel_restarts']} time(s)")
    if st.get("driver_error"):
        notes.append(f"grading driver: {str(st['driver_error'])[:300]}")
    if run.timed_out:
        notes.append("the whole submission ran out of time and was killed")
    if not run.sandboxed:
        notes.append("graded without a sandbox")
    return notes


def _score_item(spec: ItemSpec, cases: list[Case], expected: list[Output], run: RunResult,
                delegated: str | None, name: str) -> ItemResult:
    n = len(cases)
    if delegated:
        return ItemResult(name, spec.item, 0.0, spec.points, 0, n, "delegated",
                          delegation_message(spec.function, delegated))
    fractions, first_problem = [], ""
    for i, (case, exp) in enumerate(zip(cases, expected, strict=True)):
        got = run.cases[spec.item][i]
        if got.output is None:
            frac, msg = 0.0, got.error
        else:
            frac, msg = score_case(spec.compare, got.output, exp, case)
        fractions.append(frac)
        if frac < 1.0 and not first_problem:
            first_problem = f"{case.label}: {msg}"
    passed = sum(1 for f in fractions if f >= 1.0)
    score = round(spec.points * sum(fractions) / n, 4)
    status = "ok" if passed == n else ("partial" if score > 0 else "failed")
    message = f"{passed}/{n} hidden cases passed"
    if first_problem:
        message += f"; first failure, {first_problem}"
    return ItemResult(name, spec.item, score, spec.points, passed, n, status, message[:1000])


def _match_solution(submission: Path, solutions: list[Path]) -> Path | None:
    """Which solutions notebook a submission belongs to (metadata first, then file name)."""
    try:
        source = read_notebook(submission).metadata.get(NOTEBOOK_KEY, {}).get("source")
    except Exception:  # noqa: BLE001 - unreadable notebooks are matched by name, then fail to run
        source = None
    by_stem = {p.stem: p for p in solutions}
    if isinstance(source, str) and source in by_stem:
        return by_stem[source]
    if submission.stem in by_stem:
        return by_stem[submission.stem]
    contained = [p for p in solutions if p.stem in submission.stem]
    if len(contained) == 1:
        return contained[0]
    return solutions[0] if len(solutions) == 1 else None


class Grader:
    """Grades submissions against one or more solutions notebooks.

    Parameters
    ----------
    solutions : a solutions notebook, or a directory of them.
    secret : the secret the hidden cases are drawn from.
    options : limits and sandbox choice for each run.
    cache_dir : where expected outputs are cached.
    """

    def __init__(self, solutions: Path, secret: str, options: RunOptions, cache_dir: Path) -> None:
        self.solutions = sorted(solutions.glob("*.ipynb")) if solutions.is_dir() else [solutions]
        if not self.solutions:
            raise GradingError(f"no solutions notebooks found at {solutions}")
        self.secret, self.options, self.cache_dir = secret, options, cache_dir
        self.items = {p: read_items(p) for p in self.solutions}
        self.cases = {p: {s.item: hidden_cases(s, secret) for s in self.items[p]} for p in self.solutions}
        solution_dirs = {p.resolve().parent for p in self.solutions}
        self.options.hide_dirs = [*options.hide_dirs, cache_dir, *solution_dirs]
        self.options.hide_files = [*options.hide_files, *self.solutions]
        self._expected: dict[Path, dict[str, list[Output]]] = {}
        self.tmp_root = Path(tempfile.mkdtemp(prefix="course-grading-"))
        self._counter = itertools.count(1)
        mode = self.options.isolation()
        if mode != "bwrap":
            print(NOT_SANDBOXED_WARNING if mode == "none" else CONTAINER_NOTE, file=sys.stderr)

    def close(self) -> None:
        shutil.rmtree(self.tmp_root, ignore_errors=True)

    def _scratch(self) -> Path:
        return self.tmp_root / f"run-{next(self._counter)}"

    def _cache_key(self, path: Path) -> str:
        return expected_cache_key(path, self.secret)

    def expected(self, path: Path) -> dict[str, list[Output]]:
        """The solution's outputs on the hidden cases (computed once, then cached)."""
        if path in self._expected:
            return self._expected[path]
        cache = self.cache_dir / self._cache_key(path)
        if not (cache / "complete").exists():
            self._compute_expected(path, cache)
        result = {s.item: [load_output(cache / s.item / f"{i}.npz", cache)
                           for i in range(len(self.cases[path][s.item]))] for s in self.items[path]}
        self._expected[path] = result
        return result

    def _compute_expected(self, path: Path, cache: Path) -> None:
        run = run_notebook(path, self.items[path], self.cases[path], self.options, self._scratch(),
                           private_root=self.tmp_root)
        problems = [f"{item} {c}: {r.error}" for item, rs in run.cases.items()
                    for c, r in enumerate(rs) if r.output is None]
        if problems:
            raise GradingError(f"the solutions notebook {path} fails its own cases: "
                               + "; ".join(problems[:5]))
        for spec in self.items[path]:  # behavioural checkers must accept the solution itself
            for case, r in zip(self.cases[path][spec.item], run.cases[spec.item], strict=True):
                out = r.output or Output([], False)
                frac, why = score_case(spec.compare, out, out, case)
                if frac < 1.0:
                    raise GradingError(f"the solution of {spec.item!r} fails its own check on "
                                       f"{case.label}: {why}")
        partial = cache.with_name(cache.name + f".tmp{os.getpid()}")
        shutil.rmtree(partial, ignore_errors=True)
        for item, rs in run.cases.items():
            (partial / item).mkdir(parents=True)
            for c, r in enumerate(rs):
                out = r.output or Output([], False)  # never empty here: failures raised above
                np.savez(partial / item / f"{c}.npz", **{f"r{k}": a for k, a in enumerate(out.arrays)},
                         is_tuple=np.array(out.is_tuple))
        (partial / "complete").write_text("ok\n", encoding="utf-8")
        cache.parent.mkdir(parents=True, exist_ok=True)
        try:
            partial.rename(cache)
        except OSError:  # another grader finished first: keep theirs
            shutil.rmtree(partial, ignore_errors=True)

    def grade_one(self, submission: Path) -> SubmissionResult:
        """Run and score one submission; never raises for anything the submission does."""
        name = str(submission)
        sol = _match_solution(submission, self.solutions)
        if sol is None:
            why = f"cannot tell which solutions notebook {name} belongs to"
            return SubmissionResult(submission, [], [why])
        items, cases = self.items[sol], self.cases[sol]
        try:
            read_submission(submission)  # a symlink is never followed (to the solutions, say)
        except SubmissionRefused as exc:
            rows = [ItemResult(name, s.item, 0.0, s.points, 0, len(cases[s.item]), "error", str(exc))
                    for s in items]
            return SubmissionResult(submission, rows, [str(exc)])
        try:
            sources = [c.source for c in read_notebook(submission).cells if c.get("cell_type") == "code"]
        except Exception as exc:  # noqa: BLE001 - not a notebook: every item scores 0
            reason = f"could not read the notebook: {type(exc).__name__}: {str(exc)[:200]}"
            rows = [ItemResult(name, s.item, 0.0, s.points, 0, len(cases[s.item]), "error", reason)
                    for s in items]
            return SubmissionResult(submission, rows, [reason])
        expected = self.expected(sol)
        run = run_notebook(submission, items, cases, self.options, self._scratch(),
                           private_root=self.tmp_root)
        notes = _notes(run)
        rows = []
        for s in items:
            static = find_delegation(sources, s.function, s.forbid)
            runtime = next(iter(run.forbidden_calls.get(s.item, {})), None)
            row = _score_item(s, cases[s.item], expected[s.item], run, static or runtime, name)
            if row.passed < row.total and notes:
                row.message = (row.message + " | " + "; ".join(notes))[:2000]
            rows.append(row)
        return SubmissionResult(submission, rows, notes)

    def grade(self, submissions: list[Path], jobs: int = 1) -> list[SubmissionResult]:
        """Grade several submissions, ``jobs`` at a time; results in the input order."""
        for sol in self.solutions:  # expected outputs first, once, before the parallel runs
            self.expected(sol)
        if jobs <= 1:
            return [self.grade_one(s) for s in submissions]
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            return list(pool.map(self.grade_one, submissions))

    def __enter__(self) -> Grader:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
