"""Grading on a real Dask cluster (issue 13 item 3): a scheduler and two worker processes (each under
its own nanny, one thread) on localhost, started with Dask's own command line.

* The same batch graded through ``--scheduler`` and with ``--jobs 2`` here gives the same CSV byte for
  byte (and the same feedback pages), bad inputs included; ``--resume`` works through the cluster.
* A worker process killed while it grades a submission: the scheduler (``allowed-failures`` 1) tries
  the submission again on a live worker; killed again, it becomes an error row, and the rows of the
  rest of the batch (graded before the kills, so that no other submission is waiting on the killed
  worker: Dask counts a worker's death against those too) are all there.
* No scheduler there, or no ``distributed`` package: one line, exit code 2.
* The scheduler process killed mid-batch (a cluster of the test's own): every submission has its rows,
  the ungraded ones error rows saying the scheduler was lost; one line, exit code 3, no hang; the
  workers and their sandboxes stop with it; ``--resume`` on a fresh cluster grades exactly those.

Each worker has its own TMPDIR (so the test can see which one holds a submission) and its own range
of sandbox uids (uid leases are coordinated through TMPDIR)."""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import nbformat
import psutil
import pytest

HERE = Path(__file__).parent / "grading"
ROOT = Path(__file__).resolve().parents[1]
SOLUTION = HERE / "solutions" / "01_demo.ipynb"
WRONG = HERE / "wrong" / "wrong_softmax_mse.ipynb"
SECRET = "dask-secret"
pytestmark = pytest.mark.slow


def _env(**extra: str) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "TMPDIR": os.environ.get("TMPDIR", "/tmp"), **extra}


def _grade_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "course_lib.grading", "grade", *args]


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


