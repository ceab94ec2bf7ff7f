"""Comparing a learner's outputs with the solution's, in the grader's own process.

Outputs arrive as ``.npz`` files written inside the sandbox. :func:`load_output`
reads one without following symlinks, refuses pickles and keeps only plain
numeric arrays. A checker then scores the case as a fraction in ``[0, 1]``, with
a detailed message (values included) for public cases and a value-free one for
hidden cases (:func:`score_hidden`).

Checkers form an explicit registry, :data:`CHECKERS`; an item picks one with
``"compare": {"checker": NAME, ...options}`` (the default is ``"allclose"``):

``allclose``
    Every output has the solution's structure and shape, and
    ``|got - expected| <= atol + rtol * |expected|`` (``rtol=1e-6``, ``atol=1e-9``;
    nan matches nan). ``"dtype": true`` also requires the same dtype.
``accuracy_at_least``
    The output is predicted labels; the case's held-back ``labels`` array (from the
    item's data set) must agree on at least ``threshold`` of them.
``within_factor_of_solution``
    A positive scalar within ``factor`` of the solution's (e.g. a chosen λ).
``val_mse_not_worse_than_solution_by``
    The output is a weight vector ``w``; its mean squared error on the held-back
    ``X``/``y`` must be at most ``(1 + tolerance)`` times the solution's.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .cases import Case

__all__ = ["Output", "OutputError", "load_output", "score_case", "score_hidden", "CHECKERS", "abbreviate"]

_MAX_BYTES = 64 * 2**20


class OutputError(ValueError):
    """An output file is missing, unsafe, or not plain numeric data."""


@dataclass
class Output:
    """What a graded function returned: one array, or a tuple of arrays."""

    arrays: list[NDArray[Any]]
    is_tuple: bool

    @classmethod
    def from_value(cls, value: Any) -> Output:
        """Convert a returned value the way the kernel side does (used by ``check``)."""
        parts = list(value) if isinstance(value, tuple) else [value]
        arrays = [np.array(p, subok=False) for p in parts]
        for a in arrays:
            if a.dtype.kind not in "biuf":
                raise OutputError(f"returned {a.dtype} data; expected numbers or numeric arrays")
        return cls(arrays, isinstance(value, tuple))


def _open_inside(path: Path, root: Path) -> int:
    """Open ``path`` read-only, refusing symlinks anywhere below ``root`` and non-regular files."""
    rel = path.relative_to(root)
    current = root
    for part in rel.parts[:-1]:
        current = current / part
        if not stat.S_ISDIR(os.lstat(current).st_mode):
            raise OutputError(f"{current} is not a plain directory")
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode) or info.st_size > _MAX_BYTES:
        os.close(fd)
        raise OutputError(f"{path.name} is not a regular file of at most {_MAX_BYTES} bytes")
    return fd


def load_output(path: Path, root: Path) -> Output:
    """Load one case's ``.npz`` safely (no symlinks, no pickles, numeric dtypes only)."""
    try:
        fd = _open_inside(path, root)
    except OSError as exc:
        raise OutputError(f"cannot open {path.name}: {exc.strerror}") from exc
    with os.fdopen(fd, "rb") as fh:
        try:
            with np.load(fh, allow_pickle=False) as z:
                keys = sorted((k for k in z.files if k.startswith("r")), key=lambda k: int(k[1:]))
                arrays = [np.asarray(z[k]) for k in keys]
                is_tuple = bool(z["is_tuple"]) if "is_tuple" in z.files else False
        except (ValueError, OSError, KeyError, EOFError) as exc:
            raise OutputError(f"unreadable output: {exc}") from exc
    if not arrays or any(a.dtype.kind not in "biuf" for a in arrays):
        raise OutputError("output is not plain numeric arrays")
    return Output(arrays, is_tuple)


def abbreviate(a: Any, limit: int = 300) -> str:
    """A short printable form of an array for messages."""
    text = np.array2string(np.asarray(a), threshold=20, edgeitems=3, precision=6)
    return text if len(text) <= limit else text[:limit] + " ..."


def _structure(got: Output, expected: Output) -> str:
    if got.is_tuple != expected.is_tuple or len(got.arrays) != len(expected.arrays):
        want = f"a tuple of {len(expected.arrays)}" if expected.is_tuple else "a single array or number"
        have = f"a tuple of {len(got.arrays)}" if got.is_tuple else "a single array or number"
        return f"expected {want}, got {have}"
    return ""


# Each checker returns (fraction, detail, reason): ``detail`` may show values and is for
# public cases only; ``reason`` names what went wrong without any value, input or expected
# output (only the solution's shapes), and is all a hidden case ever shows.
Verdict = tuple[float, str, str]


