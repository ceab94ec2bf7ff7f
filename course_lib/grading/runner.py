"""One notebook, one sandbox run: write the inputs, run the driver, read back plain arrays.

The grader (outside) prepares ``SCRATCH/work``::

    work/submission.ipynb     a copy of the notebook (never through a symlink)
    work/in/<item>.npz        the inputs, keys "<case>/<argument>"
    work/job.json             items, argument order, timeouts (sandbox.run_driver adds the rest)

runs :func:`sandbox.run_driver`, and then, once every process of the run is dead,
reads ``SCRATCH/result/out/<item>/<case>.npz`` (or ``.err``) and
``SCRATCH/result/out/status.json``, which the driver wrote where the learner's
kernel cannot. Every read refuses symlinks and oversized files; nothing is unpickled.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .cases import Case
from .compare import Output, OutputError, load_output
from .sandbox import SandboxUnavailable, isolation_mode, run_driver
from .spec import ItemSpec

__all__ = ["RunOptions", "CaseResult", "RunResult", "SandboxUnavailable", "SubmissionRefused", "run_notebook",
           "read_small_text", "read_submission"]

_HARD_KILL_MARGIN = 15.0
MAX_NOTEBOOK_BYTES = 50 * 2**20


class SubmissionRefused(ValueError):
    """The submission file cannot be graded as given (a symlink, not a regular file, too large)."""


@dataclass
class RunOptions:
    """Limits for one notebook run (seconds and megabytes)."""

    timeout: float = 300.0
    cell_timeout: float = 60.0
    call_timeout: float = 30.0
    memory_mb: int = 2048
    sandbox: str = "auto"  # "auto" (the strongest usable), "bwrap", "user" (root, no bwrap) or "none"
    hide_dirs: list[Path] = field(default_factory=list)
    hide_files: list[Path] = field(default_factory=list)

    def isolation(self) -> str:
        """The isolation mode runs use (``bwrap``, ``user`` or ``none``); raises SandboxUnavailable."""
        return isolation_mode(self.sandbox)


@dataclass
class CaseResult:
    """A case's output, or why there is none."""

    output: Output | None
    error: str = ""


@dataclass
class RunResult:
    """Everything that came back from one run."""

    cases: dict[str, list[CaseResult]]
    forbidden_calls: dict[str, dict[str, int]]
    status: dict[str, Any]
    timed_out: bool
    sandboxed: bool
    log: str
    isolation: str = "none"


