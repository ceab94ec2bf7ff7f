"""A Gradescope autograder bundle for one chapter, and what runs inside it.

    python -m course_lib.grading gradescope solutions/05_optimizers.ipynb --out autograder.zip

follows Gradescope's contract (https://gradescope-autograders.readthedocs.io/en/latest/specs/).
The zip holds, at its root::

    setup.sh            run once, as root, in /autograder/source: a venv in /autograder/venv from the
                        registry (requirements.txt) and the course wheel below; then the hidden
                        material is made root-only and the expected outputs are computed
    run_autograder      per submission: grades the one notebook in /autograder/submission/
    requirements.txt    pinned from the course's own requirements
    course/*.whl        course_lib (the image's own Python is left alone)
    hidden/solution.ipynb, hidden/secret.txt, hidden/cache/   never readable by the student's code

``python -m course_lib.grading.gradescope run`` (what ``run_autograder`` execs) always
writes a valid ``/autograder/results/results.json``: one test per item, the top-level
score their sum, and a student-visible output that never quotes hidden inputs or
expected values. Its stdout (shown to instructors only) names the isolation used.
``AUTOGRADER_ROOT`` replaces ``/autograder`` (tests lay out a fake root).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import re
import secrets
import stat
import sys
import tempfile
import tomllib
import traceback
import zipfile
from pathlib import Path
from typing import Any

__all__ = ["build_wheel", "make_bundle", "find_notebook", "results_json", "run", "main"]

REQUIREMENTS = ("numpy", "scipy", "scikit-learn", "tqdm", "ipykernel", "nbformat", "psutil")
_REPO = Path(__file__).resolve().parents[2]

SETUP_SH = r"""#!/usr/bin/env bash
# Gradescope runs this once, as root, in /autograder/source (see course_lib/grading/gradescope.py).
set -euo pipefail
umask 022
SRC="$(cd "$(dirname "$0")" && pwd)"
ROOT="${AUTOGRADER_ROOT:-/autograder}"
PY="${COURSE_GRADING_PYTHON:-python3}"
if ! "$PY" -c 'import venv, ensurepip' >/dev/null 2>&1; then  # apt only for what pip cannot give
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 python3-venv >/dev/null
fi
command -v bwrap >/dev/null 2>&1 || { apt-get update -qq && \
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap >/dev/null; } || true
rm -rf "$ROOT/venv"
"$PY" -m venv "$ROOT/venv"
SITE="$("$ROOT/venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
if [ -n "${COURSE_GRADING_SITE_SEED:-}" ]; then
  # Tests only: reuse packages installed elsewhere instead of downloading them again.
  echo "$COURSE_GRADING_SITE_SEED" > "$SITE/course-grading-seed.pth"
else
  "$ROOT/venv/bin/pip" install --quiet --disable-pip-version-check -r "$SRC/requirements.txt"
