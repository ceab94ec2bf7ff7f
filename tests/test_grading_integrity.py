"""Issue 10, classes 2, 3 and 4, end to end: every adversarial notebook of
``tests/grading/adversarial_integrity.py`` scores exactly its honest part in one batch
(real kernels, bwrap), the batch keeps every other row, and no message, Gradescope JSON
or feedback page carries a hidden input or a hidden expected value."""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

HERE = Path(__file__).parent / "grading"
sys.path.insert(0, str(HERE))

from adversarial_integrity import EXFILTRATE, build  # noqa: E402
from build_fixtures import ITEMS  # noqa: E402

from course_lib.grading.cases import hidden_cases, public_cases  # noqa: E402
from course_lib.grading.grader import expected_cache_key  # noqa: E402
from course_lib.grading.sandbox import bwrap_available  # noqa: E402
from course_lib.grading.spec import read_items  # noqa: E402

SOLUTION = HERE / "solutions" / "01_demo.ipynb"
SECRET = "integrity-secret"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> dict:
    if not bwrap_available():
        pytest.skip("bubblewrap (bwrap) is not usable here; .ci/run installs it")
    d = tmp_path_factory.mktemp("integrity")
    subs = d / "subs"
    subs.mkdir()
    honest = build(subs)
    shutil.copyfile(SOLUTION, subs / "good_student.ipynb")
    shutil.copyfile(HERE / "wrong" / "wrong_softmax_mse.ipynb", subs / "wrong_softmax_mse.ipynb")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1]),
           "COURSE_GRADING_SANDBOX": "bwrap"}
    args = ["grade", *sorted(map(str, subs.glob("*"))), "--solutions", str(SOLUTION),
            "--out", str(d / "g.csv"),
            "--json", str(d / "json"), "--feedback", str(d / "fb"), "--jobs", "2", "--timeout", "120",
            "--call-timeout", "5", "--secret", SECRET, "--cache", str(d / "cache")]
    res = subprocess.run([sys.executable, "-m", "course_lib.grading", *args], cwd=d, env=env,
                         capture_output=True, text=True, timeout=900)
    with open(d / "g.csv", newline="", encoding="utf-8") as fh:
        rows = {(Path(r["submission"]).stem, r["item"]): r for r in csv.DictReader(fh)}
    texts = [(d / "g.csv").read_text(encoding="utf-8")]
    texts += [p.read_text(encoding="utf-8") for p in sorted((d / "json").glob("*.json"))]
    texts += [p.read_text(encoding="utf-8") for p in sorted((d / "fb").glob("*.html"))]
    return {"res": res, "rows": rows, "honest": honest, "dir": d, "texts": texts}


def _score(rows: dict, name: str) -> float:
    return sum(float(rows[(name, i)]["score"]) for i in ITEMS)


def test_the_batch_finishes_with_every_row(run: dict) -> None:
    res = run["res"]
    # adv4_polyglot is refused (an error row): exit code 1, every other submission graded
    assert res.returncode == 1 and "adv4_polyglot" in res.stderr, res.stderr[-3000:]
    names = set(run["honest"]) | {"good_student", "wrong_softmax_mse"}
    assert {stem for stem, _ in run["rows"]} == names
    assert all((n, i) in run["rows"] for n in names for i in ITEMS)
    assert _score(run["rows"], "good_student") == sum(float(m["points"]) for m in ITEMS.values())


@pytest.mark.parametrize("name", ["adv4_private_helper", "adv4_thread", "adv4_remove_hook", "adv4_copy_code",
                                  "adv4_patch_harness", "adv4_earlier_thread", "adv4_low_thread",
                                  "adv4_getsource", "adv4_read_file", "adv4_pyc", "adv4_crash_replay",
                                  "adv4_polyglot",
                                  "adv3_kill_driver", "adv3_chain", "adv2_exfiltrate"])
def test_adversarial_scores_exactly_its_honest_part(run: dict, name: str) -> None:
    honest = run["honest"][name]
    for item in ITEMS:
        row = run["rows"][(name, item)]
        want = float(ITEMS[item]["points"]) if item in honest else 0.0
        assert float(row["score"]) == want, (item, row)


