"""``grade --scheduler tcp://HOST:8786``: the submissions graded by the workers of a Dask cluster.

Needs the ``cluster`` extra (``pip install 'course_lib[cluster]'``, i.e. ``distributed``) here
and on every worker, with the ``grading`` extra and bubblewrap on every worker.

What travels, and what stays here:

* The solutions notebooks and the secret never leave this machine. It draws the cases and
  computes the solutions' expected outputs (cached in ``--cache``), then registers a Dask
  worker plugin holding a :class:`grader.GradingPlan`: the items, cases and expected outputs.
  Dask installs the plugin on every worker, also on one that joins or is restarted later, and
  each builds a grader from it (:meth:`Grader.from_plan`) in the same isolation mode as here.
* Each submission is read here (a symlink refused, as locally) and sent as bytes with
  ``Client.submit``; the worker writes it under its own private temporary folder, grades it
  in its own sandbox with its own installed course_lib, and sends the result back. As many
  submissions are in flight as the cluster has threads (more would wait on the workers).
* A worker process that dies mid-submission (killed, out of memory, its machine lost) is
  handled by Dask's scheduler: the submission is tried again on a live worker, up to the
  scheduler's ``distributed.scheduler.allowed-failures`` times (Dask's default 3; start the
  scheduler with ``DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES=1`` for exactly one retry),
  then Dask gives up with ``KilledWorker`` and the submission gets an ``error`` row, which
  ``--resume`` grades again. The other submissions are not affected.
* On ctrl-C the queued submissions are cancelled, and each worker stops this batch's running
  sandboxes and removes its plugin.
* The scheduler lost mid-batch: its connection closed (the client then cancels every future),
  or no answer within ``LOST_AFTER`` s to a ping sent after each ``PING_EVERY`` s in which no
  submission finished. The batch stops at once and :class:`executor.ExecutorLost` carries an
  error result for every submission not yet yielded (``--resume`` grades them). The workers
  close themselves when their connection to the scheduler breaks, their sandboxes with them;
  a sandbox on a worker that notices nothing still dies at the submission's ``--timeout``.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import sys
import time
import traceback
import uuid
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

from .executor import ExecutorLost
from .grader import Grader, GradingError, GradingPlan, check_dependencies, code_version, kill_children
from .runner import SubmissionRefused, read_submission
from .scoring import SubmissionResult

try:
    from distributed import Client, WorkerPlugin, as_completed, get_worker
    from distributed.client import FutureCancelledError
except ImportError as exc:  # raised by connect(), with the fix
    _MISSING: str | None = str(exc)
    WorkerPlugin = object  # type: ignore[assignment,misc]
else:
    _MISSING = None

__all__ = ["DaskExecutor", "connect", "GraderPlugin", "CONNECT_TIMEOUT", "LOST_AFTER", "PING_EVERY"]

CONNECT_TIMEOUT = 10.0  # s: to connect, and for the client's own attempts to reconnect
LOST_AFTER = 30.0  # s without an answer to a ping: the scheduler is lost (Dask's comm.timeouts.tcp default)
PING_EVERY = 5.0  # s without a finished submission, between two pings
_PLUGIN_PREFIX = "course-grading-"


class GraderPlugin(WorkerPlugin):  # type: ignore[misc,valid-type]
    """On each worker: a grader built from the plan (or why this worker cannot grade)."""

    def __init__(self, plan: GradingPlan) -> None:
        self.plan = plan
        self.grader: Grader | None = None
        self.problem = ""

    def setup(self, worker: Any) -> None:
        if self.plan.code != code_version():
            self.problem = ("this worker's course_lib differs from the one that computed the expected "
                            f"outputs (code version {code_version()}, expected {self.plan.code}): "
                            "install the same course_lib on every worker")
            return
        try:
            check_dependencies()
            self.grader = Grader.from_plan(self.plan)
        except Exception as exc:  # noqa: BLE001 - reported by the start-up check and in error rows
            self.problem = f"this worker cannot grade: {exc}"

    def teardown(self, worker: Any) -> None:
        if self.grader is not None:
            self.grader.stop()
            self.grader.close()


def _plugin(name: str, worker: Any = None) -> GraderPlugin | None:
    plugin = (worker or get_worker()).plugins.get(name)
    return plugin if isinstance(plugin, GraderPlugin) else None


def _check_worker(name: str, dask_worker: Any) -> str:
    """Run on each worker at start-up: '' if it can grade (a sandboxed kernel starts), else why."""
    plugin = _plugin(name, dask_worker)
    if plugin is None:
        return "the grading plugin is not installed on this worker"
    if plugin.grader is None:
        return plugin.problem
    try:
        plugin.grader.preflight()
    except Exception as exc:  # noqa: BLE001 - one line per worker
        return str(exc)
    return ""


def _stop_worker(name: str, dask_worker: Any) -> None:
    """Run on each worker on ctrl-C: no new run of this batch starts, and its sandboxes die."""
    plugin = _plugin(name, dask_worker)
    if plugin is not None and plugin.grader is not None:
        plugin.grader.stop()
    else:
        kill_children()


def grade_on_worker(name: str, filename: str, data: bytes) -> SubmissionResult:
    """The task: grade one submission (its file name and bytes) on this worker, with its sandbox."""
    plugin = _plugin(name)
    if plugin is None or plugin.grader is None:
        raise GradingError(plugin.problem if plugin else "the grading plugin is not installed on this worker")
    grader = plugin.grader
    folder = grader.tmp_root / f"in-{uuid.uuid4().hex}"
    folder.mkdir()
    path = folder / filename
    try:
        path.write_bytes(data)
        return grader.grade_one(path)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _renamed(res: SubmissionResult, submission: Path) -> SubmissionResult:
    """The worker's result under the submission's path here (the worker graded a copy)."""
    res.submission = submission
    for row in res.items:
        row.submission = str(submission)
    return res


def connect(address: str, timeout: float = CONNECT_TIMEOUT) -> Client:
    """A client of the scheduler at ``address`` with at least one worker; one-line GradingError if not."""
    if _MISSING is not None:
        raise GradingError(f"--scheduler needs the Python package 'distributed' ({_MISSING}): "
                           "pip install 'course_lib[cluster]'")
    try:
        client = Client(address, timeout=timeout, set_as_default=False)
    except Exception as exc:  # noqa: BLE001 - OSError, TimeoutError, ValueError for a bad address...
        why = " ".join(str(exc).split())[:300] or type(exc).__name__
        raise GradingError(f"cannot reach the Dask scheduler at {address} within {timeout:g} s: "
                           f"{why}") from None
    try:
        client.wait_for_workers(1, timeout=timeout)
    except Exception:  # noqa: BLE001 - a timeout, in one of several classes
        client.close()
        raise GradingError(f"the Dask scheduler at {address} has no worker (waited {timeout:g} s): start one "
                           f"with `dask worker {address} --nthreads 1`") from None
    return client


class _SchedulerLost(Exception):
    """The scheduler went away or stopped answering (why, in a few words)."""


def _lost_result(grader: Grader, sub: Path, why: str) -> SubmissionResult:
    """The error result of a submission the lost scheduler did not grade (a refused file's own, as usual)."""
    try:
        sha = hashlib.sha256(read_submission(sub)).hexdigest()[:16]
    except SubmissionRefused:
        return grader.grade_one(sub)
    return grader.error_result(sub, why, sha)


class DaskExecutor:
    """Grades on the workers of a ``dask.distributed`` cluster (see the module's docstring)."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.address = client.scheduler.address
        self.lost = False

    def close(self) -> None:
        if not self.lost:
            self.client.close()
            return
        try:  # the client may still be trying to reach it: bounded, and nothing to report
            self.client.close(timeout=CONNECT_TIMEOUT)
        except Exception:  # noqa: BLE001 - a lost scheduler cannot take a goodbye
            pass

    def __enter__(self) -> DaskExecutor:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def _start(self, grader: Grader) -> str:
        plan = grader.plan()  # the expected outputs, computed here: this can take a while
        name = _PLUGIN_PREFIX + plan.key
        try:
            self._ping()  # the calls below would wait without a limit
            self.client.register_plugin(GraderPlugin(plan), name=name)
            problems = self.client.run(_check_worker, name, on_error="return")
        except Exception as exc:
            if not isinstance(exc, _SchedulerLost) and self.client.status == "running":
                raise
            self._give_up()
            why = exc if isinstance(exc, _SchedulerLost) else "its connection closed"
            raise GradingError(f"the Dask scheduler at {self.address} was lost before the batch started "
                               f"({why}): nothing was graded") from None
        bad = {w: why if isinstance(why, str) else f"{type(why).__name__}: {why}"
               for w, why in problems.items() if why}
        if bad:
            self.client.unregister_worker_plugin(name)
            worker, why = next(iter(sorted(bad.items())))
            more = f" (and {len(bad) - 1} other worker(s))" if len(bad) > 1 else ""
            raise GradingError(f"Dask worker {worker}{more}: {why}")
        return name

    def _give_up(self) -> None:
        """The scheduler is lost: nothing more is asked of it, and the client's own complaints about its
        failed reconnection (an error line, a traceback when closed meanwhile) are silenced: ours say it."""
        self.lost = True
        logging.getLogger("distributed.client").setLevel(logging.CRITICAL)

    def _connected(self) -> None:
        """Raise :class:`_SchedulerLost` if the client has lost its connection to the scheduler."""
        if self.client.status != "running":
            raise _SchedulerLost("its connection closed")

    def _ask(self, request: Callable[[], Awaitable[Any]]) -> Any:
        """The scheduler's answer to ``request()`` within ``LOST_AFTER`` s, or it is lost."""
        self._connected()
        try:
            return self.client.sync(request, callback_timeout=LOST_AFTER)
        except Exception as exc:  # noqa: BLE001 - a timeout or a closed connection, in several classes
            self._connected()
            why = (f"it did not answer for {LOST_AFTER:g} s" if isinstance(exc, TimeoutError)
                   else " ".join(str(exc).split())[:200] or type(exc).__name__)
            raise _SchedulerLost(why) from None

    def _ping(self) -> None:
        self._ask(lambda: self.client.scheduler.identity(n_workers=0))

    def _window(self) -> int:
        """Submissions in flight: one per worker thread. Dask assigns a task to a worker as soon as
        it is submitted, and a worker's death counts against every task assigned to it, running or
        waiting: more in flight would let one dying worker use up the retries of its waiting ones."""
        return max(1, sum(self._ask(self.client.scheduler.ncores).values()))  # what Client.nthreads() asks

    def _next_done(self, running: Any) -> Any:
        """The next finished future; the scheduler pinged after each ``PING_EVERY`` s with none."""
        quiet_since = time.monotonic()
        while not running.has_ready():
            if time.monotonic() - quiet_since >= PING_EVERY:
                self._ping()
                quiet_since = time.monotonic()
            time.sleep(0.05)
        return next(running)

    def grade(self, grader: Grader, submissions: list[Path]) -> Iterator[tuple[int, SubmissionResult]]:
        name = self._start(grader)
        keys: dict[str, tuple[int, Path, str]] = {}  # in flight: until its result is yielded
        queue = iter(enumerate(submissions))
        running = as_completed(loop=self.client.loop)
        local: list[tuple[int, SubmissionResult]] = []
        finished = False

        def submit_more() -> None:
            while running.count() < self._window():
                nxt = next(queue, None)
                if nxt is None:
                    return
                i, sub = nxt
                try:
                    data = read_submission(sub)
                except SubmissionRefused:  # missing, a link, a folder...: its error row, made here
                    local.append((i, grader.grade_one(sub)))
                    continue
                key = f"grade-{name}-{i}"
                keys[key] = (i, sub, hashlib.sha256(data).hexdigest()[:16])
                try:
                    fut = self.client.submit(grade_on_worker, name, sub.name, data, pure=False, key=key)
                except Exception:  # noqa: BLE001 - ClosedClientError...: the client gave up on it
                    self._connected()
                    raise
                running.add(fut)

        try:
            try:
                submit_more()
                while local or running.count():
                    while local:
                        yield local.pop(0)
                    if running.count():
                        fut = self._next_done(running)
                        i, sub, sha = keys[fut.key]
                        res = self._result(grader, fut, sub, sha)
                        del keys[fut.key]
                        yield i, res
                        submit_more()
            except _SchedulerLost as exc:
                self._give_up()
                pending = [(i, s) for i, s, _ in keys.values()] + list(queue)  # in flight, then queued
                raise self._lost_error(grader, str(exc), local, pending) from None
            finished = True
        finally:
            if not finished and not self.lost:
                self._stop(name, list(running.futures))
            if not self.lost:
                self._unregister(name)

    def _lost_error(self, grader: Grader, why: str, local: list[tuple[int, SubmissionResult]],
                    pending: list[tuple[int, Path]]) -> ExecutorLost:
        """The batch's end once the scheduler is lost: an error result for each submission not yielded."""
        lost = f"the Dask scheduler at {self.address} was lost during the batch ({why})"
        row = f"not graded: {lost}; run again with --resume to grade it"
        results = local + [(i, _lost_result(grader, sub, row)) for i, sub in pending]
        results.sort(key=lambda r: r[0])
        return ExecutorLost(lost, "start the scheduler and its workers again", results)

    def _check_lost(self, exc: BaseException) -> None:
        """Raise :class:`_SchedulerLost` if a future's ``exc`` came of losing the scheduler."""
        if isinstance(exc, FutureCancelledError):  # the client drops all when its connection closes
            self._connected()
            if exc.reason == "scheduler-connection-lost":  # and it reconnected, to a new scheduler
                raise _SchedulerLost("its connection closed")
        elif isinstance(exc, TimeoutError):  # a finished one's result is fetched through the scheduler
            self._ping()

    def _result(self, grader: Grader, fut: Any, sub: Path, sha: str) -> SubmissionResult:
        try:
            return _renamed(fut.result(timeout=LOST_AFTER), sub)
        except (FutureCancelledError, Exception) as exc:  # noqa: BLE001 - the batch goes on
            self._check_lost(exc)
            kind = type(exc).__name__
            if kind == "KilledWorker":
                tries = getattr(exc, "allowed_failures", 0) + 1
                why = (f"not graded: the Dask worker grading it died, {tries} time(s) on {tries} attempt(s) "
                       "(the scheduler's allowed-failures); run again with --resume to retry")
            else:
                detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()[:300]
                why = f"not graded: on the Dask cluster: {detail}"
            return grader.error_result(sub, why, sha)

    def _stop(self, name: str, futures: list[Any]) -> None:
        self.client.cancel(futures)
        try:
            self.client.run(_stop_worker, name)
        except Exception as exc:  # noqa: BLE001 - best effort while stopping
            print(f"warning: could not stop the workers' sandboxes: {exc}", file=sys.stderr)

    def _unregister(self, name: str) -> None:
        try:
            self.client.unregister_worker_plugin(name)
        except Exception as exc:  # noqa: BLE001 - e.g. the scheduler is gone: nothing left to tidy
            print(f"warning: could not remove the grading plugin from the workers: {exc}", file=sys.stderr)
