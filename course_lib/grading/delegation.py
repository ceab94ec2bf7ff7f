"""Catching a graded function that merely hands the work to ``course_lib``.

An item's ``"forbid"`` list names course_lib functions (or classes) that do the very
thing the exercise asks for, e.g. ``course_lib.activations.sigmoid`` for the sigmoid
exercise. A submission earns no credit for that item if its function uses one.

Two independent defences:

* **static** (here, in the grader's process, on the notebook's source): resolve
  import aliases (``import course_lib as cl``, ``from course_lib import activations
  as A``, ``from course_lib.activations import sigmoid as s``) and plain
  assignments (``sigmoid = course_lib.activations.sigmoid``); then look at the final
  definition of the graded name and at every top-level function it calls, for any
  reference to a forbidden name;
* **at run time** (``poison.py``): the learner's kernel imports a copy of
  course_lib with the forbidden code replaced by a raising stub, so whatever name,
  thread or trick reaches it, there is nothing to delegate to; numpy's forbidden
  functions are replaced in the kernel before any cell runs.

The forbid list is first widened by :func:`expand_forbid` with the private helpers
(``_name``) the forbidden course_lib code calls, so calling ``_sigmoid`` instead of
``sigmoid`` is delegation too. Cells are parsed as IPython runs them (its own input
transformer turns magics, ``!`` lines and ``name?`` help into Python), so no line
is skipped that the kernel would execute.

Other course_lib functions stay allowed: exercises that build on earlier material
may import it.
"""

from __future__ import annotations

import ast
import functools
import importlib
import inspect
import re
from typing import Any

__all__ = ["find_delegation", "delegation_message", "parse_cell", "expand_forbid"]

# Without IPython: only whole-line magics, shell escapes and ``name?`` help lines.
_MAGIC = re.compile(r"^(\s*)([%!].*|\?{0,2}[\w.]+\?{0,2})$")


@functools.cache
def _transformer() -> Any:
    try:
        from IPython.core.inputtransformer2 import TransformerManager
    except ImportError:
        return None
    return TransformerManager()


def _python(source: str) -> str:
    tm = _transformer()
    if tm is not None:
        try:
            return tm.transform_cell(source)
        except Exception:  # noqa: BLE001 - IPython could not transform it: neither can the kernel
            return source
    lines = source.splitlines()
    return "\n".join(_MAGIC.sub(r"\1pass", line) if line.strip().endswith("?") or line.lstrip()[:1] in "%!"
                     else line for line in lines)


def parse_cell(source: str) -> ast.Module | None:
    """Parse a cell the way IPython runs it (magics become calls); None if it does not parse."""
    try:
        return ast.parse(_python(source))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _resolve(node: ast.AST, aliases: dict[str, str]) -> str | None:
    """The dotted course_lib name an expression refers to, if any (iterative: any depth)."""
    attrs = []
    while isinstance(node, ast.Attribute):
        attrs.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name) or node.id not in aliases:
        return None
    return ".".join([aliases[node.id], *reversed(attrs)])


def _bind_imports(stmt: ast.stmt, aliases: dict[str, str], forbid: tuple[str, ...]) -> None:
    if isinstance(stmt, ast.Import):
        for a in stmt.names:
            if a.asname:
                aliases[a.asname] = a.name
            else:
                top = a.name.split(".")[0]
                aliases[top] = top
    elif isinstance(stmt, ast.ImportFrom) and stmt.module and not stmt.level:
        for a in stmt.names:
            if a.name == "*":
                for f in forbid:
                    module, _, name = f.rpartition(".")
                    if module == stmt.module:
                        aliases[name] = f
            else:
                aliases[a.asname or a.name] = f"{stmt.module}.{a.name}"


def _collect(trees: list[ast.Module], forbid: tuple[str, ...]
             ) -> tuple[dict[str, str], dict[str, ast.AST]]:
    """Module-level aliases, and the final top-level definition of every name."""
    aliases: dict[str, str] = {}
    defs: dict[str, ast.AST] = {}
    for tree in trees:
        for stmt in tree.body:
            _bind_imports(stmt, aliases, forbid)
            if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
                defs[stmt.name] = stmt
                aliases.pop(stmt.name, None)
            elif isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(
                    stmt.targets[0], ast.Name):
                name = stmt.targets[0].id
                target = _resolve(stmt.value, aliases)
                if target:
                    aliases[name] = target
                else:
                    aliases.pop(name, None)
                defs[name] = stmt.value
            elif isinstance(stmt, ast.Import | ast.ImportFrom):
                for a in stmt.names:
                    defs[(a.asname or a.name).split(".")[0]] = stmt
    return aliases, defs


