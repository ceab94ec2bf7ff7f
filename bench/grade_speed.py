"""Grading speed: copies of a solved notebook, graded with ``--jobs 1``, ``--jobs 2``, and on a Dask
cluster of 1 and 2 workers on localhost (each a separate process with one thread).

    python bench/grade_speed.py [--solution NB] [--copies 40] [--sandbox auto|bwrap|user|none]

The solved notebook defaults to the grader's demo fixture; pass a chapter's, e.g.
``--solution solutions/06_regularization.ipynb``, to time a real exercise set.

For each configuration: submissions per minute over the whole batch, and the median wall-clock
seconds of one submission (sandbox, fresh kernel, every cell, every graded call, comparison).
The solutions' expected outputs are computed once, before any clock starts. For Dask, the
start-up (worker plugin, a test kernel on each worker) is timed on its own, and the overhead per
submission is the 1-worker batch's time minus its start-up, minus the ``--jobs 1`` batch's time,
divided by the number of submissions (two runs of the same work, so noise on a loaded machine
can make it small or negative). Prints numbers only; targets (issue 4, two cores): at most 5 s
per submission and at least 20 submissions per minute.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from course_lib.grading.executor import Executor, LocalExecutor
from course_lib.grading.grader import Grader
from course_lib.grading.runner import RunOptions

ROOT = Path(__file__).resolve().parents[1]
SOLVED = ROOT / "tests" / "grading" / "solutions" / "01_demo.ipynb"


def _run(grader: Grader, executor: Executor, subs: list[Path]) -> tuple[float, float, int]:
    """Wall seconds of the batch, how many got full marks, how many were graded."""
    t0 = time.perf_counter()
    results = [res for _, res in executor.grade(grader, subs)]
    wall = time.perf_counter() - t0
    return wall, sum(r.score == r.max_score for r in results), len(results)


def _timed_local(grader: Grader) -> list[float]:
    """Time each grade_one call made here (the local executors' per-submission seconds)."""
    durations: list[float] = []
    grade_one = grader.grade_one

    def timed(sub: Path):  # noqa: ANN202 - a local wrapper
        start = time.perf_counter()
        result = grade_one(sub)
        durations.append(time.perf_counter() - start)
        return result

    grader.grade_one = timed  # type: ignore[method-assign]
    return durations


def _dask(grader: Grader, subs: list[Path], workers: int) -> tuple[float, float, float, int, int]:
    """Batch wall seconds, first and later start-ups (seconds), full marks, graded."""
    from distributed import Client, LocalCluster

    from course_lib.grading.cluster import DaskExecutor

    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)
    with cluster, DaskExecutor(Client(cluster)) as executor:
        startups = []
        for _ in range(2):  # start-up only (plugin, a test kernel on each worker): new workers, then warm
            t0 = time.perf_counter()
            list(executor.grade(grader, []))
            startups.append(time.perf_counter() - t0)
        wall, full, n = _run(grader, executor, subs)
    return wall, startups[0], startups[1], full, n


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--solution", type=Path, default=SOLVED, help="a solved notebook")
    parser.add_argument("--copies", type=int, default=40)
    parser.add_argument("--sandbox", choices=["auto", "bwrap", "user", "none"], default="auto")
    args = parser.parse_args()
    solved = args.solution.resolve()

    with tempfile.TemporaryDirectory(prefix="grade-speed-") as tmp:
        tmp_path = Path(tmp)
        subs = []
        for i in range(args.copies):
            subs.append(tmp_path / f"student_{i:03d}.ipynb")
            shutil.copyfile(solved, subs[-1])
        options = RunOptions(timeout=120.0, sandbox=args.sandbox)
        with Grader(solved, "bench-secret", options, tmp_path / "cache") as grader:
            t0 = time.perf_counter()
            grader.expected(solved)
            setup = time.perf_counter() - t0
            print(f"{solved.name}: {args.copies} submissions, sandbox: {options.isolation()}; "
                  f"expected outputs (once, not timed below): {setup:.2f} s", flush=True)
            walls: dict[str, float] = {}
            ok = True
            for jobs in (1, 2):
                durations = _timed_local(grader)
                wall, full, n = _run(grader, LocalExecutor(jobs), subs)
                del grader.grade_one  # back to the method
                walls[f"jobs{jobs}"] = wall
                ok &= full == n
                print(f"--jobs {jobs}:          {60.0 * n / wall:6.1f} submissions/min  [wall {wall:6.1f} s, "
                      f"median {statistics.median(durations):.2f} s per submission, {full}/{n} full marks]",
                      flush=True)
            for workers in (1, 2):
                wall, cold, warm, full, n = _dask(grader, subs, workers)
                walls[f"dask{workers}"], ok = wall, ok and full == n
                walls[f"startup{workers}"], walls[f"cold{workers}"] = warm, cold
                print(f"Dask, {workers} worker(s): {60.0 * n / wall:6.1f} submissions/min  "
                      f"[wall {wall:6.1f} s, start-up included: {warm:.1f} s ({cold:.1f} s on new workers); "
                      f"{full}/{n} full marks]", flush=True)
    overhead = (walls["dask1"] - walls["startup1"] - walls["jobs1"]) / args.copies
    print(f"Dask overhead per submission (1 worker, start-up excluded, vs --jobs 1): "
          f"{1000 * overhead:+.0f} ms ({100 * overhead * args.copies / walls['jobs1']:+.1f} %)")
    print(f"ratios: --jobs 2 / --jobs 1 {walls['jobs1'] / walls['jobs2']:.2f}x, "
          f"Dask 2 / Dask 1 workers {walls['dask1'] / walls['dask2']:.2f}x, "
          f"Dask 2 workers / --jobs 2 {walls['jobs2'] / walls['dask2']:.2f}x (throughput)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
