"""Running the driver on one submission, isolated as well as this machine allows.

:func:`isolation_mode` picks one of three modes (see ``_isolation`` for the details):

``bwrap``
    Bubblewrap, two levels. The driver runs in a sandbox that sees only the system
    folders, the interpreter and ``course_lib``, with sized tmpfs for ``/tmp``,
    ``/dev/shm`` and ``WORK``, no network but its own loopback, no ``AF_UNIX``
    sockets and its own PID namespace; the one host folder it can write is its
    result folder. The learner's kernel runs in a second sandbox inside: its own
    PID namespace (the driver is not even visible), the result folder hidden, and
    everything but ``WORK`` and ``/tmp`` read-only. Run by root, the whole thing
    runs as an unprivileged uid, so the process limit holds.
``user``
    The container fallback, for root where bwrap cannot start (Docker, Gradescope):
    the driver runs as root and the kernel as an unprivileged uid of its own, in a
    private ``WORK``; what it must not read is made unreadable to other users; every
    process of that uid is killed before the results are read.
``none``
    Resource limits and a new session only, with :data:`NOT_SANDBOXED_WARNING`.

Every mode sets the same resource limits (address space, file size, processes,
CPU time) before ``exec``; they are inherited by everything inside.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import resource
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import _isolation as iso
from ._seccomp import program as seccomp_program
from .poison import poisoned_library

__all__ = ["SandboxResult", "SandboxUnavailable", "bwrap_available", "isolation_mode", "run_driver",
           "NOT_SANDBOXED_WARNING", "CONTAINER_NOTE", "ISOLATION_SUMMARY"]

NOT_SANDBOXED_WARNING = (
    "WARNING: grading is NOT sandboxed (--sandbox none, or bwrap is missing or unusable and the grader is "
    "not root): submissions run with resource limits only and can read or write anything this user can. "
    "Install bubblewrap (`apt-get install bubblewrap`), or grade as root for the unprivileged-user fallback."
)
CONTAINER_NOTE = (
    "note: bwrap cannot run here; grading in the container fallback: each submission's kernel runs as an "
    "unprivileged user of its own, with resource limits, in a private folder; no namespaces."
)
ISOLATION_SUMMARY = {
    "bwrap": "bubblewrap sandbox (private filesystem view, no network, own PID namespace, sized tmpfs, "
             "kernel out of the driver's reach)",
    "user": "container fallback (bwrap unusable): kernel as an unprivileged user, resource limits, "
            "private working folder, hidden material unreadable to it",
    "none": "NOT sandboxed: resource limits only",
}
_PY_IMPORTS = "import numpy, ipykernel, jupyter_client, course_lib.grading._kernel"
_FILE_LIMIT = 256 * 2**20
_NPROC_LIMIT = 4096  # the grader's own uid: counts every process of that user
_NPROC_DEDICATED = 256  # a uid of the run's own


class SandboxUnavailable(RuntimeError):
    """The requested isolation cannot be used here, or the sandbox cannot start Python."""


@dataclass
class SandboxResult:
    """How the driver run ended: its exit code, whether the wall clock killed it, and its log."""

    returncode: int
    timed_out: bool
    sandboxed: bool
    log: str
    isolation: str = "none"


def _bwrap() -> str | None:
    exe = shutil.which("bwrap")
    return os.path.realpath(exe) if exe else None


def _root() -> bool:
    return os.geteuid() == 0


def _as(uid: int | None) -> dict[str, Any]:
    """Popen arguments that start the child as ``uid`` (no supplementary groups)."""
    return {} if uid is None else {"user": uid, "group": uid, "extra_groups": []}


@contextlib.contextmanager
def _lease(needed: bool) -> Iterator[int | None]:
    if not needed:
        yield None
        return
    with iso.lease_uid() as uid:
        yield uid


def _kernel_start(exe: str, uid: int | None, work: str) -> list[str]:
    """How the driver starts the kernel: as the run's uid (root), else in a nested bwrap."""
    return iso.drop_prefix(uid, work) if uid is not None else iso.kernel_prefix(exe)


