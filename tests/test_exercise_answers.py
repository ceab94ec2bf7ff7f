"""The answers of the chapter-1 and chapter-7 exercises come from course_lib, and their items teach.

The grader compares a learner's outputs with the solutions notebook's; these tests
check that the solutions' functions agree with course_lib (which matches PyTorch on
the fixtures) on the items' public cases and on hidden-like cases, that the
diagnostic items' answers match the cause each synthetic run was drawn from
(``grading.runs``), and that the shortcuts an item warns against fail it. No kernel
is started: each solution function is executed from its cell.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from course_lib import layers, optim
from course_lib.grading import runs
from course_lib.grading.cases import hidden_cases, public_cases
from course_lib.grading.spec import read_items, read_notebook
from course_lib.training import make_batches
from course_lib.training.range_test import _result
from course_lib.widgets import introduction as intro

ROOT = Path(__file__).resolve().parents[1]
SECRET = "tests-exercise-answers"  # any secret: cases drawn like the hidden ones, not the course's


def _items(stem: str) -> dict[str, tuple]:
    """item -> (spec, the solution's function), executed from its cell."""
    path = ROOT / "solutions" / f"{stem}.ipynb"
    nb = read_notebook(path)
    out = {}
    for spec in read_items(path):
        namespace: dict = {"np": np}
        exec(nb.cells[spec.cell_index].source, namespace)  # noqa: S102 - the course's own solution
        out[spec.item] = (spec, namespace[spec.function])
    return out


CH1, CH7 = _items("01_introduction"), _items("07_training_in_practice")


def _cases(items: dict, item: str) -> list:
    spec = items[item][0]
    return public_cases(spec) + hidden_cases(spec, SECRET) + hidden_cases(spec, SECRET + "-2")


def _call(items: dict, item: str, case):
    args = [a.item() if a.ndim == 0 else a.copy() for a in case.args.values()]
    return items[item][1](*args)


# ------------------------------------------------------------------ chapter 7


def _with_grads(*grads):
    params = []
    for g in grads:
        p = layers.Parameter(np.zeros_like(g))
        p.grad = np.array(g, dtype=np.float64)
        params.append(p)
    return params


def test_clip_grad_norm_matches_optim_clip_grad_norm_():
    for case in _cases(CH7, "clip_grad_norm"):
        a = case.args
        params = _with_grads(a["g1"], a["g2"], a["g3"])
        total = optim.clip_grad_norm_(params, float(a["max_norm"]), norm_type=float(a["norm_type"]))
        *got, got_total = _call(CH7, "clip_grad_norm", case)
        assert got_total == pytest.approx(total, rel=1e-12)
        for g, p in zip(got, params, strict=True):
            np.testing.assert_allclose(g, p.grad, rtol=1e-12, atol=1e-15)


def test_clipping_each_gradient_separately_fails_whenever_the_total_is_clipped():
    cases = _cases(CH7, "clip_grad_norm")
    clipped = 0
    for case in cases:
        a = case.args
        *expected, total = _call(CH7, "clip_grad_norm", case)
        if not total > 1.01 * float(a["max_norm"]):
            continue
        clipped += 1
        separately = []
        for g in (a["g1"], a["g2"], a["g3"]):
            params = _with_grads(g)
            optim.clip_grad_norm_(params, float(a["max_norm"]), norm_type=float(a["norm_type"]))
            separately.append(params[0].grad)
        assert not all(np.allclose(s, e, rtol=1e-6) for s, e in zip(separately, expected, strict=True))
    assert clipped >= len(cases) // 2  # most cases do clip


def _scheduled(optimizer, scheduler, steps):
    lrs, momenta = [], []
    for t in range(steps):
        group = optimizer.param_groups[0]
        lrs.append(group["lr"])
        momenta.append(group.get("momentum"))
        if t < steps - 1:
            scheduler.step()
    return np.array(lrs), np.array(momenta, dtype=np.float64)


def test_warmup_cosine_schedule_matches_sequential_lr():
    for case in _cases(CH7, "warmup_cosine_schedule"):
        a = {k: v.item() for k, v in case.args.items()}
        opt = optim.SGD([layers.Parameter(np.zeros(1))], lr=a["lr"])
        warmup = optim.LinearLR(opt, start_factor=a["start_factor"], total_iters=a["warmup_steps"])
        cosine = optim.CosineAnnealingLR(opt, T_max=a["total_steps"] - a["warmup_steps"],
                                         eta_min=a["eta_min"])
        sched = optim.SequentialLR(opt, [warmup, cosine], milestones=[a["warmup_steps"]])
        expected, _ = _scheduled(opt, sched, a["total_steps"])
        np.testing.assert_allclose(_call(CH7, "warmup_cosine_schedule", case), expected, rtol=1e-12)


def test_one_cycle_schedule_matches_one_cycle_lr_and_its_momentum():
    for case in _cases(CH7, "one_cycle_schedule"):
        a = {k: v.item() for k, v in case.args.items()}
        opt = optim.SGD([layers.Parameter(np.zeros(1))], lr=0.1, momentum=0.9)
        sched = optim.OneCycleLR(opt, max_lr=a["max_lr"], total_steps=a["total_steps"],
                                 pct_start=a["pct_start"], div_factor=a["div_factor"],
                                 final_div_factor=a["final_div_factor"],
                                 base_momentum=a["base_momentum"], max_momentum=a["max_momentum"])
        lrs, momenta = _scheduled(opt, sched, a["total_steps"])
        got_lrs, got_momenta = _call(CH7, "one_cycle_schedule", case)
        np.testing.assert_allclose(got_lrs, lrs, rtol=1e-12)
        np.testing.assert_allclose(got_momenta, momenta, rtol=1e-12)


def test_layer_norm_matches_layers_layer_norm():
    for case in _cases(CH7, "layer_norm"):
        a = case.args
        ln = layers.LayerNorm(a["x"].shape[1], eps=float(a["eps"]))
        ln.weight.data[...], ln.bias.data[...] = a["gamma"], a["beta"]
        y = ln.forward(a["x"])
        dx = ln.backward(a["grad_out"])
        got = _call(CH7, "layer_norm", case)
        for g, e in zip(got, (y, dx, ln.weight.grad, ln.bias.grad), strict=True):
            np.testing.assert_allclose(g, e, rtol=1e-9, atol=1e-12)


def _curve_cases(n: int = 60) -> list[dict]:
    spec = CH7["diagnose_runs"][0]
    return [runs.learning_curves(spec.cases["data"], np.random.default_rng(seed)) for seed in range(n)]


def test_diagnose_runs_reads_every_shape_as_drawn():
    for d in _curve_cases():
        codes = CH7["diagnose_runs"][1](d["train_loss"], d["val_loss"], 10)
        assert np.mean(codes == d["kind"]) >= 11 / 12


@pytest.mark.parametrize("rule", ["constant", "log_c_only", "final_loss_only"])
def test_simple_rules_do_not_pass_diagnose_runs(rule):
    passed = 0
    cases = _curve_cases(30)
    for d in cases:
        train, val = d["train_loss"], d["val_loss"]
        if rule == "constant":
            codes = np.zeros(len(train), dtype=int)
        elif rule == "log_c_only":  # spots the data bug, calls everything else healthy
            codes = np.where(val.min(axis=1) > math.log(10), 5, 0)
        else:  # thresholds on the final training loss alone
            codes = np.select([train[:, -1] < 0.005, train[:, -1] < 0.1, train[:, -1] < 0.7],
                              [3, 0, 2], default=4)
        passed += np.mean(codes == d["kind"]) >= 0.9
    assert passed == 0


def _range_tests(n: int = 60) -> list[dict]:
    spec = CH7["suggest_lr"][0]
    return [runs.range_test(spec.cases["data"], np.random.default_rng(seed)) for seed in range(n)]


@pytest.mark.parametrize("beta", [0.8, 0.9])
def test_suggest_lr_is_the_range_tests_rule(beta):
    for d in _range_tests():
        m, smoothed = 0.0, []
        for i, loss in enumerate(d["losses"]):
            m = beta * m + (1 - beta) * loss
            smoothed.append(m / (1 - beta ** (i + 1)))
        expected = _result(d["lrs"], d["losses"], np.array(smoothed), True).suggested_lr
        got = CH7["suggest_lr"][1](d["lrs"], d["losses"], beta)
        assert got == pytest.approx(expected, rel=1e-12)
        assert got < float(d["lr_cliff"]) / 3  # safely on the falling side of the cliff


def test_the_rates_the_chapter_warns_against_fail_suggest_lr():
    tests = _range_tests()
    far = {"at the minimum": 0, "a tenth of the raw minimum": 0}
    for d in tests:
        right = CH7["suggest_lr"][1](d["lrs"], d["losses"], 0.9)
        for name, rate in (("at the minimum", right * 10),
                           ("a tenth of the raw minimum", d["lrs"][np.argmin(d["losses"])] / 10)):
            far[name] += max(rate / right, right / rate) > 1.5
    assert far["at the minimum"] == len(tests)
    assert far["a tenth of the raw minimum"] >= 0.6 * len(tests)


def test_the_synthetic_runs_are_deterministic_and_shaped_as_documented():
    a = runs.learning_curves({"n_runs": 7, "n_epochs": 20}, np.random.default_rng(3))
    b = runs.learning_curves({"n_runs": 7, "n_epochs": 20}, np.random.default_rng(3))
    assert a["train_loss"].shape == a["val_loss"].shape == (7, 20) and a["kind"].shape == (7,)
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert set(a["kind"]) <= set(range(len(runs.CURVE_KINDS))) and np.all(a["train_loss"] > 0)
    r = runs.range_test({"num_steps": 80}, np.random.default_rng(0))
    assert r["lrs"].shape == r["losses"].shape and len(r["lrs"]) <= 80
    assert np.allclose(np.diff(np.log(r["lrs"])), np.log(r["lrs"][1] / r["lrs"][0]))  # geometric
    g = runs.gd_run({"n_steps": 4}, np.random.default_rng(0))
    w, lr, h = g["w_path"], float(g["lr"]), float(g["h"])
    assert w.shape == (5,)
    # consecutive iterates obey w_{k+1} - w* = (1 - lr h)(w_k - w*), whatever w* is
    np.testing.assert_allclose(np.diff(w)[1:], (1 - lr * h) * np.diff(w)[:-1], rtol=1e-9)


# ------------------------------------------------------------------ chapter 1


def test_line_loss_and_grad_match_the_chapters_functions():
    for case in _cases(CH1, "line_loss_and_grad"):
        a = case.args
        loss, grad = _call(CH1, "line_loss_and_grad", case)
        assert loss == pytest.approx(intro.line_loss(float(a["w"]), a["x"], a["y"]), rel=1e-12)
        expected = intro.line_loss_grad(float(a["w"]), a["x"], a["y"])
        assert grad == pytest.approx(expected, rel=1e-12, abs=1e-14)


def test_descend_line_matches_the_chapters_descent():
    for case in _cases(CH1, "descend_line"):
        a = case.args
        path = intro.descend_line(float(a["lr"]), a["x"], a["y"], w0=float(a["w0"]),
                                  n_steps=int(a["n_steps"]))
        w, loss = _call(CH1, "descend_line", case)
        np.testing.assert_allclose(w, path.w, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(loss, path.loss, rtol=1e-9, atol=1e-12)


REGIMES = {"converges": 0, "converges in one step": 1, "converges, oscillating": 2, "oscillates": 3,
           "diverges": 4}


def test_lr_regime_matches_the_chapters_regimes():
    for case in _cases(CH1, "lr_regime"):
        a = case.args
        path = intro.descend_line(float(a["lr"]), a["x"], np.zeros_like(a["x"]), n_steps=1)
        assert _call(CH1, "lr_regime", case) == REGIMES[path.regime]
    edge = {int(_call(CH1, "lr_regime", c)) for c in public_cases(CH1["lr_regime"][0])[:6]}
    assert edge == set(REGIMES.values())  # the edge cases show every regime


def test_minibatch_epoch_matches_make_batches_in_order():
    for case in _cases(CH1, "minibatch_epoch"):
        a = case.args
        w, path = float(a["w0"]), []
        for xb, yb in make_batches(a["x"], a["y"], int(a["batch_size"]), shuffle=False):
            w -= float(a["lr"]) * intro.line_loss_grad(w, xb, yb)
            path.append(w)
        np.testing.assert_allclose(_call(CH1, "minibatch_epoch", case), path, rtol=1e-12)


def test_max_stable_lr_is_two_over_the_curvature_the_run_was_drawn_with():
    spec = CH1["max_stable_lr"][0]
    for case in hidden_cases(spec, SECRET) + public_cases(spec)[2:]:
        assert _call(CH1, "max_stable_lr", case) == pytest.approx(2 / float(case.data["h"]), rel=1e-9)
    for seed in range(50):
        d = runs.gd_run(spec.cases["data"], np.random.default_rng(seed))
        got = CH1["max_stable_lr"][1](d["w_path"], float(d["lr"]))
        assert got == pytest.approx(2 / float(d["h"]), rel=1e-9)