class Cluster:
    """``dask scheduler`` and two ``dask worker --nthreads 1`` processes on 127.0.0.1."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.procs: list[subprocess.Popen[bytes]] = []
        sched_file = root / "scheduler.json"
        env = _env(DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES="1")
        self._start([sys.executable, "-m", "dask", "scheduler", "--host", "127.0.0.1", "--port", "0",
                     "--no-dashboard", "--scheduler-file", str(sched_file)], env, root / "scheduler.log")
        deadline = time.monotonic() + 60
        while not sched_file.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        self.address = json.loads(sched_file.read_text(encoding="utf-8"))["address"]
        base = self.uid_base = int(os.environ.get("COURSE_GRADING_UID_BASE", "61000"))
        self.tmpdirs = []
        for k in range(2):
            tmp = root / f"worker{k}-tmp"
            tmp.mkdir()
            self.tmpdirs.append(tmp)
            self._start([sys.executable, "-m", "dask", "worker", self.address, "--nthreads", "1",
                         "--no-dashboard", "--name", f"w{k}", "--local-directory", str(tmp)],
                        _env(TMPDIR=str(tmp), COURSE_GRADING_UID_BASE=str(base + 1000 * (k + 1))),
                        root / f"worker{k}.log")
        from distributed import Client

        with Client(self.address, timeout=60) as client:
            client.wait_for_workers(2, timeout=120)

    def _start(self, cmd: list[str], env: dict[str, str], log: Path) -> None:
        with open(log, "wb") as fh:
            self.procs.append(subprocess.Popen(cmd, env=env, cwd=self.root, stdout=fh,
                                               stderr=subprocess.STDOUT, start_new_session=True))

    def worker_process(self, k: int) -> psutil.Process:
        """The worker process (the nanny's child) of worker ``k``."""
        nanny = psutil.Process(self.procs[1 + k].pid)
        return next(p for p in nanny.children() if "spawn_main" in " ".join(p.cmdline()))

    def stop(self) -> None:
        for proc in reversed(self.procs):
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                continue
        for proc in self.procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    c = Cluster(tmp_path_factory.mktemp("dask-cluster"))
    try:
        yield c
    finally:
        c.stop()


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("dask-cache")


def _batch(folder: Path) -> list[str]:
    folder.mkdir()
    for i in range(4):
        shutil.copyfile(WRONG if i == 2 else SOLUTION, folder / f"student_{i}_01_demo.ipynb")
    (folder / "empty_01_demo.ipynb").write_text("{}", encoding="utf-8")
    (folder / "readme.md").write_text("# not a notebook", encoding="utf-8")
    (folder / "a_folder").mkdir()
    names = sorted(p.name for p in folder.iterdir()) + ["missing_01_demo.ipynb"]
    return [f"subs/{n}" for n in names]


def test_the_cluster_grades_a_batch_like_local_grading(tmp_path: Path, cluster: Cluster, cache: Path) -> None:
    subs = _batch(tmp_path / "subs")
    common = ["--solutions", str(SOLUTION), "--secret", SECRET, "--cache", str(cache)]
    local = subprocess.run(_grade_cmd(*subs, "--out", "local.csv", "--feedback", "fb-local", "--jobs", "2",
                                      *common), cwd=tmp_path, env=_env(), capture_output=True, text=True,
                           timeout=600)
    dask = subprocess.run(_grade_cmd(*subs, "--out", "dask.csv", "--feedback", "fb-dask", "--scheduler",
                                     cluster.address, *common), cwd=tmp_path, env=_env(), capture_output=True,
                          text=True, timeout=600)
    assert local.returncode == dask.returncode == 1, dask.stderr[-3000:]  # the bad inputs
    assert (tmp_path / "dask.csv").read_bytes() == (tmp_path / "local.csv").read_bytes()
    rows = _rows(tmp_path / "dask.csv")
    statuses = {r["submission"]: r["status"] for r in rows}
    assert statuses["subs/student_0_01_demo.ipynb"] == "ok" and statuses["subs/readme.md"] == "error"
    assert {s for s, st in statuses.items() if st == "error"} == {
        "subs/empty_01_demo.ipynb", "subs/readme.md", "subs/a_folder", "subs/missing_01_demo.ipynb"}
    assert dask.stdout == local.stdout and "grading: 100%" in dask.stderr
    pages = sorted(p.name for p in (tmp_path / "fb-dask").iterdir())
    assert pages == sorted(p.name for p in (tmp_path / "fb-local").iterdir()) and len(pages) == len(subs)
    for name in pages:
        assert (tmp_path / "fb-dask" / name).read_bytes() == (tmp_path / "fb-local" / name).read_bytes()

    resumed = subprocess.run(_grade_cmd(*subs, "--out", "dask.csv", "--resume", "--scheduler",
                                        cluster.address, *common), cwd=tmp_path, env=_env(),
                             capture_output=True, text=True, timeout=600)
    assert resumed.returncode == 1 and "resuming: 4 of 8" in resumed.stderr, resumed.stderr[-3000:]
    assert (tmp_path / "dask.csv").read_bytes() == (tmp_path / "local.csv").read_bytes()


def _hanging_notebook(path: Path) -> None:
    nb = nbformat.read(SOLUTION, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("import time\ntime.sleep(600)"))
    nbformat.write(nb, path)


def _holder(cluster: Cluster, name: str, deadline: float) -> tuple[int, Path]:
    """Which worker holds (is grading) the submission called ``name``, and its copy there."""
    while time.monotonic() < deadline:
        for k, tmp in enumerate(cluster.tmpdirs):
            found = list(tmp.glob(f"course-grading-*/in-*/{name}"))
            if found:
                return k, found[0]
        time.sleep(0.2)
    raise AssertionError(f"no worker started grading {name}")


def test_a_killed_worker_retries_once_then_gives_an_error_row(tmp_path: Path, cluster: Cluster,
                                                              cache: Path) -> None:
    subs = tmp_path / "subs"
    subs.mkdir()
    for name in ("a_01_demo.ipynb", "c_01_demo.ipynb", "d_01_demo.ipynb"):
        shutil.copyfile(SOLUTION, subs / name)
    _hanging_notebook(subs / "b_01_demo.ipynb")
    paths = [str(p) for p in sorted(subs.iterdir())]
    with open(tmp_path / "stderr.txt", "w") as err:
        proc = subprocess.Popen(_grade_cmd(*paths, "--out", "g.csv", "--solutions", str(SOLUTION), "--secret",
                                           SECRET, "--cache", str(cache), "--scheduler", cluster.address,
                                           "--cell-timeout", "500", "--timeout", "550"),
                                cwd=tmp_path, env=_env(), stdout=subprocess.PIPE, stderr=err, text=True)
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:  # the other three are graded: only b is in flight
            if (tmp_path / "g.csv").exists() and len(_rows(tmp_path / "g.csv")) == 3 * 5:
                break
            time.sleep(0.2)
        killed = []
        for _ in range(2):  # the first attempt, then the scheduler's one retry
            k, copy = _holder(cluster, "b_01_demo.ipynb", deadline)
            time.sleep(1.0)  # well inside the submission's run (it sleeps for 600 s)
            cluster.worker_process(k).kill()
            killed.append(k)
            copy.unlink(missing_ok=True)  # a killed worker leaves its copy behind
            time.sleep(0.5)
        out, _ = proc.communicate(timeout=300)
    stderr = (tmp_path / "stderr.txt").read_text(encoding="utf-8")
    assert proc.returncode == 1, stderr[-3000:]
    rows = _rows(tmp_path / "g.csv")
    by_sub: dict[str, list[dict[str, str]]] = {}
    for r in rows:
        by_sub.setdefault(Path(r["submission"]).name, []).append(r)
    assert sorted(by_sub) == ["a_01_demo.ipynb", "b_01_demo.ipynb", "c_01_demo.ipynb", "d_01_demo.ipynb"]
    hung = by_sub.pop("b_01_demo.ipynb")
    assert all(r["status"] == "error" and "the Dask worker grading it died, 2 time(s)" in r["message"]
               for r in hung), hung
    assert all(r["status"] == "ok" for rs in by_sub.values() for r in rs)
    assert "--resume" in hung[0]["message"]
    # After the second kill, no further attempt started anywhere, and the killed workers' sandboxes
    # died with them (bwrap --die-with-parent): no process of the workers' sandbox uids is left.
    assert not any(list(t.glob("course-grading-*/in-*/b_01_demo.ipynb")) for t in cluster.tmpdirs)
    time.sleep(1.0)
    assert _sandbox_processes(cluster) == []


def _sandbox_processes(cluster: Cluster) -> list[int]:
    return [p.pid for p in psutil.process_iter(["uids"])
            if p.info["uids"] and cluster.uid_base + 1000 <= p.info["uids"].real < cluster.uid_base + 3000]


def test_ctrl_c_stops_the_workers_sandboxes(tmp_path: Path, cluster: Cluster, cache: Path) -> None:
    subs = tmp_path / "subs"
    subs.mkdir()
    _hanging_notebook(subs / "hang_01_demo.ipynb")
    with open(tmp_path / "stderr.txt", "w") as err:
        proc = subprocess.Popen(_grade_cmd(str(subs / "hang_01_demo.ipynb"), "--out", "g.csv", "--solutions",
                                           str(SOLUTION), "--secret", SECRET, "--cache", str(cache),
                                           "--scheduler", cluster.address, "--cell-timeout", "500"),
                                cwd=tmp_path, env=_env(), stdout=subprocess.DEVNULL, stderr=err)
        _holder(cluster, "hang_01_demo.ipynb", time.monotonic() + 300)
        deadline = time.monotonic() + 60
        while not _sandbox_processes(cluster) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _sandbox_processes(cluster), "the submission's kernel never started"
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=60) == 130
    assert "--resume" in (tmp_path / "stderr.txt").read_text(encoding="utf-8")
    time.sleep(1.0)
    assert _sandbox_processes(cluster) == []