@functools.cache
def bwrap_available() -> bool:
    """True if ``bwrap`` exists and can create the sandbox runs use (probed once)."""
    exe = _bwrap()
    if exe is None:
        return False
    cmd = [exe, *iso.namespace_args(_root()), "--die-with-parent", "--ro-bind", "/", "/", "--dev", "/dev",
           "--proc", "/proc", "--perms", "1777", "--size", str(1 << 20), "--tmpfs", "/tmp"]
    if not _root():
        cmd += [exe, "--unshare-user", "--unshare-pid", "--disable-userns", "--ro-bind", "/", "/",
                "--proc", "/proc"]
    try:
        probe = subprocess.run([*cmd, "true"], capture_output=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return probe.returncode == 0


def isolation_mode(requested: str) -> str:
    """The mode to grade in: ``auto`` takes the strongest available; an explicit one must be usable."""
    if requested not in ("auto", "bwrap", "user", "none"):
        raise SandboxUnavailable(f"unknown sandbox {requested!r}: expected auto, bwrap, user or none")
    if requested == "none":
        return "none"
    if requested == "bwrap" or (requested == "auto" and bwrap_available()):
        if not bwrap_available():
            raise SandboxUnavailable("--sandbox bwrap was requested but bwrap is missing or cannot create "
                                     "its namespaces here (apt-get install bubblewrap)")
        mode = "bwrap"
    elif _root():
        mode = "user"
    elif requested == "user":
        raise SandboxUnavailable("--sandbox user needs root (it runs each kernel as an unprivileged user)")
    else:
        return "none"
    _probe_python(mode, tempfile.gettempdir())
    return mode


def _layout(scratch: Path) -> tuple[Path, Path, Path]:
    work, result, jupyter = scratch / "work", scratch / "result", scratch / "jupyter"
    for d in (work / "in", result, jupyter):
        d.mkdir(parents=True, exist_ok=True)
    for name in ("job.json", "submission.ipynb"):
        (work / name).touch()
    return work, result, jupyter


@functools.cache
def _probe_python(mode: str, tmp: str) -> None:
    """Start the interpreter the way a kernel will; raise "the sandbox cannot run ..." if it fails."""
    top = Path(tempfile.mkdtemp(prefix="course-grading-probe-", dir=tmp))
    scratch = top / "run"
    try:
        work, result, jupyter = _layout(scratch)
        with _lease(_root()) as uid:
            python, fds = [sys.executable, "-c", _PY_IMPORTS], []
            if mode == "bwrap":
                exe = _bwrap() or "bwrap"
                r = _seccomp_pipe()
                fds += [r] if r is not None else []
                drop = iso.drop_prefix(uid) if uid is not None else iso.kernel_prefix(exe)
                cmd = [exe, *iso.outer_args(work, result, [], [], r, uid is not None), *drop, *python]
                library = None
            else:  # the real package may already be unreadable to the kernel's user: see _protect
                library = poisoned_library([], top / "libraries")
                _hand_over(scratch, work, uid)
                cmd = [*iso.drop_prefix(uid), *python]
            try:
                res = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=work, pass_fds=fds,
                                     env=_env(mode, work, jupyter, library))
            finally:
                for fd in fds:
                    os.close(fd)
    finally:
        shutil.rmtree(top, ignore_errors=True)
    if res.returncode != 0:
        lines = (res.stderr or res.stdout or "no output").strip().splitlines() or ["no output"]
        raise SandboxUnavailable(f"the sandbox cannot run {sys.executable}: {lines[-1][:500]} (isolation: "
                                 f"{mode}; as root, the interpreter, its virtual environment, course_lib and "
                                 "the temp folder must be readable by an unprivileged user)")


def _seccomp_pipe() -> int | None:
    """A pipe's read end holding the seccomp program, for ``bwrap --seccomp FD``."""
    code = seccomp_program()
    if code is None:
        return None
    r, w = os.pipe()
    os.write(w, code)
    os.close(w)
    return r


def _env(mode: str, host_work: Path, jupyter: Path, library: Path | None = None) -> dict[str, str]:
    """A clean environment: nothing of the grader's (secrets included) leaks in.

    Outside bwrap (which shows ``library`` at the real package's path) the kernel finds
    ``library``'s ``course_lib`` first on its path.
    """
    package_root = str(Path(__file__).resolve().parents[2])
    if library is not None and mode != "bwrap":
        package_root = os.pathsep.join([str(library), package_root])
    if mode == "bwrap":
        work, jdir, tmp = iso.SANDBOX_WORK, iso.SANDBOX_JUPYTER, "/tmp"
    else:
        work, jdir, tmp = str(host_work), str(jupyter), str(host_work / ".tmp")
    return {
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), "/usr/local/bin", "/usr/bin", "/bin"]),
        "HOME": work, "TMPDIR": tmp, "LANG": "C.UTF-8",
        "PYTHONPATH": package_root, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONHASHSEED": "0",
        "IPYTHONDIR": f"{work}/.ipython", "MPLCONFIGDIR": f"{work}/.mpl",
        # The kernelspec and connection files live where the kernel cannot write them.
        "JUPYTER_PATH": jdir, "JUPYTER_DATA_DIR": jdir, "JUPYTER_RUNTIME_DIR": f"{jdir}/runtime",
        "JUPYTER_CONFIG_DIR": f"{jdir}/config", "JUPYTER_PLATFORM_DIRS": "1", "MPLBACKEND": "Agg",
        "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
        "MALLOC_ARENA_MAX": "2", "PYDEVD_DISABLE_FILE_VALIDATION": "1",
        "COURSE_GRADING_SANDBOXED": "0" if mode == "none" else "1",
    }


def _limits(memory_mb: int, cpu_seconds: int, nproc: int) -> None:
    # Runs in the child between fork and exec: everything inside inherits these.
    mem = memory_mb * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
    resource.setrlimit(resource.RLIMIT_FSIZE, (_FILE_LIMIT, _FILE_LIMIT))
    resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _kill_tree(proc: subprocess.Popen[bytes]) -> None:
    """Kill the driver, its process group, and every descendant we can find."""
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


