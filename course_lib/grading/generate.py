"""``solutions/`` -> ``exercises/``: one source of truth for every exercise notebook.

For each ``solutions/NN_<chapter>.ipynb`` the exercise notebook keeps every
markdown cell, every code cell and every cell's metadata (the declarations
included), and replaces the lines between ``### BEGIN SOLUTION`` and
``### END SOLUTION`` with a stub that raises ``NotImplementedError`` (the markers
stay, so the learner sees where to write and the file round-trips). Outputs and
execution counts are cleared. Each graded cell's ``grading`` metadata gains
``public``: the public cases with the solution's outputs, which ``check()`` uses.

Generating is deterministic: re-running it rewrites byte-identical files, and
stripping is idempotent (stripping an exercise's source changes nothing), so
``fill_regions`` puts a solution back exactly. ``--check`` compares
instead of writing (public outputs to 1e-9 relative, so a different BLAS does not
flag a stale file) and fails if anything is out of date.
"""

from __future__ import annotations

import copy
import math
import tempfile
from pathlib import Path
from typing import Any

import nbformat

from .cases import encode_array, public_cases
from .poison import kernel_groups
from .runner import RunOptions, run_notebook
from .spec import BEGIN, END, METADATA_KEY, NOTEBOOK_KEY, notebook_items, read_notebook, read_sources

__all__ = ["strip_solutions", "solution_regions", "fill_regions", "make_exercise", "generate"]

_DEFAULT_HINT = "Replace this line with your code."


def _regions(lines: list[str]) -> list[tuple[int, int]]:
    """``(begin, end)`` line indices of every marked region (markers included)."""
    spans, start = [], None
    for i, line in enumerate(lines):
        if line.strip().startswith(BEGIN) and start is None:
            start = i
        elif line.strip().startswith(END) and start is not None:
            spans.append((start, i))
            start = None
    if start is not None:
        raise ValueError(f"'{BEGIN}' on line {start + 1} has no matching '{END}'")
    return spans


def _stub(marker_line: str, hint: str) -> str:
    indent = marker_line[: len(marker_line) - len(marker_line.lstrip())]
    return f"{indent}raise NotImplementedError({hint!r})"


def strip_solutions(source: str, hint: str = _DEFAULT_HINT) -> str:
    """Replace the body of each marked region with a ``NotImplementedError`` stub."""
    lines = source.split("\n")
    for begin, end in reversed(_regions(lines)):
        lines[begin + 1: end] = [_stub(lines[begin], hint)]
    return "\n".join(lines)


def solution_regions(source: str) -> list[list[str]]:
    """The lines inside each marked region (for round-trip checks)."""
    lines = source.split("\n")
    return [lines[b + 1: e] for b, e in _regions(lines)]


def fill_regions(source: str, regions: list[list[str]]) -> str:
    """Put region bodies back into a stubbed source: the inverse of :func:`strip_solutions`."""
    lines = source.split("\n")
    spans = _regions(lines)
    if len(spans) != len(regions):
        raise ValueError(f"source has {len(spans)} marked regions, got {len(regions)} bodies")
    for (b, e), body in reversed(list(zip(spans, regions, strict=True))):
        lines[b + 1: e] = body
    return "\n".join(lines)


def _public_payload(spec: Any, outputs: list[Any]) -> list[dict[str, Any]]:
    payload = []
    for case, result in zip(public_cases(spec), outputs, strict=True):
        if result.output is None:
            raise RuntimeError(f"the solution of {spec.item!r} fails its public {case.label}: {result.error}")
        payload.append({
            "label": case.label,
            "args": [[k, encode_array(v)] for k, v in case.args.items()],  # a list: call order
            "data": {k: encode_array(v) for k, v in case.data.items()},
            "expected": {"is_tuple": result.output.is_tuple,
                         "arrays": [encode_array(a) for a in result.output.arrays]},
        })
    return payload


def make_exercise(solution: nbformat.NotebookNode, stem: str, public: dict[str, list[dict[str, Any]]]
                  ) -> nbformat.NotebookNode:
    """The exercise notebook for ``solution`` (a deep copy; the input is not modified)."""
    nb = copy.deepcopy(solution)
    for cell in nb.cells:
        if cell.get("cell_type") != "code":
            continue
        meta = cell.metadata.get(METADATA_KEY)
        hint = _DEFAULT_HINT
        if isinstance(meta, dict):
            hint = f"{meta['item']}: {meta.get('hint') or _DEFAULT_HINT}"
            meta.pop("public", None)
            if meta["item"] in public:
                meta["public"] = public[meta["item"]]
        cell.source = strip_solutions(cell.source, hint)
        cell.outputs = []
        cell.execution_count = None
    nb.metadata[NOTEBOOK_KEY] = {"source": stem, "role": "exercise",
                                 "note": f"Generated from solutions/{stem}.ipynb; edit that file instead."}
    return nb


def _public_outputs(path: Path, options: RunOptions) -> dict[str, list[dict[str, Any]]]:
    # In the kernels grading will use: an item needing another's forbidden code runs apart.
    items = kernel_groups(notebook_items(read_notebook(path)), read_sources(path))
    cases = {s.item: public_cases(s) for s in items}
    with tempfile.TemporaryDirectory(prefix="course-grading-gen-") as tmp:
        run = run_notebook(path, items, cases, options, Path(tmp) / "run")
    return {s.item: _public_payload(s, run.cases[s.item]) for s in items}


def _close(a: Any, b: Any) -> bool:
    """Structural equality, with floats compared to 1e-9 relative."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) or isinstance(b, float):
        return (isinstance(a, int | float) and isinstance(b, int | float)
                and math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12))
    return bool(a == b)


def generate(solutions: Path, exercises: Path, options: RunOptions | None = None, check: bool = False
             ) -> list[Path]:
    """Write (or with ``check``, compare) ``exercises/<stem>.ipynb`` for every solutions notebook.

    Returns the exercise paths that were written (or that are out of date, with ``check``).
    """
    options = options or RunOptions(timeout=600.0)
    sources = sorted(solutions.glob("*.ipynb")) if solutions.is_dir() else [solutions]
    changed = []
    for path in sources:
        exercise = make_exercise(read_notebook(path), path.stem, _public_outputs(path, options))
        target = exercises / path.name
        text = nbformat.writes(exercise) + "\n"
        if check:
            old = read_notebook(target) if target.exists() else None
            if old is None or not _close(dict(old), dict(nbformat.reads(text, as_version=4))):
                changed.append(target)
            continue
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
            changed.append(target)
    return changed
