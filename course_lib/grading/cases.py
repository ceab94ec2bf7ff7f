"""Test cases from declarations: the data in a ``"cases"`` dict becomes arrays.

A declaration says *how* to draw inputs (shapes, distributions, explicit edge
cases), never the hidden values themselves. Values come from a seed derived from
the item's name and either

* the **public** key, the same for everyone: the cases ``check()`` runs in the
  learner's notebook (edge cases plus ``"public"`` random cases), whose answers sit
  in the exercise's metadata, or
* the **secret** (``--secret`` / ``COURSE_GRADING_SECRET``): the hidden cases the
  grader scores (``"random"`` random cases). The secret never enters the sandbox;
  only the arrays it produced do.

Public cases never count toward the score: their answers are in the learner's hands.

Each random case draws every dimension named in ``"dims"`` (an int, or an
inclusive ``[low, high]`` range) and then every argument, in declaration order.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from . import runs
from .spec import ItemSpec, SpecError

__all__ = [
    "Case",
    "DEFAULT_SECRET",
    "hidden_cases",
    "public_cases",
    "n_hidden",
    "validate_cases",
    "encode_array",
    "decode_array",
]

# Used when neither --secret nor COURSE_GRADING_SECRET is given: fine on a learner's own
# machine, where the solutions are at hand anyway. A course sets its own secret.
DEFAULT_SECRET = "course-lib-local-grading"
_DISTS = ("normal", "uniform", "integers", "choice", "u_curve")
_DTYPES = {"float64": np.float64, "float32": np.float32, "int64": np.int64, "bool": np.bool_}


@dataclass
class Case:
    """One test case: the call's arguments and the held-back arrays checkers may use."""

    args: dict[str, NDArray[Any]]
    data: dict[str, NDArray[Any]] = field(default_factory=dict)
    label: str = ""


def _seed(*parts: str) -> int:
    digest = hashlib.sha256("\x00".join(parts).encode()).digest()
    return int.from_bytes(digest[:8], "little")


def _num(value: Any, dims: dict[str, int]) -> Any:
    """A number, or the value of a dimension named by a string."""
    return dims[value] if isinstance(value, str) else value


def _shape(spec: dict[str, Any], dims: dict[str, int]) -> tuple[int, ...]:
    return tuple(int(_num(d, dims)) for d in spec.get("shape", []))


def _u_curve(rng: np.random.Generator, length: int, noise: float) -> NDArray[np.float64]:
    # A validation-loss curve: falls, bottoms out at a random epoch, then rises.
    t = np.arange(length, dtype=np.float64)
    best = rng.integers(length // 4, 3 * length // 4 + 1)
    curve = 1.0 + 0.02 * (t - best) ** 2 / max(length, 1)
    return curve + noise * rng.normal(size=length)


def _draw(spec: dict[str, Any], rng: np.random.Generator, dims: dict[str, int],
          data: dict[str, NDArray[Any]]) -> NDArray[Any]:
    if "value" in spec:
        arr = np.asarray(spec["value"])
    elif "data" in spec:
        arr = data[spec["data"]]
    else:
        dist, shape = spec["dist"], _shape(spec, dims)
        if dist == "normal":
            arr = rng.normal(_num(spec.get("loc", 0.0), dims), _num(spec.get("scale", 1.0), dims), shape)
        elif dist == "uniform":
            arr = rng.uniform(_num(spec.get("low", 0.0), dims), _num(spec.get("high", 1.0), dims), shape)
        elif dist == "integers":
            arr = rng.integers(_num(spec.get("low", 0), dims), _num(spec["high"], dims), shape)
        elif dist == "choice":
            values = spec["values"]
            arr = np.asarray(values[int(rng.integers(len(values)))])
        else:  # u_curve
            arr = _u_curve(rng, int(_num(spec["length"], dims)), float(spec.get("noise", 0.01)))
    dtype = spec.get("dtype")
    return np.asarray(arr, dtype=_DTYPES[dtype]) if dtype else np.asarray(arr)


def _blobs(p: dict[str, Any], rng: np.random.Generator) -> dict[str, NDArray[Any]]:
    k, d = int(p.get("n_classes", 3)), int(p.get("n_features", 2))
    centers = rng.normal(size=(k, d))
    gaps = np.linalg.norm(centers[:, None] - centers[None], axis=-1) + np.eye(k) * 1e300
    # Rescale so the two closest centres are exactly `separation` apart: always learnable.
    centers *= float(p.get("separation", 6.0)) / max(float(gaps.min()), 1e-12)
    out: dict[str, NDArray[Any]] = {}
    for split in ("train", "test"):
        n = int(p.get(f"n_{split}", 100))
        y = rng.integers(0, k, n)
        out[f"X_{split}"] = centers[y] + float(p.get("spread", 1.0)) * rng.normal(size=(n, d))
        out[f"y_{split}"] = y
    return out


def _linear(p: dict[str, Any], rng: np.random.Generator) -> dict[str, NDArray[Any]]:
    d = int(p.get("n_features", 5))
    w = rng.normal(size=d)
    out: dict[str, NDArray[Any]] = {"w_true": w}
    for split in ("train", "val"):
        n = int(p.get(f"n_{split}", 50))
        X = rng.normal(size=(n, d))
        out[f"X_{split}"] = X
        out[f"y_{split}"] = X @ w + float(p.get("noise", 0.5)) * rng.normal(size=n)
    return out


def _rotation(rng: np.random.Generator, diagonal: bool = False) -> NDArray[np.float64]:
    """A random rotation; ``diagonal``: within 15 degrees of a diagonal, never near an axis."""
    if diagonal:  # rescaling each feature then cannot undo the shape
        angle = np.pi / 4 + rng.integers(0, 4) * np.pi / 2 + rng.uniform(-1.0, 1.0) * np.pi / 12
    else:
        angle = rng.uniform(0.0, 2.0 * np.pi)
    return np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])


