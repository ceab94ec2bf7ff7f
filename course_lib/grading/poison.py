"""A copy of ``course_lib`` with the forbidden code taken out, for the learner's kernel.

A graded function that hands its work to course_lib's own implementation earns
nothing for that item. Watching for such calls inside the learner's process can
be undone by the learner's code (another thread, removing the hook, patching the
watch), so the graded kernel does not get that code at all: it imports a copy
of the package in which the body of every forbidden function, and of every method
of a forbidden class, is replaced (an AST rewrite, here in the grader's process)
by one line that raises :data:`MARK`. The source files, ``inspect.getsource`` and
the compiled ``.pyc`` of the copy hold nothing else, and the sandbox shows the
copy at the real package's path (see ``sandbox.py``), so reading the file or
re-executing its source gives back the same raising stub.

One kernel runs every item of a notebook, so the copy takes out the **union** of
the items' forbid lists (widened by :func:`~course_lib.grading.delegation.expand_forbid`
with the private helpers that forbidden code calls). Whatever executes that code,
under any name, from any thread, fails: an item may not build on a function that
another item of the same notebook asks the learner to write (the learner uses
their own implementation instead; a solutions notebook that breaks this rule
fails its own cases when the expected outputs are computed). The exception is an item
whose solution itself names what another item forbids (an open-ended item invited to
use the library): :func:`kernel_groups` gives it a kernel of its own.

numpy functions named in a forbid list are C code reachable by other paths;
:func:`numpy_targets` lists what the kernel replaces before any learner code runs
(the public function wherever numpy's modules hold it, and the compiled routines it
calls), which ``_kernel.switch_off`` does. That is weaker: see docs/grading.md.
"""

from __future__ import annotations

import ast
import compileall
import hashlib
import inspect
import os
import shutil
import sys
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .delegation import _lookup

__all__ = ["MARK", "kernel_groups", "poisoned_library", "course_lib_targets", "numpy_targets",
           "switched_off_name"]

MARK = "is switched off while this notebook is graded"
_PACKAGE = Path(__file__).resolve().parents[1]
_lock = threading.Lock()
_built: dict[tuple[str, str], Path] = {}  # this process's copies, by what they take out and where


def course_lib_targets(forbid: Iterable[str]) -> dict[str, dict[str, str]]:
    """``{module file (relative to the package): {qualified name: dotted name}}`` to take out."""
    found: dict[str, dict[str, str]] = {}
    for dotted in sorted(set(forbid)):
        if not dotted.startswith("course_lib."):
            continue
        obj = _lookup(dotted)
        obj = inspect.unwrap(obj) if obj is not None else None
        module = sys.modules.get(getattr(obj, "__module__", None) or "")
        qualname = getattr(obj, "__qualname__", "")
        path = getattr(module, "__file__", None)
        if not (path and qualname) or "<locals>" in qualname:
            continue
        rel = os.path.relpath(os.path.realpath(path), _PACKAGE)
        if not rel.startswith(".."):
            found.setdefault(rel, {})[qualname] = dotted
    return found


def _stub_body(node: ast.FunctionDef | ast.AsyncFunctionDef, dotted: str) -> list[ast.stmt]:
    doc = ast.get_docstring(node, clean=False)
    text = f"{dotted} {MARK}: it is what an exercise asks you to write yourself"
    raise_stmt = ast.parse(f"raise NotImplementedError({text!r})").body
    return ([ast.Expr(ast.Constant(doc))] if doc is not None else []) + raise_stmt


def _rewrite(body: list[ast.stmt], prefix: str, names: dict[str, str], inside: str | None) -> int:
    """Replace, in place, the bodies of the named functions (and of every method of named classes)."""
    hits = 0
    for node in body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            qual = prefix + node.name
            dotted = names.get(qual) or inside
            if dotted:
                node.body = _stub_body(node, dotted)
                hits += 1
        elif isinstance(node, ast.ClassDef):
            qual = prefix + node.name
            hits += _rewrite(node.body, qual + ".", names, names.get(qual) or inside)
    return hits


def _poison_file(path: Path, names: dict[str, str]) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    _rewrite(tree.body, "", names, None)
    path.write_text(ast.unparse(ast.fix_missing_locations(tree)) + "\n", encoding="utf-8")


