"""``check("sigmoid")``: instant feedback in the learner's own notebook.

It runs the item's *public* cases (stored in the exercise notebook's metadata by
``generate``) against the learner's function, in the learner's kernel, and prints
a plain report: which case failed, with its input, the expected and the obtained
values, and the classic mistake when a detector recognises one. Passing here never
promises full marks: the grader runs other, hidden cases in a separate process.

Delegation is judged as the grader judges it: the item's ``forbid`` list, widened
with the private helpers the forbidden code calls, is looked for in the code the
kernel ran (its input history, else the notebook's saved cells) and, while the
public cases run, in the calls themselves (a profile-hook watch, ``watch.CallWatch``:
advice only, since here the learner's own session runs it; the grader instead
switches the forbidden code off, ``poison.py``). A function that delegates is told
it earns 0 however many cases pass. An unknown item name
lists the items the notebook declares, with the closest one first.

The notebook holding the public cases is found by, in order: the ``notebook``
argument; the ``JPY_SESSION_NAME`` variable Jupyter sets; VS Code's
``__vsc_ipynb_file__``; the most recently modified ``*.ipynb`` in the current
directory (or ``exercises/``, or ``../exercises/`` when run from ``solutions/``)
that declares the item.
"""

from __future__ import annotations

import difflib
import glob
import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .cases import Case, decode_array
from .compare import Output, OutputError, abbreviate, score_case
from .delegation import delegation_message, expand_forbid, find_delegation
from .mistakes import detect
from .watch import CallWatch

__all__ = ["check", "CheckResult"]

HIDDEN_NOTE = ("Hidden cases are graded separately: passing these public cases "
               "does not guarantee full marks.")


@dataclass
class CheckResult:
    """What ``check`` found; truthy when every public case passed."""

    item: str
    passed: int
    total: int
    messages: list[str] = field(default_factory=list)
    delegated: str | None = None  # the forbidden course_lib name the function uses, if any

    def __bool__(self) -> bool:
        return self.total > 0 and self.passed == self.total and self.delegated is None

    def __repr__(self) -> str:
        extra = f", delegated={self.delegated!r}" if self.delegated else ""
        return f"CheckResult(item={self.item!r}, passed={self.passed}, total={self.total}{extra})"


def _user_namespace() -> dict[str, Any]:
    try:
        from IPython import get_ipython

        shell = get_ipython()
        if shell is not None:
            return shell.user_ns
    except ImportError:
        pass
    return vars(sys.modules["__main__"])


def _candidates(notebook: str | None) -> list[str]:
    if notebook:
        return [notebook]
    found = []
    session = os.environ.get("JPY_SESSION_NAME", "")
    if session.endswith(".ipynb"):
        found.append(session)
    vsc = _user_namespace().get("__vsc_ipynb_file__")
    if isinstance(vsc, str):
        found.append(vsc)
    # the exercise itself, or (for an author running solutions/) its generated twin
    local = [p for folder in (".", "exercises", os.path.join("..", "exercises"))
             for p in glob.glob(os.path.join(folder, "*.ipynb"))]
    found += sorted(local, key=lambda p: os.path.getmtime(p), reverse=True)
    return found


def _graded_cells(path: str) -> list[dict[str, Any]] | None:
    try:
        with open(path, encoding="utf-8") as fh:
            nb = json.load(fh)
    except (OSError, ValueError):
        return None
    cells = nb.get("cells", []) if isinstance(nb, dict) else []
    return [c for c in cells if isinstance(c, dict)]


def _find_item(item: str, notebook: str | None) -> tuple[dict[str, Any], str] | None:
    """The item's declaration (with its public cases) and the notebook holding it."""
    for path in _candidates(notebook):
        for cell in _graded_cells(path) or []:
            meta = cell.get("metadata", {}).get("grading")
            if isinstance(meta, dict) and meta.get("item") == item and meta.get("public"):
                return meta, path
    return None


def _known_items(notebook: str | None) -> list[str]:
    """Every item with public cases in the candidate notebooks, first notebook first."""
    names: list[str] = []
    for path in _candidates(notebook):
        for cell in _graded_cells(path) or []:
            meta = cell.get("metadata", {}).get("grading")
            if isinstance(meta, dict) and meta.get("public") and isinstance(meta.get("item"), str):
                if meta["item"] not in names:
                    names.append(meta["item"])
    return names