def _placement(rng: np.random.Generator, p: dict[str, Any]) -> tuple[NDArray[np.float64], ...]:
    """A random rotation, per-feature stretch and offset: the data is neither round nor centred."""
    scale = np.exp(rng.uniform(-1.0, 1.0, 2) * float(p.get("log_scale", 1.0)))
    rot = _rotation(rng, bool(p.get("diagonal", False)))
    return rot, scale, rng.normal(0.0, float(p.get("offset", 10.0)), 2)


def _elongated(p: dict[str, Any], rng: np.random.Generator) -> dict[str, NDArray[Any]]:
    # Two classes with one shared, long and thin covariance (stds `long` and `short`), centres
    # `along` apart along the long axis and `across` apart across it. The best boundary is
    # nearly parallel to the long axis; the bisector of the two centres (nearest centroid) is
    # tilted from it and misclassifies the tails.
    long_, short = float(p.get("long", 4.0)), float(p.get("short", 0.5))
    gap = np.array([float(p.get("along", 4.0)), float(p.get("across", 3.0))])
    (rot, scale, offset), out = _placement(rng, p), {}
    for split in ("train", "test"):
        n = int(p.get(f"n_{split}", 200))
        y = rng.integers(0, 2, n)
        z = rng.normal(size=(n, 2)) * np.array([long_, short]) + (y[:, None] - 0.5) * gap
        out[f"X_{split}"] = (z @ rot.T) * scale + offset
        out[f"y_{split}"] = y
    return out


def _xor(p: dict[str, Any], rng: np.random.Generator) -> dict[str, NDArray[Any]]:
    # Four blobs at (+-s, +-s); the label is 1 where exactly one coordinate is positive. Each
    # class's centroid is the origin, so neither a centroid rule nor any linear boundary works.
    s, spread = float(p.get("separation", 2.5)), float(p.get("spread", 1.0))
    (rot, scale, offset), out = _placement(rng, p), {}
    for split in ("train", "test"):
        n = int(p.get(f"n_{split}", 200))
        corner = rng.integers(0, 2, (n, 2))
        z = s * (2.0 * corner - 1.0) + spread * rng.normal(size=(n, 2))
        out[f"X_{split}"] = (z @ rot.T) * scale + offset
        out[f"y_{split}"] = (corner[:, 0] ^ corner[:, 1]).astype(np.int64)
    return out


# Data sets an item can draw from (``"data": {"kind": ...}``); an explicit registry.
# ``runs`` has the synthetic runs of the diagnostic items, whose held-back arrays hold the cause.
DATASETS = {"blobs": _blobs, "linear": _linear, "elongated": _elongated, "xor": _xor,
            "learning_curves": runs.learning_curves, "range_test": runs.range_test, "gd_run": runs.gd_run}


def _random_case(cases: dict[str, Any], rng: np.random.Generator, label: str) -> Case:
    # Everything is drawn in sorted-name order: a declaration means the same cases whatever
    # order its JSON keys were written in.
    dims = {}
    for name, rng_or_int in sorted(cases.get("dims", {}).items()):
        low, high = (rng_or_int, rng_or_int) if isinstance(rng_or_int, int) else rng_or_int
        dims[name] = int(rng.integers(low, high + 1))
    data = {}
    if "data" in cases:
        data = DATASETS[cases["data"]["kind"]](cases["data"], rng)
    args = {name: _draw(spec, rng, dims, data) for name, spec in sorted(cases["args"].items())}
    return Case(args=args, data=data, label=label)


def _edge_case(cases: dict[str, Any], values: dict[str, Any], label: str) -> Case:
    args = {}
    for name, spec in cases["args"].items():
        dtype = spec.get("dtype") or ("int64" if spec.get("dist") == "integers" else "float64")
        args[name] = np.asarray(values[name], dtype=_DTYPES[dtype])
    return Case(args=args, label=label)


