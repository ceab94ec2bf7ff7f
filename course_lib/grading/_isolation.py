"""The pieces of isolation: bwrap's arguments, unprivileged uids, killing a uid's processes.

Three modes, chosen by :func:`course_lib.grading.sandbox.isolation_mode`:

``bwrap``
    The driver runs in a bubblewrap sandbox with only the system folders, the
    interpreter, its packages and ``course_lib`` bound read-only; ``/tmp``,
    ``/dev/shm`` and ``WORK`` are sized tmpfs; no network but loopback; no
    ``AF_UNIX`` sockets (seccomp); its own PID namespace. Only ``RESULT`` (the
    driver's output folder) is a host folder it can write. The learner's kernel is
    kept out of the driver's reach inside it:

    - run by root, bwrap keeps only a few capabilities, and the kernel runs as an
      unprivileged uid of its own (``_drop.py``): it cannot signal or trace the
      driver, nor write ``RESULT`` or the kernelspec, and ``RLIMIT_NPROC`` holds;
    - run by anyone else, the kernel runs in a second bwrap inside (its own user and
      PID namespaces, so the driver is not even visible; everything but ``WORK``
      and ``/tmp`` read-only; ``RESULT`` hidden; no further user namespaces).
``user``
    The container fallback (root, bwrap unusable): the driver runs as root, and
    the kernel as an unprivileged uid of its own (``_drop.py``), in a private
    ``WORK`` (mode 0700). What it must not read is made unreadable to other users.
``none``
    The warned fallback: rlimits and a new session only.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import stat
import sys
import time
from collections.abc import Iterator
from pathlib import Path

__all__ = ["package_copies", "SANDBOX_WORK", "SANDBOX_RESULT", "SANDBOX_JUPYTER", "runtime_paths",
           "namespace_args",
           "outer_args", "kernel_prefix", "drop_prefix", "hide_args", "lease_uid", "kill_uid", "protect",
           "git_dirs", "UID_BASE", "reachable_by_others"]

SANDBOX_WORK = "/grading/work"
SANDBOX_RESULT = "/grading/result"
SANDBOX_JUPYTER = "/grading/jupyter"
TMP_MB, WORK_MB, SHM_MB = 128, 256, 64
SYSTEM_DIRS = ("usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32", "etc", "opt", "nix")
# Unprivileged host uids (and gids) for sandboxed runs started by root: one per concurrent run.
UID_BASE = int(os.environ.get("COURSE_GRADING_UID_BASE", "61000"))
_UID_SLOTS = 512
_HERE = Path(__file__).resolve().parent


def runtime_paths() -> list[Path]:
    """Folders the sandbox must still see: the interpreter, the venv, ``course_lib`` (system dirs aside)."""
    candidates = [sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix,
                  os.path.dirname(os.path.realpath(sys.executable)), str(_HERE.parent)]
    # Site folders only (a .pth may add one from elsewhere): never the cwd or a test folder on sys.path.
    candidates += [p for p in sys.path if os.path.basename(p) in ("site-packages", "dist-packages")
                   and os.path.isdir(p)]
    system = [Path("/", d) for d in SYSTEM_DIRS]
    out: list[Path] = []
    for c in candidates:
        p = Path(c).resolve()
        if p == Path("/") or any(p == s or s in p.parents for s in system) or p in out:
            continue
        out.append(p)
    # A folder inside another is bound by the outer one.
    return [p for p in out if not any(q in p.parents for q in out)]


def hide_args(hide_dirs: list[Path], hide_files: list[Path], needed: list[Path]) -> list[str]:
    """bwrap arguments hiding each dir behind a tmpfs, or its listed files if the dir is needed."""
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


def _system_binds() -> list[str]:
    args = []
    for name in SYSTEM_DIRS:
        p = Path("/", name)
        if p.is_symlink():
            args += ["--symlink", os.readlink(p), str(p)]
        elif p.is_dir():
            args += ["--ro-bind", str(p), str(p)]
    return args


# Root's bwrap keeps every capability unless told otherwise: keep only what the driver needs
# to start the kernel as another uid, signal it, and clear the files it left.
_ROOT_CAPS = ("CAP_SETUID", "CAP_SETGID", "CAP_KILL", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_CHOWN")


def namespace_args(as_root: bool) -> list[str]:
    """Root: every namespace but the user one (root mounts what only root can read, such as an
    interpreter under ``/root``; the kernel then runs as a uid of its own, so the process limit
    holds), and almost no capabilities. Anyone else: every namespace."""
    if not as_root:
        return ["--unshare-all"]
    caps = [a for c in _ROOT_CAPS for a in ("--cap-add", c)]
    return ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try",
            "--cap-drop", "ALL", *caps]


def package_copies() -> list[Path]:
    """Every ``course_lib`` folder the sandbox could import from: this one and any in a site folder."""
    found = [_HERE.parent]
    for p in sys.path:
        if os.path.basename(p) in ("site-packages", "dist-packages"):
            q = Path(p, "course_lib")
            if q.is_dir() and q.resolve() not in found:
                found.append(q.resolve())
    return found


def outer_args(host_work: Path, host_result: Path, hide_dirs: list[Path], hide_files: list[Path],
               seccomp_fd: int | None, as_root: bool, library: Path | None = None) -> list[str]:
    """bwrap's arguments for the outer sandbox (the driver), before the command.

    ``library``: a folder holding the ``course_lib`` copy with the forbidden code taken out
    (``poison.py``); it is shown at the path of every copy of the real package, so nothing
    in the sandbox can read the real one.
    """
    needed = runtime_paths()
    args = [*namespace_args(as_root), "--die-with-parent", "--new-session", *_system_binds(),
            "--dev", "/dev", "--proc", "/proc",
            "--perms", "1777", "--size", str(TMP_MB << 20), "--tmpfs", "/tmp",
            "--perms", "1777", "--size", str(SHM_MB << 20), "--tmpfs", "/dev/shm"]
    made: set[Path] = set()
    for p in [*needed, Path(SANDBOX_WORK)]:  # bwrap would make missing parents mode 0700
        for parent in reversed(p.parents[:-1]):
            if parent not in made:
                made.add(parent)
                args += ["--perms", "0755", "--dir", str(parent)]
    for p in needed:  # after /tmp: a venv under /tmp is bound back
        args += ["--ro-bind", str(p), str(p)]
        if (p / ".git").exists():
            args += ["--tmpfs", str(p / ".git")]
    args += hide_args(hide_dirs, hide_files, needed)
    if library is not None:
        for real in package_copies():
            args += ["--ro-bind", str(library / "course_lib"), str(real)]
    args += ["--perms", "0777", "--size", str(WORK_MB << 20), "--tmpfs", SANDBOX_WORK,
             "--size", str(1 << 20), "--tmpfs", SANDBOX_JUPYTER, "--dir", f"{SANDBOX_JUPYTER}/runtime"]
    for name in ("job.json", "submission.ipynb"):  # the inputs come through the result folder
        args += ["--ro-bind", str(host_work / name), f"{SANDBOX_WORK}/{name}"]
    args += ["--bind", str(host_result), SANDBOX_RESULT]
    if seccomp_fd is not None:
        args += ["--seccomp", str(seccomp_fd)]
    return args + ["--chdir", SANDBOX_WORK]


def kernel_prefix(bwrap: str) -> list[str]:
    """The inner sandbox the driver starts the kernel in (prepended to the kernelspec's argv)."""
    return [bwrap, "--unshare-user", "--unshare-pid", "--unshare-ipc", "--disable-userns",
            "--die-with-parent", "--ro-bind", "/", "/", "--dev-bind", "/dev", "/dev", "--proc", "/proc",
            "--bind", "/tmp", "/tmp", "--bind", SANDBOX_WORK, SANDBOX_WORK, "--tmpfs", SANDBOX_RESULT,
            # ipykernel rewrites its connection file; the kernelspec beside it stays read-only.
            "--bind", f"{SANDBOX_JUPYTER}/runtime", f"{SANDBOX_JUPYTER}/runtime",
            # The driver's pid means nothing in here (the kernel's parent is PID 1): no parent poller;
            # --die-with-parent does its job.
            "--setenv", "JPY_PARENT_PID", "0",
            "--chdir", SANDBOX_WORK]


def drop_prefix(uid: int, connection_copy_dir: str = "-") -> list[str]:
    """The command prefix that becomes ``uid`` before ``exec`` (see ``_drop.py``)."""
    return [sys.executable, "-I", "-S", str(_HERE / "_drop.py"), str(uid), connection_copy_dir, "--"]


def _uid_lock_dir() -> Path:
    """``/run/lock/course-grading`` (or ``/var/lock/…``, ``/tmp/…``): root's only, one per machine."""
    for base in ("/run/lock", "/var/lock", "/tmp"):
        if os.path.isdir(base):
            path = Path(base, "course-grading")
            path.mkdir(mode=0o700, exist_ok=True)
            info = path.lstat()
            if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid() or info.st_mode & 0o077:
                raise RuntimeError(f"{path} must be a folder of the grader's own user, mode 700")
            return path
    raise RuntimeError("no folder for the grading uid locks (/run/lock, /var/lock or /tmp)")


@contextlib.contextmanager
def lease_uid() -> Iterator[int]:
    """An unprivileged uid no other run (in any grader process on this machine) holds meanwhile.

    The locks live in one folder for the whole machine, whatever ``TMPDIR`` each
    grader has: two graders with their own temporary folders once leased the same
    uid, and each killed the other's kernels when it cleaned the uid up.
    """
    lock_dir = _uid_lock_dir()
    for uid in range(UID_BASE, UID_BASE + _UID_SLOTS):
        path = lock_dir / f"course-grading-uid-{uid}.lock"
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            continue
        try:
            kill_uid(uid)  # nothing left over from an earlier run of this uid
            yield uid
        finally:
            os.close(fd)
        return
    raise RuntimeError(f"no free grading uid in {UID_BASE}..{UID_BASE + _UID_SLOTS - 1}")


def _uid_processes(uid: int) -> list[int]:
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/status", encoding="utf-8") as fh:
                fields = dict(line.split(":", 1) for line in fh if ":" in line)
        except (OSError, ValueError):
            continue
        uids = fields.get("Uid", "").split()
        if uids and uid in (int(u) for u in uids) and not fields.get("State", "").strip().startswith("Z"):
            found.append(int(name))
    return found


def kill_uid(uid: int) -> None:
    """SIGKILL every process of ``uid`` (as root: ``kill(-1)`` from a child that became ``uid``)."""
    if os.geteuid() != 0:
        return
    for _ in range(50):
        if not _uid_processes(uid):
            return
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child only makes syscalls, then exits
            try:
                os.setgroups([])
                os.setgid(uid)
                os.setuid(uid)
                os.kill(-1, signal.SIGKILL)  # every process this uid may signal, atomically
            finally:
                os._exit(0)
        os.waitpid(pid, 0)
        time.sleep(0.02)


def reachable_by_others(path: Path) -> bool:
    """Whether a user with no rights but "others" could read ``path`` (every parent searchable)."""
    try:
        info = path.lstat()
    except OSError:
        return False
    for parent in path.resolve().parents:
        if not parent.stat().st_mode & stat.S_IXOTH:
            return False
    return bool(info.st_mode & stat.S_IROTH or (stat.S_ISDIR(info.st_mode) and info.st_mode & stat.S_IXOTH))


def protect(dirs: list[Path], files: list[Path]) -> list[Path]:
    """Remove other users' access to ``dirs`` (but never one holding the runtime) and ``files``.

    Used by the container fallback, where permissions are the only wall. Returns what changed.
    """
    needed = runtime_paths() + [Path(sys.executable).resolve()]
    changed = []
    targets = [d for d in dirs if d.is_dir() and not any(n == d.resolve() or d.resolve() in n.parents
                                                         for n in needed)]
    for p in [*targets, *(f for f in files if f.is_file())]:
        if reachable_by_others(p):
            os.chmod(p, stat.S_IMODE(p.lstat().st_mode) & ~0o007)
            changed.append(p)
    return changed


def git_dirs(paths: list[Path]) -> list[Path]:
    """The git folders of the repositories holding ``paths`` (a worktree's and its common one)."""
    found: list[Path] = []
    for p in paths:
        for parent in [p.resolve(), *p.resolve().parents]:
            g = parent / ".git"
            if g.is_file():  # a worktree: "gitdir: <main>/.git/worktrees/<name>"
                text = g.read_text(encoding="utf-8", errors="replace").strip()
                g = (parent / text.removeprefix("gitdir:").strip()).resolve()
                common = g / "commondir"
                if common.is_file():
                    found.append((g / common.read_text(encoding="utf-8").strip()).resolve())
            if g.is_dir() and g not in found:
                found.append(g)
    return list(dict.fromkeys(found))
