"""Input validation shared by every public entry point of ``course_lib``.

The rule of the package: bad input gets a clear ``ValueError`` or ``TypeError``
that names the argument, what was expected and what arrived. Nothing is
broadcast silently, and validation never uses ``assert`` (it would vanish under
``python -O``). Only public functions call these helpers; internal code trusts
its (already validated) arguments.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "as_float_array",
    "check_same_shape",
    "check_ndim",
    "check_finite",
    "check_labels",
    "check_in_closed_interval",
    "check_positive",
    "check_nonnegative",
    "check_lr",
    "check_probability",
    "check_axis",
    "check_int",
    "make_rng",
]

_FLOAT_KINDS = (np.float32, np.float64)


def as_float_array(x: ArrayLike, name: str) -> NDArray[np.floating]:
    """Return ``x`` as a float array, keeping float32/float64 and promoting ints and bools.

    Raises ``TypeError`` for anything that is not real-valued numeric data
    (strings, objects, complex numbers), naming the argument.
    """
    try:
        arr = np.asarray(x)
    except (ValueError, TypeError) as exc:  # ragged lists and the like
        raise TypeError(
            f"{name} must be array-like of numbers; got {type(x).__name__}: {exc}"
        ) from exc
    if arr.dtype in _FLOAT_KINDS:
        return arr
    if arr.dtype == np.float16:
        return arr.astype(np.float32)
    if arr.dtype.kind in "biu":
        return arr.astype(np.float64)
    raise TypeError(
        f"{name} must hold real numbers (float32, float64, int or bool); got dtype {arr.dtype}"
    )


def check_same_shape(a: NDArray, b: NDArray, name_a: str, name_b: str) -> None:
    """Raise if two arrays differ in shape: the guard against silent broadcasting.

    The classic bug this catches: predictions of shape ``(n, 1)`` against targets of
    shape ``(n,)``, which numpy would broadcast to an ``(n, n)`` matrix.
    """
    if a.shape != b.shape:
        hint = ""
        if a.size == b.size:
            hint = f" Reshape one of them, e.g. {name_b}.reshape({a.shape})."
        raise ValueError(
            f"{name_a} and {name_b} must have the same shape; got {name_a}.shape={a.shape} "
            f"and {name_b}.shape={b.shape}. numpy would broadcast them silently.{hint}"
        )


def check_ndim(a: NDArray, ndims: int | Sequence[int], name: str, shape_hint: str = "") -> None:
    """Raise if ``a.ndim`` is not one of ``ndims``."""
    allowed = (ndims,) if isinstance(ndims, int) else tuple(ndims)
    if a.ndim not in allowed:
        want = " or ".join(f"{d}-D" for d in allowed)
        hint = f" {shape_hint}" if shape_hint else ""
        raise ValueError(f"{name} must be {want}; got shape {a.shape}.{hint}")


def check_finite(a: NDArray, name: str) -> None:
    """Raise if ``a`` holds nan or inf, saying how many and where the first one is."""
    bad = ~np.isfinite(a)
    if np.any(bad):
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(
            f"{name} holds {int(bad.sum())} nan or inf value(s) (the first at index {where}, "
            f"{a[where]}); drop or fill in those entries before fitting"
        )


def check_labels(y: ArrayLike, n_classes: int, n_samples: int, name: str = "y") -> NDArray:
    """Validate integer class labels: shape ``(n_samples,)``, values in ``[0, n_classes)``."""
    arr = np.asarray(y)
    if arr.dtype.kind not in "iu":
        if arr.dtype.kind == "f" and arr.size and np.all(np.mod(arr, 1) == 0):
            arr = arr.astype(np.int64)
        else:
            raise TypeError(f"{name} must hold integer class labels; got dtype {arr.dtype}")
    if arr.shape != (n_samples,):
        raise ValueError(
            f"{name} must have shape ({n_samples},) to match {n_samples} rows of logits; "
            f"got shape {arr.shape}"
        )
    if arr.size and (arr.min() < 0 or arr.max() >= n_classes):
        bad = arr[(arr < 0) | (arr >= n_classes)]
        raise ValueError(
            f"{name} holds labels outside [0, {n_classes}) for {n_classes} classes: "
            f"{np.unique(bad)[:10].tolist()}"
        )
    return arr


def check_in_closed_interval(
    a: NDArray, low: float, high: float, name: str
) -> None:
    """Raise if any value of ``a`` lies outside ``[low, high]`` (or is nan)."""
    bad = ~((a >= low) & (a <= high))
    if np.any(bad):
        first = a[bad].ravel()[:5].tolist()
        raise ValueError(
            f"{name} must lie in [{low}, {high}]; {int(bad.sum())} value(s) do not, e.g. {first}"
        )


def check_positive(value: float, name: str) -> None:
    """Raise ``ValueError(f"Invalid {name}: {value}")`` unless ``value > 0``."""
    if not (np.isscalar(value) and value > 0):
        raise ValueError(f"Invalid {name}: {value} (must be > 0)")


def check_nonnegative(value: float, name: str) -> None:
    """Raise ``ValueError`` unless ``value >= 0``."""
    if not (np.isscalar(value) and value >= 0):
        raise ValueError(f"Invalid {name}: {value} (must be >= 0)")


def check_lr(value: float, name: str = "learning rate") -> None:
    """Raise ``ValueError(f"Invalid learning rate: {value}")`` unless ``value >= 0``.

    The one learning-rate rule of the package, PyTorch's: ``lr = 0`` is allowed
    (every step then leaves the parameters as they are, which a schedule that
    anneals to zero, or a frozen parameter group, needs) and a negative or nan
    rate is an error. Every optimizer and every gradient-descent function uses it.
    """
    if not (np.isscalar(value) and value >= 0):
        raise ValueError(f"Invalid {name}: {value} (must be >= 0; lr=0 leaves the parameters unchanged)")


def check_probability(value: float, name: str, *, include_one: bool = False) -> None:
    """Raise ``ValueError`` unless ``0 <= value < 1`` (or ``<= 1`` with ``include_one``)."""
    upper_ok = value <= 1 if include_one else value < 1
    if not (np.isscalar(value) and value >= 0 and upper_ok):
        interval = "[0, 1]" if include_one else "[0, 1)"
        raise ValueError(f"Invalid {name}: {value} (must be in {interval})")


def check_axis(axis: int, ndim: int, name: str = "axis") -> int:
    """Return ``axis`` normalised to ``[0, ndim)``, or raise naming the array's ndim."""
    if not isinstance(axis, (int, np.integer)) or not -ndim <= axis < ndim:
        raise ValueError(f"{name}={axis} is out of range for an array with {ndim} dimension(s)")
    return int(axis) % ndim


def check_int(value: int, name: str, minimum: int = 1) -> int:
    """Return ``value`` as a Python int: ``TypeError`` unless it is an int, ``ValueError`` if ``< minimum``.

    For counts and sizes (``n_samples``, ``degree``, ``n_iter``, ``in_features``).
    A bool is rejected although Python counts it as an int; so is ``2.0``.
    """
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int; got {type(value).__name__}: {value!r}")
    if value < minimum:
        raise ValueError(f"Invalid {name}: {value!r} (must be an int >= {minimum})")
    return int(value)


def make_rng(rng: np.random.Generator | int | None) -> np.random.Generator:
    """Return a ``numpy.random.Generator``: pass one through, or seed a new one.

    ``None`` gives a fresh, unseeded generator; notebooks and tests always pass a
    seed or a generator so their results are reproducible.
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or isinstance(rng, (int, np.integer)):
        return np.random.default_rng(rng)
    raise TypeError(f"rng must be a numpy.random.Generator, an int seed or None; got {rng!r}")
