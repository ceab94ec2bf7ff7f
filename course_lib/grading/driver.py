"""The driver: runs INSIDE the sandbox, executes one notebook and calls its graded functions.

Usage (the grader does this; you never need to)::

    python -m course_lib.grading.driver WORK

``WORK/job.json`` holds the code cells (as the grader parsed them: the driver
never reads the notebook itself) and the items. The driver starts a fresh
IPython kernel (over the sandbox's own loopback), executes the code cells one by
one with a per-cell timeout (interrupt, then carry on), restarts the kernel and
replays the cells that had run if a cell kills it, then calls each graded function
on its inputs from ``WORK/in/`` (see ``_kernel.run_item``).

The inputs are read into the driver's memory and removed from ``WORK/in/`` before
the kernel starts: the cells never see them. Each item's file is put back just for
that item's calls and removed as soon as they return, before any replay.

Before the graded calls, every other process in the sandbox is killed and ``out/``
is emptied, so nothing the cells started or wrote can stand in for a call's
output. Each item's files are snapshotted the moment its calls return, and ``out/``
is rewritten from the snapshots at the end, after the kernel and any stray process
are dead. ``WORK/out/status.json`` records per-cell errors, per-item failures and
how many bytes the notebook printed (the output itself is discarded).

The driver never sees expected outputs, the secret or the solutions: it only runs
code and writes arrays. Comparing them is the grader's job, outside.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import stat
import subprocess
import sys
import time
from typing import Any

_KERNEL_NAME = "course-grading"
_INTERRUPT_GRACE = 3.0


def _write_kernelspec(job: dict[str, Any]) -> None:
    # In $JUPYTER_PATH, which the sandbox keeps out of the kernel's reach: a kernelspec the
    # learner could rewrite would run its argv as the driver at the next restart.
    spec_dir = os.path.join(os.environ.get("JUPYTER_PATH") or os.path.join(os.getcwd(), ".jupyter"),
                            "kernels", _KERNEL_NAME)
    os.makedirs(spec_dir, exist_ok=True)
    argv = [*job.get("kernel_prefix", []), sys.executable, "-m", "ipykernel_launcher",
            "-f", "{connection_file}", "--HistoryManager.enabled=False",
            "--IPKernelApp.capture_fd_output=False"]
    with open(os.path.join(spec_dir, "kernel.json"), "w", encoding="utf-8") as fh:
        json.dump({"argv": argv, "display_name": "grading", "language": "python",
                   "interrupt_mode": job.get("interrupt_mode", "signal")}, fh)


class Kernel:
    """A kernel we can execute code in, with timeouts, death detection and restarts."""

    def __init__(self, work: str, prelude: str = "") -> None:
        self.work = work
        self.prelude = prelude  # run at every start, before any cell (see _switch_off_call)
        self.printed = 0
        self.counting = True  # only the cells' own output is reported, not the graded calls'
        self.restarts = 0
        self.km: Any = None
        self.kc: Any = None
        self.traceback = ""  # the last error's traceback, as IPython formatted it

    def start(self) -> None:
        from jupyter_client import KernelManager

        self.km = KernelManager(kernel_name=_KERNEL_NAME)
        self.km.start_kernel(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=self.work)
        self.kc = self.km.blocking_client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=60)
        if self.prelude:
            self.execute(self.prelude, 60)

    def stop(self) -> None:
        if self.kc is not None:
            self.kc.stop_channels()
        if self.km is not None:
            try:
                self.km.shutdown_kernel(now=True)
            except Exception:  # noqa: BLE001 - a dead or wedged kernel is killed either way
                pass
        self.km = self.kc = None

    def restart(self) -> None:
        self.stop()
        self.restarts += 1
        self.start()

    def pid(self) -> int | None:
        """The kernel's process id (None if it is not running)."""
        process = getattr(getattr(self.km, "provisioner", None), "process", None)
        return getattr(process, "pid", None)

    def alive(self) -> bool:
        return self.km is not None and self.km.is_alive()

    def _count(self, msg: dict[str, Any]) -> None:
        if not self.counting:
            return
        content = msg["content"]
        if msg["msg_type"] == "stream":
            self.printed += len(content.get("text", ""))
        elif msg["msg_type"] in ("display_data", "execute_result", "update_display_data"):
            self.printed += sum(len(str(v)) for v in content.get("data", {}).values())

    def _wait_idle(self, msg_id: str, deadline: float) -> tuple[str, str]:
        """Drain iopub until ``msg_id`` is idle: ('ok'|'error'|'timeout'|'died', error text)."""
        error = ""
        self.traceback = ""
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return "timeout", error
            try:
                msg = self.kc.get_iopub_msg(timeout=min(remaining, 0.2))
            except queue.Empty:
                if not self.alive():
                    return "died", error
                continue
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind = msg["msg_type"]
            if kind == "error":
                error = f"{msg['content'].get('ename', '')}: {msg['content'].get('evalue', '')}"[:2000]
                tb = msg["content"].get("traceback") or []
                self.traceback = "\n".join(str(line) for line in tb)[-4000:]
            elif kind == "status" and msg["content"].get("execution_state") == "idle":
                return ("error" if error else "ok"), error
            else:
                self._count(msg)

    def execute(self, code: str, timeout: float) -> tuple[str, str]:
        """Run ``code``; on timeout interrupt it (restart if that fails). Returns (status, error)."""
        msg_id = self.kc.execute(code, store_history=False, allow_stdin=False, stop_on_error=False)
        status, error = self._wait_idle(msg_id, time.monotonic() + timeout)
        if status == "timeout":
            error = f"timed out after {timeout:.0f} s (interrupted)"
            try:
                self.km.interrupt_kernel()
            except Exception:  # noqa: BLE001
                pass
            after, _ = self._wait_idle(msg_id, time.monotonic() + _INTERRUPT_GRACE)
            if after not in ("ok", "error"):
                self.restart()
                status = "timeout-restarted"
        elif status == "died":
            error = "the kernel died (the cell exited or killed its own process)"
        return status, error


