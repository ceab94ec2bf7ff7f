"""Grading speed: 40 copies of a solved notebook, graded two at a time.

    python bench/grade_speed.py [--solution NB] [--copies 40] [--jobs 2] [--sandbox auto|bwrap|user|none]

The solved notebook defaults to the grader's demo fixture; pass a chapter's, e.g.
``--solution solutions/06_regularization.ipynb``, to time a real exercise set.

Prints the median wall-clock seconds per submission (each one: sandbox, fresh kernel,
every cell, every graded call, comparison) and the throughput in submissions per
minute. Computing the solutions' expected outputs happens once, before the clock
starts, and is reported separately. Targets (issue 4, two cores): at most 5 s per
submission and at least 20 submissions per minute.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from course_lib.grading.grader import Grader
from course_lib.grading.runner import RunOptions

ROOT = Path(__file__).resolve().parents[1]
SOLVED = ROOT / "tests" / "grading" / "solutions" / "01_demo.ipynb"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--solution", type=Path, default=SOLVED, help="a solved notebook")
    parser.add_argument("--copies", type=int, default=40)
    parser.add_argument("--jobs", type=int, default=2)
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
            durations: list[float] = []
            grade_one = grader.grade_one

            def timed(sub: Path):  # noqa: ANN202 - a local wrapper
                start = time.perf_counter()
                result = grade_one(sub)
                durations.append(time.perf_counter() - start)
                return result

            grader.grade_one = timed  # type: ignore[method-assign]
            t0 = time.perf_counter()
            results = grader.grade(subs, jobs=args.jobs)
            wall = time.perf_counter() - t0
        mode = options.isolation()
    full = sum(1 for r in results if r.score == r.max_score)
    print(f"{solved.name}: {len(results)} submissions ({full} with full marks), jobs: {args.jobs}, "
          f"sandbox: {mode}")
    print(f"expected outputs (once, not timed below): {setup:.2f} s")
    print(f"median seconds per submission: {statistics.median(durations):.2f} s (target <= 5 s)")
    print(f"submissions per minute: {60.0 * len(results) / wall:.1f} (target >= 20)  [wall {wall:.1f} s]")
    return 0 if full == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
