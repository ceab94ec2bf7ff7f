"""The packages' layering: ``compute`` < ``plots`` < ``widgets``, read from the import statements.

``plots`` draws results that ``compute`` returns and ``widgets`` wires both to sliders,
so ``plots`` never imports ``widgets`` and ``compute`` imports neither (nor matplotlib
or ipywidgets). Imports under ``TYPE_CHECKING`` or inside functions count too: an
import circle hidden there is still a circle.
"""

import ast
from pathlib import Path

import pytest

import course_lib

ROOT = Path(course_lib.__file__).parent


def imported_modules(path: Path) -> set[str]:
    """Every module ``path`` imports anywhere in its body, relative imports made absolute."""
    package = ".".join(path.relative_to(ROOT.parent).with_suffix("").parts[:-1])
    if path.name == "__init__.py":
        package = ".".join(path.relative_to(ROOT.parent).parts[:-1])
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")
            base = base[:len(base) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def test_imported_modules_resolves_relative_imports():
    path = ROOT / "plots" / "losses.py"
    assert "course_lib.compute.losses" in imported_modules(path)
    assert "course_lib.plots._style" in imported_modules(path)


FORBIDDEN = {
    "plots": ("course_lib.widgets",),
    "compute": ("course_lib.widgets", "course_lib.plots", "matplotlib", "ipywidgets"),
}


@pytest.mark.parametrize("path", [p for package in FORBIDDEN for p in sorted((ROOT / package).glob("*.py"))],
                         ids=lambda p: f"{p.parent.name}/{p.name}")
def test_package_does_not_import_a_higher_layer(path):
    bad = [m for m in imported_modules(path) for f in FORBIDDEN[path.parent.name]
           if m == f or m.startswith(f + ".")]
    assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"