def _replay(kernel: Kernel, sources: list[str], cell_timeout: float, deadline: float) -> None:
    for src in sources:
        left = deadline - time.monotonic()
        if left <= 1:
            return
        status, _ = kernel.execute(src, min(cell_timeout, left))
        if status == "died":
            kernel.restart()
        elif status.startswith("timeout"):
            return


def _run_cells(kernel: Kernel, sources: list[str], job: dict[str, Any], deadline: float
               ) -> tuple[list[dict[str, Any]], list[str]]:
    cells, survivors = [], []
    for idx, src in enumerate(sources):
        left = deadline - time.monotonic()
        if left <= 1:
            cells.append({"cell": idx, "status": "skipped", "error": "out of time for this submission"})
            continue
        status, error = kernel.execute(src, min(job["cell_timeout"], left))
        tb = kernel.traceback if status == "error" else ""
        if status == "died":
            kernel.restart()
            _replay(kernel, survivors, job["cell_timeout"], deadline)
        elif status == "timeout-restarted":
            _replay(kernel, survivors, job["cell_timeout"], deadline)
        if status in ("ok", "error"):
            survivors.append(src)
        cells.append({"cell": idx, "status": status.split("-")[0], "error": error, "traceback": tb})
    return cells, survivors


_MAX_OUTPUT = 64 * 2**20


def _snapshot(item: str, names: set[str]) -> dict[str, bytes]:
    """The item's named output files as bytes, taken as soon as its calls return (regular files only).

    Every path component is opened relative to its parent without following links, so a
    folder swapped for a link while this runs leads nowhere (the driver may run as root).
    """
    files: dict[str, bytes] = {}
    flags = os.O_RDONLY | os.O_NOFOLLOW
    try:
        out_fd = os.open("out", flags | os.O_DIRECTORY)
    except OSError:
        return files
    try:
        item_fd = os.open(item, flags | os.O_DIRECTORY, dir_fd=out_fd)
    except OSError:
        os.close(out_fd)
        return files
    try:
        for name in sorted(set(os.listdir(item_fd)) & names):
            try:
                fd = os.open(name, flags | os.O_NONBLOCK, dir_fd=item_fd)
            except OSError:
                continue
            with os.fdopen(fd, "rb") as fh:
                if stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
                    files[name] = fh.read(_MAX_OUTPUT + 1)[:_MAX_OUTPUT]
    finally:
        os.close(item_fd)
        os.close(out_fd)
    return files