def test_no_scheduler_or_no_distributed_is_one_line(tmp_path: Path) -> None:
    shutil.copyfile(SOLUTION, tmp_path / "s.ipynb")
    args = ["s.ipynb", "--solutions", str(SOLUTION), "--scheduler", "tcp://127.0.0.1:9"]
    res = subprocess.run(_grade_cmd(*args), cwd=tmp_path, env=_env(), capture_output=True, text=True,
                         timeout=120)
    assert res.returncode == 2 and "Traceback" not in res.stderr, res.stderr
    assert "error: cannot reach the Dask scheduler at tcp://127.0.0.1:9 within 10 s" in res.stderr
    hide = ("import sys; sys.modules['distributed'] = None; from course_lib.grading.__main__ import main; "
            f"sys.exit(main({['grade', *args]!r}))")
    res = subprocess.run([sys.executable, "-c", hide], cwd=tmp_path, env=_env(), capture_output=True,
                         text=True, timeout=120)
    assert res.returncode == 2 and "Traceback" not in res.stderr, res.stderr
    assert "--scheduler needs the Python package 'distributed'" in res.stderr
    assert "pip install 'course_lib[cluster]'" in res.stderr
    both = subprocess.run(_grade_cmd(*args, "--jobs", "2"), cwd=tmp_path, env=_env(), capture_output=True,
                          text=True, timeout=120)
    assert both.returncode == 2 and "not allowed with argument" in both.stderr


