"""The README's quick start runs as written, in a plain Python process, and trains the model."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def quick_start_code() -> str:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("### Quick start in a Python shell", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match, "the quick start section has no ```python block"
    return match.group(1)


def test_quick_start_is_ten_lines():
    lines = [line for line in quick_start_code().splitlines() if line.strip()]
    assert len(lines) <= 11  # the imports and ten lines; its prose promises ten


def test_readme_quick_start_runs_and_learns(tmp_path):
    env = dict(os.environ, MPLBACKEND="Agg", OPENBLAS_NUM_THREADS="1")  # plt.show() returns at once
    result = subprocess.run([sys.executable, "-c", quick_start_code()], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=300)  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    found = re.search(r"History\(20 epochs: .*val_accuracy=([0-9.]+)", result.stdout)
    assert found, result.stdout
    assert float(found.group(1)) > 0.9  # a 64-32-10 MLP learns the digits in 20 epochs
