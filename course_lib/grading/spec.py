"""Reading graded-item declarations from a notebook.

A graded item is declared in the metadata of the code cell that defines its
function, under the key ``"grading"`` (see the package docstring for the full
format). This module turns those dictionaries into :class:`ItemSpec` objects and
checks them, so a typo in a declaration fails loudly when the author runs
``generate``, not silently when a class is graded.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # nbformat is imported lazily: it takes seconds to import (jsonschema formats),
    import nbformat  # and the learner's kernel imports this module through check()

__all__ = [
    "BEGIN",
    "END",
    "ItemSpec",
    "SpecError",
    "read_notebook",
    "read_items",
    "notebook_items",
    "code_cells",
    "NotebookError",
    "parse_submission",
    "read_sources",
]

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
METADATA_KEY = "grading"
NOTEBOOK_KEY = "course_grading"
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_KNOWN_KEYS = {"item", "points", "function", "signature", "cases", "compare", "mistakes", "forbid",
               "hint", "timeout", "public"}


class SpecError(ValueError):
    """A graded-item declaration is malformed; the message names the item and the key."""


class NotebookError(ValueError):
    """A submission is not a readable notebook; the message says why in one line."""


_MAX_NOTEBOOK_BYTES = 64 * 2**20


def parse_submission(path: str | Path) -> dict[str, Any]:
    """Read a submission once, as plain JSON: the grader checks and runs what this returns.

    Returns ``{"cells": [source, ...], "metadata": {...}}`` with the code cells'
    sources in order. Raises :class:`NotebookError` naming the problem (missing,
    not a file, too large, not JSON, not a v4 notebook, malformed cells).
    """
    path = Path(path)
    if not path.exists():
        raise NotebookError("no such file")
    if path.is_dir():
        raise NotebookError("is a directory")
    if path.suffix != ".ipynb":
        raise NotebookError("not a notebook (the file name does not end in .ipynb)")
    if path.stat().st_size > _MAX_NOTEBOOK_BYTES:
        raise NotebookError(f"larger than {_MAX_NOTEBOOK_BYTES // 2**20} MB")
    try:
        nb = json.loads(path.read_bytes().decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise NotebookError(f"not valid JSON ({type(exc).__name__})") from None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise NotebookError("not a Jupyter notebook (no list of cells)")
    if nb.get("nbformat") != 4:
        raise NotebookError(f"not an nbformat 4 notebook (nbformat={nb.get('nbformat')!r})")
    sources = []
    for i, cell in enumerate(nb["cells"]):
        if not isinstance(cell, dict):
            raise NotebookError(f"cell {i} is not a JSON object")
        if cell.get("cell_type") != "code":
            continue
        src = cell.get("source", "")
        if isinstance(src, list) and all(isinstance(x, str) for x in src):
            src = "".join(src)
        if not isinstance(src, str):
            raise NotebookError(f"cell {i} has a source that is not text")
        sources.append(src)
    meta = nb.get("metadata") if isinstance(nb.get("metadata"), dict) else {}
    return {"cells": sources, "metadata": meta}


def read_sources(path: str | Path) -> list[str]:
    """The code cells' sources of a notebook, read by :func:`parse_submission`."""
    return parse_submission(path)["cells"]


@dataclass(frozen=True)
class ItemSpec:
    """One graded item: a top-level function, its points and how to test it.

    ``cases`` and ``compare`` stay plain JSON-like dictionaries: they are data that
    ``cases.py`` and ``compare.py`` interpret, copied verbatim into exercises.
    """

    item: str
    points: float
    function: str
    cases: dict[str, Any]
    compare: dict[str, Any] = field(default_factory=dict)
    mistakes: tuple[Any, ...] = ()
    forbid: tuple[str, ...] = ()
    hint: str = ""
    timeout: float | None = None
    cell_index: int = -1
    args: tuple[str, ...] = ()  # argument names in call order (from the function's signature)
    kernel: int = 0  # which of a submission's kernels calls it (see grading.poison.kernel_groups)


def read_notebook(path: str | Path) -> nbformat.NotebookNode:
    """Read a notebook as nbformat v4 (raises ``ValueError`` if it is not valid JSON)."""
    import nbformat

    with open(path, encoding="utf-8") as fh:
        return nbformat.read(fh, as_version=4)