def _is_forbidden(name: str | None, forbid: tuple[str, ...]) -> str | None:
    if name is None:
        return None
    for f in forbid:
        if name == f or name.startswith(f + "."):
            return f
    return None


def _scan(start: ast.AST, aliases: dict[str, str], defs: dict[str, ast.AST], forbid: tuple[str, ...],
          seen: set[str]) -> str | None:
    """First forbidden name referenced by ``start`` or by the top-level functions it calls.

    A work list, not recursion: a chain of thousands of helpers is followed to its end.
    """
    work = [start]
    while work:
        node = work.pop()
        local = dict(aliases)
        for sub in ast.walk(node):
            if isinstance(sub, ast.Import | ast.ImportFrom):
                _bind_imports(sub, local, forbid)
        for sub in ast.walk(node):
            if isinstance(sub, ast.Name | ast.Attribute):
                hit = _is_forbidden(_resolve(sub, local), forbid)
                if hit:
                    return hit
            if isinstance(sub, ast.Name) and sub.id in defs and sub.id not in seen:
                target = defs[sub.id]
                if isinstance(target, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                    seen.add(sub.id)
                    work.append(target)
    return None


def find_delegation(sources: list[str], function: str, forbid: tuple[str, ...] | list[str]) -> str | None:
    """The forbidden course_lib name ``function`` delegates to, or None.

    ``sources`` are the notebook's code cells in order. Cells that do not parse are
    skipped (they did not define anything when the notebook ran either).
    """
    forbid = tuple(forbid)
    if not forbid:
        return None
    trees = [t for t in (parse_cell(s) for s in sources) if t is not None]
    aliases, defs = _collect(trees, forbid)
    hit = _is_forbidden(aliases.get(function), forbid)
    if hit:
        return hit
    if function not in defs:
        return None
    return _scan(defs[function], aliases, defs, forbid, {function})


def _lookup(dotted: str) -> Any:
    module_name, _, attr = dotted.rpartition(".")
    try:
        return getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError, ValueError):
        return None


def _functions_of(obj: Any) -> list[Any]:
    """The plain functions behind a function or a class's methods (properties included)."""
    members = list(vars(obj).values()) if isinstance(obj, type) else [obj]
    found = []
    for m in members:
        if isinstance(m, staticmethod | classmethod):
            m = m.__func__
        if isinstance(m, property):
            found += [f for f in (m.fget, m.fset) if f is not None]
        elif inspect.isfunction(m):
            found.append(m)
    return found


def _code_names(code: Any) -> set[str]:
    names, work = set(), [code]
    while work:
        c = work.pop()
        names.update(c.co_names)
        work += [k for k in c.co_consts if inspect.iscode(k)]
    return names


def expand_forbid(forbid: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """``forbid`` plus every private course_lib helper (``_name``) the forbidden course_lib code calls.

    Computed here, in the grader's process, from the trusted package: a learner who calls
    ``course_lib.activations._sigmoid`` instead of ``sigmoid`` runs the same forbidden code.
    """
    out, seen = list(forbid), set(forbid)
    work = [f for dotted in forbid if dotted.startswith("course_lib.")
            for f in _functions_of(_lookup(dotted))]
    done: set[int] = set()
    while work:
        fn = work.pop()
        if id(fn) in done:
            continue
        done.add(id(fn))
        for name in sorted(_code_names(fn.__code__)):
            target = fn.__globals__.get(name)
            module = getattr(target, "__module__", "") or ""
            if name.startswith("_") and inspect.isfunction(target) and module.startswith("course_lib"):
                dotted = f"{module}.{target.__name__}"
                if dotted not in seen:
                    seen.add(dotted)
                    out.append(dotted)
                work.append(target)
    return tuple(out)


def delegation_message(function: str, forbidden: str) -> str:
    """What the learner reads when an item earns nothing for delegating."""
    return (f"no credit: `{function}` uses course_lib's own `{forbidden}`, which is what this exercise "
            f"asks you to write yourself (other course_lib functions remain allowed)")
