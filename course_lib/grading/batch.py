"""``grade``: a class's batch, robust to bad inputs, crashes and ctrl-C, resumable.

* Inputs: a folder is replaced by the notebooks inside it (hidden folders such as
  ``.ipynb_checkpoints`` skipped); the same file given twice is graded once;
  anything that cannot be graded (missing, not a notebook, invalid, no matching
  solutions, an empty folder) gets one line on stderr, an ``error`` row, and makes
  the exit code 1, while the rest is graded.
* Rows are appended to the CSV and flushed as each submission finishes; at the
  end the CSV is rewritten in the order the submissions were given, so a resumed
  batch ends with the same file as one clean run.
* Ctrl-C (or SIGTERM) kills the running sandboxes, keeps the rows already written
  and prints how to resume; ``--resume`` keeps every submission whose rows are
  complete and whose file hash still matches, and grades the others.
* A progress bar on stderr shows done/total, rate, ETA, errors and timeouts.
* Where the submissions run is the executor's business (threads here, or a Dask cluster):
  all of the above is the same for both.
* An executor that loses its machines mid-batch (the Dask scheduler gone) hands back an
  ``error`` row for each submission it did not grade: they are written like the rest,
  one line on stderr says what happened and to run again with ``--resume``, exit code 3.
"""

from __future__ import annotations

import contextlib
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tqdm import tqdm

from .executor import Executor, ExecutorLost
from .feedback import write_feedback
from .grader import Grader, file_hash
from .report import CsvLog, csv_rows, output_names, read_csv_rows, write_gradescope_one, write_rows
from .scoring import SubmissionResult

__all__ = ["expand_inputs", "run_batch"]


def _notebooks_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.ipynb")
                  if not any(part.startswith(".") for part in p.relative_to(folder).parts))


def expand_inputs(paths: list[Path]) -> tuple[list[Path], list[str]]:
    """The submissions to grade (folders expanded, repeats dropped) and a warning line for each oddity."""
    subs: list[Path] = []
    warnings: list[str] = []
    seen: dict[Path, Path] = {}
    for path in paths:
        found = _notebooks_in(path) if path.is_dir() else [path]
        if path.is_dir() and not found:
            warnings.append(f"{path}: a folder with no notebooks (*.ipynb) in it")
            found = [path]
        for p in found:
            key = p.resolve()
            if key in seen:
                warnings.append(f"{p}: given twice (as {seen[key]}); graded once")
                continue
            seen[key] = p
            subs.append(p)
    stems: dict[str, list[Path]] = {}
    for p in subs:
        stems.setdefault(p.stem, []).append(p)
    for stem, same in stems.items():
        if len(same) > 1:
            warnings.append(f"{len(same)} submissions are named {stem}.ipynb, in different folders "
                            f"({', '.join(str(p.parent) for p in same)}): each is graded, rows by full path")
    return subs, warnings


def _complete(rows: list[list[str]], sha: str, item_sets: list[list[str]]) -> bool:
    """An earlier run's rows for a submission count if whole, error-free, and for this very file."""
    return (bool(rows) and sha != "" and all(r[-1] == sha and r[6] != "error" for r in rows)
            and [r[1] for r in rows] in item_sets)


def _summary(rows: list[list[str]]) -> tuple[float, float]:
    return (round(sum(float(r[2]) for r in rows), 4), round(sum(float(r[3]) for r in rows), 4))


class _Progress:
    def __init__(self, total: int, done: int) -> None:
        self.bar = tqdm(total=total, initial=done, file=sys.stderr, unit="nb", dynamic_ncols=True,
                        desc="grading", mininterval=0.5)
        self.errors = self.timeouts = 0

    def update(self, res: SubmissionResult) -> None:
        self.errors += bool(res.error)
        self.timeouts += res.timed_out
        self.bar.set_postfix(errors=self.errors, timeouts=self.timeouts, refresh=False)
        self.bar.update(1)

    def close(self) -> None:
        self.bar.close()


