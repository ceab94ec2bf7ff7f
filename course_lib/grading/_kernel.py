"""The few lines the driver runs *inside* the submission's kernel for each graded item.

``run_item`` loads the item's inputs from ``in/<item>.npz``, calls the learner's
function once per case (each call under its own ``SIGALRM`` timeout) and writes
each result as plain arrays to ``out/<item>/<case>.npz``, or the error to
``out/<item>/<case>.err`` (JSON: ``kind`` timeout/exception/bad_return, the
exception's ``type``, its ``text`` and the learner's own ``traceback``).
Nothing here is trusted: the learner's code shares the process and may have
patched anything. In particular nothing here watches for delegation: the kernel's
``course_lib`` has the forbidden code taken out (``poison.py``). The grader, in
another process, reads these files with ``allow_pickle=False`` and checks them itself.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import traceback
from typing import Any

import numpy as np

_MAX_ERR = 2000


class _CallTimeout(BaseException):
    """Raised by the alarm; a BaseException so ``except Exception`` in learner code misses it."""


def _on_alarm(signum: int, frame: Any) -> None:
    raise _CallTimeout()


class _BadReturn(TypeError):
    """The function returned something that is not numbers."""


def _as_plain(value: Any) -> list[np.ndarray]:
    """The result as a list of plain numeric ndarrays (a tuple gives several)."""
    parts = list(value) if isinstance(value, tuple) else [value]
    arrays = []
    for part in parts:
        if part is None or isinstance(part, str | bytes | dict | set):
            raise _BadReturn(f"returned {type(part).__name__}; expected a number or a numpy array")
        arr = np.array(part, subok=False)  # copies into a base ndarray: subclasses lose their methods
        if arr.dtype.kind not in "biuf":
            raise _BadReturn(f"returned an array of dtype {arr.dtype}; expected numbers")
        arrays.append(arr)
    return arrays


def switch_off(targets: list[list[str]], mark: str) -> None:
    """Replace each ``[module, attribute, dotted name]`` (numpy's forbidden functions) by a raising stub.

    Run by the driver when the kernel starts, before any learner cell: the public
    function is replaced in every numpy module that holds that very object, and the
    compiled routines it calls are replaced in their extension module. The learner's
    code runs in this process and could fetch numpy's compiled code anew, so this is
    weaker than course_lib's switch-off (see ``poison.py`` and docs/grading.md).
    """
    import importlib

    for module_name, attr, dotted in targets:
        try:
            real = getattr(importlib.import_module(module_name), attr)
        except (ImportError, AttributeError):
            continue

        def stub(*args: Any, _name: str = dotted, **kwargs: Any) -> Any:
            raise NotImplementedError(f"{_name} {mark}: it is what an exercise asks you to write yourself")

        for name, module in list(sys.modules.items()):
            if (name == module_name or name.startswith("numpy")) and getattr(module, attr, None) is real:
                setattr(module, attr, stub)


def _remove(*paths: str) -> None:
    for path in paths:
        try:
            os.remove(path)
        except OSError:
            pass


def _learner_traceback(exc: BaseException) -> str:
    """The traceback from the learner's function down, without this harness's frames."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename == __file__:
        tb = tb.tb_next
    return "".join(traceback.format_exception(type(exc), exc, tb))[-_MAX_ERR:]


def _write_error(path: str, exc: BaseException, timeout: float) -> None:
    _remove(path[: -len(".err")] + ".npz")  # a failed case has no output, whatever was written
    if isinstance(exc, _CallTimeout):
        record = {"kind": "timeout", "type": "", "text": f"timed out after {timeout:g} s", "traceback": ""}
    else:
        kind = "bad_return" if isinstance(exc, _BadReturn) else "exception"
        text = "".join(traceback.format_exception_only(type(exc), exc)).strip()[:_MAX_ERR]
        record = {"kind": kind, "type": type(exc).__name__, "text": text,
                  "traceback": "" if kind == "bad_return" else _learner_traceback(exc)}
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(record, fh)


def _call_case(fn: Any, args: list[Any], timeout: float) -> Any:
    old = signal.signal(signal.SIGALRM, _on_alarm)
    signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        return fn(*args)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def run_item(user_ns: dict[str, Any], job: dict[str, Any]) -> None:
    """Call ``user_ns[job['function']]`` on cases ``first .. first + count - 1`` of ``job['item']``.

    The inputs are in ``in/<job['inputs']>``; the results go to ``out/<item>/<case>.npz``
    (or ``.err``).
    """
    item, timeout = job["item"], float(job["call_timeout"])
    first, count = int(job["first"]), int(job["count"])
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # an oversized result fails its case, not the kernel
    out_dir = os.path.join("out", item)
    os.makedirs(out_dir, exist_ok=True)
    inputs = np.load(os.path.join("in", job["inputs"]), allow_pickle=False)
    fn = user_ns.get(job["function"])
    for i in range(first, first + count):
        base = os.path.join(out_dir, str(i))
        _remove(base + ".npz", base + ".err")  # nothing written before this call counts
        try:
            if not callable(fn):
                raise NameError(f"no function named {job['function']!r} is defined in the notebook")
            args = [inputs[f"{i}/{name}"] for name in job["args"]]
            args = [a.item() if a.ndim == 0 else a for a in args]  # scalars arrive as Python numbers
            value = _call_case(fn, args, timeout)
            arrays = _as_plain(value)
            np.savez(base + ".npz", **{f"r{k}": a for k, a in enumerate(arrays)},
                     is_tuple=np.array(isinstance(value, tuple)))
        except (KeyboardInterrupt, _CallTimeout) as exc:  # stop here: the remaining cases would
            _write_error(base + ".err", exc, timeout)    # likely hang too, and time is shared
            break
        except BaseException as exc:  # noqa: BLE001 - every failure becomes that case's message
            _write_error(base + ".err", exc, timeout)
