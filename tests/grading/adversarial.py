"""Adversarial submissions for the grader tests, built at test time.

Every notebook answers ``sigmoid`` and ``mse_and_grad`` honestly (HONEST_POINTS in
all) and attacks the grader with the rest. Some attacks need absolute paths known
only when the test runs (the grader's cwd, its output files, the solutions and the
expected-output cache), so the notebooks are written by :func:`build`.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
from build_fixtures import ITEMS, MSE, SIGMOID, solutions_notebook

HONEST = ("sigmoid", "mse_and_grad")
HONEST_POINTS = sum(ITEMS[i]["points"] for i in HONEST)

STUBS = {
    "softmax": "def softmax(z):\n    raise NotImplementedError",
    "adam_step": "def adam_step(w, g, m, v, t, lr, beta1, beta2, eps):\n    raise NotImplementedError",
    "train_and_predict": "def train_and_predict(X_train, y_train, X_test):\n    raise NotImplementedError",
}

NUMPY_PATCH = [
    """import numpy as np
np.allclose = lambda *a, **k: True
np.isclose = lambda a, b, *x, **k: np.ones(np.broadcast(np.asarray(a), np.asarray(b)).shape, bool)
np.array_equal = lambda *a, **k: True
np.testing.assert_allclose = lambda *a, **k: None
np.testing.assert_array_equal = lambda *a, **k: None""",
]
NUMPY_PATCH_BODIES = {
    "softmax": "def softmax(z):\n    return np.zeros_like(z)",
    "adam_step": "def adam_step(w, g, m, v, t, lr, beta1, beta2, eps):\n    return w, m, v",
}

CHECK_REDEFINED = [
    "del check",
    'def check(*args, **kwargs):\n    print("All public cases passed. Full marks!")\n    return True',
    """import course_lib.grading as G
import course_lib.grading.check as C
G.check = check
C.check = check
import course_lib.grading.compare as K
K.score_case = lambda *a, **k: (1.0, "")
K.CHECKERS["allclose"] = lambda *a, **k: (1.0, "")""",
]
CHECK_REDEFINED_BODIES = {"softmax": "def softmax(z):\n    return z"}

EXITS = [
    "import sys\nsys.exit(0)",
    "import os\nos._exit(1)",
    "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)",
    "exit()",
    MSE,  # defined after the kernel was killed three times: graded only if replay works
]
EXITS_BODIES = {
    "mse_and_grad": "def mse_and_grad(pred, target):\n    raise NotImplementedError",
    "softmax": "def softmax(z):\n    import os\n    os._exit(3)",  # kills the kernel while graded
    "adam_step": ("def adam_step(w, g, m, v, t, lr, beta1, beta2, eps):\n    import os, signal\n"
                  "    os.kill(os.getpid(), signal.SIGKILL)"),
}

LOOPS = ["while True:\n    pass"]
LOOPS_BODIES = {
    "softmax": "def softmax(z):\n    while True:\n        pass",
    "adam_step": ("def adam_step(w, g, m, v, t, lr, beta1, beta2, eps):\n    import time\n    while True:\n"
                  "        try:\n            time.sleep(0.1)\n"
                  "        except BaseException:\n            pass"),
}

MEMORY = ["import numpy as np\nhog = np.ones(2**30)  # 8 GB"]
MEMORY_BODIES = {"softmax": "def softmax(z):\n    hog = np.ones((2**30,))\n"
                            "    return hog[: z.size].reshape(z.shape)"}

SUBCLASS_BODIES = {
    "softmax": """class Liar(np.ndarray):
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    def __array_finalize__(self, obj):
        pass


def softmax(z):
    return np.zeros_like(z).view(Liar)""",
}

PRINT = ['print("x" * 50_000_000)', "import sys\nfor _ in range(5):\n    sys.stdout.write('y' * 2_000_000)"]
PRINT_BODIES = {"softmax": "def softmax(z):\n    print('z' * 5_000_000)\n    raise ValueError('nope')"}


def _escape_cells(paths: dict[str, str]) -> list[str]:
    targets = json.dumps([paths["cwd"] + "/pwned.txt", paths["out_csv"], paths["victim"],
                          paths["solutions_dir"] + "/pwned.txt", paths["solution"],
                          paths["cache_dir"] + "/pwned.txt"])
    links = json.dumps(paths["expected_softmax"])
    return [
        f"""import glob, os
written = []
for target in {targets} + [p + "/pwned.txt" for p in glob.glob("/proc/*/cwd")]:
    try:
        with open(target, "a") as fh:
            fh.write("PWNED")
        written.append(target)
    except OSError as exc:
        pass
print("written:", written)""",
        f"LINK_TARGETS = {links}",
        f"""import os
# Point our outputs at the grader's cached expected outputs, hoping it follows the links.
for i, target in enumerate({links}):
    os.makedirs("out/softmax", exist_ok=True)
    try:
        os.symlink(target, f"out/softmax/{{i}}.npz")
    except OSError:
        pass
