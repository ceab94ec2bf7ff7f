"""Run All, chapter by chapter, as a learner's JupyterLab kernel runs it: seconds per chapter.

Each chapter runs in a fresh ``python3`` kernel in its own folder with one BLAS
thread (``make lab`` gives its kernels the same), through nbclient, and is not
written back. Prints the wall time per chapter, the slowest cell of each (with
its first source line) and the ratio to the 20 s budget. It also prints the CPU
seconds the kernel itself used (user + system, read by a cell the benchmark appends
to its copy): on a busy machine the wall time grows with the load, the CPU time much
less, so the two together tell a slow chapter from a busy machine. Nothing asserts on time.

    .venv/bin/python bench/run_all.py              # every chapter in book/
    .venv/bin/python bench/run_all.py book/06_regularization.ipynb
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import datetime
from pathlib import Path

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"  # before the kernels start: they inherit it

import nbformat  # noqa: E402
from nbclient import NotebookClient  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
BUDGET = 20.0  # seconds per chapter on 2 cores (README "Performance")


def _seconds(cell) -> float:
    timing = cell.metadata.get("execution", {})
    start, end = timing.get("iopub.execute_input"), timing.get("shell.execute_reply")
    if not (start and end):
        return 0.0
    parse = lambda s: datetime.fromisoformat(s.replace("Z", "+00:00"))  # noqa: E731
    return (parse(end) - parse(start)).total_seconds()


CPU_CELL = "import resource as _r; _u = _r.getrusage(_r.RUSAGE_SELF); print(_u.ru_utime + _u.ru_stime)"


def run_all(path: Path) -> tuple[float, float, float, int, str]:
    """Execute one chapter; return (wall s, kernel CPU s, slowest cell s, its index, its first line)."""
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(CPU_CELL))
    start = time.perf_counter()
    NotebookClient(nb, timeout=600, kernel_name="python3", record_timing=True,
                   resources={"metadata": {"path": str(path.parent)}}).execute()  # fmt: skip
    total = time.perf_counter() - start
    cpu = float(nb.cells.pop().outputs[0]["text"])
    code = [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    index, slowest = max(code, key=lambda ic: _seconds(ic[1]))
    first = next((line for line in slowest.source.splitlines() if line and not line.startswith("#")), "")
    return total, cpu, _seconds(slowest), index, first[:60]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    args = parser.parse_args()
    paths = args.notebooks or sorted((ROOT / "book").glob("[0-9]*.ipynb"))
    print(f"{'chapter':32} {'Run All s':>9} {'/ budget':>8} {'kernel CPU s':>12}  slowest cell")
    for path in paths:
        total, cpu, cell_s, index, first = run_all(path)
        print(f"{path.name:32} {total:9.1f} {total / BUDGET:8.2f} {cpu:12.1f}  cell {index} ({cell_s:.1f} s):"
              f" {first}", flush=True)  # fmt: skip
    print(f"load average at the end: {os.getloadavg()[0]:.1f} (2 cores)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