def _restore(snapshots: dict[str, dict[str, bytes]], root: str) -> None:
    """Write the snapshots to ``root/out``: later writes (replayed cells, stray threads) are discarded."""
    out = os.path.join(root, "out")
    shutil.rmtree(out, ignore_errors=True)
    for item, files in snapshots.items():
        os.makedirs(os.path.join(out, item), exist_ok=True)
        for name, data in files.items():
            with open(os.path.join(out, item, name), "wb") as fh:
                fh.write(data)


def _take_inputs(folder: str) -> dict[str, bytes]:
    """Read every ``<item>.npz`` of ``folder`` into memory and remove it (the cells never see it).

    ``folder`` is ``in/`` of the result folder under the sandbox (out of the kernel's
    reach), else ``in/`` beside the notebook.
    """
    inputs = {}
    for name in sorted(os.listdir(folder)):
        with open(os.path.join(folder, name), "rb") as fh:
            inputs[name] = fh.read()
    shutil.rmtree(folder)
    shutil.rmtree("in", ignore_errors=True)
    return inputs


def _put_input(name: str, data: bytes | None) -> None:
    os.makedirs("in", exist_ok=True)
    if data is not None:
        with open(os.path.join("in", name), "wb") as fh:
            fh.write(data)


_HARNESS_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_kernel.py")
with open(_HARNESS_PATH, encoding="utf-8") as _fh:
    _HARNESS = _fh.read()  # read before any learner code runs


def _harness_call(call: dict[str, Any]) -> str:
    """Code that runs the harness in the kernel from a fresh copy of its source.

    The harness is compiled anew for every call from the text the driver read at start,
    so a cell that patched ``course_lib.grading._kernel`` (or put its own module in
    ``sys.modules``) changes nothing here.
    """
    return (f"__cg = {{'__name__': '__course_grading__', '__file__': {_HARNESS_PATH!r}}}\n"
            f"exec(compile({_HARNESS!r}, {_HARNESS_PATH!r}, 'exec'), __cg)\n"
            f"__cg['run_item'](globals(), {call!r})\n"
            "del __cg\n")


def _switch_off_call(targets: list[list[str]], mark: str) -> str:
    """Code that switches off the forbidden numpy functions (``_kernel.switch_off``), '' if none."""
    if not targets:
        return ""
    return (f"__cg = {{'__name__': '__course_grading__', '__file__': {_HARNESS_PATH!r}}}\n"
            f"exec(compile({_HARNESS!r}, {_HARNESS_PATH!r}, 'exec'), __cg)\n"
            f"__cg['switch_off']({targets!r}, {mark!r})\n"
            "del __cg\n")


def _phases(job: dict[str, Any]) -> list[dict[str, Any]]:
    """Every item's public cases first, then every item's hidden cases.

    Nothing a graded function shows (a public case's output or error) can then carry
    what it saw of a hidden input: no hidden input has reached the kernel yet.
    """
    calls = []
    for phase in ("public", "hidden"):
        for item in job["items"]:
            n_public = int(item.get("n_public", 0))
            first, count = (0, n_public) if phase == "public" else (n_public, item["n_cases"] - n_public)
            if count > 0:
                calls.append({**item, "first": first, "count": count,
                              "inputs": f"{item['item']}.{phase}.npz"})
    return calls