os.makedirs("out", exist_ok=True)""",
    ]


ESCAPE_BODIES = {
    "softmax": "def softmax(z):\n    return np.zeros_like(z)",
    # The last item graded replaces softmax's (wrong) outputs by links to the expected ones.
    "train_and_predict": """def train_and_predict(X_train, y_train, X_test):
    import os
    for i, target in enumerate(LINK_TARGETS):
        for path in (f"out/softmax/{i}.npz", f"out/softmax/{i}.err"):
            try:
                os.remove(path)
            except OSError:
                pass
        os.symlink(target, f"out/softmax/{i}.npz")
    return np.zeros(len(X_test), dtype=int)""",
}


def _daemon_cells(paths: dict[str, str]) -> list[str]:
    victims = [paths["out_csv"], paths["victim"]]
    loop = ("import sys, time\n"
            "open(sys.argv[2], 'w').write('alive')\n"
            "while True:\n"
            f"    for p in {victims!r}:\n"
            "        try:\n"
            f"            open(p, 'w').write('PWNED {paths['marker']}')\n"
            "        except OSError:\n"
            "            pass\n"
            "    time.sleep(0.2)\n")
    marker = paths["marker"]
    return [
        f"""import subprocess, sys
subprocess.Popen([sys.executable, "-c", {loop!r}, {marker!r}, "daemon1.txt"], start_new_session=True,
                 stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)""",
        f"""import os, sys
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execv(sys.executable, [sys.executable, "-c", {loop!r}, {marker!r}, "daemon2.txt"])
    os._exit(0)""",
        """import os, time
for _ in range(50):
    if os.path.exists("daemon1.txt") and os.path.exists("daemon2.txt"):
        break
    time.sleep(0.1)
else:
    raise RuntimeError("daemons not running")""",
    ]


READ_HIDDEN = [
    """import glob, os
found = {}
for pattern in ["in/*", "*", "**/*", "/tmp/**/*"]:
    for path in glob.glob(pattern, recursive=True):
        if os.path.isfile(path):
            try:
                found[path] = open(path, "rb").read(10_000)
            except OSError:
                pass
print(sorted(found))
import numpy as np
hidden = dict(np.load("in/softmax.npz"))
print(hidden)""",
]
READ_HIDDEN_BODIES = {"softmax": "def softmax(z):\n    return np.load('in/softmax.npz')['0/z']"}

FORGE_WRITER = """import glob, os, sys, time
import numpy as np
import course_lib.activations as act
for _ in range(int(sys.argv[1])):
    for path in glob.glob("in/softmax*.npz"):  # whenever the inputs show up
        try:
            inputs = np.load(path)
            os.makedirs("out/softmax", exist_ok=True)
            for key in inputs.files:
                i = key.split("/")[0]
                np.savez(f"out/softmax/{i}.npz", r0=act.softmax(inputs[key]), is_tuple=np.array(False))
        except Exception:
            pass
    time.sleep(0.05)
"""
FORGE = [
    f"FORGE_WRITER = {FORGE_WRITER!r}\nimport sys\nsys.argv = ['forge', '1']\nexec(FORGE_WRITER)",
    "import subprocess, sys\nsubprocess.Popen([sys.executable, '-c', FORGE_WRITER, '100000'], "
    "start_new_session=True)",
]
# Wrong, but a daemon keeps overwriting its outputs with right ones: killed before the graded calls.
FORGE_BODIES = {"softmax": "def softmax(z):\n    return np.zeros_like(z)"}

# A graded call kills the kernel; the replayed cells then forge an earlier item's outputs.
REPLAY_FORGE = [FORGE[0]]
REPLAY_FORGE_BODIES = {
    "softmax": "def softmax(z):\n    return np.zeros_like(z)",
    "adam_step": "def adam_step(w, g, m, v, t, lr, beta1, beta2, eps):\n    import os\n    os._exit(0)",
}

SYNTAX = ["def broken(:\n    pass", "raise RuntimeError('a cell that fails')", "undefined_name + 1"]
SYNTAX_BODIES = {"softmax": "def softmax(z)\n    return z"}


def _read_extra(paths: dict[str, str]) -> list[str]:
    extra = [f"for p in {json.dumps([paths['solution'], paths['cache_dir']])}:\n    try:\n"
             "        print(open(p).read()[:100])\n    except OSError as exc:\n        print(exc)"]
    return READ_HIDDEN + extra


def build(dest: Path, paths: dict[str, object]) -> dict[str, Path]:
    """Write every adversarial notebook into ``dest``; returns name -> path."""
    p = {k: v for k, v in paths.items()}
    specs = {
        "adv_numpy_patch": (NUMPY_PATCH_BODIES, NUMPY_PATCH),
        "adv_check_redefined": (CHECK_REDEFINED_BODIES, CHECK_REDEFINED),
        "adv_exits": (EXITS_BODIES, EXITS),
        "adv_loops": (LOOPS_BODIES, LOOPS),
        "adv_memory": (MEMORY_BODIES, MEMORY),
        "adv_subclass": (SUBCLASS_BODIES, []),
        "adv_escape": (ESCAPE_BODIES, _escape_cells(p)),
        "adv_daemon": ({}, _daemon_cells(p)),
        "adv_print": (PRINT_BODIES, PRINT),
        "adv_read_hidden": (READ_HIDDEN_BODIES, _read_extra(p)),
        "adv_syntax": (SYNTAX_BODIES, SYNTAX),
        "adv_forge_outputs": (FORGE_BODIES, FORGE),
        "adv_replay_forge": (REPLAY_FORGE_BODIES, REPLAY_FORGE),
    }
    out = {}
    for name, (bodies, extra) in specs.items():
        nb = solutions_notebook({**STUBS, "sigmoid": SIGMOID, "mse_and_grad": MSE, **bodies}, extra)
        out[name] = dest / f"{name}.ipynb"
        nbformat.write(nb, out[name])
    return out
