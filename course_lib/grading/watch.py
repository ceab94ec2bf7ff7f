"""The call watch ``check()`` runs around a public case, in the learner's own session.

It counts what the forbidden code executes during the call, in every thread it can
reach, so that ``check()`` can tell a learner that a function delegates. It is advice
only: the learner's process runs it and code written for it can defeat it (see
docs/grading.md). Grading does not watch: the graded kernel's ``course_lib`` has the
forbidden code taken out (``poison.py``).
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from typing import Any

TAMPERED = "check()'s call watch (the profile hook was removed or replaced)"


class CallWatch:
    """Counts what the forbidden code executes during a call, in every thread it can reach.

    Forbidden Python code is recognised by its bytecode (a copied or ``replace``-d code
    object still counts), forbidden C functions by identity. A call of ``sys.setprofile``,
    ``sys.settrace`` or ``threading.setprofile`` during the graded call, or a hook that
    does not see a probe call, counts as tampering. All of this is in the learner's own
    process and can be defeated by code written for it; see docs/grading.md.
    """

    def __init__(self, forbid: list[str]) -> None:
        self.codes, self.cfuncs = _forbidden_codes(forbid)
        self.counts: dict[str, int] = {}
        self.known: dict[Any, str | None] = {}
        self.guarded = {id(f): f for f in (sys.setprofile, sys.settrace, threading.setprofile,
                                           threading.settrace)}
        self.probed = False
        self.installed = self.hook  # one bound method, so that getprofile() can be compared with it

    def hook(self, frame: Any, event: str, arg: Any) -> None:
        if event == "call":
            code = frame.f_code
            if code is _probe.__code__:
                self.probed = True
                return
            try:
                name = self.known[code]
            except KeyError:  # first time this code object runs: compare what it does, once
                name = self.known[code] = self.codes.get(_code_key(code))
            if name is not None:
                self.counts[name] = self.counts.get(name, 0) + 1
        elif event == "c_call":
            if id(arg) in self.cfuncs:
                name = self.cfuncs[id(arg)]
                self.counts[name] = self.counts.get(name, 0) + 1
            elif id(arg) in self.guarded and self.active:
                self.counts[TAMPERED] = 1

    active = False

    def start(self) -> None:
        if not (self.codes or self.cfuncs):
            return
        self.probed = False
        threading.setprofile(self.installed)
        sys.setprofile(self.installed)
        _probe()
        self.active = True
        if not self.probed:
            self.counts[TAMPERED] = 1

    def stop(self) -> None:
        if not self.active:
            return
        self.active = False
        if sys.getprofile() is not self.installed:
            self.counts[TAMPERED] = 1
        sys.setprofile(None)
        threading.setprofile(None)  # type: ignore[arg-type]


    def call(self, fn: Callable[..., Any], args: list[Any]) -> Any:
        """``fn(*args)`` under the watch; the profile hooks found before are put back."""
        old, old_threads = sys.getprofile(), threading.getprofile()
        self.start()
        try:
            return fn(*args)
        finally:
            self.stop()
            sys.setprofile(old)
            threading.setprofile(old_threads)  # type: ignore[arg-type]

    def first(self) -> str | None:
        """The first forbidden name seen (or the tampering message), None if none."""
        return next(iter(self.counts), None)


def _probe() -> None:
    """Called right after the hook is installed: a hook that does not see it is not ours."""


def _code_key(code: Any) -> tuple[Any, ...]:
    """What a code object does, whatever its name, file or line numbers say."""
    return code.co_code, code.co_names, code.co_consts


def _forbidden_codes(forbid: list[str]) -> tuple[dict[tuple[Any, ...], str], dict[int, str]]:
    """Bytecode of the forbidden Python functions (a class: all its methods), and forbidden C functions."""
    import importlib

    codes: dict[tuple[Any, ...], str] = {}
    cfuncs: dict[int, str] = {}
    for dotted in forbid:
        module_name, _, attr = dotted.rpartition(".")
        try:
            obj = getattr(importlib.import_module(module_name), attr)
        except (ImportError, AttributeError, ValueError):
            continue
        members = list(vars(obj).values()) if isinstance(obj, type) else [obj]
        for m in members:
            m = getattr(m, "__func__", m)
            for f in (m.fget, m.fset) if isinstance(m, property) else (m,):
                code = getattr(f, "__code__", None)
                if code is not None:
                    codes[_code_key(code)] = dotted
                elif callable(f) and not isinstance(f, type):
                    cfuncs[id(f)] = dotted
    return codes, cfuncs
