"""The isolation layer of the grader: its arguments, and real attacks in bwrap and container mode.

The attack batch (``isolation``) runs once per mode: ``bwrap`` (real bubblewrap) and
``container`` (root, with a fake ``bwrap`` on PATH that fails as it does in Docker, so
the grader falls back to an unprivileged user per kernel). Every attack notebook scores
exactly its honest part; see ``tests/grading/adversarial_isolation.py``.
"""

from __future__ import annotations

import csv
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

HERE = Path(__file__).parent / "grading"
sys.path.insert(0, str(HERE))

from adversarial import HONEST_POINTS  # noqa: E402
from adversarial_isolation import build  # noqa: E402
from build_fixtures import ITEMS  # noqa: E402
from pythons import make_venv  # noqa: E402

from course_lib.grading import _isolation as iso  # noqa: E402
from course_lib.grading import sandbox  # noqa: E402
from course_lib.grading._seccomp import program  # noqa: E402
from course_lib.grading.runner import SubmissionRefused, read_submission  # noqa: E402

SOLUTION = HERE / "solutions" / "01_demo.ipynb"
REPO = Path(__file__).resolve().parents[1]
FULL = float(sum(m["points"] for m in ITEMS.values()))
FAKE_BWRAP = '#!/bin/sh\necho "bwrap: Creating new namespace failed: Operation not permitted" >&2\nexit 1\n'


# ---------------------------------------------------------------- arguments


def test_hide_args_hide_dirs_but_never_the_package(tmp_path: Path) -> None:
    secret_dir, work = tmp_path / "solutions", tmp_path / "work"
    secret_dir.mkdir()
    work.mkdir()
    out_file = REPO / "grades-test-hide.csv"
    out_file.write_text("x")
    try:
        args = iso.hide_args([secret_dir, out_file.parent], [out_file], [REPO / "course_lib", work])
    finally:
        out_file.unlink()
    assert ["--tmpfs", str(secret_dir.resolve())] == args[:2]
    assert str(out_file.parent) not in args  # the repository holds course_lib: hide the file instead
    assert args[2:] == ["--ro-bind", "/dev/null", str(out_file)]


def test_outer_sandbox_binds_only_what_it_needs(tmp_path: Path) -> None:
    args = iso.outer_args(tmp_path / "work", tmp_path / "result", [], [], None, as_root=True)
    binds = {args[i + 1] for i, a in enumerate(args) if a in ("--ro-bind", "--bind")}
    assert "/" not in binds and str(REPO) not in binds and str(Path.cwd()) not in binds
    assert str(REPO / "course_lib") in binds and str(Path(sys.prefix).resolve()) in binds
    assert not any(b.startswith(str(REPO / ".git")) for b in binds)
    sized = [args[i + 3] for i, a in enumerate(args) if a == "--size" and args[i + 2] == "--tmpfs"]
    assert {"/tmp", "/dev/shm", iso.SANDBOX_WORK} <= set(sized)
    # root's bwrap keeps every capability unless told: all are dropped but the few the driver needs
    assert args[args.index("--cap-drop") + 1] == "ALL" and "CAP_SYS_ADMIN" not in args
    i = args.index("/tmp")  # the venv is bound after /tmp is hidden, so a venv under /tmp works
    assert all(args.index(str(p)) > i for p in iso.runtime_paths())


def test_runtime_paths_are_site_folders_not_the_test_tree() -> None:
    paths = iso.runtime_paths()
    assert Path(__file__).parent not in paths and REPO not in paths and Path.cwd().resolve() not in paths


