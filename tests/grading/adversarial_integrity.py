"""Adversarial submissions for issue 10's classes 2, 3 and 4, built at test time.

Each entry of :data:`NOTEBOOKS` is ``(bodies, extra cells, honest items)``: the item
functions (the rest are stubs), cells appended after the fixture's own, and the items
it answers honestly, which are exactly what it must score. The class-4 attacks go
after ``sigmoid``, whose course_lib reference calls a private helper (``_sigmoid``),
and answer ``softmax`` and ``mse_and_grad`` honestly.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
from adversarial import STUBS
from build_fixtures import MSE, SIGMOID, SOFTMAX, solutions_notebook

# Finds course_lib.activations.sigmoid without any name the static check could resolve.
_FIND = ('    import importlib\n'
         '    mod = importlib.import_module("course_lib." + "activations")\n'
         '    f = getattr(mod, "sig" + "moid")\n')

# A namespace in which the reference module's relative imports work.
_NS = "{'__name__': 'course_lib.copy', '__package__': 'course_lib'}"

ATTACKS_4 = {
    # A private helper of the reference implementation, not named in the forbid list.
    "adv4_private_helper": "def sigmoid(z):\n    import course_lib.activations as a\n"
                           "    return a._sigmoid(np.asarray(z, dtype=float))",
    # The forbidden function runs in another thread.
    "adv4_thread": "def sigmoid(z):\n" + _FIND + "    import threading\n    out = []\n"
                   "    t = threading.Thread(target=lambda: out.append(f(z)))\n    t.start()\n    t.join()\n"
                   "    return out[0]",
    # The hook is removed around the forbidden call, then put back.
    "adv4_remove_hook": "def sigmoid(z):\n" + _FIND + "    import sys\n    hook = sys.getprofile()\n"
                        "    sys.setprofile(None)\n    try:\n        return f(z)\n    finally:\n"
                        "        sys.setprofile(hook)",
    # A copy of the (private helper's) code object under another name, file and line.
    "adv4_copy_code": "def sigmoid(z):\n" + _FIND + "    import types\n"
                      "    g = getattr(mod, '_sig' + 'moid')\n"
                      "    code = g.__code__.replace(co_name='mine', co_filename='<m>', co_firstlineno=1)\n"
                      "    return types.FunctionType(code, g.__globals__)(np.asarray(z, dtype=float))",
    # The harness module is patched (and replaced in sys.modules) before the graded calls.
    "adv4_patch_harness": "def sigmoid(z):\n" + _FIND + "    return f(z)",
    # A worker thread started by an earlier cell (before any graded call) runs the forbidden code.
    "adv4_earlier_thread": "def sigmoid(z):\n    box = queue.Queue()\n    REQUESTS.put((z, box))\n"
                           "    kind, value = box.get(timeout=3)\n    if kind == 'error':\n"
                           "        raise value\n    return value",
    # The same from a thread of the low-level _thread module, started inside the graded call.
    "adv4_low_thread": "def sigmoid(z):\n" + _FIND + "    import _thread, time\n    out = []\n"
                       "    def run():\n        try:\n            out.append(('ok', f(z)))\n"
                       "        except BaseException as exc:\n"
                       "            out.append(('error', exc))\n    _thread.start_new_thread(run, ())\n"
                       "    while not out:\n        time.sleep(0.001)\n"
                       "    kind, value = out[0]\n    if kind == 'error':\n        raise value\n"
                       "    return value",
    # The reference's source, re-executed under new code objects (the bytecode check never saw them).
    "adv4_getsource": "def sigmoid(z):\n" + _FIND + "    import inspect\n    ns = dict(vars(mod))\n"
                      "    exec(compile(inspect.getsource(mod), '<copy>', 'exec'), ns)\n"
                      "    return ns['sig' + 'moid'](z)",
    # The reference module's file, read and compiled, from every copy of the package on the path.
    "adv4_read_file": "def sigmoid(z):\n" + _FIND + "    import glob, os, sys\n    errors = []\n"
                      "    files = [mod.__file__] + [p for d in sys.path for p in\n"
                      "             glob.glob(os.path.join(d, 'course_lib', 'activations.py'))]\n"
                      "    for path in files:\n        ns = " + _NS + "\n"
                      "        try:\n            exec(compile(open(path).read(), 'x', 'exec'), ns)\n"
                      "            return ns['sig' + 'moid'](z)\n"
                      "        except Exception as exc:\n            errors.append(exc)\n    raise errors[0]",
    # The compiled module from __pycache__, unmarshalled and executed.
    "adv4_pyc": "def sigmoid(z):\n" + _FIND + "    import glob, marshal, os\n"
                "    folder = os.path.join(os.path.dirname(mod.__file__), '__pycache__')\n"
                "    pyc = glob.glob(os.path.join(folder, 'activations.*.pyc'))\n"
                "    ns = " + _NS + "\n    exec(marshal.loads(open(pyc[0], 'rb').read()[16:]), ns)\n"
                "    return ns['sig' + 'moid'](z)",
}
# The worker of adv4_earlier_thread: it runs in a thread no graded call started.
EARLIER_THREAD = """import importlib, queue, threading
REQUESTS = queue.Queue()
def _serve():
    f = getattr(importlib.import_module("course_lib." + "activations"), "sig" + "moid")
    while True:
        z, box = REQUESTS.get()
        try:
            box.put(("ok", f(z)))
        except BaseException as exc:
            box.put(("error", exc))