def poisoned_library(forbid: Iterable[str], cache: Path) -> Path:
    """A folder holding ``course_lib/``, the package with ``forbid``'s code taken out.

    Built once per forbid set under ``cache`` (its name is a hash of the set and of the
    package's sources), compiled to ``.pyc`` from the rewritten sources, and readable by
    anyone (the container fallback's kernel runs as another user).
    """
    targets = course_lib_targets(forbid)
    key = (repr(sorted((k, sorted(v.items())) for k, v in targets.items())), str(cache))
    with _lock:
        known = _built.get(key)
        if known is not None and (known / "course_lib").is_dir():
            return known
        h = hashlib.sha256(key[0].encode())
        for p in sorted(_PACKAGE.rglob("*.py")):
            h.update(str(p.relative_to(_PACKAGE)).encode() + b"\0" + p.read_bytes())
        root = _built[key] = cache / f"library-{h.hexdigest()[:16]}"
        if (root / "course_lib").is_dir():
            return root
        partial = cache / f"{root.name}.tmp{os.getpid()}"
        shutil.rmtree(partial, ignore_errors=True)
        shutil.copytree(_PACKAGE, partial / "course_lib",
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        for rel, names in targets.items():
            _poison_file(partial / "course_lib" / rel, names)
        compileall.compile_dir(partial / "course_lib", quiet=2, workers=1)
        for dirpath, _, filenames in os.walk(partial):
            os.chmod(dirpath, 0o755)
            for f in filenames:
                os.chmod(os.path.join(dirpath, f), 0o644)
        cache.mkdir(parents=True, exist_ok=True)
        os.replace(partial, root)
    return root


def kernel_groups(items: list[Any], solution_sources: list[str]) -> list[Any]:
    """The items (``ItemSpec``) with their forbid lists widened and the kernel each runs in.

    Kernel 0 runs every item whose solution uses nothing another item forbids, with the
    union of those items' lists switched off. An item whose solution (trusted: read from
    the solutions notebook, never from a submission) names something that union holds,
    such as an open-ended item built on ``layers.Dropout`` beside the item that asks for
    dropout, gets a kernel of its own, with only its own list switched off. Each extra
    kernel runs the whole notebook again.
    """
    import dataclasses

    from .delegation import expand_forbid, find_delegation

    items = [dataclasses.replace(s, forbid=expand_forbid(s.forbid)) for s in items]
    union = tuple(sorted({f for s in items for f in s.forbid}))
    out, extra = [], 0
    for s in items:
        if find_delegation(solution_sources, s.function, union):
            extra += 1
            s = dataclasses.replace(s, kernel=extra)
        out.append(s)
    return out


def numpy_targets(forbid: Iterable[str]) -> list[list[str]]:
    """``[module, attribute, dotted name]`` for every numpy object the kernel replaces.

    Each forbidden numpy function, plus the compiled routines of numpy's extension
    modules its Python source calls (``_umath_linalg.solve`` behind ``numpy.linalg.solve``),
    so that reaching the routine by another name fails too.
    """
    out: list[list[str]] = []
    for dotted in sorted(set(forbid)):
        if not dotted.startswith("numpy."):
            continue
        module, _, attr = dotted.rpartition(".")
        fn = _lookup(dotted)
        if fn is None:
            continue
        out.append([module, attr, dotted])
        try:
            tree = ast.parse(inspect.getsource(inspect.unwrap(fn)).strip())
        except (OSError, TypeError, SyntaxError):
            continue
        glb = getattr(inspect.unwrap(fn), "__globals__", {})
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                ext = glb.get(node.value.id)
                path = getattr(ext, "__file__", "") or ""
                compiled = inspect.ismodule(ext) and not path.endswith(".py")
                if compiled and callable(getattr(ext, node.attr, None)):
                    entry = [ext.__name__, node.attr, dotted]
                    if entry not in out:
                        out.append(entry)
    return out


def switched_off_name(error_text: str) -> str | None:
    """The dotted name a case's error says was switched off, if it is such an error."""
    head, sep, _ = error_text.partition(f" {MARK}")
    if not sep:
        return None
    name = head.rsplit(None, 1)[-1].strip("'\"(") if head.split() else ""
    return name if name.replace(".", "").replace("_", "").isalnum() else None