def _on_sigterm(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt()


def _graded(grader: Grader, todo: list[tuple[int, Path]], executor: Executor
            ) -> Iterator[tuple[int, SubmissionResult]]:
    """The executor's results, by index in the batch (``todo`` holds the batch's indices)."""
    with contextlib.closing(executor.grade(grader, [p for _, p in todo])) as results:
        try:
            for k, res in results:  # closing: a stop in the caller's loop stops the executor at once
                yield todo[k][0], res
        except ExecutorLost as lost:
            lost.results = [(todo[k][0], res) for k, res in lost.results]
            raise


def run_batch(grader: Grader, inputs: list[Path], out: Path, *, executor: Executor, resume: bool,
              json_path: Path | None, feedback: Path | None) -> int:
    """Grade ``inputs`` into ``out`` (and the Gradescope JSON / feedback pages); returns the exit code.

    ``executor`` grades: :class:`executor.LocalExecutor` (``--jobs``) or
    :class:`cluster.DaskExecutor` (``--scheduler``); everything else is the same for both.
    """
    subs, warnings = expand_inputs(inputs)
    for line in warnings:
        print(f"warning: {line}", file=sys.stderr)
    names = output_names(subs)
    single_json = json_path is not None and len(subs) == 1 and json_path.suffix == ".json"
    item_sets = [[s.item for s in items] for items in grader.items.values()]
    earlier = read_csv_rows(out) if resume else {}
    rows: dict[int, list[list[str]]] = {}
    for i, sub in enumerate(subs):
        if _complete(earlier.get(str(sub), []), file_hash(sub), item_sets):
            rows[i] = earlier[str(sub)]
    todo = [(i, s) for i, s in enumerate(subs) if i not in rows]
    if resume:
        print(f"resuming: {len(rows)} of {len(subs)} submissions already graded in {out}", file=sys.stderr)
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    log = CsvLog(out, [row for i in sorted(rows) for row in rows[i]])
    progress = _Progress(len(subs), len(rows))
    errors = 0
    lost: ExecutorLost | None = None

    def record(i: int, res: SubmissionResult, say: bool = True) -> None:
        nonlocal errors
        log.add(res)
        rows[i] = csv_rows(res)
        if res.error:
            errors += 1
            if say:
                tqdm.write(f"error: {subs[i]}: {res.error}", file=sys.stderr)
        if json_path is not None:
            write_gradescope_one(res, json_path if single_json else json_path / f"{names[i]}.json")
        if feedback is not None:
            write_feedback(res, feedback, names[i])
        progress.update(res)

    graded = _graded(grader, todo, executor)
    try:
        for i, res in graded:
            record(i, res)
    except ExecutorLost as exc:  # the rest's error rows, without a line each: one line below says why
        lost = exc
        for i, res in exc.results:
            record(i, res, say=False)
    except KeyboardInterrupt:
        grader.stop()  # also when it came while the expected outputs were being computed
        graded.close()
        progress.close()
        log.close()
        print(f"\ninterrupted: {len(rows)} of {len(subs)} submissions are graded and saved in {out}; the "
              "running ones were stopped. To grade the rest, run the same command again with --resume.",
              file=sys.stderr)
        return 130
    finally:
        signal.signal(signal.SIGTERM, previous)
    progress.close()
    log.close()
    write_rows([row for i in range(len(subs)) for row in rows[i]], out)
    for i, sub in enumerate(subs):
        score, max_score = _summary(rows[i])
        print(f"{sub}: {score:g} / {max_score:g}")
    if lost is not None:
        print(f"error: {lost.why}: {len(lost.results)} of {len(subs)} submissions not graded (error rows in "
              f"{out}). To grade them, {lost.advice}, then run the same command with --resume.",
              file=sys.stderr)
        return 3
    if errors:
        print(f"{errors} submission(s) could not be graded: see the 'error' rows in {out}", file=sys.stderr)
    return 1 if errors else 0
