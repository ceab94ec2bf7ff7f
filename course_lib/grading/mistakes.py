"""Recognising classic mistakes, for the feedback ``check()`` prints.

Each detector recomputes what the *mistaken* formula gives on the case's inputs and
says whether the learner's output matches it (and not the correct answer). An item
lists the detectors that make sense for it, by name or as a dict with options that
name its arguments::

    "mistakes": ["softmax_wrong_axis", {"name": "unscaled_dropout", "x": "x", "p": "p"}]

Defaults name the arguments ``z`` (logits), ``x``, ``p``, ``gamma``, ``beta``,
``eps``, and for Adam ``w``, ``g``, ``m``, ``v``, ``t``, ``lr``, ``beta1``,
``beta2``, ``eps``; when an option's argument is missing, the first argument is used
for the main input.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .compare import Output

__all__ = ["MISTAKES", "detect"]

Args = Mapping[str, NDArray[Any]]


def _arg(args: Args, opts: Mapping[str, Any], key: str, default: str) -> NDArray[np.float64]:
    name = opts.get(key, default)
    if name not in args:
        name = next(iter(args))
    return np.asarray(args[name], dtype=np.float64)


def _scalar(args: Args, opts: Mapping[str, Any], key: str, default: float) -> float:
    """A scalar argument named by ``opts[key]`` (default: ``key``), or ``default`` if absent."""
    name = opts.get(key, key)
    return float(np.asarray(args[name]).reshape(())) if name in args else default


def _matches(got: Output, value: Any, k: int = 0) -> bool:
    if k >= len(got.arrays):
        return False
    g, v = got.arrays[k], np.asarray(value, dtype=np.float64)
    if g.shape != v.shape:
        return False
    with np.errstate(all="ignore"):
        return bool(np.allclose(g.astype(np.float64), v, rtol=1e-6, atol=1e-9, equal_nan=True))


def _softmax(z: NDArray[np.float64], axis: int) -> NDArray[np.float64]:
    e = np.exp(z - z.max(axis=axis, keepdims=True))  # max-shifted: exp never overflows
    return e / e.sum(axis=axis, keepdims=True)


def softmax_wrong_axis(args: Args, expected: Output, got: Output, opts: Mapping[str, Any]) -> bool:
    """Softmax normalised over the batch (axis 0) instead of over the classes (last axis)."""
    z = _arg(args, opts, "z", "z")
    return z.ndim == 2 and z.shape[0] > 1 and _matches(got, _softmax(z, axis=0))


def softmax_no_max_shift(args: Args, expected: Output, got: Output, opts: Mapping[str, Any]) -> bool:
    """``exp(z) / sum(exp(z))`` without subtracting the max: inf/inf = nan for large logits."""
    g = got.arrays[0]
    expected_finite = bool(np.all(np.isfinite(expected.arrays[0])))
    return expected_finite and g.dtype.kind == "f" and not bool(np.all(np.isfinite(g)))


def sum_instead_of_mean(args: Args, expected: Output, got: Output, opts: Mapping[str, Any]) -> bool:
    """A loss (or its gradient) summed over the batch instead of averaged: ``n`` times too big."""
    first = _arg(args, opts, "x", "pred")
    n = first.shape[0] if first.ndim else 1
    if n < 2:
        return False
    pairs = zip(got.arrays, expected.arrays, strict=False)
    return any(_matches(Output([g], False), n * np.asarray(e, dtype=np.float64)) for g, e in pairs
               if np.any(np.asarray(e) != 0))


def unscaled_dropout(args: Args, expected: Output, got: Output, opts: Mapping[str, Any]) -> bool:
    """Inverted dropout without the ``1 / (1 - p)`` rescaling of the kept units."""
    p = _scalar(args, opts, "p", 0.5)
    e = np.asarray(expected.arrays[0], dtype=np.float64)
    return 0 < p < 1 and bool(np.any(e != 0)) and _matches(got, e * (1.0 - p))


def batch_stats_in_eval(args: Args, expected: Output, got: Output, opts: Mapping[str, Any]) -> bool:
    """Batch norm in eval mode normalising with the batch's statistics, not the running ones."""
    x = _arg(args, opts, "x", "x")
    gamma, beta = _arg(args, opts, "gamma", "gamma"), _arg(args, opts, "beta", "beta")
    eps = _scalar(args, opts, "eps", 1e-5)
    if x.ndim != 2 or x.shape[0] < 2:
        return False
    mistaken = gamma * (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + eps) + beta
    return _matches(got, mistaken)


def adam_no_bias_correction(args: Args, expected: Output, got: Output, opts: Mapping[str, Any]) -> bool:
    """Adam's step with the raw moments ``m``, ``v`` instead of ``m / (1 - β1^t)``, ``v / (1 - β2^t)``."""
    w, g = _arg(args, opts, "w", "w"), _arg(args, opts, "g", "g")
    m, v = _arg(args, opts, "m", "m"), _arg(args, opts, "v", "v")
    lr, eps = _scalar(args, opts, "lr", 1e-3), _scalar(args, opts, "eps", 1e-8)
    b1, b2 = _scalar(args, opts, "beta1", 0.9), _scalar(args, opts, "beta2", 0.999)
    m_new = b1 * m + (1 - b1) * g
    v_new = b2 * v + (1 - b2) * g * g
    return _matches(got, w - lr * m_new / (np.sqrt(v_new) + eps))


Detector = Callable[[Args, Output, Output, Mapping[str, Any]], bool]

# name -> (detector, what to tell the learner). An explicit registry.
MISTAKES: dict[str, tuple[Detector, str]] = {
    "softmax_wrong_axis": (softmax_wrong_axis,
                           "Your softmax normalises over axis 0 (the batch). Each ROW should sum to 1: "
                           "use axis=-1 (or axis=1) with keepdims=True."),
    "softmax_no_max_shift": (softmax_no_max_shift,
                             "Your output has inf or nan for large inputs: subtract the row maximum "
                             "before exponentiating (softmax(z) = softmax(z - max(z)))."),
    "sum_instead_of_mean": (sum_instead_of_mean,
                            "Your result is n times too large: the loss is the MEAN over the batch, so "
                            "divide the sum (and its gradient) by the number of samples."),
    "unscaled_dropout": (unscaled_dropout,
                         "Your kept units are not rescaled: inverted dropout multiplies them by 1/(1-p) "
                         "in training so that nothing changes at evaluation time."),
    "batch_stats_in_eval": (batch_stats_in_eval,
                            "In eval mode batch norm must use the RUNNING mean and variance, not the "
                            "statistics of the current batch."),
    "adam_no_bias_correction": (adam_no_bias_correction,
                                "Your Adam step skips the bias correction: divide m by (1 - beta1**t) and "
                                "v by (1 - beta2**t) before the update."),
}


def detect(declared: list[Any] | tuple[Any, ...], args: Args, expected: Output, got: Output) -> list[str]:
    """Messages for every declared mistake the output matches (unknown names raise ``ValueError``)."""
    found = []
    for entry in declared:
        opts = {"name": entry} if isinstance(entry, str) else dict(entry)
        name = opts.pop("name")
        if name not in MISTAKES:
            raise ValueError(f"unknown mistake detector {name!r}; known: {sorted(MISTAKES)}")
        detector, message = MISTAKES[name]
        try:
            with np.errstate(all="ignore"):
                hit = detector(args, expected, got, opts)
        except (ValueError, TypeError, IndexError, KeyError):
            hit = False
        if hit:
            found.append(message)
    return found
