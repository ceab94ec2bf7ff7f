"""Catching a graded function that merely hands the work to ``course_lib``.

An item's ``"forbid"`` list names course_lib functions (or classes) that do the very
thing the exercise asks for, e.g. ``course_lib.activations.sigmoid`` for the sigmoid
exercise. A submission earns no credit for that item if its function uses one.

Two independent checks:

* **static** (here, in the grader's process, on the notebook's source): resolve
  import aliases (``import course_lib as cl``, ``from course_lib import activations
  as A``, ``from course_lib.activations import sigmoid as s``) and plain
  assignments (``sigmoid = course_lib.activations.sigmoid``); then look at the final
  definition of the graded name and at every top-level function it calls, for any
  reference to a forbidden name;
* **at run time** (``_kernel.run_item``): a profile hook counts calls to the
  forbidden functions' code objects during the graded calls, whatever name reached
  them.

Other course_lib functions stay allowed: exercises that build on earlier material
may import it.
"""

from __future__ import annotations

import ast
import re

__all__ = ["find_delegation", "delegation_message", "parse_cell"]

_MAGIC = re.compile(r"^(\s*)([%!].*|.*\?)$")


def parse_cell(source: str) -> ast.Module | None:
    """Parse a cell, turning IPython magics and shell lines into ``pass``; None on syntax error."""
    lines = [_MAGIC.sub(r"\1pass", line) for line in source.splitlines()]
    try:
        return ast.parse("\n".join(lines))
    except (SyntaxError, ValueError):
        return None


def _resolve(node: ast.AST, aliases: dict[str, str]) -> str | None:
    """The dotted course_lib name an expression refers to, if any."""
    if isinstance(node, ast.Name):
        return aliases.get(node.id)
    if isinstance(node, ast.Attribute):
        base = _resolve(node.value, aliases)
        return f"{base}.{node.attr}" if base else None
    return None


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


def _scan(node: ast.AST, aliases: dict[str, str], defs: dict[str, ast.AST], forbid: tuple[str, ...],
          seen: set[str]) -> str | None:
    """First forbidden name referenced by ``node`` or by the top-level functions it calls."""
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
                hit = _scan(target, aliases, defs, forbid, seen)
                if hit:
                    return hit
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


def delegation_message(function: str, forbidden: str) -> str:
    """What the learner reads when an item earns nothing for delegating."""
    return (f"no credit: `{function}` uses course_lib's own `{forbidden}`, which is what this exercise "
            f"asks you to write yourself (other course_lib functions remain allowed)")
