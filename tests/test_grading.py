"""Fast tests of course_lib.grading: declarations, cases, comparison, mistakes, delegation,
stripping solutions, check() and the report formats. No kernel is started here; the
end-to-end runs are in test_grading_e2e.py."""

from __future__ import annotations

import copy
import json
import os
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

HERE = Path(__file__).parent / "grading"
sys.path.insert(0, str(HERE))

from build_fixtures import ADAM, CLASSIFIER, ITEMS, MSE, SIGMOID, SOFTMAX, solutions_notebook  # noqa: E402

from course_lib.grading import check  # noqa: E402
from course_lib.grading.cases import (  # noqa: E402
    Case,
    decode_array,
    encode_array,
    hidden_cases,
    n_hidden,
    public_cases,
)
from course_lib.grading.compare import Output, OutputError, load_output, score_case  # noqa: E402
from course_lib.grading.delegation import find_delegation  # noqa: E402
from course_lib.grading.generate import (  # noqa: E402
    _public_payload,
    fill_regions,
    make_exercise,
    solution_regions,
    strip_solutions,
)
from course_lib.grading.grader import ItemResult, SubmissionResult  # noqa: E402
from course_lib.grading.mistakes import detect  # noqa: E402
from course_lib.grading.report import gradescope_results, write_csv, write_gradescope  # noqa: E402
from course_lib.grading.runner import CaseResult  # noqa: E402
from course_lib.grading.scoring import score_item  # noqa: E402
from course_lib.grading.spec import SpecError, notebook_items  # noqa: E402


@pytest.fixture(scope="module")
def specs() -> dict:
    return {s.item: s for s in notebook_items(solutions_notebook())}


def _solution_functions() -> dict:
    ns: dict = {"np": np}
    for src in (SIGMOID, SOFTMAX, MSE, ADAM, CLASSIFIER):
        exec(src, ns)  # noqa: S102 - the fixture's own solution code
    return ns


# ---------------------------------------------------------------- declarations


def _nb_with(meta: dict, source: str = "def f(x):\n    return x"):
    nb = solutions_notebook()
    nb.cells = [nb.cells[0], copy.deepcopy(nb.cells[3])]
    nb.cells[1].source = source
    nb.cells[1].metadata = {"grading": meta}
    return nb


def _meta(**kw) -> dict:
    base = {"item": "f", "points": 1, "cases": {"args": {"x": {"dist": "normal", "shape": [3]}}, "random": 2}}
    base.update(kw)
    return base


def test_committed_fixtures_match_their_builder() -> None:
    import nbformat
    from build_fixtures import WRONG

    built = {"solutions/01_demo.ipynb": solutions_notebook()}
    built.update({f"wrong/{name}.ipynb": solutions_notebook(bodies) for name, bodies in WRONG.items()})
    for rel, nb in built.items():
        on_disk = json.loads((HERE / rel).read_text(encoding="utf-8"))
        assert on_disk == json.loads(nbformat.writes(nb)), f"stale {rel}: run tests/grading/build_fixtures.py"


def test_fixture_declarations_parse(specs: dict) -> None:
    assert list(specs) == list(ITEMS)
    assert specs["train_and_predict"].args == ("X_train", "y_train", "X_test")
    assert specs["adam_step"].args == ("w", "g", "m", "v", "t", "lr", "beta1", "beta2", "eps")


@pytest.mark.parametrize("bad, match", [
    (_meta(points=0), "points"),
    (_meta(item="not an id"), "item"),
    (_meta(colour="red"), "unknown keys"),
    (_meta(cases={"args": {"x": {"dist": "gamma"}}}), "dist"),
    (_meta(cases={"args": {"x": {"dist": "normal", "shape": ["n"]}}}), "dims"),
    (_meta(cases={"args": {"x": {"dist": "normal"}}, "edge": [{"y": 1}]}), "edge case 1"),
    (_meta(cases={"args": {"x": {"dist": "normal"}}, "random": 0}), "no hidden cases"),
    (_meta(cases={"args": {"y": {"dist": "normal"}}}), "first parameters"),
    (_meta(forbid=["sigmoid"]), "dotted"),
    (_meta(cases={"args": {"x": {"data": "X_train"}}}), "no 'data' set"),
    (_meta(cases={"args": {"x": {"dist": "uniform", "low": 2.0, "high": "k"}}}), "cannot generate|dims"),
])
def test_bad_declarations_raise(bad: dict, match: str) -> None:
    with pytest.raises(SpecError, match=match):
        notebook_items(_nb_with(bad))