threading.Thread(target=_serve, daemon=True).start()"""
PATCH_HARNESS = """import sys, types
import course_lib.grading._kernel as K
K.switch_off = lambda targets, mark: None
K._call_case = lambda fn, args, timeout: fn(*args)
fake = types.ModuleType("course_lib.grading._kernel")
fake.__dict__.update(K.__dict__)
sys.modules["course_lib.grading._kernel"] = fake"""

# A graded call kills the kernel mid-item; the replayed cells then forge that very item's outputs
# from inputs the function stashed (before this was fixed, the snapshot came after the replay).
CRASH_REPLAY_SOFTMAX = """def softmax(z):
    import os
    os.makedirs("stash", exist_ok=True)
    n = len(os.listdir("stash"))
    np.save(f"stash/{n}.npy", z)
    if n == 5:
        os._exit(0)
    return np.zeros_like(z)"""
CRASH_REPLAY_FORGE = """import glob, os
import numpy as np
import course_lib.activations as act
for path in sorted(glob.glob("stash/*.npy")):
    i = os.path.basename(path)[:-4]
    os.makedirs("out/softmax", exist_ok=True)
    np.savez(f"out/softmax/{i}.npz", r0=act.softmax(np.load(path)), is_tuple=np.array(False))"""

# Class 3: junk status, forged outputs, then the driver is killed.
KILL_DRIVER = """import json, os, signal
import numpy as np
os.makedirs("out/softmax", exist_ok=True)
for i in range(20):
    np.savez(f"out/softmax/{i}.npz", r0=np.ones((2, 3)), is_tuple=np.array(False))
json.dump({"cells": "junk", "items": {"softmax": [1, 2]}, "printed_bytes": "lots", "kernel_restarts": [1],
           "driver_error": {"a": 1}}, open("out/status.json", "w"))
