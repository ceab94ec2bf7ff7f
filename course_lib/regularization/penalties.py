r"""Weight penalties and their gradients, the λ grid, and a linear model fitted with either penalty.

See the chapter on regularization.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._validation import as_float_array, check_int, check_ndim, check_nonnegative, check_positive

__all__ = [
    "l1_penalty",
    "l1_penalty_grad",
    "l2_penalty",
    "l2_penalty_grad",
    "lambda_grid",
    "fit_penalized_linear",
]

Array = NDArray[np.floating]
# One array, one parameter (an object with ``.data``), or a collection of them.
Weights = Any


def _as_arrays(w: Weights) -> tuple[list[Array], bool]:
    """Return the weight arrays and whether ``w`` was a collection of them.

    ``w`` is one array, one parameter (anything with ``.data``), or a list/tuple/
    iterable of arrays and parameters (e.g. ``model.parameters()``). A plain list of
    numbers counts as one array.
    """
    if isinstance(w, np.ndarray):
        return [as_float_array(w, "w")], False
    if hasattr(w, "data") and not isinstance(w, (list, tuple)):
        return [as_float_array(w.data, "w.data")], False
    if not isinstance(w, Iterable) or isinstance(w, str):
        return [as_float_array(w, "w")], False  # a scalar (or a TypeError for a string)
    items = list(w)  # also consumes a generator such as model.parameters()
    if items and all(isinstance(x, np.ndarray) or hasattr(x, "data") for x in items):
        arrays = [x if isinstance(x, np.ndarray) else x.data for x in items]
        return [as_float_array(a, f"w[{i}]") for i, a in enumerate(arrays)], True
    return [as_float_array(items, "w")], False


def _check_lam(lam: float) -> float:
    check_nonnegative(lam, "lam (the regularization strength λ)")
    return float(lam)


def l2_penalty(w: Weights, lam: float) -> float:
    r"""L2 penalty (weight decay) summed over all weights.

    .. math:: R_2(w) = \frac{\lambda}{2}\sum_i w_i^2, \qquad
              \frac{\partial R_2}{\partial w_i} = \lambda\,w_i

    The ½ makes the gradient :math:`\lambda w`, exactly what PyTorch's
    ``optim.SGD(..., weight_decay=λ)`` adds to each gradient, so the same λ means
    the same thing here and there. The course notes write two other forms:

    * :math:`\lambda\sum_i\theta_i^2` (no ½): the same as this with ``lam = 2λ``;
    * the regularised linear-regression cost
      :math:`\frac{1}{2m}\sum_i(h_\theta(x^{(i)}) - y^{(i)})^2 + \frac{\lambda}{2m}\sum_{j\ge1}\theta_j^2`:
      its penalty is ``l2_penalty(theta[1:], lam=λ/m)``. The sum starts at
      :math:`j = 1`, leaving the bias :math:`\theta_0` unpenalised (the seed's
      upper limit :math:`m` is a typo for the number of parameters).

    Pass only the arrays you want penalised, typically the weight matrices and
    not the biases. (PyTorch's ``weight_decay`` decays every parameter in the
    group, biases included, unless you put them in a separate group.)

    Parameters
    ----------
    w : an array, a parameter (with ``.data``), or a list of them (e.g.
        ``model.parameters()``); the penalty sums over all of them
    lam : λ >= 0

    Returns
    -------
    float
    """
    lam = _check_lam(lam)
    arrays, _ = _as_arrays(w)
    return 0.5 * lam * float(sum(np.sum(np.square(a, dtype=np.float64)) for a in arrays))


def l2_penalty_grad(w: Weights, lam: float) -> Array | list[Array]:
    r""":math:`\lambda w`: an array shaped like ``w``, or a list with one array per entry of ``w``."""
    lam = _check_lam(lam)
    arrays, many = _as_arrays(w)
    grads = [(lam * a).astype(a.dtype, copy=False) for a in arrays]
    return grads if many else grads[0]


def l1_penalty(w: Weights, lam: float) -> float:
    r"""L1 penalty summed over all weights: it pushes weights to exactly zero (sparsity).

    .. math:: R_1(w) = \lambda\sum_i |w_i|, \qquad
              \frac{\partial R_1}{\partial w_i} = \lambda\,\operatorname{sign}(w_i)

    ``w`` and ``lam`` as in :func:`l2_penalty`. This is the course notes' form
    :math:`\lambda\sum|\theta_i|` exactly (no ½).
    """
    lam = _check_lam(lam)
    arrays, _ = _as_arrays(w)
    return lam * float(sum(np.sum(np.abs(a), dtype=np.float64) for a in arrays))


def l1_penalty_grad(w: Weights, lam: float) -> Array | list[Array]:
    r""":math:`\lambda\operatorname{sign}(w)`, with 0 where :math:`w = 0`.

    :math:`|w|` has no derivative at 0; any value in :math:`[-\lambda, \lambda]` is a
    subgradient there, and 0 (``np.sign(0)``, as PyTorch's ``sign``) is the usual
    choice. Plain gradient descent therefore makes weights oscillate around 0 rather
    than land on it; proximal methods (soft thresholding) fix that.
    """
    lam = _check_lam(lam)
    arrays, many = _as_arrays(w)
    grads = [(lam * np.sign(a)).astype(a.dtype, copy=False) for a in arrays]
    return grads if many else grads[0]


def lambda_grid(start: float = 0.01, stop: float = 10.0, factor: float = 2.0) -> Array:
    r"""The course notes' geometric grid of λ values: start, start·factor, start·factor², ... <= stop.

    .. math:: \lambda_k = \text{start}\cdot\text{factor}^k, \quad k = 0, 1, \dots, K,
              \qquad K = \max\{k : \lambda_k \le \text{stop}\}

    ``stop`` is included when some :math:`\lambda_k` equals it (up to a relative
    rounding error of 1e-9: ``lambda_grid(0.1, 100, 10)`` ends at 100). The course notes'
    "0.01, 0.02, 0.04, ..., 10" never hits 10 exactly: the default grid has the ten
    values 0.01 ... 5.12 (the next one, 10.24, is above 10; pass ``stop=10.24`` to
    include it). Fit one model per λ, then pick the λ with the lowest
    *validation* error.

    Returns
    -------
    float64 array ``(K + 1,)``, increasing
    """
    check_positive(start, "start")
    check_positive(stop, "stop")
    if not (np.isscalar(factor) and factor > 1):
        raise ValueError(f"Invalid factor: {factor} (must be > 1)")
    if stop < start:
        raise ValueError(f"stop must be >= start; got start={start}, stop={stop}")
    k_max = math.floor(math.log(stop / start) / math.log(factor) + 1e-9)
    return float(start) * float(factor) ** np.arange(k_max + 1, dtype=np.float64)


def fit_penalized_linear(X: ArrayLike, y: ArrayLike, penalty: str, lam: float, *,
                         tol: float = 1e-10, max_iter: int = 50_000) -> Array:
    r"""Minimise :math:`\frac{1}{2n}\lVert Xw - y\rVert^2 + R(w)` by proximal gradient descent.

    ``penalty`` is ``"none"``, ``"l2"`` (:math:`R` = :func:`l2_penalty`,
    :math:`\frac{\lambda}{2}\lVert w\rVert^2`) or ``"l1"`` (:math:`R` =
    :func:`l1_penalty`, :math:`\lambda\lVert w\rVert_1`, scikit-learn's
    ``Lasso(alpha=λ)``). Each step is a gradient step on the smooth part, with
    step :math:`1/L` (:math:`L` its largest curvature); for L1 it is followed by
    soft thresholding, :math:`w \leftarrow \operatorname{sign}(w)\max(|w| - \lambda/L, 0)`,
    which sets small weights *exactly* to zero. (A plain subgradient step,
    :func:`l1_penalty_grad`, would make them oscillate around zero instead.) No
    intercept: centre ``X`` and ``y``, or add a column of ones (which is then penalised).

    Parameters
    ----------
    X : ``(n_samples, n_features)``
    y : ``(n_samples,)``
    penalty : ``"none"``, ``"l1"`` or ``"l2"``
    lam : λ >= 0
    tol : stop when a step moves ``w`` by less than ``tol * (1 + |w|)``
    max_iter : at most this many steps

    Returns
    -------
    w : ``(n_features,)``
    """
    X, y = as_float_array(X, "X"), as_float_array(y, "y")
    check_ndim(X, 2, "X", "Expected (n_samples, n_features).")
    check_ndim(y, 1, "y", "Expected (n_samples,).")
    if X.shape[0] != y.shape[0]:
        raise ValueError(f"X has {X.shape[0]} rows but y has {y.shape[0]} values")
    if penalty not in ("none", "l1", "l2"):
        raise ValueError(f"Invalid penalty: {penalty!r}; expected 'none', 'l1' or 'l2'")
    check_nonnegative(lam, "lam")
    check_positive(tol, "tol")
    max_iter = check_int(max_iter, "max_iter")
    n = X.shape[0]
    curvature = np.linalg.eigvalsh(X.T @ X / n)[-1] + (lam if penalty == "l2" else 0.0)
    if curvature <= 0:
        raise ValueError("X is all zeros: there is nothing to fit")
    step = 1.0 / curvature
    w = np.zeros(X.shape[1])
    for _ in range(max_iter):
        grad = X.T @ (X @ w - y) / n
        if penalty == "l2":
            grad = grad + l2_penalty_grad(w, lam)
        w_new = w - step * grad
        if penalty == "l1":  # the proximal step of lam * |w|: soft thresholding
            w_new = np.sign(w_new) * np.maximum(np.abs(w_new) - step * lam, 0.0)
        done = np.linalg.norm(w_new - w) <= tol * (1.0 + np.linalg.norm(w))
        w = w_new
        if done:
            break
    return w