def _chown_tree(root: Path, uid: int) -> None:
    for dirpath, dirnames, filenames in os.walk(root):
        for name in [*dirnames, *filenames]:
            os.lchown(os.path.join(dirpath, name), uid, uid)
    os.lchown(root, uid, uid)


def _hand_over(scratch: Path, work: Path, uid: int) -> None:
    """The container fallback: WORK becomes the run's uid's, private; result/ and jupyter/ stay root's."""
    os.chmod(scratch, 0o711)
    os.chmod(scratch.parent, os.stat(scratch.parent).st_mode & 0o7777 | 0o111)
    (work / ".tmp").mkdir(exist_ok=True)
    _chown_tree(work, uid)
    os.chmod(work, 0o700)
    for d in ("result", "jupyter"):
        os.chmod(scratch / d, 0o700)


_protected_notes: set[str] = set()


def _protect(hide_dirs: list[Path], hide_files: list[Path], private: list[Path]) -> None:
    dirs = [*hide_dirs, *private, *iso.git_dirs([*hide_dirs, *hide_files, Path.cwd()])]
    changed = iso.protect(dirs, hide_files)
    # The real package too: the kernel imports the copy without the forbidden code (poison.py).
    for real in iso.package_copies():
        if iso.reachable_by_others(real):
            os.chmod(real, stat.S_IMODE(real.stat().st_mode) & ~0o007)
            changed.append(real)
    for path in changed:
        if str(path) not in _protected_notes:
            _protected_notes.add(str(path))
            print(f"container fallback: removed other users' access to {path}", file=sys.stderr)


def run_driver(scratch: Path, job: dict[str, Any], *, mode: str, timeout: float, memory_mb: int,
               hide_dirs: list[Path], hide_files: list[Path], private: list[Path] | None = None,
               library: Path | None = None) -> SandboxResult:
    """Run the driver on ``scratch/work`` in ``mode`` for at most ``timeout`` s.

    ``scratch/work`` holds ``submission.ipynb`` and ``in/``; this writes ``job.json``
    (``job`` plus where the driver writes and how it starts the kernel). The driver's
    results are in ``scratch/result/out`` once this returns, and by then every process
    of the run is dead. ``private``: folders (the submissions') that the container
    fallback makes unreadable to other users. ``library``: the folder holding the kernel's
    ``course_lib`` (``poison.py``); bwrap shows it at the real package's path, the other
    modes put it first on the kernel's path (the container fallback also makes the real
    package unreadable to the kernel's user).
    """
    scratch = scratch.resolve()
    work, result, jupyter = _layout(scratch)
    # The inputs move to the driver's result folder, out of the kernel's reach: the driver
    # reads them into memory and hands each item's file to the kernel only for its calls.
    shutil.rmtree(result / "in", ignore_errors=True)
    os.replace(work / "in", result / "in")
    log_path = scratch / "driver.log"
    exe = _bwrap() or "bwrap"
    with _lease(_root() and mode != "none") as uid:
        job = {**job, "isolation": mode, "sandboxed": mode != "none", "kernel_uid": uid,
               "interrupt_mode": "signal" if uid is not None or mode == "none" else "message"}
        if mode == "bwrap":
            job.update(result_dir=iso.SANDBOX_RESULT, kernel_prefix=_kernel_start(exe, uid, iso.SANDBOX_WORK))
        else:
            start = _kernel_start(exe, uid, str(work)) if uid is not None else []
            job.update(result_dir=str(result), kernel_prefix=start)
        job["inputs_dir"] = os.path.join(job["result_dir"], "in")
        (work / "job.json").write_text(json.dumps(job), encoding="utf-8")
        driver = str(Path(__file__).with_name("driver.py"))  # by path: importing course_lib costs 0.5 s
        fds: list[int] = []
        if mode == "bwrap":
            r = _seccomp_pipe()
            fds += [r] if r is not None else []
            cmd = [exe, *iso.outer_args(work, result, hide_dirs, hide_files, r, uid is not None, library),
                   sys.executable, driver, iso.SANDBOX_WORK]
        else:
            if uid is not None:
                _protect(hide_dirs, hide_files, private or [])
                _hand_over(scratch, work, uid)
            cmd = [sys.executable, driver, str(work)]
        limits = functools.partial(_limits, memory_mb, int(timeout) + 10,
                                   _NPROC_DEDICATED if uid is not None else _NPROC_LIMIT)
        try:
            with open(log_path, "wb") as log:
                proc = subprocess.Popen(cmd, cwd=work, env=_env(mode, work, jupyter, library),
                                        stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                        start_new_session=True, pass_fds=fds, preexec_fn=limits)
                try:
                    proc.wait(timeout=timeout)
                    timed_out = False
                except subprocess.TimeoutExpired:
                    timed_out = True
                _kill_tree(proc)  # also on a clean exit: nothing outlives the driver
                proc.wait()
        finally:
            for fd in fds:
                os.close(fd)
            if uid is not None:
                iso.kill_uid(uid)  # the whole tree of the submission is dead before anything is read
    with open(log_path, "rb") as fh:
        text = fh.read(4000).decode("utf-8", "replace")
    return SandboxResult(proc.returncode, timed_out, mode != "none", text, mode)