def test_class4_attacks_are_named_in_the_message(run: dict) -> None:
    # The kernel's course_lib has no sigmoid code to run: each route reaches the stub, whose error
    # the function passed on (adv4_thread's thread dies with it, so its call fails otherwise).
    for name in ("adv4_private_helper", "adv4_remove_hook", "adv4_copy_code", "adv4_patch_harness",
                 "adv4_earlier_thread", "adv4_low_thread", "adv4_getsource", "adv4_read_file", "adv4_pyc"):
        assert run["rows"][(name, "sigmoid")]["status"] == "delegated", name
    assert "_sigmoid" in run["rows"][("adv4_private_helper", "sigmoid")]["message"]
    assert "sigmoid" in run["rows"][("adv4_remove_hook", "sigmoid")]["message"]
    assert "nbformat 4" in run["rows"][("adv4_polyglot", "sigmoid")]["message"]
    # the kill is refused (the driver is out of the kernel's reach), and the message says so
    assert "Operation not permitted" in run["rows"][("adv3_kill_driver", "softmax")]["message"]


def _numbers(text: str) -> list[tuple[float, float]]:
    """Each printed number with at least 5 significant digits, and half its last digit's place."""
    found = []
    for token in re.findall(r"-?\d+\.\d+(?:e[-+]?\d+)?", text):
        mantissa, _, exp = token.lstrip("-").partition("e")
        digits = mantissa.replace(".", "").lstrip("0")
        if len(digits) >= 5:
            decimals = len(mantissa.partition(".")[2]) - int(exp or 0)
            found.append((float(token), 0.5 * 10.0 ** -decimals * (1 + 1e-9)))
    return found


def test_no_hidden_input_or_expected_value_leaves_the_grader(run: dict) -> None:
    specs = {s.item: s for s in read_items(SOLUTION)}
    cache = run["dir"] / "cache" / expected_cache_key(SOLUTION, SECRET)
    hidden: list[float] = []
    leaked_ints: set[str] = set()
    for item, spec in specs.items():
        n_public = len(public_cases(spec))
        cases = hidden_cases(spec, SECRET)
        for k, case in enumerate(cases):
            with np.load(cache / item / f"{n_public + k}.npz") as z:  # the solution's hidden answers
                hidden += [float(x) for key in z.files if key.startswith("r") for x in np.ravel(z[key])]
            hidden += [float(x) for a in case.args.values() for x in np.ravel(a)]
            if item == "mse_and_grad":
                leaked_ints.add(str(int(abs(case.args["pred"][0]) * 1000) + 1))
            if item == "adam_step":
                leaked_ints.add("E_" + str(int(abs(case.args["w"][0]) * 1e6)))
    hidden = [x for x in hidden if np.isfinite(x) and abs(x - round(x)) > 1e-3]
    assert len(hidden) > 50 and EXFILTRATE
    for text in run["texts"]:
        for number, half_ulp in _numbers(text):  # could this number be a printout of a hidden one?
            assert not any(abs(number - h) <= half_ulp for h in hidden), number
        for token in leaked_ints:
            assert not re.search(rf"(?<![\d.]){re.escape(token)}(?![\d.])", text), token


def test_feedback_pages_show_public_cases_only(run: dict) -> None:
    pages = {p.stem: p.read_text(encoding="utf-8") for p in (run["dir"] / "fb").glob("*.html")}
    page = pages["wrong_softmax_mse"]
    assert "edge case 1" in page and "expected" in page and "returned" in page and "failed" in page
    assert "hidden case 1" in page and "values differ" in page
    assert "Likely mistake" in page or "likely mistake" in page
    assert "Traceback" in pages["adv2_exfiltrate"]  # the learner's own traceback, on a public case
    data = json.loads((run["dir"] / "json" / "wrong_softmax_mse.json").read_text(encoding="utf-8"))
    assert [t["name"] for t in data["tests"]] == list(ITEMS)