def test_signature_required_when_def_elsewhere() -> None:
    with pytest.raises(SpecError, match="signature"):
        notebook_items(_nb_with(_meta(), source="g = 1"))
    items = notebook_items(_nb_with(_meta(signature=["x"]), source="f = lambda x: x"))
    assert items[0].args == ("x",)


def test_duplicate_items_raise() -> None:
    nb = _nb_with(_meta())
    nb.cells.append(copy.deepcopy(nb.cells[1]))
    with pytest.raises(SpecError, match="twice"):
        notebook_items(nb)


# ---------------------------------------------------------------- cases


def test_cases_deterministic_and_secret_dependent(specs: dict) -> None:
    s = specs["softmax"]
    a, b = hidden_cases(s, "one"), hidden_cases(s, "one")
    c = hidden_cases(s, "two")
    assert len(a) == n_hidden(s) == s.cases["random"]  # edge cases are public: never scored
    assert all(case.label.startswith("hidden case") for case in a)
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x.args["z"], y.args["z"])
    assert any(x.args["z"].shape != y.args["z"].shape or not np.array_equal(x.args["z"], y.args["z"])
               for x, y in zip(a, c, strict=True))
    pub = public_cases(s)
    assert len(pub) == len(s.cases["edge"]) + s.cases["public"]
    assert not any(p.args["z"].shape == h.args["z"].shape and np.array_equal(p.args["z"], h.args["z"])
                   for p in pub for h in a)


def test_cases_respect_dims_dtypes_and_ranges(specs: dict) -> None:
    for case in hidden_cases(specs["adam_step"], "s"):
        d = case.args["w"].shape[0]
        assert all(case.args[k].shape == (d,) for k in ("w", "g", "m", "v")) and 1 <= d <= 6
        assert isinstance(case.args["t"].item(), int) and 1 <= case.args["t"] < 20
        assert case.args["lr"] in (0.001, 0.01, 0.1) and case.args["beta1"] == 0.9
        assert np.all((case.args["v"] >= 0) & (case.args["v"] <= 0.1))
    edge = public_cases(specs["sigmoid"])[0]
    np.testing.assert_array_equal(edge.args["z"], [-1000.0, 0.0, 1000.0])


def test_blobs_are_separated_and_held_back(specs: dict) -> None:
    s = specs["train_and_predict"]
    for case in hidden_cases(s, "s"):
        assert set(case.args) == {"X_train", "y_train", "X_test"} and "y_test" in case.data
        assert case.args["X_test"].shape == (60, 2) and case.data["y_test"].shape == (60,)


@given(st.lists(st.floats(allow_nan=True, allow_infinity=True, width=64), min_size=0, max_size=12))
def test_encode_decode_roundtrip(values: list[float]) -> None:
    a = np.asarray(values, dtype=np.float64)
    b = decode_array(json.loads(json.dumps(encode_array(a))))
    assert b.dtype == a.dtype and b.shape == a.shape
    np.testing.assert_array_equal(a, b)


def test_encode_keeps_ints_and_0d() -> None:
    for a in (np.array(3), np.arange(6).reshape(2, 3), np.array([True, False]), np.float32([1.5])):
        b = decode_array(encode_array(a))
        assert b.dtype == a.dtype and b.shape == a.shape and np.array_equal(a, b)


# ---------------------------------------------------------------- comparison


def _out(*arrays, is_tuple=False) -> Output:
    return Output([np.asarray(a) for a in arrays], is_tuple)