def _unknown_item(item: str, notebook: str | None) -> str:
    known = _known_items(notebook)
    if not known:
        return (f"check({item!r}): no public cases found for this item. Run check() from the exercise "
                f"notebook's folder, or pass notebook='path/to/exercise.ipynb'.")
    close = difflib.get_close_matches(item, known, n=1, cutoff=0.6)
    guess = f" Did you mean {close[0]!r}?" if close else ""
    return f"check({item!r}): no graded item of that name.{guess} The items are: {', '.join(known)}."


def _kernel_sources(path: str) -> list[str]:
    """The code the kernel ran (IPython's input history), else the notebook's saved code cells."""
    history = _user_namespace().get("In")
    if isinstance(history, list) and any(isinstance(h, str) and h.strip() for h in history):
        return [h for h in history if isinstance(h, str)]
    cells = _graded_cells(path) or []
    return ["".join(c["source"]) if isinstance(c.get("source"), list) else str(c.get("source", ""))
            for c in cells if c.get("cell_type") == "code"]


def _case(entry: dict[str, Any]) -> Case:
    return Case(args={k: decode_array(v) for k, v in entry["args"]},
                data={k: decode_array(v) for k, v in entry.get("data", {}).items()}, label=entry["label"])


def _show(out: Output) -> str:
    parts = [abbreviate(a) for a in out.arrays]
    return f"({', '.join(parts)})" if out.is_tuple else parts[0]


def _run_case(fn: Callable[..., Any], meta: dict[str, Any], entry: dict[str, Any],
              watching: CallWatch) -> list[str]:
    """Problems with one public case (empty when it passes)."""
    case = _case(entry)
    expected = Output([decode_array(a) for a in entry["expected"]["arrays"]], entry["expected"]["is_tuple"])
    args = [a.item() if a.ndim == 0 else a.copy() for a in case.args.values()]
    shown = ", ".join(f"{k}={abbreviate(v, 200)}" for k, v in case.args.items())
    try:
        got = Output.from_value(watching.call(fn, args))
    except (OutputError, NotImplementedError) as exc:
        return [f"{case.label}: {type(exc).__name__}: {exc}"]
    except Exception as exc:  # noqa: BLE001 - the learner's bug, reported plainly
        return [f"{case.label}: your function raised {type(exc).__name__}: {exc}\n    input: {shown}"]
    frac, why = score_case(meta.get("compare", {}), got, expected, case)
    if frac >= 1.0:
        return []
    lines = [f"{case.label} failed: {why}", f"    input:    {shown}", f"    expected: {_show(expected)}",
             f"    got:      {_show(got)}"]
    lines += [f"    Likely mistake: {m}" for m in detect(meta.get("mistakes", []), case.args, expected, got)]
    return lines


def check(item: str, function: Callable[..., Any] | None = None, notebook: str | None = None,
          show: int = 3) -> CheckResult:
    """Run the public cases of ``item`` against your function and print what happened.

    Parameters
    ----------
    item : the graded item's name, e.g. ``"sigmoid"``.
    function : the function to test (default: the notebook's function of the declared name).
    notebook : path of the exercise notebook holding the public cases (default: found).
    show : how many failing cases to print in full.
    """
    found = _find_item(item, notebook)
    if found is None:
        print(_unknown_item(item, notebook))
        return CheckResult(item, 0, 0)
    meta, path = found
    name = meta.get("function", item)
    fn = function if function is not None else _user_namespace().get(name)
    if not callable(fn):
        print(f"check({item!r}): define a function named {name!r} first.")
        return CheckResult(item, 0, len(meta["public"]))
    forbid = expand_forbid(tuple(meta.get("forbid", [])))
    watching = CallWatch(list(forbid))
    failures = [_run_case(fn, meta, entry, watching) for entry in meta["public"]]
    delegated = find_delegation(_kernel_sources(path), name, forbid) or watching.first()
    passed = sum(1 for f in failures if not f)
    total = len(failures)
    messages = [line for f in failures if f for line in f]
    for lines in [f for f in failures if f][:show]:
        print("\n".join(lines))
    if delegated:
        why = delegation_message(name, delegated)
        messages.append(why)
        print(f"{item}: {passed}/{total} public cases passed, but the grader gives this item 0 -- {why}.")
        return CheckResult(item, passed, total, messages, delegated)
    verdict = "All" if passed == total else "Only"
    print(f"{item}: {verdict} {passed}/{total} public cases passed. {HIDDEN_NOTE}")
    return CheckResult(item, passed, total, messages)
