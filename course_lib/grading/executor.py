"""Where submissions are graded: an executor takes a :class:`Grader` and a list of notebooks and
yields ``(index, result)`` as each one finishes, in whatever order they finish.

* :class:`LocalExecutor` (``grade --jobs N``): N threads here, each running one sandbox.
* :class:`cluster.DaskExecutor` (``grade --scheduler tcp://HOST:8786``): the workers of a
  ``dask.distributed`` cluster, each running the same sandbox on its own machine.

``batch.run_batch`` (the CSV, progress bar, resume and error rows) sees only this interface, so
a batch behaves the same whichever executor grades it. If the caller stops early (ctrl-C, an
exception, ``close()`` of the iterator), the executor stops every running sandbox and drops the
unfinished submissions. An executor that loses the machines grading (the Dask scheduler gone, or
no longer answering) stops and raises :class:`ExecutorLost`, which carries an ``error`` result
for every submission it had not yielded yet: no submission is left without rows.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from .scoring import SubmissionResult

if TYPE_CHECKING:
    from .grader import Grader

__all__ = ["Executor", "ExecutorLost", "LocalExecutor"]


class ExecutorLost(Exception):
    """The executor lost what grades (``why``); ``results`` are ``(index, error result)`` of the rest.

    ``advice`` says what to bring back before ``--resume`` grades those.
    """

    def __init__(self, why: str, advice: str, results: list[tuple[int, SubmissionResult]]) -> None:
        super().__init__(why)
        self.why = why
        self.advice = advice
        self.results = results


class Executor(Protocol):
    """Grades a list of submissions; yields ``(index in submissions, result)`` as each finishes.

    Every index comes once, either yielded or in the :class:`ExecutorLost` raised at the end.
    """

    def grade(self, grader: Grader, submissions: list[Path]) -> Iterator[tuple[int, SubmissionResult]]:
        ...


class LocalExecutor:
    """``jobs`` submissions at a time, each in a thread of this process running one sandbox."""

    def __init__(self, jobs: int = 1) -> None:
        if jobs < 1:
            raise ValueError(f"jobs must be at least 1, got {jobs}")
        self.jobs = jobs

    def grade(self, grader: Grader, submissions: list[Path]) -> Iterator[tuple[int, SubmissionResult]]:
        from .grader import kill_children

        for sol in grader.solutions:  # expected outputs first, once, before the parallel runs
            grader.expected(sol)
        pool = ThreadPoolExecutor(max_workers=self.jobs)
        futures = {pool.submit(grader.grade_one, s): i for i, s in enumerate(submissions)}
        pending = set(futures)
        try:
            while pending:
                done, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
                for fut in sorted(done, key=futures.__getitem__):
                    yield futures[fut], fut.result()
        finally:
            if not pending:
                pool.shutdown(wait=True)
            else:  # stopped early: no new run starts, and every running one is killed until none is left
                grader.stop()
                pool.shutdown(wait=False, cancel_futures=True)
                while not all(f.done() for f in futures):
                    kill_children()
                    time.sleep(0.1)