def test_allclose_structure_shape_values() -> None:
    case = Case(args={})
    exp = _out([1.0, 2.0], 3.0, is_tuple=True)
    assert score_case({}, _out([1.0, 2.0], 3.0, is_tuple=True), exp, case) == (1.0, "")
    assert "tuple of 2" in score_case({}, _out([1.0, 2.0]), exp, case)[1]
    assert "shape" in score_case({}, _out([[1.0, 2.0]], 3.0, is_tuple=True), exp, case)[1]
    frac, msg = score_case({}, _out([1.0, 2.1], 3.0, is_tuple=True), exp, case)
    assert frac == 0.0 and "index (1,)" in msg
    assert score_case({}, _out([np.nan]), _out([1.0]), case)[0] == 0.0
    assert score_case({}, _out([np.nan]), _out([np.nan]), case)[0] == 1.0
    assert score_case({"dtype": True}, _out(np.float32([1.0])), _out([1.0]), case)[0] == 0.0
    assert score_case({"rtol": 0.1}, _out([1.05]), _out([1.0]), case)[0] == 1.0


def test_behavioural_checkers() -> None:
    labels = np.array([0, 1, 2, 1])
    case = Case(args={}, data={"y": labels, "X": np.eye(3), "t": np.array([1.0, 2.0, 3.0])})
    acc = {"checker": "accuracy_at_least", "labels": "y", "threshold": 0.75}
    assert score_case(acc, _out([0, 1, 2, 0]), _out(labels), case)[0] == 1.0
    assert score_case(acc, _out([0, 0, 0, 0]), _out(labels), case)[0] == 0.0
    fac = {"checker": "within_factor_of_solution", "factor": 2.0}
    assert score_case(fac, _out(0.15), _out(0.1), case)[0] == 1.0
    assert score_case(fac, _out(0.5), _out(0.1), case)[0] == 0.0
    assert score_case(fac, _out(-1.0), _out(0.1), case)[0] == 0.0
    mse = {"checker": "val_mse_not_worse_than_solution_by", "X": "X", "y": "t", "tolerance": 0.05}
    assert score_case(mse, _out([1.0, 2.0, 3.0]), _out([1.0, 2.0, 3.0]), case)[0] == 1.0
    assert score_case(mse, _out([0.0, 0.0, 0.0]), _out([1.0, 2.0, 2.9]), case)[0] == 0.0
    with pytest.raises(ValueError, match="unknown checker"):
        score_case({"checker": "eval"}, _out(1.0), _out(1.0), case)


def test_ndarray_subclass_cannot_fool_the_comparison() -> None:
    class Liar(np.ndarray):
        def __eq__(self, other):  # noqa: D105
            return True

    got = Output.from_value(np.zeros(3).view(Liar))
    assert type(got.arrays[0]) is np.ndarray
    assert score_case({}, got, _out([1.0, 2.0, 3.0]), Case(args={}))[0] == 0.0


def test_load_output_refuses_symlinks_pickles_and_text(tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / "item").mkdir(parents=True)
    np.savez(tmp_path / "secret.npz", r0=np.ones(2), is_tuple=np.array(False))
    os.symlink(tmp_path / "secret.npz", out / "item" / "0.npz")
    with pytest.raises(OutputError, match="cannot open"):
        load_output(out / "item" / "0.npz", out)
    os.symlink(tmp_path, out / "linkdir")
    np.savez(tmp_path / "1.npz", r0=np.ones(2), is_tuple=np.array(False))
    with pytest.raises(OutputError, match="not a plain directory"):
        load_output(out / "linkdir" / "1.npz", out)
    np.savez(out / "item" / "2.npz", r0=np.array([{"a": 1}], dtype=object), is_tuple=np.array(False))
    with pytest.raises(OutputError):
        load_output(out / "item" / "2.npz", out)
    np.savez(out / "item" / "3.npz", r0=np.array(["text"]), is_tuple=np.array(False))
    with pytest.raises(OutputError, match="numeric"):
        load_output(out / "item" / "3.npz", out)
    np.savez(out / "item" / "4.npz", r0=np.arange(3), r1=np.float64(2.5), is_tuple=np.array(True))
    good = load_output(out / "item" / "4.npz", out)
    assert good.is_tuple and good.arrays[1].shape == () and good.arrays[0].tolist() == [0, 1, 2]


# ---------------------------------------------------------------- classic mistakes