def _call_items(kernel: Kernel, survivors: list[str], job: dict[str, Any], deadline: float,
                snapshots: dict[str, dict[str, bytes]], inputs: dict[str, bytes]) -> dict[str, Any]:
    items: dict[str, Any] = {}
    for call in _phases(job):
        name = call["item"]
        left = deadline - time.monotonic()
        if left <= 1:
            items.setdefault(name, {"status": "skipped", "error": "out of time for this submission"})
            continue
        code = _harness_call(call)
        budget = call["call_timeout"] * call["count"] + 5.0
        _put_input(call["inputs"], inputs.get(call["inputs"]))
        status, error = kernel.execute(code, min(budget, left))
        # Snapshot first, remove the inputs, and only then replay: replayed cells can neither
        # rewrite this call's outputs nor read its inputs.
        wanted = {f"{i}.{ext}" for i in range(call["first"], call["first"] + call["count"])
                  for ext in ("npz", "err")}
        snapshots.setdefault(name, {}).update(_snapshot(name, wanted))
        shutil.rmtree("in", ignore_errors=True)
        if status == "died":
            error = "the kernel died while the graded function ran"
            kernel.restart()
            _replay(kernel, survivors, job["cell_timeout"], deadline)
        elif status == "timeout-restarted":
            _replay(kernel, survivors, job["cell_timeout"], deadline)
        if name not in items or items[name]["status"] == "ok":
            items[name] = {"status": status.split("-")[0], "error": error}
        if job.get("sandboxed") and kernel.restarts:  # replayed cells may have started daemons again
            kill_strays(spare=kernel.pid(), uid=job.get("kernel_uid"))
    return items


def _ancestors() -> set[int]:
    pids, pid = {os.getpid()}, os.getppid()
    while pid > 0 and pid not in pids:
        pids.add(pid)
        try:
            with open(f"/proc/{pid}/stat", encoding="utf-8") as fh:
                pid = int(fh.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            break
    return pids


def _is_stray(pid: int, uid: int | None) -> bool:
    """With ``uid`` (the container fallback), that user's processes are strays. Under bwrap, all
    are, but the kernel's sandbox (PID 1) and the kernel (PID 2) in the kernel's own namespace."""
    try:
        with open(f"/proc/{pid}/status", encoding="utf-8") as fh:
            fields = dict(line.split(":", 1) for line in fh if ":" in line)
    except (OSError, ValueError):
        return False
    if uid is not None:
        return int(fields.get("Uid", "-1").split()[0]) == uid
    nspid = fields.get("NSpid", "").split()
    return not (len(nspid) == 2 and nspid[1] in ("1", "2"))


def kill_strays(spare: int | None = None, uid: int | None = None) -> None:
    """Kill every other process in the sandbox (daemons included), but ``spare`` and the kernel."""
    keep = _ancestors() | ({spare} if spare else set())
    for _ in range(20):
        others = [int(p) for p in os.listdir("/proc")
                  if p.isdigit() and int(p) not in keep and _is_stray(int(p), uid)]
        if not others:
            return
        for pid in others:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        time.sleep(0.05)


def main(work: str) -> int:
    os.chdir(work)
    with open("job.json", encoding="utf-8") as fh:
        job = json.load(fh)
    deadline = time.monotonic() + float(job["budget"])
    status: dict[str, Any] = {"cells": [], "items": {}, "printed_bytes": 0, "kernel_restarts": 0}
    _write_kernelspec(job)
    kernel = Kernel(work, _switch_off_call(job.get("switch_off", []), job.get("switch_off_mark", "")))
    snapshots: dict[str, dict[str, bytes]] = {}
    try:
        inputs = _take_inputs(job.get("inputs_dir", "in"))
        kernel.start()
        status["cells"], survivors = _run_cells(kernel, [str(c) for c in job["cells"]], job, deadline)
        kernel.counting = False
        if job.get("sandboxed"):  # whatever the cells started cannot touch the graded calls' outputs
            kill_strays(spare=kernel.pid(), uid=job.get("kernel_uid"))
        shutil.rmtree("out", ignore_errors=True)  # nor can files the cells wrote there
        status["items"] = _call_items(kernel, survivors, job, deadline, snapshots, inputs)
    except Exception as exc:  # noqa: BLE001 - reported, and the grader still scores what exists
        status["driver_error"] = f"{type(exc).__name__}: {exc}"[:2000]
    finally:
        status["printed_bytes"], status["kernel_restarts"] = kernel.printed, kernel.restarts
        kernel.stop()
    if job.get("sandboxed"):
        kill_strays(uid=job.get("kernel_uid"))  # nothing the notebook started can rewrite out/ after this
    root = job.get("result_dir", ".")  # out of the kernel's reach: see sandbox.py
    _restore(snapshots, root)
    tmp = os.path.join(root, "out", ".status.tmp")
    os.makedirs(os.path.dirname(tmp), exist_ok=True)
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(status, fh)
    os.replace(tmp, os.path.join(root, "out", "status.json"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