os.kill(os.getppid(), signal.SIGKILL)"""

# Class 3: a chain of 3,000 helper functions for the static check; softmax itself is honest.
CHAIN = "\n".join([f"def h{i}(z):\n    if z is not None:\n        return h{i + 1}(z)\n    return z"
                   for i in range(3000)] + ["def h3000(z):\n    return z"])
CHAIN_SOFTMAX = SOFTMAX.replace('"""Row-wise softmax of a (n, k) array of logits."""',
                                '"""Row-wise softmax of a (n, k) array of logits."""\n    h0(None)')

# Class 2: every channel a graded function controls tries to carry the hidden inputs out.
EXFILTRATE = {
    "softmax": "def softmax(z):\n    raise ValueError(repr(np.asarray(z).tolist()))",
    "mse_and_grad": "def mse_and_grad(pred, target):\n    print(repr(pred.tolist()) * 100_000)\n"
                    "    return np.zeros(int(abs(pred[0]) * 1000) + 1), np.zeros(3)",
    "adam_step": "def adam_step(w, g, m, v, t, lr, beta1, beta2, eps):\n"
                 "    raise type('E_' + str(int(abs(w[0]) * 1e6)), (Exception,), {})()",
}

NOTEBOOKS: dict[str, tuple[dict[str, str], list[str], tuple[str, ...]]] = {
    **{name: ({"sigmoid": body, "softmax": SOFTMAX, "mse_and_grad": MSE}, [], ("softmax", "mse_and_grad"))
       for name, body in ATTACKS_4.items()},
    "adv4_crash_replay": ({"sigmoid": SIGMOID, "mse_and_grad": MSE, "softmax": CRASH_REPLAY_SOFTMAX},
                          [CRASH_REPLAY_FORGE], ("sigmoid", "mse_and_grad")),
    # The kernel cannot signal the driver (another uid, or another PID namespace), so the
    # run completes: the forged softmax outputs never count, the honest answers do. (Where
    # the kill does land, the driver's non-zero exit voids every output: tested in runner.)
    "adv3_kill_driver": ({"sigmoid": SIGMOID, "mse_and_grad": MSE}, [KILL_DRIVER],
                         ("sigmoid", "mse_and_grad")),
    "adv3_chain": ({"sigmoid": SIGMOID, "mse_and_grad": MSE, "softmax": CHAIN_SOFTMAX}, [CHAIN],
                   ("sigmoid", "mse_and_grad", "softmax")),
    "adv2_exfiltrate": ({"sigmoid": SIGMOID, **EXFILTRATE}, [], ("sigmoid",)),
}
NOTEBOOKS["adv4_patch_harness"][1].append(PATCH_HARNESS)
NOTEBOOKS["adv4_earlier_thread"][1].append(EARLIER_THREAD)


def _polyglot() -> dict[str, object]:
    """nbformat 3 cells for a v3 reader, delegating nbformat 4 cells for a plain JSON reader."""
    honest = solutions_notebook({**STUBS, "sigmoid": SIGMOID, "mse_and_grad": MSE})
    v3_cells = [{"cell_type": "code", "input": c.source, "language": "python", "metadata": {}, "outputs": []}
                for c in honest.cells if c.cell_type == "code"]
    delegating = solutions_notebook({**STUBS, "sigmoid": "from course_lib.activations import sigmoid",
                                     "mse_and_grad": MSE})
    nb = json.loads(nbformat.writes(delegating))
    nb.update({"nbformat": 3, "nbformat_minor": 0, "worksheets": [{"cells": v3_cells, "metadata": {}}]})
    return nb


def build(dest: Path) -> dict[str, tuple[str, ...]]:
    """Write every notebook into ``dest``; returns name -> the items it answers honestly."""
    honest = {}
    for name, (bodies, extra, items) in NOTEBOOKS.items():
        stubs = {**STUBS, "sigmoid": "def sigmoid(z):\n    raise NotImplementedError"}
        nb = solutions_notebook({**stubs, **bodies}, extra)
        nbformat.write(nb, dest / f"{name}.ipynb")
        honest[name] = items
    (dest / "adv4_polyglot.ipynb").write_text(json.dumps(_polyglot()), encoding="utf-8")
    honest["adv4_polyglot"] = ()  # not a v4 notebook: refused, whatever a reader makes of it
    return honest