def _softmax(z, axis=-1):
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def test_softmax_mistakes(rng: np.random.Generator) -> None:
    z = rng.normal(size=(4, 3))
    exp = _out(_softmax(z))
    assert len(detect(["softmax_wrong_axis"], {"z": z}, exp, _out(_softmax(z, axis=0)))) == 1
    assert detect(["softmax_wrong_axis"], {"z": z}, exp, exp) == []
    big = np.array([[1000.0, 0.0], [1.0, 2.0]])
    with np.errstate(all="ignore"):
        naive = np.exp(big) / np.exp(big).sum(axis=-1, keepdims=True)
    assert "maximum" in detect(["softmax_no_max_shift"], {"z": big}, _out(_softmax(big)), _out(naive))[0]
    assert detect(["softmax_no_max_shift"], {"z": big}, _out(_softmax(big)), _out(_softmax(big))) == []


def test_sum_instead_of_mean(rng: np.random.Generator) -> None:
    pred, target = rng.normal(size=5), rng.normal(size=5)
    d = pred - target
    exp = _out(np.mean(d**2), 2 * d / 5, is_tuple=True)
    summed = _out(np.sum(d**2), 2 * d, is_tuple=True)
    args = {"pred": pred, "target": target}
    assert "MEAN" in detect([{"name": "sum_instead_of_mean", "x": "pred"}], args, exp, summed)[0]
    assert detect([{"name": "sum_instead_of_mean", "x": "pred"}], args, exp, exp) == []


def test_unscaled_dropout(rng: np.random.Generator) -> None:
    x, u, p = rng.normal(size=(3, 4)), rng.uniform(size=(3, 4)), 0.25
    mask = u >= p
    correct = x * mask / (1 - p)
    args = {"x": x, "u": u, "p": np.array(p)}
    assert "1/(1-p)" in detect(["unscaled_dropout"], args, _out(correct), _out(x * mask))[0]
    assert detect(["unscaled_dropout"], args, _out(correct), _out(correct)) == []


def test_batch_stats_in_eval(rng: np.random.Generator) -> None:
    x = rng.normal(2.0, 3.0, size=(8, 3))
    gamma, beta, rm = rng.normal(size=3), rng.normal(size=3), rng.normal(size=3)
    rv, eps = rng.uniform(1, 2, 3), 1e-5
    args = {"x": x, "gamma": gamma, "beta": beta, "running_mean": rm, "running_var": rv, "eps": np.array(eps)}
    correct = gamma * (x - rm) / np.sqrt(rv + eps) + beta
    batch = gamma * (x - x.mean(0)) / np.sqrt(x.var(0) + eps) + beta
    assert "RUNNING" in detect(["batch_stats_in_eval"], args, _out(correct), _out(batch))[0]
    assert detect(["batch_stats_in_eval"], args, _out(correct), _out(correct)) == []


def test_adam_no_bias_correction(rng: np.random.Generator) -> None:
    fns = _solution_functions()
    args = {"w": rng.normal(size=4), "g": rng.normal(size=4), "m": rng.normal(size=4) * 0.1,
            "v": rng.uniform(0, 0.1, 4), "t": np.array(3), "lr": np.array(0.01), "beta1": np.array(0.9),
            "beta2": np.array(0.999), "eps": np.array(1e-8)}
    call = [a.item() if a.ndim == 0 else a for a in args.values()]
    exp = Output.from_value(fns["adam_step"](*call))
    b1, b2 = 0.9, 0.999
    m = b1 * args["m"] + (1 - b1) * args["g"]
    v = b2 * args["v"] + (1 - b2) * args["g"] ** 2
    wrong = _out(args["w"] - 0.01 * m / (np.sqrt(v) + 1e-8), m, v, is_tuple=True)
    assert "bias correction" in detect(["adam_no_bias_correction"], args, exp, wrong)[0]
    assert detect(["adam_no_bias_correction"], args, exp, exp) == []


def test_unknown_mistake_raises() -> None:
    with pytest.raises(ValueError, match="unknown mistake"):
        detect(["typo"], {"z": np.ones(2)}, _out([1.0]), _out([2.0]))


# ---------------------------------------------------------------- delegation