def test_seccomp_refuses_unix_sockets_but_not_socketpair_or_inet() -> None:
    if program() is None:
        pytest.skip("no seccomp program for this architecture")
    code = ("import socket, sys\nsys.path.insert(0, sys.argv[1])\nimport _seccomp\n"
            "assert _seccomp.install()\nsocket.socketpair(); socket.socket(socket.AF_INET)\n"
            "try:\n    socket.socket(socket.AF_UNIX)\nexcept PermissionError:\n    print('refused')\n")
    res = subprocess.run([sys.executable, "-c", code, str(REPO / "course_lib" / "grading")],
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 0 and res.stdout.strip() == "refused", res.stderr


def test_a_symlinked_submission_is_refused(tmp_path: Path) -> None:
    link = tmp_path / "mine.ipynb"
    link.symlink_to(SOLUTION)
    with pytest.raises(SubmissionRefused, match="symbolic link"):
        read_submission(link)
    assert read_submission(SOLUTION) == SOLUTION.read_bytes()


def test_cannot_start_python_names_the_interpreter(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    if not sandbox.bwrap_available():
        pytest.skip("bubblewrap (bwrap) is not usable here; .ci/run installs it")
    monkeypatch.setattr(iso, "runtime_paths", lambda: [])  # the venv is not bound: Python cannot start
    with pytest.raises(sandbox.SandboxUnavailable, match=f"the sandbox cannot run {sys.executable}"):
        sandbox._probe_python.__wrapped__("bwrap", str(tmp_path))


# ---------------------------------------------------------------- real runs


def _grade(python: Path | str, subs: list[Path], solutions: Path, d: Path, env: dict[str, str], *extra: str
           ) -> tuple[subprocess.CompletedProcess[str], dict[tuple[str, str], dict[str, str]]]:
    res = subprocess.run([str(python), "-m", "course_lib.grading", "grade", *map(str, subs), "--solutions",
                          str(solutions), "--out", str(d / "out" / "g.csv"), "--cache", str(d / "cache"),
                          "--secret", "isolation-secret", *extra], cwd=d / "cwd", capture_output=True,
                         text=True, timeout=900, env={**os.environ, **env})
    rows = {}
    if (d / "out" / "g.csv").exists():
        with open(d / "out" / "g.csv", newline="", encoding="utf-8") as fh:
            rows = {(Path(r["submission"]).stem, r["item"]): r for r in csv.DictReader(fh)}
    return res, rows


def _total(rows: dict, name: str) -> float:
    return round(sum(float(rows[(name, i)]["score"]) for i in ITEMS), 4)


@pytest.mark.slow
def test_a_venv_under_hidden_tmp_still_grades() -> None:
    """Issue 9.3: the sandbox hides /tmp behind a tmpfs, then binds the venv back."""
    if not sandbox.bwrap_available():
        pytest.skip("bubblewrap (bwrap) is not usable here; .ci/run installs it")
    top = Path(tempfile.mkdtemp(prefix="course-grading-venv-", dir="/tmp"))  # the real /tmp, on purpose
    try:
        python = make_venv(top / "env")
        assert python is not None
        d = Path(tempfile.mkdtemp(prefix="venv-under-tmp-"))
        (d / "cwd").mkdir()
        res, rows = _grade(python, [SOLUTION], SOLUTION, d, {"COURSE_GRADING_SANDBOX": "bwrap"})
        assert res.returncode == 0, res.stderr
        assert _total(rows, SOLUTION.stem) == FULL
        shutil.rmtree(d, ignore_errors=True)
    finally:
        shutil.rmtree(top, ignore_errors=True)


class _Listener:
    """Host Unix sockets (a path anyone may connect to, and an abstract name) that count connections."""

    def __init__(self, paths: list[Path]) -> None:
        self.accepted = 0
        self.abstract = f"course-grading-test-{uuid.uuid4().hex}"
        self.socks = []
        for target in [*map(str, paths), "\0" + self.abstract]:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.bind(target)
            if not target.startswith("\0"):
                os.chmod(target, 0o777)
            s.listen(8)
            s.settimeout(0.2)
            self.socks.append(s)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.stop.is_set():
            for s in self.socks:
                try:
                    conn, _ = s.accept()
                    self.accepted += 1
                    conn.close()
                except OSError:
                    pass

    def close(self) -> None:
        self.stop.set()
        self.thread.join()
        for s in self.socks:
            s.close()


ATTACKS = ["iso_git", "iso_classmate", "iso_fork_bomb", "iso_disk", "iso_socket", "iso_ppid_mem",
           "iso_kill_parent"]
# The container fallback has no mount namespace: /tmp and WORK are the container's own disk (documented).
NOT_IN_CONTAINER = {"iso_disk"}


@pytest.fixture(scope="module", params=["bwrap", "container"])
def isolation(request: pytest.FixtureRequest) -> Iterator[dict]:
    mode = request.param
    d = _open_tmp(f"isolation-{mode}-")
    try:
        yield _isolation_run(mode, d)
    finally:
        shutil.rmtree(d, ignore_errors=True)


def _open_tmp(prefix: str) -> Path:
    """A temp folder other users can traverse (pytest's are private: the fallback's users could not run)."""
    d = Path(tempfile.mkdtemp(prefix=prefix))
    os.chmod(d, 0o755)
    return d


def _isolation_run(mode: str, d: Path) -> dict:
    for sub in ("cwd", "out", "subs", "bin"):
        (d / sub).mkdir()
    env = {"COURSE_GRADING_SANDBOX": "bwrap"}
    python: Path | str = sys.executable
    if mode == "bwrap" and not sandbox.bwrap_available():
        pytest.skip("bubblewrap (bwrap) is not usable here; .ci/run installs it")
    if mode == "container":
        if os.geteuid() != 0:
            pytest.skip("the container fallback needs root")
        venv = make_venv(d / "env", readable=True)
        if venv is None:
            pytest.skip("no interpreter an unprivileged user can run")
        python = venv
        (d / "bin" / "bwrap").write_text(FAKE_BWRAP)
        os.chmod(d / "bin" / "bwrap", 0o755)
        env = {"COURSE_GRADING_SANDBOX": "auto", "PATH": f"{d / 'bin'}:{os.environ['PATH']}"}
    # The solutions live in a git repository, as a course's do.
    repo = d / "repo"
    (repo / "solutions").mkdir(parents=True)
    shutil.copyfile(SOLUTION, repo / "solutions" / SOLUTION.name)
    git = ["git", "-C", str(repo), "-c", "user.email=t@example.org", "-c", "user.name=t"]
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "solutions"], check=True)
    shutil.copyfile(SOLUTION, d / "subs" / "classmate.ipynb")
    (d / "subs" / "iso_symlink.ipynb").symlink_to(repo / "solutions" / SOLUTION.name)
    # A socket in a folder the bwrap sandbox does show (the interpreter's prefix), and one outside it.
    visible = Path(subprocess.run([str(python), "-c", "import sys; print(sys.prefix)"], capture_output=True,
                                  text=True, check=True).stdout.strip())
    sock_paths = [visible / f"cg-{uuid.uuid4().hex[:8]}.sock", d / "host.sock"]
    listener = _Listener(sock_paths)
    names = [n for n in ATTACKS if not (mode == "container" and n in NOT_IN_CONTAINER)]
    paths = {"repos": [str(repo)], "in_repo": f"solutions/{SOLUTION.name}", "tmp": tempfile.gettempdir(),
             "steal_roots": [str(d / "subs"), str(repo)], "sockets": [str(p) for p in sock_paths],
             "abstract": listener.abstract}
    build(d / "subs", paths, names)
    subs = sorted((d / "subs").glob("*.ipynb"))
    try:
        res, rows = _grade(python, subs, repo / "solutions", d, env, "--jobs", "2", "--timeout", "120",
                           "--cell-timeout", "30", "--call-timeout", "5", "--memory", "1024")
    finally:
        listener.close()
        for p in sock_paths:
            p.unlink(missing_ok=True)
    # Exit code 1: the symlinked submission is refused, with an error row (and only it).
    assert res.returncode == 1, res.stderr[-3000:]
    errors = {Path(r["submission"]).name for r in rows.values() if r["status"] == "error"}
    assert errors == {"iso_symlink.ipynb"}, res.stderr[-3000:]
    return {"mode": mode, "rows": rows, "names": names, "accepted": listener.accepted, "stderr": res.stderr}


