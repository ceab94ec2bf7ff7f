"""Execute notebooks in place, so they can be committed with outputs.

The chapter notebooks are committed executed: the site shows those outputs, and
CI re-runs every notebook under nbval and compares the printed numbers. After
editing a chapter, run

    .venv/bin/python tools/execute_notebooks.py book/02_regression.ipynb

(no argument: every chapter in book/). Each notebook runs in a fresh kernel in
its own folder, with the current Python environment.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import nbformat
from jupyter_client.kernelspec import KernelSpecManager
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]

# One BLAS thread, as in `make nbval`: on a shared 2-core machine OpenBLAS threads
# spin-wait against each other (a chapter took 60 s instead of 20), and the
# kernel inherits this environment.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")


KERNEL = "python3"


def kernelspec_metadata(name: str = KERNEL) -> dict[str, str]:
    """The notebook's ``kernelspec`` metadata exactly as JupyterLab writes it for kernel ``name``.

    JupyterLab replaces a notebook's kernelspec with the installed kernel's (for
    ipykernel: "Python 3 (ipykernel)") as soon as it opens it; committing the same
    keeps a chapter that a learner only reads unmodified (tests/test_lab.py).
    """
    spec = KernelSpecManager().get_kernel_spec(name)
    return {"display_name": spec.display_name, "language": spec.language, "name": name}


def execute(path: Path, timeout: int) -> float:
    nb = nbformat.read(path, as_version=4)
    nb.metadata["kernelspec"] = kernelspec_metadata()
    start = time.perf_counter()
    NotebookClient(
        nb,
        timeout=timeout,
        kernel_name=KERNEL,
        resources={"metadata": {"path": str(path.parent)}},
        # No widget state: the site shows each explorer's kernel-free twin (the
        # output's text/html), never a frozen ipywidgets snapshot.
        store_widget_state=True,  # nbclient needs it for Output widgets; dropped below
        record_timing=False,  # keep diffs free of timestamps
    ).execute()
    nb.metadata.pop("widgets", None)
    nbformat.write(nb, path)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--timeout", type=int, default=300, help="seconds per cell")
    args = parser.parse_args()
    paths = args.notebooks or sorted((ROOT / "book").glob("[0-9]*.ipynb"))
    for path in paths:
        seconds = execute(path, args.timeout)
        print(f"executed {path} in {seconds:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