def code_cells(nb: nbformat.NotebookNode) -> list[tuple[int, nbformat.NotebookNode]]:
    """``(index, cell)`` for every code cell, in order."""
    return [(i, c) for i, c in enumerate(nb.cells) if c.get("cell_type") == "code"]


def _require(cond: bool, item: str, msg: str) -> None:
    if not cond:
        raise SpecError(f"graded item {item!r}: {msg}")


def _signature(source: str, function: str) -> list[str] | None:
    """Positional parameter names of ``def function(...)`` in a cell, if it is defined there."""
    from .delegation import parse_cell

    tree = parse_cell(source)
    if tree is None:
        return None
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == function:
            return [a.arg for a in node.args.posonlyargs + node.args.args]
    return None


def _call_order(item: str, meta: dict[str, Any], source: str, function: str) -> tuple[str, ...]:
    declared = set(meta["cases"]["args"])
    order = meta.get("signature") or _signature(source, function)
    _require(order is not None, item, f"cannot find `def {function}(...)` in its cell; "
             "declare the argument order with \"signature\": [...]")
    order = list(order)[: len(declared)]  # trailing parameters with defaults may stay undeclared
    _require(set(order) == declared, item, f"the arguments {sorted(declared)} in 'cases.args' must be the "
             f"function's first parameters, in any order; its parameters start with {order}")
    return tuple(order)


def _parse_item(meta: dict[str, Any], cell_index: int, source: str) -> ItemSpec:
    item = meta.get("item")
    if not isinstance(item, str) or not _NAME.match(item):
        raise SpecError(f"cell {cell_index}: 'item' must be an identifier-like string; got {item!r}")
    unknown = set(meta) - _KNOWN_KEYS
    _require(not unknown, item, f"unknown keys {sorted(unknown)}; allowed: {sorted(_KNOWN_KEYS)}")
    points = meta.get("points")
    _require(isinstance(points, int | float) and points > 0, item,
             f"'points' must be a positive number; got {points!r}")
    function = meta.get("function", item)
    _require(isinstance(function, str) and bool(_NAME.match(function)), item,
             f"'function' must be a function name; got {function!r}")
    cases = meta.get("cases")
    _require(isinstance(cases, dict) and isinstance(cases.get("args"), dict) and bool(cases["args"]),
             item, "'cases' must be a dict with a non-empty 'args' dict (argument name -> generator)")
    compare = meta.get("compare", {})
    _require(isinstance(compare, dict), item, f"'compare' must be a dict; got {compare!r}")
    forbid = meta.get("forbid", [])
    _require(isinstance(forbid, list) and all(isinstance(f, str) and "." in f for f in forbid), item,
             "'forbid' must be a list of dotted names such as 'course_lib.activations.sigmoid'")
    mistakes = meta.get("mistakes", [])
    _require(isinstance(mistakes, list), item, "'mistakes' must be a list of names or dicts")
    timeout = meta.get("timeout")
    _require(timeout is None or (isinstance(timeout, int | float) and timeout > 0), item,
             f"'timeout' must be a positive number of seconds; got {timeout!r}")
    return ItemSpec(item=item, points=float(points), function=function, cases=cases, compare=compare,
                    mistakes=tuple(mistakes), forbid=tuple(forbid), hint=str(meta.get("hint", "")),
                    timeout=None if timeout is None else float(timeout), cell_index=cell_index,
                    args=_call_order(item, meta, source, function))


def notebook_items(nb: nbformat.NotebookNode) -> list[ItemSpec]:
    """Every graded item declared in ``nb``, in cell order; raises :class:`SpecError` on bad input."""
    items: list[ItemSpec] = []
    for i, cell in code_cells(nb):
        meta = cell.get("metadata", {}).get(METADATA_KEY)
        if meta is None:
            continue
        if not isinstance(meta, dict):
            raise SpecError(f"cell {i}: metadata 'grading' must be a dict; got {type(meta).__name__}")
        items.append(_parse_item(meta, i, cell.get("source", "")))
    names = [s.item for s in items]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise SpecError(f"graded items declared twice: {dupes}")
    # Imported here: cases.py imports ItemSpec from this module.
    from .cases import validate_cases

    for spec in items:
        validate_cases(spec)
    return items


def read_items(path: str | Path) -> list[ItemSpec]:
    """Graded items of the notebook at ``path``."""
    return notebook_items(read_notebook(path))


def canonical_json(obj: Any) -> str:
    """Deterministic JSON used for hashing declarations."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"))