def _cases(spec: ItemSpec, key: str, n_random: int, edges: bool, label: str) -> list[Case]:
    c = spec.cases
    out = [_edge_case(c, v, f"edge case {i + 1}") for i, v in enumerate(c.get("edge", []))] if edges else []
    for i in range(n_random):
        rng = np.random.default_rng(_seed(key, spec.item, str(i)))
        out.append(_random_case(c, rng, f"{label} {i + 1}"))
    order = spec.args or tuple(c["args"])
    for case in out:  # arguments in call order
        case.args = {name: case.args[name] for name in order}
    return out


def hidden_cases(spec: ItemSpec, secret: str) -> list[Case]:
    """The scored cases: ``random`` cases drawn from the secret (edge cases are public)."""
    return _cases(spec, "hidden\x00" + secret, int(spec.cases.get("random", 5)), False, "hidden case")


def public_cases(spec: ItemSpec) -> list[Case]:
    """The cases ``check()`` runs: every edge case, then ``public`` cases from the public seed."""
    return _cases(spec, "public", int(spec.cases.get("public", 2)), True, "random case")


def n_hidden(spec: ItemSpec) -> int:
    """How many hidden cases an item has (its score is ``points * passed / n_hidden``)."""
    return int(spec.cases.get("random", 5))


def _validate_arg(item: str, name: str, a: Any, dims: dict[str, Any], data_kind: str | None) -> None:
    where = f"graded item {item!r}, argument {name!r}"
    if not isinstance(a, dict):
        raise SpecError(f"{where}: expected a dict such as {{'dist': 'normal', 'shape': ['n']}}; got {a!r}")
    if a.get("dtype") is not None and a["dtype"] not in _DTYPES:
        raise SpecError(f"{where}: dtype must be one of {sorted(_DTYPES)}; got {a['dtype']!r}")
    if "value" in a:
        return
    if "data" in a:
        if data_kind is None:
            raise SpecError(f"{where}: uses data {a['data']!r} but the item declares no 'data' set")
        return
    if a.get("dist") not in _DISTS:
        raise SpecError(f"{where}: 'dist' must be one of {list(_DISTS)}; got {a.get('dist')!r}")
    for d in a.get("shape", []):
        if isinstance(d, str) and d not in dims:
            raise SpecError(f"{where}: shape uses dimension {d!r}, not declared in 'dims' {sorted(dims)}")


def validate_cases(spec: ItemSpec) -> None:
    """Raise :class:`SpecError` if the item's ``cases`` cannot be generated."""
    c, item = spec.cases, spec.item
    known = {"args", "dims", "edge", "random", "public", "data"}
    if set(c) - known:
        raise SpecError(f"graded item {item!r}: unknown keys in 'cases': {sorted(set(c) - known)}")
    data_kind = c.get("data", {}).get("kind") if "data" in c else None
    if data_kind is not None and data_kind not in DATASETS:
        raise SpecError(f"graded item {item!r}: data kind must be one of {sorted(DATASETS)}; "
                        f"got {data_kind!r}")
    for name, a in c["args"].items():
        _validate_arg(item, name, a, c.get("dims", {}), data_kind)
    for i, edge in enumerate(c.get("edge", [])):
        if not isinstance(edge, dict) or set(edge) != set(c["args"]):
            raise SpecError(f"graded item {item!r}: edge case {i + 1} must give exactly the arguments "
                            f"{list(c['args'])}; got {edge!r}")
    for key in ("random", "public"):
        if not isinstance(c.get(key, 0), int) or c.get(key, 0) < 0:
            raise SpecError(f"graded item {item!r}: {key!r} must be a non-negative int; got {c[key]!r}")
    if n_hidden(spec) < 1:
        raise SpecError(f"graded item {item!r}: declares no hidden cases ('random' must be at least 1; "
                        "edge cases are public and not scored)")
    try:  # one draw surfaces bad parameters (e.g. low > high) at authoring time
        public_cases(spec)
    except (KeyError, ValueError, TypeError) as exc:
        raise SpecError(f"graded item {item!r}: cannot generate its cases: {exc!r}") from exc


def encode_array(a: NDArray[Any]) -> dict[str, Any]:
    """A JSON-safe dict holding an array exactly (floats by ``repr``; nan/inf as strings)."""
    a = np.asarray(a)
    flat = a.ravel().tolist()
    if a.dtype.kind == "f":
        flat = [x if math.isfinite(x) else repr(x) for x in flat]
    return {"dtype": a.dtype.name, "shape": list(a.shape), "data": flat}


def decode_array(d: dict[str, Any]) -> NDArray[Any]:
    """Inverse of :func:`encode_array`."""
    flat = [float(x) if isinstance(x, str) else x for x in d["data"]]
    return np.asarray(flat, dtype=np.dtype(d["dtype"])).reshape(d["shape"])
