r"""Synthetic data, deterministic given ``rng``: noisy lines and polynomials, two moons, spirals.

The regression generators return ``X`` of shape ``(n, 1)`` (a design matrix with
one feature) and ``y`` of shape ``(n,)``; the classification ones ``X`` of shape
``(n, 2)`` and int64 labels ``y`` of shape ``(n,)``. Rows come in random order.

See the chapters on regression and regularization.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._validation import as_float_array, check_int, check_ndim, check_nonnegative, make_rng

__all__ = ["noisy_line", "noisy_polynomial", "two_moons", "spirals"]

Array = NDArray[np.floating]
Rng = np.random.Generator | int | None


def _check_range(x_range: tuple[float, float]) -> tuple[float, float]:
    low, high = (float(v) for v in x_range)
    if not low < high:
        raise ValueError(f"x_range must be (low, high) with low < high; got {x_range}")
    return low, high


def noisy_line(
    n_samples: int = 50,
    slope: float = 2.0,
    intercept: float = 1.0,
    noise: float = 1.0,
    x_range: tuple[float, float] = (0.0, 5.0),
    rng: Rng = None,
) -> tuple[Array, Array]:
    r"""Points scattered around a straight line: the first regression example.

    .. math:: y_i = \text{slope}\cdot x_i + \text{intercept} + \varepsilon_i,
              \quad x_i \sim U(\text{x\_range}),\ \varepsilon_i \sim \mathcal N(0, \text{noise}^2)

    Returns
    -------
    X : ``(n_samples, 1)``, the design matrix of one feature (unsorted)
    y : ``(n_samples,)``
    """
    return noisy_polynomial(n_samples, (intercept, slope), noise, x_range, rng)


def noisy_polynomial(
    n_samples: int = 30,
    coefs: ArrayLike = (1.0, -3.0, 0.0, 1.0),
    noise: float = 1.0,
    x_range: tuple[float, float] = (-2.5, 2.5),
    rng: Rng = None,
) -> tuple[Array, Array]:
    r"""Noisy samples of a polynomial, for the under- and overfitting demo.

    .. math:: y_i = \sum_{k=0}^{K} c_k x_i^k + \varepsilon_i,
              \quad \varepsilon_i \sim \mathcal N(0, \text{noise}^2)

    ``coefs`` lists :math:`c_0, c_1, \dots` in *increasing* powers, the column order
    of :func:`course_lib.regression.polynomial_features` (``np.polyval`` uses the
    reverse order). The default is the cubic :math:`x^3 - 3x + 1`: a straight line
    underfits it and a degree-15 polynomial fitted to 30 points overfits.

    Returns
    -------
    X : ``(n_samples, 1)`` with ``x`` uniform in ``x_range`` (unsorted)
    y : ``(n_samples,)``
    """
    n = check_int(n_samples, "n_samples")
    c = as_float_array(coefs, "coefs").astype(np.float64)
    check_ndim(c, 1, "coefs", "Pass the coefficients c_0, c_1, ... as a 1-D sequence.")
    if c.size == 0:
        raise ValueError("coefs is empty; pass at least the constant term c_0")
    check_nonnegative(noise, "noise")
    low, high = _check_range(x_range)
    gen = make_rng(rng)
    x = gen.uniform(low, high, size=n)
    y = np.polynomial.polynomial.polyval(x, c) + noise * gen.standard_normal(n)
    return x[:, None], y


def two_moons(n_samples: int = 200, noise: float = 0.1, rng: Rng = None) -> tuple[Array, Array]:
    r"""Two interleaving half circles: a data set no straight line separates.

    Class 0 lies on the upper arc :math:`(\cos t, \sin t)`, class 1 on the lower arc
    :math:`(1 - \cos t, \tfrac12 - \sin t)`, with :math:`t \sim U(0, \pi)` and
    Gaussian noise of standard deviation ``noise`` added to both coordinates.

    Returns
    -------
    X : ``(n_samples, 2)``
    y : int64 ``(n_samples,)``; class 0 gets ``ceil(n/2)`` points, class 1 the rest
    """
    n = check_int(n_samples, "n_samples", minimum=2)
    check_nonnegative(noise, "noise")
    gen = make_rng(rng)
    y = np.repeat(np.array([0, 1], dtype=np.int64), [(n + 1) // 2, n // 2])
    t = gen.uniform(0.0, np.pi, size=n)
    upper = np.stack([np.cos(t), np.sin(t)], axis=1)
    lower = np.stack([1.0 - np.cos(t), 0.5 - np.sin(t)], axis=1)
    X = np.where(y[:, None] == 0, upper, lower) + noise * gen.standard_normal((n, 2))
    order = gen.permutation(n)
    return X[order], y[order]


def spirals(
    n_samples: int = 300, n_classes: int = 3, noise: float = 0.2, rng: Rng = None
) -> tuple[Array, Array]:
    r"""Interleaved spiral arms, one per class: the classic "needs a hidden layer" data.

    Point :math:`i` of class :math:`k` has radius :math:`r_i` evenly spaced in
    :math:`[0, 1]` and angle

    .. math:: \varphi_i = \frac{2\pi k}{C} + 4 r_i + \text{noise}\cdot\xi_i,
              \quad \xi_i \sim \mathcal N(0, 1),

    so ``noise`` is in radians and blurs the outer ends of the arms most.

    Returns
    -------
    X : ``(n_samples, 2)``, inside the unit disc
    y : int64 ``(n_samples,)`` in ``[0, n_classes)``; the classes differ in size by
        at most one point
    """
    n = check_int(n_samples, "n_samples")
    c = check_int(n_classes, "n_classes", minimum=2)
    if n < c:
        raise ValueError(f"n_samples={n} must be >= n_classes={c} (one point per class at least)")
    check_nonnegative(noise, "noise")
    gen = make_rng(rng)
    sizes = [n // c + (k < n % c) for k in range(c)]
    y = np.repeat(np.arange(c, dtype=np.int64), sizes)
    r = np.concatenate([np.linspace(0.0, 1.0, m) for m in sizes])
    phi = 2 * np.pi * y / c + 4.0 * r + noise * gen.standard_normal(n)
    X = r[:, None] * np.stack([np.cos(phi), np.sin(phi)], axis=1)
    order = gen.permutation(n)
    return X[order], y[order]