def _wait_until(done: Callable[[], bool], what: str, deadline: float) -> None:
    while not done():
        if time.monotonic() > deadline:
            raise AssertionError(f"never happened: {what}")
        time.sleep(0.2)


def _by_submission(path: Path) -> dict[str, list[dict[str, str]]]:
    by_sub: dict[str, list[dict[str, str]]] = {}
    for r in _rows(path):
        by_sub.setdefault(Path(r["submission"]).name, []).append(r)
    return by_sub


@pytest.fixture
def own_uids(monkeypatch: pytest.MonkeyPatch) -> None:
    """Sandbox uids apart from the module's cluster's, for a test's own cluster (its scheduler is lost)."""
    base = int(os.environ.get("COURSE_GRADING_UID_BASE", "61000"))
    monkeypatch.setenv("COURSE_GRADING_UID_BASE", str(base + 4000))


def _grade_on(address: str, paths: list[str], cache: Path) -> list[str]:
    return _grade_cmd(*paths, "--out", "g.csv", "--solutions", str(SOLUTION), "--secret", SECRET, "--cache",
                      str(cache), "--scheduler", address, "--cell-timeout", "500", "--timeout", "550")


def _lost_line(why: str, address: str, lost: int, total: int) -> str:
    return (f"error: the Dask scheduler at {address} was lost during the batch ({why}): {lost} of {total} "
            "submissions not graded (error rows in g.csv). To grade them, start the scheduler and its "
            "workers again, then run the same command with --resume.")


