"""Scoring one item of one submission, and what each audience may be told about it.

An item's score counts its **hidden** cases only: ``points × passed / hidden``.
What a hidden case may say is a fixed vocabulary (pass/fail, the solution's
shapes, the kind of failure, a builtin exception's name, the named mistake),
never a value, an input or an expected output, and never text the learner's
code wrote (an exception message can carry whatever the function saw). The
**public** cases (the exercise's edge cases and public random cases, whose
answers the learner already has) are run too, scored for nothing, and reported
in full: inputs, expected and returned values, the message, the mistake and
the learner's traceback.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass, field
from pathlib import Path

from .cases import Case
from .compare import Output, abbreviate, score_case, score_hidden
from .delegation import delegation_message
from .mistakes import detect
from .runner import CaseResult
from .spec import ItemSpec

__all__ = ["PublicCase", "ItemResult", "SubmissionResult", "score_item", "hidden_reason"]

_BUILTIN_EXCEPTIONS = frozenset(name for name, obj in vars(builtins).items()
                                if isinstance(obj, type) and issubclass(obj, BaseException))
_SHOWN_FAILURES = 3


@dataclass
class PublicCase:
    """A public case as the learner's feedback page shows it (values included)."""

    label: str
    passed: bool
    inputs: str
    expected: str
    got: str = ""
    message: str = ""
    mistakes: list[str] = field(default_factory=list)
    traceback: str = ""


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
    public: list[PublicCase] = field(default_factory=list)
    hint: str = ""


@dataclass
class SubmissionResult:
    """All items of one submission, plus notes about the run as a whole.

    ``error`` is set when the submission could not be graded at all (not a notebook,
    no matching solutions, a crash of the grader itself); ``cells`` lists the code
    cells that failed, with the learner's traceback.
    """

    submission: Path
    items: list[ItemResult]
    notes: list[str] = field(default_factory=list)
    sha256: str = ""
    error: str = ""
    cells: list[dict[str, object]] = field(default_factory=list)
    timed_out: bool = False

    @property
    def score(self) -> float:
        return round(sum(r.score for r in self.items), 4)

    @property
    def max_score(self) -> float:
        return round(sum(r.max_score for r in self.items), 4)


def hidden_reason(result: CaseResult) -> str:
    """Why a hidden case has no output, in words the learner's code did not choose."""
    if result.kind == "timeout":
        return "timed out"
    if result.kind == "bad_return":
        return "did not return numbers (a number, an array, or a tuple of them)"
    if result.kind == "exception":
        name = result.exc_type or result.error.split(":", 1)[0].strip()
        return f"raised {name}" if name in _BUILTIN_EXCEPTIONS else "raised an exception"
    text = result.error
    for words, reason in (("kernel died", "the kernel died"), ("did not finish", "the grading driver did not "
                          "finish"), ("ran out of time", "out of time"), ("out of time", "out of time"),
                          ("timed out", "timed out")):
        if words in text:
            return reason
    return "no output"


def _show(out: Output) -> str:
    parts = [abbreviate(a) for a in out.arrays]
    return f"({', '.join(parts)})" if out.is_tuple else parts[0]


def _public_case(spec: ItemSpec, case: Case, expected: Output, got: CaseResult) -> PublicCase:
    inputs = ", ".join(f"{k}={abbreviate(v, 200)}" for k, v in case.args.items())
    if got.output is None:
        return PublicCase(case.label, False, inputs, _show(expected), "", got.error[:2000],
                          traceback=got.traceback)
    frac, detail = score_case(spec.compare, got.output, expected, case)
    mistakes = detect(spec.mistakes, case.args, expected, got.output) if frac < 1.0 else []
    return PublicCase(case.label, frac >= 1.0, inputs, _show(expected), _show(got.output), detail, mistakes)


def score_item(spec: ItemSpec, cases: list[Case], expected: list[Output], results: list[CaseResult],
               n_public: int, delegated: str | None, name: str) -> ItemResult:
    """Score one item: cases ``0 .. n_public - 1`` are public (reported, not scored), the rest hidden."""
    public = [_public_case(spec, c, e, r) for c, e, r in
              zip(cases[:n_public], expected[:n_public], results[:n_public], strict=True)]
    hidden = list(zip(cases[n_public:], expected[n_public:], results[n_public:], strict=True))
    n = len(hidden)
    if delegated:
        return ItemResult(name, spec.item, 0.0, spec.points, 0, n, "delegated",
                          delegation_message(spec.function, delegated), public, spec.hint)
    fractions, failures, mistakes = [], [], []
    for case, exp, got in hidden:
        if got.output is None:
            frac, reason = 0.0, hidden_reason(got)
        else:
            frac, reason = score_hidden(spec.compare, got.output, exp, case)
            if frac < 1.0:
                found = detect(spec.mistakes, case.args, exp, got.output)
                mistakes += [m for m in found if m not in mistakes]
        fractions.append(frac)
        if frac < 1.0:
            failures.append(f"{case.label}: {reason}")
    passed = sum(1 for f in fractions if f >= 1.0)
    score = round(spec.points * sum(fractions) / n, 4) if n else 0.0
    status = "ok" if passed == n else ("partial" if score > 0 else "failed")
    parts = [f"{passed}/{n} hidden cases passed"]
    if failures:
        more = f" (and {len(failures) - _SHOWN_FAILURES} more)" if len(failures) > _SHOWN_FAILURES else ""
        parts.append("; ".join(failures[:_SHOWN_FAILURES]) + more)
    parts += [f"likely mistake: {m}" for m in mistakes]
    if public:
        parts.append(f"public cases: {sum(p.passed for p in public)}/{len(public)} passed (not scored)")
    return ItemResult(name, spec.item, score, spec.points, passed, n, status, "; ".join(parts)[:2000],
                      public, spec.hint)
