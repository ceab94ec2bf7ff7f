"""Running the driver on one submission: inside ``bwrap`` when available, else with rlimits.

With Debian's ``bubblewrap`` the whole driver (and the kernel it starts) runs in::

    bwrap --ro-bind / / --dev /dev --proc /proc --tmpfs /tmp --unshare-all
          --die-with-parent --new-session [--tmpfs HIDDEN_DIR ...] [--ro-bind /dev/null HIDDEN_FILE ...]
          --bind WORK WORK --chdir WORK  python -m course_lib.grading.driver WORK

a read-only root, a private ``/tmp``, no network but its own loopback, and a PID
namespace: when the driver exits or is killed, every process the submission
started dies with it. The solutions, the expected-output cache and the grader's
output files are hidden behind empty mounts; the only writable place is ``WORK``.
Resource limits (address space, file size, processes, CPU time) are set before
``exec`` and inherited by everything inside.

Without ``bwrap`` the same driver runs in a new session with the same limits and
a private temp dir, and is killed with its process group (and every descendant
found) on timeout. That is *not* a sandbox, and :func:`run_driver` says so.
"""

from __future__ import annotations

import functools
import os
import resource
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

__all__ = ["SandboxResult", "bwrap_available", "run_driver", "NOT_SANDBOXED_WARNING"]

NOT_SANDBOXED_WARNING = (
    "WARNING: grading is NOT sandboxed (bubblewrap's `bwrap` is missing or unusable): submissions "
    "run with resource limits only and can read or write anything this user can. "
    "Install it with `apt-get install bubblewrap`."
)
_BWRAP_BASE = ["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp",
               "--unshare-all", "--die-with-parent", "--new-session"]
_FILE_LIMIT = 256 * 2**20
_NPROC_LIMIT = 4096


@dataclass
class SandboxResult:
    """How the driver run ended: its exit code, whether the wall clock killed it, and its log."""

    returncode: int
    timed_out: bool
    sandboxed: bool
    log: str


@functools.cache
def bwrap_available() -> bool:
    """True if ``bwrap`` exists and can create the namespaces we use (probed once)."""
    exe = shutil.which("bwrap")
    if exe is None:
        return False
    try:
        probe = subprocess.run([exe, *_BWRAP_BASE, "true"], capture_output=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return probe.returncode == 0


def _needed_paths(work: Path) -> list[Path]:
    """Paths the sandbox must still see: the interpreter, its packages, course_lib, WORK."""
    package_root = Path(__file__).resolve().parents[2]
    paths = [Path(sys.prefix), Path(sys.base_prefix), Path(sys.executable).resolve().parent,
             package_root, work]
    return [p.resolve() for p in paths]


def _hide_args(hide_dirs: list[Path], hide_files: list[Path], work: Path) -> list[str]:
    """bwrap arguments hiding each dir behind a tmpfs, or its listed files if the dir is needed."""
    needed = _needed_paths(work)
    hidden: list[Path] = []
    for d in hide_dirs:
        d = d.resolve()
        if d.is_dir() and not any(n == d or d in n.parents for n in needed) and d not in hidden:
            hidden.append(d)
    args = [a for d in hidden for a in ("--tmpfs", str(d))]
    for f in hide_files:
        f = f.resolve()
        if f.is_file() and not any(d in f.parents for d in hidden):
            args += ["--ro-bind", "/dev/null", str(f)]
    return args


def _env(work: Path, sandboxed: bool) -> dict[str, str]:
    """A clean environment: nothing of the grader's (secrets included) leaks in."""
    package_root = str(Path(__file__).resolve().parents[2])
    home = str(work / ".home")
    return {
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), "/usr/local/bin", "/usr/bin", "/bin"]),
        "HOME": home, "TMPDIR": str(work / ".tmp"), "LANG": "C.UTF-8",
        "PYTHONPATH": package_root, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONHASHSEED": "0",
        "IPYTHONDIR": str(work / ".ipython"), "JUPYTER_PATH": str(work / ".jupyter"),
        "JUPYTER_RUNTIME_DIR": str(work / ".runtime"), "JUPYTER_CONFIG_DIR": str(work / ".jupyter-config"),
        "JUPYTER_PLATFORM_DIRS": "1", "MPLBACKEND": "Agg", "MPLCONFIGDIR": str(work / ".mpl"),
        "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
        "MALLOC_ARENA_MAX": "2", "PYDEVD_DISABLE_FILE_VALIDATION": "1",
        "COURSE_GRADING_SANDBOXED": "1" if sandboxed else "0",
    }


def _limits(memory_mb: int, cpu_seconds: int) -> None:
    # Runs in the child between fork and exec: everything inside inherits these.
    mem = memory_mb * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
    resource.setrlimit(resource.RLIMIT_FSIZE, (_FILE_LIMIT, _FILE_LIMIT))
    resource.setrlimit(resource.RLIMIT_NPROC, (_NPROC_LIMIT, _NPROC_LIMIT))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _kill_tree(proc: subprocess.Popen[bytes]) -> None:
    """Kill the driver, its process group, and (without bwrap) every descendant we can find."""
    try:
        import psutil

        descendants = psutil.Process(proc.pid).children(recursive=True)
    except Exception:  # noqa: BLE001 - psutil missing or the process already gone
        descendants = []
    for p in descendants:
        try:
            p.kill()
        except Exception:  # noqa: BLE001
            pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except OSError:
        pass


def run_driver(work: Path, *, timeout: float, memory_mb: int, use_bwrap: bool,
               hide_dirs: list[Path], hide_files: list[Path], log_path: Path,
               private_root: Path | None = None) -> SandboxResult:
    """Run ``python -m course_lib.grading.driver WORK`` under the limits; wait at most ``timeout`` s.

    ``private_root`` (the grader's temp dir holding every submission's WORK) is hidden
    behind a tmpfs before WORK alone is bound back, so submissions cannot see each other.
    """
    work = work.resolve()
    for sub in (".home", ".tmp"):
        (work / sub).mkdir(exist_ok=True)
    # Run by path, not with -m: importing the course_lib package would cost half a second.
    inner = [sys.executable, str(Path(__file__).with_name("driver.py")), str(work)]
    if use_bwrap:
        private = ["--tmpfs", str(private_root.resolve())] if private_root is not None else []
        cmd = [shutil.which("bwrap") or "bwrap", *_BWRAP_BASE, *_hide_args(hide_dirs, hide_files, work),
               *private, "--bind", str(work), str(work), "--chdir", str(work), *inner]
    else:
        cmd = inner
    cpu = int(timeout) + 10
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, cwd=work, env=_env(work, use_bwrap), stdin=subprocess.DEVNULL,
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                                preexec_fn=functools.partial(_limits, memory_mb, cpu))
        try:
            proc.wait(timeout=timeout)
            timed_out = False
        except subprocess.TimeoutExpired:
            timed_out = True
        _kill_tree(proc)  # also on a clean exit: nothing outlives the driver
        proc.wait()
    with open(log_path, "rb") as fh:
        text = fh.read(4000).decode("utf-8", "replace")
    return SandboxResult(proc.returncode, timed_out, use_bwrap, text)