@pytest.mark.usefixtures("own_uids")
def test_a_lost_scheduler_leaves_every_row_and_resume_grades_the_rest(tmp_path: Path, cache: Path) -> None:
    """a is graded, b and c (hanging) are being graded, d and e wait, f is missing: the scheduler dies."""
    subs = tmp_path / "subs"
    subs.mkdir()
    for name in ("a", "d", "e"):
        shutil.copyfile(SOLUTION, subs / f"{name}_01_demo.ipynb")
    for name in ("b", "c"):
        _hanging_notebook(subs / f"{name}_01_demo.ipynb")
    paths = [str(p) for p in sorted(subs.iterdir())] + [str(subs / "f_01_demo.ipynb")]

    (tmp_path / "first").mkdir()
    first = Cluster(tmp_path / "first")
    try:
        with open(tmp_path / "stderr.txt", "w") as err:
            proc = subprocess.Popen(_grade_on(first.address, paths, cache), cwd=tmp_path, env=_env(),
                                    stdout=subprocess.PIPE, stderr=err, text=True)
            deadline = time.monotonic() + 300  # one in flight per worker: a and b, then c once a is done
            _wait_until(lambda: (tmp_path / "g.csv").exists() and len(_rows(tmp_path / "g.csv")) == 5,
                        "a graded", deadline)
            for name in ("b_01_demo.ipynb", "c_01_demo.ipynb"):
                _holder(first, name, deadline)
            _wait_until(lambda: bool(_sandbox_processes(first)), "a submission's kernel started", deadline)
            first.procs[0].kill()  # the scheduler, without a word to anyone
            out, _ = proc.communicate(timeout=120)
        stderr = (tmp_path / "stderr.txt").read_text(encoding="utf-8")
        assert proc.returncode == 3, stderr[-3000:]
        assert "Traceback" not in stderr and "Failed to reconnect" not in stderr, stderr[-3000:]
        assert _lost_line("its connection closed", first.address, 5, 6) in stderr.splitlines(), stderr[-3000:]
        by_sub = _by_submission(tmp_path / "g.csv")
        assert sorted(by_sub) == [f"{n}_01_demo.ipynb" for n in "abcdef"]
        assert all(r["status"] == "ok" for r in by_sub["a_01_demo.ipynb"])
        for name in ("b", "c", "d", "e"):  # two in flight, two waiting
            assert {(r["status"], r["message"]) for r in by_sub[f"{name}_01_demo.ipynb"]} == {
                ("error", f"not graded: the Dask scheduler at {first.address} was lost during the batch (its "
                 "connection closed); run again with --resume to grade it")}
        assert all(r["status"] == "error" and "No such file" in r["message"]  # its own error, as ever
                   for r in by_sub["f_01_demo.ipynb"])
        assert out.splitlines()[0].endswith("a_01_demo.ipynb: 12 / 12")
        # Each worker closes when its connection to the scheduler breaks, its sandboxes with it.
        for worker in first.procs[1:]:
            worker.wait(timeout=60)
        assert _sandbox_processes(first) == []
    finally:
        first.stop()

    graded_a = by_sub["a_01_demo.ipynb"]
    for name in ("b", "c"):  # quick this time
        shutil.copyfile(SOLUTION, subs / f"{name}_01_demo.ipynb")
    (tmp_path / "second").mkdir()
    second = Cluster(tmp_path / "second")
    try:
        resumed = subprocess.run([*_grade_on(second.address, paths, cache), "--resume"], cwd=tmp_path,
                                 env=_env(), capture_output=True, text=True, timeout=600)
    finally:
        second.stop()
    assert resumed.returncode == 1, resumed.stderr[-3000:]  # f is still missing
    assert "resuming: 1 of 6 submissions already graded in g.csv" in resumed.stderr
    by_sub = _by_submission(tmp_path / "g.csv")
    assert by_sub.pop("a_01_demo.ipynb") == graded_a
    assert all(r["status"] == "error" for r in by_sub.pop("f_01_demo.ipynb"))
    assert sorted(by_sub) == [f"{n}_01_demo.ipynb" for n in "bcde"]
    assert all(r["status"] == "ok" for rs in by_sub.values() for r in rs)


@pytest.mark.usefixtures("own_uids")
def test_a_frozen_scheduler_is_lost_once_it_answers_no_ping(tmp_path: Path, cache: Path) -> None:
    """The scheduler stopped (SIGSTOP): its connections stay open, but it answers nothing."""
    from course_lib.grading.cluster import LOST_AFTER

    subs = tmp_path / "subs"
    subs.mkdir()
    for name in ("a", "b"):
        _hanging_notebook(subs / f"{name}_01_demo.ipynb")
    shutil.copyfile(SOLUTION, subs / "c_01_demo.ipynb")
    paths = [str(p) for p in sorted(subs.iterdir())]
    (tmp_path / "cluster").mkdir()
    frozen = Cluster(tmp_path / "cluster")
    try:
        with open(tmp_path / "stderr.txt", "w") as err:
            proc = subprocess.Popen(_grade_on(frozen.address, paths, cache), cwd=tmp_path, env=_env(),
                                    stdout=subprocess.DEVNULL, stderr=err)
            for name in ("a_01_demo.ipynb", "b_01_demo.ipynb"):
                _holder(frozen, name, time.monotonic() + 300)
            os.kill(frozen.procs[0].pid, signal.SIGSTOP)
            assert proc.wait(timeout=LOST_AFTER + 120) == 3
    finally:
        os.kill(frozen.procs[0].pid, signal.SIGCONT)
        frozen.stop()
    stderr = (tmp_path / "stderr.txt").read_text(encoding="utf-8")
    why = f"it did not answer for {LOST_AFTER:g} s"
    assert _lost_line(why, frozen.address, 3, 3) in stderr.splitlines(), stderr[-3000:]
    assert "Traceback" not in stderr
    rows = _rows(tmp_path / "g.csv")
    assert len(rows) == 3 * 5 and {r["status"] for r in rows} == {"error"}
    assert all(f"lost during the batch ({why}); run again with --resume" in r["message"] for r in rows)