def read_small_text(path: Path, limit: int = 1 << 20) -> str | None:
    """Read a regular file (no symlink) of at most ``limit`` bytes; None if absent or unsafe."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as fh:
        info = os.fstat(fh.fileno())
        if not stat.S_ISREG(info.st_mode) or info.st_size > limit:
            return None
        return fh.read(limit).decode("utf-8", "replace")


def read_submission(path: Path) -> bytes:
    """The submission's bytes, read without following a symlink; raises SubmissionRefused."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as exc:
        why = "it is a symbolic link" if os.path.islink(path) else exc.strerror
        raise SubmissionRefused(f"not graded: {path.name}: {why}; submit the notebook file itself") from None
    with os.fdopen(fd, "rb") as fh:
        info = os.fstat(fh.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise SubmissionRefused(f"not graded: {path.name} is not a regular file")
        if info.st_size > MAX_NOTEBOOK_BYTES:
            raise SubmissionRefused(f"not graded: {path.name} is larger than {MAX_NOTEBOOK_BYTES >> 20} MB")
        return fh.read(MAX_NOTEBOOK_BYTES + 1)


def _write_inputs(work: Path, items: list[ItemSpec], cases: dict[str, list[Case]]) -> None:
    (work / "in").mkdir(parents=True)
    for spec in items:
        arrays = {f"{i}/{name}": a for i, case in enumerate(cases[spec.item])
                  for name, a in case.args.items()}
        np.savez(work / "in" / f"{spec.item}.npz", **arrays)


def _job(items: list[ItemSpec], cases: dict[str, list[Case]], options: RunOptions) -> dict[str, Any]:
    return {
        "notebook": "submission.ipynb",
        "budget": options.timeout,
        "cell_timeout": options.cell_timeout,
        "items": [{"item": s.item, "function": s.function, "args": list(s.args),
                   "n_cases": len(cases[s.item]),
                   "forbid": list(s.forbid), "call_timeout": s.timeout or options.call_timeout}
                  for s in items],
    }


def _collect_item(out: Path, spec: ItemSpec, n: int, item_status: dict[str, Any]) -> list[CaseResult]:
    results = []
    fallback = item_status.get("error") or "no output: the kernel died or ran out of time before this case"
    for i in range(n):
        npz, err = out / spec.item / f"{i}.npz", out / spec.item / f"{i}.err"
        if os.path.lexists(npz) and not os.path.lexists(err):
            try:
                results.append(CaseResult(load_output(npz, out)))
            except OutputError as exc:
                results.append(CaseResult(None, str(exc)))
            continue
        text = read_small_text(err, 8192) if os.path.lexists(err) else None
        results.append(CaseResult(None, (text or fallback).strip()))
    return results


def _forbidden_calls(out: Path, item: str) -> dict[str, int]:
    text = read_small_text(out / item / "calls.json", 65536)
    try:
        calls = json.loads(text)["forbidden_calls"] if text else {}
        return {str(k): int(v) for k, v in calls.items() if int(v) > 0}
    except (ValueError, TypeError, KeyError, AttributeError):
        return {}


def _collect(out: Path, items: list[ItemSpec], cases: dict[str, list[Case]]) -> RunResult:
    if os.path.islink(out) or not out.is_dir():
        status: dict[str, Any] = {"driver_error": "no output folder"}
        return RunResult({s.item: [CaseResult(None, "no output") for _ in cases[s.item]] for s in items},
                         {}, status, False, False, "")
    try:
        status = json.loads(read_small_text(out / "status.json") or "{}")
        if not isinstance(status, dict):
            status = {}
    except ValueError:
        status = {}
    item_status = status.get("items", {}) if isinstance(status.get("items"), dict) else {}
    results = {s.item: _collect_item(out, s, len(cases[s.item]), item_status.get(s.item) or {})
               for s in items}
    calls = {s.item: _forbidden_calls(out, s.item) for s in items}
    return RunResult(results, calls, status, False, False, "")


def run_notebook(notebook: Path, items: list[ItemSpec], cases: dict[str, list[Case]], options: RunOptions,
                 scratch: Path, private_root: Path | None = None, keep: bool = False) -> RunResult:
    """Run ``notebook`` in a fresh kernel on the given cases; returns outputs and status.

    ``scratch`` is a fresh directory owned by the caller. Neither ``private_root`` (the
    grader's temp dir, holding every run's scratch) nor the notebook's own folder is
    visible to the run: bwrap does not bind them; in the container fallback each run's
    folder is private to its own uid and the notebook's folder is made unreadable to
    other users. Raises SubmissionRefused for a symlink.
    """
    data = read_submission(notebook)
    work = scratch / "work"
    work.mkdir(parents=True)
    (work / "submission.ipynb").write_bytes(data)
    _write_inputs(work, items, cases)
    mode = options.isolation()
    private = [notebook.parent.resolve()]
    ran = run_driver(scratch, _job(items, cases, options), mode=mode,
                     timeout=options.timeout + _HARD_KILL_MARGIN, memory_mb=options.memory_mb,
                     hide_dirs=options.hide_dirs, hide_files=options.hide_files, private=private)
    result = _collect(scratch / "result" / "out", items, cases)
    result.timed_out, result.sandboxed, result.log = ran.timed_out, ran.sandboxed, ran.log
    result.isolation = ran.isolation
    if not keep:
        shutil.rmtree(scratch, ignore_errors=True)
    return result
