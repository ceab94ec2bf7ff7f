"""One notebook, one sandbox run: write the inputs, run the driver, read back plain arrays.

The grader (outside) prepares ``SCRATCH/work``::

    work/submission.ipynb     a copy of the notebook (data only: ``check()`` reads it; never
                              read through a symlink)
    work/in/<item>.npz        the inputs, keys "<case>/<argument>"
    work/job.json             the code cells to run (parsed once, here), items, timeouts
                              (sandbox.run_driver adds the rest)

runs :func:`sandbox.run_driver`, and then, once every process of the run is dead,
reads ``SCRATCH/result/out/<item>/<case>.npz`` (or ``.err``) and
``SCRATCH/result/out/status.json``, which the driver wrote where the learner's
kernel cannot. Every read refuses symlinks and oversized files; nothing is
unpickled. Everything that comes back is untrusted: the status is rebuilt field
by field with the expected types, and when the driver did not exit cleanly
(killed, crashed, out of time) no output counts at all, since it never got to
replace ``out/`` with its snapshots.
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
from .delegation import expand_forbid
from .poison import MARK, numpy_targets, poisoned_library, switched_off_name
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
    """A case's output, or why there is none.

    ``kind`` is ``""`` (an output), ``timeout``, ``exception``, ``bad_return`` or
    ``missing`` (no output at all); ``exc_type`` is the exception's class name and
    ``traceback`` the learner's own traceback (both as the kernel wrote them).
    """

    output: Output | None
    error: str = ""
    kind: str = ""
    exc_type: str = ""
    traceback: str = ""


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
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):  # a folder's fd cannot even become a file object
        os.close(fd)
        raise SubmissionRefused(f"not graded: {path.name} is not a regular file")
    with os.fdopen(fd, "rb") as fh:
        if info.st_size > MAX_NOTEBOOK_BYTES:
            raise SubmissionRefused(f"not graded: {path.name} is larger than {MAX_NOTEBOOK_BYTES >> 20} MB")
        return fh.read(MAX_NOTEBOOK_BYTES + 1)


def _write_inputs(work: Path, items: list[ItemSpec], cases: dict[str, list[Case]],
                  n_public: dict[str, int]) -> None:
    """``in/<item>.public.npz`` (cases ``0 .. n_public - 1``) and ``in/<item>.hidden.npz`` (the rest)."""
    (work / "in").mkdir(parents=True)
    for spec in items:
        k = n_public.get(spec.item, 0)
        for phase, indices in (("public", range(k)), ("hidden", range(k, len(cases[spec.item])))):
            arrays = {f"{i}/{name}": a for i in indices for name, a in cases[spec.item][i].args.items()}
            np.savez(work / "in" / f"{spec.item}.{phase}.npz", **arrays)


def _job(items: list[ItemSpec], cases: dict[str, list[Case]], options: RunOptions,
         n_public: dict[str, int]) -> dict[str, Any]:
    return {
        "budget": options.timeout,
        "cell_timeout": options.cell_timeout,
        "items": [{"item": s.item, "function": s.function, "args": list(s.args),
                   "n_cases": len(cases[s.item]), "n_public": n_public.get(s.item, 0),
                   "forbid": list(s.forbid), "call_timeout": s.timeout or options.call_timeout}
                  for s in items],
    }


def _str(value: Any, limit: int = 4000) -> str:
    return value[:limit] if isinstance(value, str) else ""


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**62 else 0


def _error_record(text: str | None, fallback: str) -> CaseResult:
    """A case's ``.err`` file (JSON written by ``_kernel``), validated field by field."""
    try:
        record = json.loads(text) if text else None
    except ValueError:
        record = None
    if not isinstance(record, dict):
        return CaseResult(None, (text or fallback).strip()[:4000], "exception" if text else "missing")
    kind = record.get("kind") if record.get("kind") in ("timeout", "exception", "bad_return") else "exception"
    return CaseResult(None, _str(record.get("text")).strip() or fallback, kind, _str(record.get("type"), 200),
                      _str(record.get("traceback")))