@pytest.mark.parametrize("source", [
    "import course_lib\nsigmoid = course_lib.activations.sigmoid",
    "from course_lib.activations import sigmoid",
    "from course_lib.activations import sigmoid as s\ndef sigmoid(z):\n    return s(z)",
    "import course_lib.activations as act\ndef sigmoid(z):\n    return act.sigmoid(z)",
    "from course_lib import activations as A\ndef helper(z):\n    return A.sigmoid(z)\n"
    "def sigmoid(z):\n    return helper(z)",
    "import course_lib as cl\ndef sigmoid(z):\n    f = cl.activations.sigmoid\n    return f(z)",
    "from course_lib.activations import *\nimpl = sigmoid\ndef sigmoid(z):\n    return impl(z)",
    "def sigmoid(z):\n    from course_lib.layers import Sigmoid\n    return Sigmoid().forward(z)",
    "%matplotlib inline\nfrom course_lib import activations\nsigmoid = activations.sigmoid",
])
def test_delegation_detected(source: str) -> None:
    forbid = ("course_lib.activations.sigmoid", "course_lib.layers.Sigmoid")
    assert find_delegation([source], "sigmoid", forbid) in forbid


@pytest.mark.parametrize("sources", [
    [SIGMOID],
    ["import course_lib.activations as act",
     "def sigmoid(z):\n    return 1 / (1 + np.exp(-z)) + 0 * act.relu(z)"],
    ["from course_lib.activations import sigmoid", "def sigmoid(z):\n    return 1 / (1 + np.exp(-z))"],
    ["def sigmoid(z:\n    broken", SIGMOID],
])
def test_own_code_is_not_delegation(sources: list[str]) -> None:
    assert find_delegation(sources, "sigmoid", ("course_lib.activations.sigmoid",)) is None


# ---------------------------------------------------------------- generate


def test_strip_and_fill_round_trip() -> None:
    for src in (SIGMOID, SOFTMAX, MSE, ADAM, CLASSIFIER):
        stub = strip_solutions(src, "hint")
        assert "raise NotImplementedError('hint')" in stub and "### BEGIN SOLUTION" in stub
        assert strip_solutions(stub, "hint") == stub  # idempotent
        assert fill_regions(stub, solution_regions(src)) == src
    nested = "def f():\n    if True:\n        ### BEGIN SOLUTION\n        return 1\n        ### END SOLUTION"
    assert "        raise NotImplementedError" in strip_solutions(nested)
    with pytest.raises(ValueError, match="no matching"):
        strip_solutions("### BEGIN SOLUTION\nx = 1")


def test_make_exercise_keeps_prose_and_declarations(specs: dict) -> None:
    sol = solutions_notebook()
    ex = make_exercise(sol, "01_demo", {"sigmoid": [{"label": "x"}]})
    assert [c.cell_type for c in ex.cells] == [c.cell_type for c in sol.cells]
    assert sol.cells[3].source == SIGMOID  # input untouched
    for a, b in zip(sol.cells, ex.cells, strict=True):
        if a.cell_type == "markdown":
            assert a.source == b.source
        elif "grading" in a.metadata:
            meta = dict(b.metadata["grading"])
            meta.pop("public", None)
            assert meta == a.metadata["grading"]
            assert fill_regions(b.source, solution_regions(a.source)) == a.source
    assert ex.metadata["course_grading"]["source"] == "01_demo"
    assert ex.cells[3].metadata["grading"]["public"] == [{"label": "x"}]


# ---------------------------------------------------------------- check()