fi
"$ROOT/venv/bin/pip" install --quiet --disable-pip-version-check --no-deps --no-index "$SRC"/course/*.whl
# The student's code runs as another user: nothing here may be readable by it.
chmod -R go-rwx "$SRC"
chmod 755 "$ROOT"
"$ROOT/venv/bin/python" -m course_lib.grading.gradescope warm --root "$ROOT" \
  || echo "warning: expected outputs not precomputed; run_autograder will compute them"
"""

RUN_AUTOGRADER = r"""#!/usr/bin/env bash
# Gradescope runs this from /autograder for each submission; it always writes results/results.json.
ROOT="${AUTOGRADER_ROOT:-/autograder}"
exec "$ROOT/venv/bin/python" -m course_lib.grading.gradescope run --root "$ROOT"
"""


def _pins() -> list[str]:
    """REQUIREMENTS, pinned as in the course's requirements.txt when it is at hand."""
    pins = {}
    req = _REPO / "requirements.txt"
    if req.is_file():
        for line in req.read_text(encoding="utf-8").splitlines():
            m = re.match(r"^([A-Za-z0-9_.-]+)==(\S+)", line.strip())
            if m:
                pins[m.group(1).lower()] = line.strip()
    return [pins.get(name, name) for name in REQUIREMENTS]


def build_wheel(dest: Path) -> Path:
    """Write course_lib's wheel (pure Python) from this source tree into ``dest``; returns its path.

    Written directly (a wheel is a zip with a manifest): no build backend, no download.
    """
    pyproject = _REPO / "pyproject.toml"
    if not pyproject.is_file():
        raise RuntimeError(f"no pyproject.toml at {_REPO}: make the bundle from a checkout of the course")
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    name, version = project["name"], project["version"]
    info = f"{name}-{version}.dist-info"
    meta = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}",
            f"Requires-Python: {project.get('requires-python', '>=3.11')}"]
    meta += [f"Requires-Dist: {d}" for d in project.get("dependencies", [])]
    files = {f"{info}/METADATA": ("\n".join(meta) + "\n").encode(),
             f"{info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: course_lib.grading.gradescope\n"
                              b"Root-Is-Purelib: true\nTag: py3-none-any\n"}
    for path in sorted((_REPO / "course_lib").rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix in (".py", ".typed"):
            files[path.relative_to(_REPO).as_posix()] = path.read_bytes()
    record = []
    for arc, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{arc},sha256={digest},{len(data)}")
    files[f"{info}/RECORD"] = ("\n".join([*record, f"{info}/RECORD,,"]) + "\n").encode()
    dest.mkdir(parents=True, exist_ok=True)
    wheel = dest / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as zf:
        for arc, data in files.items():
            zf.writestr(arc, data)
    return wheel


def make_bundle(solution: Path, out: Path, secret: str | None = None) -> Path:
    """Write the autograder zip for ``solution`` to ``out``; returns ``out``."""
    from .spec import read_items

    items = read_items(solution)  # fails here, with the reason, if the declarations are wrong
    if not items:
        raise ValueError(f"{solution} declares no graded items")
    with tempfile.TemporaryDirectory(prefix="course-bundle-") as tmp:
        wheel = build_wheel(Path(tmp))
        out.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, text, mode in (("setup.sh", SETUP_SH, 0o755), ("run_autograder", RUN_AUTOGRADER, 0o755),
                                     ("requirements.txt", "\n".join(_pins()) + "\n", 0o644),
                                     ("hidden/secret.txt", (secret or secrets.token_hex(24)) + "\n", 0o600)):
                info = zipfile.ZipInfo(name)
                info.external_attr = (stat.S_IFREG | mode) << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                zf.writestr(info, text)
            zf.write(wheel, f"course/{wheel.name}")
            zf.write(solution, "hidden/solution.ipynb")
    return out


def find_notebook(submission: Path) -> tuple[Path | None, str]:
    """The single notebook of a submission folder (any name), or None and why not.

    Links are never followed, and a file whose name does not end in ``.ipynb`` is not graded.
    """
    notebooks, others, links = [], [], []
    for dirpath, dirnames, filenames in os.walk(submission):  # os.walk does not enter linked folders
        dirnames[:] = [d for d in dirnames if d != "__MACOSX" and not d.startswith(".")]
        for name in filenames:
            path = Path(dirpath, name)
            if name.startswith("."):
                continue
            if path.is_symlink():
                links.append(path.name)
            elif name.lower().endswith(".ipynb") and path.is_file():
                notebooks.append(path)
            else:
                others.append(path.name)
    if len(notebooks) == 1:
        return notebooks[0], ""
    if notebooks:
        names = ", ".join(sorted(p.name for p in notebooks))
        return None, (f"Your submission has {len(notebooks)} notebooks ({names}); "
                      "upload only the one to grade.")
    found = ", ".join(sorted(others + links)[:10]) or "nothing"
    why = "No Jupyter notebook (.ipynb) found in your submission"
    if links:
        why += " (symbolic links are not graded)"
    return None, f"{why}; found: {found}. Upload your .ipynb file itself."


def _test_output(row: Any, hint: str, notes: list[str]) -> str:
    """What a student may see for one item: counts, the hint, no hidden input or expected value."""
    if row.status in ("delegated", "error"):
        text = row.message.split(" | ")[0]
    else:
        text = f"{row.passed}/{row.total} hidden cases passed"
        if row.passed < row.total and hint:
            text += f". Hint: {hint}"
    if row.passed < row.total and notes:
        text += "\n" + "\n".join(notes)
    return text[:2000]


def results_json(result: Any, hints: dict[str, str], isolation: str) -> dict[str, Any]:
    """Gradescope's results.json for one graded submission."""
    tests = [{"name": r.item, "score": r.score, "max_score": r.max_score,
              "status": "passed" if r.status == "ok" else "failed",
              "output": _test_output(r, hints.get(r.item, ""), result.notes)} for r in result.items]
    lines = ["Graded on hidden test cases; each item shows how many passed."]
    if isolation == "none":
        lines.append("Graded without a sandbox (bubblewrap unusable and the autograder not root).")
    return {"score": round(sum(t["score"] for t in tests), 4), "output": "\n".join(lines), "tests": tests,
            "visibility": "visible", "stdout_visibility": "hidden"}


def _zero(message: str) -> dict[str, Any]:
    return {"score": 0.0, "output": message, "tests": [], "visibility": "visible",
            "stdout_visibility": "hidden"}


def _write(results: Path, data: dict[str, Any]) -> None:
    results.mkdir(parents=True, exist_ok=True)
    os.chmod(results, 0o700)  # root only: the student's code never writes here
    tmp = results / ".results.json.tmp"
    tmp.unlink(missing_ok=True)
    tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, results / "results.json")


def _grader(root: Path) -> Any:
    from .grader import Grader
    from .runner import RunOptions

    hidden = root / "source" / "hidden"
    secret = (hidden / "secret.txt").read_text(encoding="utf-8").strip()
    options = RunOptions(sandbox=os.environ.get("COURSE_GRADING_SANDBOX", "auto"))
    return Grader(hidden / "solution.ipynb", secret, options, hidden / "cache")


def run(root: Path) -> dict[str, Any]:
    """Grade ``root/submission`` and write ``root/results/results.json``; returns what was written."""
    from .sandbox import ISOLATION_SUMMARY
    from .spec import read_items

    results = root / "results"
    try:
        notebook, why = find_notebook(root / "submission")
        if notebook is None:
            print(f"not graded: {why}")
            data = _zero(why)
        else:
            with _grader(root) as grader:
                mode = grader.options.isolation()
                print(f"isolation: {mode}: {ISOLATION_SUMMARY[mode]}")
                (result,) = grader.grade([notebook])
                hints = {s.item: s.hint for s in read_items(grader.solutions[0])}
                data = results_json(result, hints, mode)
                print(f"{notebook.name}: {result.score:g} / {result.max_score:g}")
                for row in result.items:  # instructors only: the full message
                    print(f"  {row.item}: {row.score:g}/{row.max_score:g} {row.status}: {row.message}")
    except Exception:  # noqa: BLE001 - Gradescope must always get a valid results.json
        traceback.print_exc(file=sys.stdout)
        data = _zero("The autograder could not grade this submission (an error on our side); "
                     "please tell your instructor.")
    _write(results, data)
    return data


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m course_lib.grading.gradescope")
    p.add_argument("command", choices=["run", "warm"])
    p.add_argument("--root", type=Path, default=Path(os.environ.get("AUTOGRADER_ROOT", "/autograder")))
    args = p.parse_args(argv)
    if args.command == "warm":  # setup.sh: the expected outputs, once for every submission
        with _grader(args.root) as grader:
            grader.expected(grader.solutions[0])
        return 0
    run(args.root)
    return 0


if __name__ == "__main__":
    sys.exit(main())