def _collect_item(out: Path, spec: ItemSpec, n: int, item_status: dict[str, Any]) -> list[CaseResult]:
    results = []
    fallback = item_status.get("error") or "no output: the kernel died or ran out of time before this case"
    for i in range(n):
        npz, err = out / spec.item / f"{i}.npz", out / spec.item / f"{i}.err"
        if os.path.lexists(npz) and not os.path.lexists(err):
            try:
                results.append(CaseResult(load_output(npz, out)))
            except OutputError as exc:
                results.append(CaseResult(None, str(exc), "bad_return"))
            continue
        if os.path.lexists(err):
            results.append(_error_record(read_small_text(err, 16384), fallback))
        else:
            results.append(CaseResult(None, fallback, "missing"))
    return results


_CELL_STATUSES = ("ok", "error", "timeout", "died", "skipped")


def validated_status(raw: Any) -> dict[str, Any]:
    """The driver's status.json rebuilt with the expected types (junk is dropped, never trusted)."""
    raw = raw if isinstance(raw, dict) else {}
    cells = []
    for cell in raw.get("cells", [])[:5000] if isinstance(raw.get("cells"), list) else []:
        if isinstance(cell, dict) and cell.get("status") in _CELL_STATUSES:
            cells.append({"cell": _int(cell.get("cell")), "status": cell["status"],
                          "error": _str(cell.get("error"), 2000), "traceback": _str(cell.get("traceback"))})
    items = {}
    for name, st in (raw.get("items") or {}).items() if isinstance(raw.get("items"), dict) else []:
        if isinstance(name, str) and isinstance(st, dict):
            items[name] = {"status": _str(st.get("status"), 50), "error": _str(st.get("error"), 2000)}
    return {"cells": cells, "items": items, "printed_bytes": _int(raw.get("printed_bytes")),
            "kernel_restarts": _int(raw.get("kernel_restarts")),
            "driver_error": _str(raw.get("driver_error"), 2000)}


def _switched_off(spec: ItemSpec, results: list[CaseResult]) -> dict[str, int]:
    """The item's forbidden names its cases' errors say were switched off (see ``poison.py``).

    The error records come from the learner's process, so this only ever costs the
    learner: a forged record marks their own item as delegating. The protection itself
    is that the kernel has no forbidden code to run.
    """
    found: dict[str, int] = {}
    for r in results:
        name = switched_off_name(r.error) if r.kind == "exception" else None
        if name is not None and name in spec.forbid:
            found[name] = 1
    return found


def _collect(out: Path, items: list[ItemSpec], cases: dict[str, list[Case]]) -> RunResult:
    if os.path.islink(out) or not out.is_dir():
        return _void(items, cases, "no output folder")
    try:
        status = validated_status(json.loads(read_small_text(out / "status.json") or "{}"))
    except (ValueError, RecursionError):
        status = validated_status({})
    results = {s.item: _collect_item(out, s, len(cases[s.item]), status["items"].get(s.item, {}))
               for s in items}
    calls = {s.item: _switched_off(s, results[s.item]) for s in items}
    return RunResult(results, calls, status, False, False, "")


def _void(items: list[ItemSpec], cases: dict[str, list[Case]], why: str) -> RunResult:
    """A run whose outputs cannot be trusted: every case has none."""
    status = validated_status({"driver_error": why})
    return RunResult({s.item: [CaseResult(None, f"no output: {why}", "missing") for _ in cases[s.item]]
                      for s in items}, {}, status, False, False, "")


def _log_tail(log: str) -> str:
    """The last non-empty line of the driver's log (its real error, e.g. a missing module)."""
    lines = [line.strip() for line in log.splitlines() if line.strip()]
    return lines[-1][:500] if lines else ""