@pytest.fixture
def exercise_dir(tmp_path: Path, specs: dict, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An exercise notebook whose public outputs come from the fixture's solutions, computed here."""
    fns = _solution_functions()
    public = {}
    for name, spec in specs.items():
        results = []
        for case in public_cases(spec):
            args = [a.item() if a.ndim == 0 else a for a in case.args.values()]
            results.append(CaseResult(Output.from_value(fns[spec.function](*args))))
        public[name] = _public_payload(spec, results)
    import nbformat

    nbformat.write(make_exercise(solutions_notebook(), "01_demo", public), tmp_path / "01_demo.ipynb")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    return tmp_path


def test_check_passes_the_solution(exercise_dir: Path, capsys: pytest.CaptureFixture) -> None:
    fns = _solution_functions()
    for name in ITEMS:
        result = check(name, function=fns[name])
        assert result and result.passed == result.total > 0
    out = capsys.readouterr().out
    assert "Hidden cases are graded separately" in out and "does not guarantee full marks" in out


def test_check_reports_failure_with_values_and_mistake(exercise_dir: Path,
                                                       capsys: pytest.CaptureFixture) -> None:
    def softmax(z):
        e = np.exp(z - z.max(axis=0, keepdims=True))
        return e / e.sum(axis=0, keepdims=True)

    result = check("softmax", function=softmax)
    out = capsys.readouterr().out
    assert not result and result.passed < result.total
    assert "failed" in out and "input:" in out and "expected:" in out and "got:" in out
    assert "axis 0" in out and "Hidden cases are graded separately" in out


def test_check_handles_raising_and_missing(exercise_dir: Path, capsys: pytest.CaptureFixture) -> None:
    def sigmoid(z):
        raise NotImplementedError("write me")

    assert check("sigmoid", function=sigmoid).passed == 0
    assert "NotImplementedError" in capsys.readouterr().out
    assert check("no_such_item").total == 0
    assert "no graded item of that name" in capsys.readouterr().out


def test_check_finds_function_in_user_namespace(exercise_dir: Path, capsys: pytest.CaptureFixture) -> None:
    main = sys.modules["__main__"]
    main.mse_and_grad = _solution_functions()["mse_and_grad"]
    try:
        assert check("mse_and_grad")
    finally:
        del main.mse_and_grad


# ---------------------------------------------------------------- scoring and reports


def test_score_is_points_times_fraction(specs: dict) -> None:
    s = specs["softmax"]
    cases = hidden_cases(s, "x")
    good = [Output.from_value(_softmax(c.args["z"])) for c in cases]
    boom = CaseResult(None, "ValueError: boom", "exception", "ValueError")
    outputs = [CaseResult(g) if i % 2 == 0 else boom for i, g in enumerate(good)]
    row = score_item(s, cases, good, outputs, 0, None, "sub")
    passed = sum(1 for i in range(len(cases)) if i % 2 == 0)
    assert row.passed == passed and row.score == round(s.points * passed / len(cases), 4)
    assert row.status == "partial" and "raised ValueError" in row.message
    assert "boom" not in row.message  # the learner's own text never comes back from a hidden case
    row = score_item(s, cases, good, outputs, 0, "course_lib.activations.softmax", "sub")
    assert row.score == 0.0 and row.status == "delegated"


def test_public_cases_are_reported_but_not_scored(specs: dict) -> None:
    s = specs["softmax"]
    pub, hid = public_cases(s), hidden_cases(s, "x")
    cases = pub + hid
    good = [Output.from_value(_softmax(c.args["z"])) for c in cases]
    wrong = [CaseResult(Output.from_value(np.zeros_like(c.args["z"]))) for c in pub]
    row = score_item(s, cases, good, wrong + [CaseResult(g) for g in good[len(pub):]], len(pub), None, "sub")
    assert row.score == s.points and row.total == len(hid) and row.status == "ok"
    assert [p.passed for p in row.public] == [False] * len(pub)
    assert "expected" in row.public[0].message and row.public[0].got


def test_csv_and_gradescope(tmp_path: Path) -> None:
    rows = [ItemResult("a.ipynb", "sigmoid", 2.0, 2.0, 5, 5, "ok", "5/5"),
            ItemResult("a.ipynb", "softmax", 0.6667, 2.0, 2, 6, "partial", "2/6, with, commas")]
    res = [SubmissionResult(Path("a.ipynb"), rows, ["note"]), SubmissionResult(Path("b.ipynb"), rows[:1])]
    write_csv(res, tmp_path / "g.csv")
    import csv

    lines = list(csv.reader((tmp_path / "g.csv").read_text().splitlines()))
    assert lines[0] == ["submission", "item", "score", "max_score", "passed", "total", "status", "message",
                        "sha256"]
    assert lines[2][2] == "0.6667" and lines[2][7] == "2/6, with, commas" and len(lines) == 4
    gs = gradescope_results(res[0])
    assert gs["score"] == pytest.approx(2.6667) and gs["output"] == "note"
    assert gs["tests"][1] == {"name": "softmax", "score": 0.6667, "max_score": 2.0,
                              "output": "2/6, with, commas", "status": "failed"}
    single = write_gradescope(res[:1], tmp_path / "results.json")
    assert single == [tmp_path / "results.json"] and json.loads(single[0].read_text())["tests"]
    several = write_gradescope(res, tmp_path / "many")
    assert [p.name for p in several] == ["a.json", "b.json"]
