"""Command line: ``python -m course_lib.grading {generate,grade,gradescope} ...`` (see ``--help``)."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from pathlib import Path
from typing import Any

from .cases import DEFAULT_SECRET
from .executor import Executor, LocalExecutor
from .grader import Grader, GradingError, check_dependencies, default_cache_dir
from .runner import RunOptions, SandboxUnavailable
from .spec import SpecError


def _sandbox_choice() -> str:
    return os.environ.get("COURSE_GRADING_SANDBOX", "auto")


def _positive(kind: type) -> Any:
    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a {kind.__name__}, got {text!r}") from None
        if not value > 0 or value != value or value == float("inf"):
            raise argparse.ArgumentTypeError(f"must be a positive, finite number; got {text}")
        return value

    parse.__name__ = f"positive {kind.__name__}"
    return parse


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m course_lib.grading", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    fmt = argparse.ArgumentDefaultsHelpFormatter

    gen = sub.add_parser("generate", help="write exercises/ from solutions/", formatter_class=fmt)
    gen.add_argument("--solutions", type=Path, default=Path("solutions"), help="solutions notebooks")
    gen.add_argument("--exercises", type=Path, default=Path("exercises"), help="where to write the exercises")
    gen.add_argument("--check", action="store_true", help="fail if exercises/ is out of date; write nothing")
    gen.add_argument("--sandbox", choices=["auto", "bwrap", "user", "none"], default=_sandbox_choice(),
                     help="auto: bwrap if usable, else (as root) user, else none "
                     "(env COURSE_GRADING_SANDBOX sets the default)")

    g = sub.add_parser("grade", help="grade submission notebooks against the solutions", formatter_class=fmt)
    g.add_argument("submissions", nargs="+", type=Path, help="notebooks, or folders of notebooks")
    g.add_argument("--solutions", type=Path, default=Path("solutions"),
                   help="a solutions notebook or a directory of them")
    g.add_argument("--out", type=Path, default=Path("grades.csv"),
                   help="CSV, one row per submission and item")
    g.add_argument("--json", type=Path, default=None,
                   help="Gradescope results.json (one submission) or a directory (several)")
    g.add_argument("--feedback", type=Path, default=None,
                   help="a directory: one HTML feedback page per submission")
    g.add_argument("--resume", action="store_true",
                   help="keep the submissions already graded in --out (unless their file changed)")
    where = g.add_mutually_exclusive_group()
    where.add_argument("--jobs", type=_positive(int), default=1,
                       help="submissions graded in parallel on this machine")
    where.add_argument("--scheduler", default=None, metavar="tcp://HOST:8786",
                       help="grade on the workers of this Dask scheduler instead "
                       "(pip install 'course_lib[cluster]'; see docs/grading.md)")
    g.add_argument("--timeout", type=_positive(float), default=300.0,
                   help="seconds per submission (wall clock)")
    g.add_argument("--cell-timeout", type=_positive(float), default=60.0, help="seconds per code cell")
    g.add_argument("--call-timeout", type=_positive(float), default=30.0,
                   help="seconds per call of a graded function")
    g.add_argument("--memory", type=_positive(int), default=2048, help="address-space cap in MB per process")
    g.add_argument("--secret", default=None, help="secret for the hidden cases "
                   "(default: $COURSE_GRADING_SECRET, else a fixed value fit only for local use)")
    g.add_argument("--cache", type=Path, default=None,
                   help="expected-output cache directory (default: ~/.cache/course_lib/grading)")
    g.add_argument("--sandbox", choices=["auto", "bwrap", "user", "none"], default=_sandbox_choice(),
                   help="auto: bwrap if usable, else (as root) user, else none "
                   "(env COURSE_GRADING_SANDBOX sets the default)")
    gs = sub.add_parser("gradescope", help="make a Gradescope autograder zip for one solutions notebook",
                        formatter_class=fmt)
    gs.add_argument("solution", type=Path, help="e.g. solutions/05_optimizers.ipynb")
    gs.add_argument("--out", type=Path, default=Path("autograder.zip"), help="the zip to write")
    gs.add_argument("--secret", default=None, help="secret for the hidden cases "
                    "(default: $COURSE_GRADING_SECRET, else a fresh random one kept in the bundle)")
    return p


def _gradescope(args: argparse.Namespace) -> int:
    from .gradescope import make_bundle

    if not args.solution.is_file():
        raise GradingError(f"no solutions notebook at {args.solution}")
    out = make_bundle(args.solution, args.out, args.secret or os.environ.get("COURSE_GRADING_SECRET"))
    print(f"wrote {out}: upload it as the assignment's autograder (Configure Autograder > Zip file upload)")
    return 0


def _generate(args: argparse.Namespace) -> int:
    from .generate import generate

    options = RunOptions(timeout=600.0, sandbox=args.sandbox)
    changed = generate(args.solutions, args.exercises, options, check=args.check)
    if args.check:
        for path in changed:
            print(f"out of date: {path} (run `python -m course_lib.grading generate`)")
        return 1 if changed else 0
    for path in changed:
        print(f"wrote {path}")
    print(f"{len(changed)} exercise notebook(s) updated")
    return 0


def _grade(args: argparse.Namespace) -> int:
    check_dependencies()
    from .batch import run_batch

    if not args.solutions.exists():
        hint = " (the default; pass --solutions PATH)" if args.solutions == Path("solutions") else ""
        raise GradingError(f"no solutions notebook or folder at {args.solutions}{hint}")
    secret = args.secret or os.environ.get("COURSE_GRADING_SECRET") or DEFAULT_SECRET
    outputs = [p for p in (args.out, args.json, args.feedback) if p is not None]
    options = RunOptions(timeout=args.timeout, cell_timeout=args.cell_timeout, call_timeout=args.call_timeout,
                         memory_mb=args.memory, sandbox=args.sandbox,
                         hide_dirs=[p.resolve().parent for p in outputs] + [p for p in outputs if p.is_dir()],
                         hide_files=[p for p in outputs if p.is_file()])
    with contextlib.ExitStack() as stack:
        if args.scheduler is not None:
            from .cluster import DaskExecutor, connect

            executor: Executor = stack.enter_context(DaskExecutor(connect(args.scheduler)))
        else:
            executor = LocalExecutor(args.jobs)
        cache = args.cache or default_cache_dir()
        grader = stack.enter_context(Grader(args.solutions, secret, options, cache))
        grader.preflight()  # here too: the expected outputs are computed on this machine
        return run_batch(grader, args.submissions, args.out, executor=executor, resume=args.resume,
                         json_path=args.json, feedback=args.feedback)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        commands = {"generate": _generate, "grade": _grade, "gradescope": _gradescope}
        return commands[args.command](args)
    except (GradingError, SpecError, SandboxUnavailable, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