def _run_group(notebook: Path, data: bytes, sources: list[str], items: list[ItemSpec],
               cases: dict[str, list[Case]], options: RunOptions, scratch: Path, private_root: Path,
               n_public: dict[str, int]) -> RunResult:
    """One kernel's run: ``items`` called with the union of their forbid lists switched off."""
    work = scratch / "work"
    work.mkdir(parents=True)
    (work / "submission.ipynb").write_bytes(data)
    _write_inputs(work, items, cases, n_public)
    forbid = set(expand_forbid([f for s in items for f in s.forbid]))
    job = {**_job(items, cases, options, n_public), "cells": list(sources),
           "switch_off": numpy_targets(forbid), "switch_off_mark": MARK}
    library = poisoned_library(forbid, private_root / "libraries")
    ran = run_driver(scratch, job, mode=options.isolation(), library=library,
                     timeout=options.timeout + _HARD_KILL_MARGIN, memory_mb=options.memory_mb,
                     hide_dirs=options.hide_dirs, hide_files=options.hide_files,
                     private=[notebook.parent.resolve()])
    if ran.timed_out or ran.returncode != 0:
        why = ("the grading driver ran out of time and was killed" if ran.timed_out else
               f"the grading driver did not finish (exit code {ran.returncode}): {_log_tail(ran.log)}")
        result = _void(items, cases, why + "; every output of this run was discarded")
    else:
        result = _collect(scratch / "result" / "out", items, cases)
    result.timed_out, result.sandboxed, result.log = ran.timed_out, ran.sandboxed, ran.log
    result.isolation = ran.isolation
    return result


def _merge(runs: list[RunResult]) -> RunResult:
    """One result from a submission's kernels: the first one's cells, every kernel's items."""
    first = runs[0]
    for run in runs[1:]:
        first.cases.update(run.cases)
        first.forbidden_calls.update(run.forbidden_calls)
        first.status["items"].update(run.status["items"])
        first.status["kernel_restarts"] += run.status["kernel_restarts"]
        first.status["printed_bytes"] = max(first.status["printed_bytes"], run.status["printed_bytes"])
        if run.status["driver_error"] and not first.status["driver_error"]:
            first.status["driver_error"] = run.status["driver_error"]
        first.timed_out = first.timed_out or run.timed_out
    return first


def run_notebook(notebook: Path, items: list[ItemSpec], cases: dict[str, list[Case]], options: RunOptions,
                 scratch: Path, keep: bool = False,
                 sources: list[str] | None = None, n_public: dict[str, int] | None = None) -> RunResult:
    """Run the code cells of ``notebook`` in a fresh kernel on the given cases; returns outputs and status.

    ``sources`` are the code cells as the caller parsed them (default: parsed from
    ``notebook`` here); the driver runs exactly these, never its own reading of the file.
    The first ``n_public[item]`` cases of an item are public: every item's public cases
    run before any hidden input reaches the kernel.
    ``scratch`` is a fresh directory owned by the caller. Neither its parent (the
    grader's temp dir, holding every run's scratch) nor the notebook's own folder is
    visible to the run: bwrap does not bind them; in the container fallback each run's
    folder is private to its own uid and the notebook's folder is made unreadable to
    other users. Raises SubmissionRefused for a symlink.

    Items run in the kernel their ``kernel`` field names (``poison.kernel_groups``): one
    sandbox run per kernel, each with the union of its items' forbid lists switched off.
    """
    from .spec import read_sources

    if sources is None:
        sources = read_sources(notebook)
    data = read_submission(notebook)
    groups: dict[int, list[ItemSpec]] = {}
    for s in items:
        groups.setdefault(s.kernel, []).append(s)
    runs = [_run_group(notebook, data, sources, group, cases, options,
                       scratch if k == min(groups, default=0) else scratch / f"kernel-{k}",
                       scratch.parent, n_public or {})
            for k, group in sorted(groups.items())] or [
        _run_group(notebook, data, sources, [], cases, options, scratch, scratch.parent, {})]
    result = _merge(runs)
    if not keep:
        shutil.rmtree(scratch, ignore_errors=True)
    return result
