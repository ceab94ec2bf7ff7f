"""Grading submissions against the solutions notebook: the grader's side of the fence.

For each solutions notebook the hidden cases are drawn from the secret, and the
solutions are run through the same sandboxed driver to get the expected outputs
(cached under a hash of the notebook, the secret and this package's code). Each
submission then runs in its own fresh kernel and sandbox; only its plain-array
outputs come back, and they are compared here.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib
import itertools
import json
import os
import shutil
import stat
import sys
import tempfile
import threading
import traceback
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from .cases import hidden_cases, n_hidden, public_cases
from .compare import Output, load_output, score_case
from .delegation import find_delegation
from .poison import kernel_groups
from .runner import RunOptions, RunResult, SubmissionRefused, read_submission, run_notebook
from .sandbox import CONTAINER_NOTE, NOT_SANDBOXED_WARNING
from .scoring import ItemResult, SubmissionResult, score_item
from .spec import NOTEBOOK_KEY, NotebookError, parse_submission, read_items, read_sources

__all__ = ["ItemResult", "SubmissionResult", "GradingError", "Interrupted", "Grader", "GradingPlan",
           "default_cache_dir",
           "code_version", "expected_cache_key", "file_hash", "kill_children", "check_dependencies"]


class GradingError(RuntimeError):
    """The solutions themselves cannot be graded (e.g. a solution fails its own case)."""


class Interrupted(Exception):
    """Grading was stopped (ctrl-C): the submission being graded has no result."""


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
    st = run.status  # validated by the runner: every field has its expected type
    for cell in st["cells"][:50]:
        if cell["status"] != "ok":
            notes.append(f"code cell {cell['cell']}: {cell['status']}: {cell['error']}".strip()[:300])
    if st["printed_bytes"] > 1_000_000:
        notes.append(f"the notebook printed {st['printed_bytes'] / 1e6:.1f} MB (discarded)")
    if st["kernel_restarts"]:
        notes.append(f"the kernel died and was restarted {st['kernel_restarts']} time(s)")
    if st["driver_error"]:
        notes.append(f"grading driver: {st['driver_error'][:300]}")
    if run.timed_out:
        notes.append("the whole submission ran out of time and was killed")
    if not run.sandboxed:
        notes.append("graded without a sandbox")
    return notes


def _match_solution(metadata: dict[str, Any], submission: Path, solutions: list[Path]) -> Path | None:
    """Which solutions notebook a submission belongs to (metadata first, then file name)."""
    meta = metadata.get(NOTEBOOK_KEY)
    source = meta.get("source") if isinstance(meta, dict) else None
    by_stem = {p.stem: p for p in solutions}
    if isinstance(source, str) and source in by_stem:
        return by_stem[source]
    if submission.stem in by_stem:
        return by_stem[submission.stem]
    contained = [p for p in solutions if p.stem in submission.stem]
    if len(contained) == 1:
        return contained[0]
    return solutions[0] if len(solutions) == 1 else None


def file_hash(path: Path) -> str:
    """The first 16 hex digits of the file's SHA-256 ('' if it is not a regular file or cannot be read).

    Never follows a link nor blocks on a FIFO: the submission's name is the student's choice.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return ""
    if not stat.S_ISREG(os.fstat(fd).st_mode):  # a folder's fd cannot even become a file object
        os.close(fd)
        return ""
    with os.fdopen(fd, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()[:16]


@dataclasses.dataclass
class GradingPlan:
    """Everything a grader on another machine needs, without the solutions notebooks or the secret.

    The items, their public and hidden cases (drawn from the secret here) and the solutions'
    expected outputs on them, keyed by the solutions notebooks' paths on the instructor's
    machine (only their stems are used elsewhere: to match a submission to its notebook).
    ``options.sandbox`` is the isolation mode resolved here, so that every worker grades in
    the same one or refuses; ``code`` is :func:`code_version` here, which a worker must match.
    """

    key: str
    solutions: list[Path]
    items: dict[Path, list[Any]]
    n_public: dict[Path, dict[str, int]]
    cases: dict[Path, dict[str, list[Any]]]
    expected: dict[Path, dict[str, list[Output]]]
    options: RunOptions
    code: str


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
        if not solutions.exists():
            raise GradingError(f"no solutions at {solutions} (pass --solutions NOTEBOOK_OR_FOLDER)")
        self.solutions = sorted(solutions.glob("*.ipynb")) if solutions.is_dir() else [solutions]
        if not self.solutions:
            raise GradingError(f"no solutions notebooks (*.ipynb) in {solutions}")
        self.secret, self.options, self.cache_dir = secret, options, cache_dir
        # Each item's forbid list widened with the private helpers the forbidden code calls,
        # and the kernel it runs in (one shared kernel unless its solution needs another's code).
        self.items = {p: kernel_groups(read_items(p), read_sources(p)) for p in self.solutions}
        self.n_public = {p: {s.item: len(public_cases(s)) for s in self.items[p]} for p in self.solutions}
        # Per item: its public cases, then its hidden ones (the runner runs them in that order).
        self.cases = {p: {s.item: public_cases(s) + hidden_cases(s, secret) for s in self.items[p]}
                      for p in self.solutions}
        solution_dirs = {p.resolve().parent for p in self.solutions}
        self.options.hide_dirs = [*options.hide_dirs, cache_dir, *solution_dirs]
        self.options.hide_files = [*options.hide_files, *self.solutions]
        self._expected: dict[Path, dict[str, list[Output]]] = {}
        self.tmp_root = Path(tempfile.mkdtemp(prefix="course-grading-"))
        self._counter = itertools.count(1)
        self.stopping = threading.Event()
        mode = self.options.isolation()
        if mode != "bwrap":
            print(NOT_SANDBOXED_WARNING if mode == "none" else CONTAINER_NOTE, file=sys.stderr)

    def close(self) -> None:
        shutil.rmtree(self.tmp_root, ignore_errors=True)

    def plan(self) -> GradingPlan:
        """This grader's items, cases and expected outputs (computed here first), for other machines."""
        expected = {sol: self.expected(sol) for sol in self.solutions}
        options = dataclasses.replace(self.options, sandbox=self.options.isolation())
        return GradingPlan(uuid.uuid4().hex, list(self.solutions), self.items, self.n_public, self.cases,
                           expected, options, code_version())

    @classmethod
    def from_plan(cls, plan: GradingPlan) -> Grader:
        """A grader that needs neither the solutions nor the secret; raises SandboxUnavailable."""
        self = cls.__new__(cls)
        self.solutions, self.secret, self.cache_dir = list(plan.solutions), "", Path(os.devnull)
        self.items, self.n_public, self.cases = plan.items, plan.n_public, plan.cases
        self.options = dataclasses.replace(plan.options)
        self.options.isolation()
        self._expected = dict(plan.expected)
        self.tmp_root = Path(tempfile.mkdtemp(prefix="course-grading-"))
        self._counter = itertools.count(1)
        self.stopping = threading.Event()
        return self

    def _scratch(self) -> Path:
        return self.tmp_root / f"run-{next(self._counter)}"

    def _cache_key(self, path: Path) -> str:
        return expected_cache_key(path, self.secret)


    def preflight(self) -> None:
        """Check that a sandboxed kernel starts here; raise :class:`GradingError` with the real cause."""
        check_dependencies()
        scratch = self._scratch()
        probe = scratch.with_name(scratch.name + "-probe.ipynb")
        probe.write_text(json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}),
                         encoding="utf-8")
        run = run_notebook(probe, [], {}, self.options, scratch,
                           sources=["import numpy, course_lib"])
        cells = run.status["cells"]
        problem = run.status["driver_error"] or (cells[0]["error"] if cells and cells[0]["status"] != "ok"
                                                 else "" if cells else "the kernel did not run any cell")
        if problem:
            raise GradingError(f"cannot start a {'sandboxed ' if run.sandboxed else ''}kernel to grade in: "
                               f"{problem}")

    def expected(self, path: Path) -> dict[str, list[Output]]:
        """The solution's outputs on the public and hidden cases (computed once, then cached)."""
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
        run = self._run_submission(path, path, read_sources(path))
        problems = [f"{item} {self.cases[path][item][c].label}: {r.error}" for item, rs in run.cases.items()
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
        partial = cache.with_name(cache.name + f".tmp{os.getpid()}-{threading.get_ident()}")
        shutil.rmtree(partial, ignore_errors=True)
        try:
            for item, rs in run.cases.items():
                (partial / item).mkdir(parents=True)
                for c, r in enumerate(rs):
                    out = r.output or Output([], False)  # never empty here: failures raised above
                    np.savez(partial / item / f"{c}.npz", **{f"r{k}": a for k, a in enumerate(out.arrays)},
                             is_tuple=np.array(out.is_tuple))
            (partial / "complete").write_text("ok\n", encoding="utf-8")
            cache.parent.mkdir(parents=True, exist_ok=True)
            partial.rename(cache)
        except OSError:  # another grader finished first: keep theirs
            pass
        finally:
            shutil.rmtree(partial, ignore_errors=True)

    def _error_result(self, submission: Path, sol: Path | None, reason: str, sha: str) -> SubmissionResult:
        rows = [ItemResult(str(submission), s.item, 0.0, s.points, 0, n_hidden(s), "error", reason,
                           hint=s.hint) for s in (self.items[sol] if sol else [])]
        if not rows:  # nothing to score it against: one row says why
            rows = [ItemResult(str(submission), "", 0.0, 0.0, 0, 0, "error", reason)]
        return SubmissionResult(submission, rows, [reason], sha256=sha, error=reason)

    def error_result(self, submission: Path, reason: str, sha: str) -> SubmissionResult:
        """An ``error`` result for a submission that could not be graded (rows by its name's items)."""
        return self._error_result(submission, _match_solution({}, submission, self.solutions), reason, sha)

    def grade_one(self, submission: Path) -> SubmissionResult:
        """Run and score one submission; never raises for anything the submission (or a bug here) does.

        Only :class:`Interrupted` passes through: a stopped run has no result.
        """
        sha = file_hash(submission)
        try:
            return self._grade_one(submission, sha)
        except Interrupted:
            raise
        except Exception as exc:  # noqa: BLE001 - a failure boundary per submission: the batch goes on
            detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()[:300]
            return self._error_result(submission, None, f"internal grader error on this submission "
                                      f"(please report it): {detail}", sha)

    def _grade_one(self, submission: Path, sha: str) -> SubmissionResult:
        name = str(submission)
        try:
            read_submission(submission)  # a symlink is never followed (to the solutions, say)
        except SubmissionRefused as exc:
            sol = _match_solution({}, submission, self.solutions)
            return self._error_result(submission, sol, str(exc), sha)
        try:
            parsed = parse_submission(submission)
        except NotebookError as exc:
            sol = _match_solution({}, submission, self.solutions) if submission.suffix == ".ipynb" else None
            return self._error_result(submission, sol, f"could not read the notebook: {exc}", sha)
        sol = _match_solution(parsed["metadata"], submission, self.solutions)
        if sol is None:
            known = ", ".join(p.stem for p in self.solutions)
            return self._error_result(submission, None, f"no solutions notebook matches {submission.name} "
                                      f"(neither its metadata nor its name names one of: {known})", sha)
        items, cases = self.items[sol], self.cases[sol]
        expected = self.expected(sol)
        sources = parsed["cells"]
        run = self._run_submission(submission, sol, sources)
        notes = _notes(run)
        rows = []
        for s in items:
            static = find_delegation(sources, s.function, s.forbid)
            runtime = next(iter(run.forbidden_calls.get(s.item, {})), None)
            row = score_item(s, cases[s.item], expected[s.item], run.cases[s.item],
                             self.n_public[sol][s.item], static or runtime, name)
            if row.passed < row.total and notes:
                row.message = (row.message + " | " + "; ".join(notes))[:3000]
            rows.append(row)
        cells = [c for c in run.status["cells"] if c["status"] != "ok"]
        return SubmissionResult(submission, rows, notes, sha256=sha, cells=cells,
                                timed_out=run.timed_out or any(c["status"] == "timeout" for c in cells))

    def _run_submission(self, submission: Path, sol: Path, sources: list[str]) -> RunResult:
        """Run ``sources`` (parsed from ``submission``) on ``sol``'s cases; killed runs raise."""
        if self.stopping.is_set():
            raise Interrupted()
        run = run_notebook(submission, self.items[sol], self.cases[sol], self.options, self._scratch(),
                           sources=sources, n_public=self.n_public[sol])
        if self.stopping.is_set():
            raise Interrupted()
        return run

    def iter_grade(self, submissions: list[Path], jobs: int = 1) -> Iterator[tuple[int, SubmissionResult]]:
        """Grade ``jobs`` at a time here; yields ``(index, result)`` as each submission finishes.

        If the caller stops early (ctrl-C, an exception), :meth:`stop` kills the running
        sandboxes and the unfinished submissions are dropped.
        """
        from .executor import LocalExecutor

        return LocalExecutor(jobs).grade(self, submissions)

    def grade(self, submissions: list[Path], jobs: int = 1) -> list[SubmissionResult]:
        """Grade several submissions, ``jobs`` at a time; results in the input order."""
        results: dict[int, SubmissionResult] = dict(self.iter_grade(submissions, jobs))
        return [results[i] for i in range(len(submissions))]

    def stop(self) -> None:
        """Stop grading: no new run starts, and every running sandbox is killed now."""
        self.stopping.set()
        kill_children()

    def __enter__(self) -> Grader:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def check_dependencies() -> None:
    """Raise :class:`GradingError` naming the first package the grader needs and cannot import."""
    for module in ("nbformat", "jupyter_client", "ipykernel", "psutil", "tqdm"):
        try:
            importlib.import_module(module)
        except ImportError as exc:
            raise GradingError(f"the grader needs the Python package {module!r} ({exc}): "
                               "pip install 'course_lib[grading]'") from None


def kill_children() -> None:
    """Kill every process this one started (the sandboxes and all they run), deepest first."""
    import psutil

    try:
        children = psutil.Process().children(recursive=True)
    except psutil.Error:
        return
    for child in reversed(children):
        try:
            child.kill()
        except psutil.Error:
            pass
    psutil.wait_procs(children, timeout=5)