def _allclose(got: Output, expected: Output, case: Case, opts: dict[str, Any]) -> Verdict:
    problem = _structure(got, expected)
    if problem:
        return 0.0, problem, problem
    rtol, atol = float(opts.get("rtol", 1e-6)), float(opts.get("atol", 1e-9))
    for k, (g, e) in enumerate(zip(got.arrays, expected.arrays, strict=True)):
        where = f"output {k + 1}: " if expected.is_tuple else ""
        if g.shape != e.shape:
            return (0.0, f"{where}expected shape {e.shape}, got shape {g.shape}",
                    f"{where}wrong shape (expected {e.shape})")
        if opts.get("dtype") and g.dtype != e.dtype:
            return 0.0, f"{where}expected dtype {e.dtype}, got {g.dtype}", f"{where}wrong dtype"
        with np.errstate(all="ignore"):
            g64, e64 = g.astype(np.float64), e.astype(np.float64)
            close = np.isclose(g64, e64, rtol=rtol, atol=atol, equal_nan=True)
        if not bool(np.all(close)):
            bad = np.argwhere(~close)[0] if e.ndim else ()
            idx = tuple(int(i) for i in bad)
            return 0.0, (f"{where}values differ at index {idx}: expected {float(e64[idx])!r}, "
                         f"got {float(g64[idx])!r} "
                         f"(rtol={rtol:g}, atol={atol:g})"), f"{where}values differ"
    return 1.0, "", ""


def _accuracy_at_least(got: Output, expected: Output, case: Case, opts: dict[str, Any]) -> Verdict:
    labels = case.data[opts["labels"]]
    pred = got.arrays[0]
    if got.is_tuple or pred.shape != labels.shape:
        return (0.0, f"expected predicted labels of shape {labels.shape}, got shape {pred.shape}",
                f"wrong shape (expected predicted labels of shape {labels.shape})")
    acc = float(np.mean(pred == labels))
    threshold = float(opts["threshold"])
    if acc >= threshold:
        return 1.0, "", ""
    return (0.0, f"accuracy {acc:.3f} is below the required {threshold:.3f}",
            f"accuracy below the required {threshold:.3f}")


def _scalar(out: Output) -> float | None:
    a = out.arrays[0]
    return float(a.reshape(())) if a.size == 1 and not out.is_tuple else None


def _within_factor(got: Output, expected: Output, case: Case, opts: dict[str, Any]) -> Verdict:
    g, e = _scalar(got), _scalar(expected)
    factor = float(opts.get("factor", 2.0))
    if g is None or e is None:
        return 0.0, "expected a single number", "expected a single number"
    if not (np.isfinite(g) and g > 0):
        return 0.0, f"expected a positive finite number, got {g!r}", "expected a positive finite number"
    ratio = max(g / e, e / g)
    if ratio <= factor:
        return 1.0, "", ""
    return (0.0, f"{g:.4g} is a factor {ratio:.3g} away from a good value (allowed: {factor:g})",
            f"more than a factor {factor:g} away from a good value")


def _val_mse(got: Output, expected: Output, case: Case, opts: dict[str, Any]) -> Verdict:
    X, y = case.data[opts["X"]], case.data[opts["y"]]
    w, w_sol = got.arrays[0], expected.arrays[0]
    if got.is_tuple or w.shape != w_sol.shape:
        return (0.0, f"expected weights of shape {w_sol.shape}, got shape {w.shape}",
                f"wrong shape (expected weights of shape {w_sol.shape})")
    with np.errstate(all="ignore"):
        mse, mse_sol = float(np.mean((X @ w - y) ** 2)), float(np.mean((X @ w_sol - y) ** 2))
    limit = mse_sol * (1.0 + float(opts.get("tolerance", 0.05)))
    if np.isfinite(mse) and mse <= limit:
        return 1.0, "", ""
    return (0.0, f"validation MSE {mse:.4g} is above the allowed {limit:.4g}",
            "validation MSE above the allowed level")


Checker = Callable[[Output, Output, Case, dict[str, Any]], Verdict]

# The only checkers an item can name: an explicit registry, never a getattr lookup.
CHECKERS: dict[str, Checker] = {
    "allclose": _allclose,
    "accuracy_at_least": _accuracy_at_least,
    "within_factor_of_solution": _within_factor,
    "val_mse_not_worse_than_solution_by": _val_mse,
}


def _verdict(compare: dict[str, Any], got: Output, expected: Output, case: Case) -> Verdict:
    name = compare.get("checker", "allclose")
    if name not in CHECKERS:
        raise ValueError(f"unknown checker {name!r}; known: {sorted(CHECKERS)}")
    options = {k: v for k, v in compare.items() if k != "checker"}
    fraction, detail, reason = CHECKERS[name](got, expected, case, options)
    return min(1.0, max(0.0, float(fraction))), detail, reason


def score_case(compare: dict[str, Any], got: Output, expected: Output, case: Case) -> tuple[float, str]:
    """Score a public case in ``[0, 1]``; returns ``(fraction, message)``, values included."""
    fraction, detail, _ = _verdict(compare, got, expected, case)
    return fraction, detail


def score_hidden(compare: dict[str, Any], got: Output, expected: Output, case: Case) -> tuple[float, str]:
    """Score a hidden case; the message never shows a value, an input or an expected output."""
    fraction, _, reason = _verdict(compare, got, expected, case)
    return fraction, reason
