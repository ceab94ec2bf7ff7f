"""Interpreters for the isolation tests: a venv under a tmpfs-hidden path, one an unprivileged user can run.

:func:`make_venv` creates a venv (no pip) whose site-packages holds course_lib's wheel
(not an editable install: the package's own repository stays out of sight, as on
Gradescope) and a ``.pth`` line pointing at this interpreter's site-packages for numpy,
ipykernel and the rest, so nothing is downloaded.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import sysconfig
from pathlib import Path

from course_lib.grading.gradescope import build_wheel

SITE = sysconfig.get_paths()["purelib"]


def others_can_run(path: str) -> bool:
    """Whether a user with only "others" rights reaches ``path`` (every parent searchable, file readable)."""
    real = Path(os.path.realpath(path))
    if not all(p.stat().st_mode & stat.S_IXOTH for p in real.parents):
        return False
    return bool(real.stat().st_mode & stat.S_IROTH)


def base_python(readable: bool) -> str | None:
    """This interpreter's base executable, or a system one of the same version others can run."""
    base = os.path.realpath(getattr(sys, "_base_executable", sys.executable))
    if not readable or others_can_run(base):
        return base
    system = f"/usr/bin/python{sys.version_info.major}.{sys.version_info.minor}"
    return system if os.path.exists(system) and others_can_run(system) else None


def make_venv(dest: Path, readable: bool = False) -> Path | None:
    """A venv at ``dest`` with course_lib installed from its wheel; returns its python (None: impossible)."""
    base = base_python(readable)
    if base is None:
        return None
    subprocess.run([base, "-m", "venv", "--without-pip", str(dest)], check=True)
    python = dest / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    wheel = build_wheel(dest / "wheel")
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
                    "--target", site, str(wheel)], check=True)
    Path(site, "course-grading-seed.pth").write_text(SITE + "\n", encoding="utf-8")
    if readable:
        for dirpath, dirnames, filenames in os.walk(dest):
            for name in [*dirnames, *filenames]:
                p = os.path.join(dirpath, name)
                if not os.path.islink(p):
                    os.chmod(p, os.stat(p).st_mode | stat.S_IROTH | (stat.S_IXOTH if name in dirnames else 0))
    return python