@pytest.mark.slow
@pytest.mark.parametrize("name", ATTACKS)
def test_attack_scores_exactly_its_honest_part(isolation: dict, name: str) -> None:
    if name not in isolation["names"]:
        pytest.skip(f"{name} is not defended in {isolation['mode']} mode (see docs/grading.md)")
    assert _total(isolation["rows"], name) == pytest.approx(HONEST_POINTS), [
        (i, isolation["rows"][(name, i)]["message"][:300]) for i in ITEMS]


@pytest.mark.slow
def test_the_batch_keeps_every_other_row(isolation: dict) -> None:
    rows = isolation["rows"]
    assert _total(rows, "classmate") == FULL  # the honest classmate whose cells the attack wanted
    assert {s for s, _ in rows} == {"classmate", "iso_symlink", *isolation["names"]}
    if isolation["mode"] == "container":
        assert "container fallback" in isolation["stderr"]


@pytest.mark.slow
def test_a_symlink_to_the_solutions_scores_zero(isolation: dict) -> None:
    rows = isolation["rows"]
    assert _total(rows, "iso_symlink") == 0.0
    assert all(rows[("iso_symlink", i)]["status"] == "error" for i in ITEMS)
    assert "symbolic link" in rows[("iso_symlink", "softmax")]["message"]


@pytest.mark.slow
def test_no_host_socket_was_reached(isolation: dict) -> None:
    assert isolation["accepted"] == 0
