r"""Loss surfaces in two dimensions, with their gradients, for the optimizer figures.

See the chapter on optimizers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._validation import as_float_array, check_int, check_nonnegative, check_positive

__all__ = ["LossSurface", "elongated_quadratic", "rotated_quadratic", "rosenbrock", "bumpy_quadratic"]

Array = NDArray[np.floating]


@dataclass(frozen=True, eq=False)
class LossSurface:
    """A function of two parameters ``w = (w0, w1)`` with its gradient, for optimizer demos.

    ``value`` and ``grad`` take one point, shape ``(2,)``, or a whole grid of points,
    shape ``(..., 2)``: ``value`` returns a float for one point and an array of
    shape ``(...)`` for a grid; ``grad`` returns the shape it was given.

    Attributes
    ----------
    name : e.g. ``"rosenbrock(a=1.0, b=100.0)"``, for plot titles
    minimum : ``(2,)``, the global minimiser
    bounds : ``((w0_min, w0_max), (w1_min, w1_max))``, a plotting box that shows the
        interesting part of the surface
    start : ``(2,)``, a suggested starting point for the optimizers
    """

    name: str
    minimum: NDArray
    bounds: tuple[tuple[float, float], tuple[float, float]]
    start: NDArray
    _f: Callable[[Array, Array], Array] = field(repr=False)
    _df: Callable[[Array, Array], tuple[Array, Array]] = field(repr=False)

    @staticmethod
    def _points(w: ArrayLike) -> Array:
        w = as_float_array(w, "w")
        if w.ndim == 0 or w.shape[-1] != 2:
            raise ValueError(
                f"w must have shape (2,) or (..., 2) (points (w0, w1)); got shape {w.shape}"
            )
        return w

    def value(self, w: ArrayLike) -> float | Array:
        """The loss at ``w``: a float for shape ``(2,)``, an array ``(...)`` for ``(..., 2)``."""
        w = self._points(w)
        out = self._f(w[..., 0], w[..., 1])
        return float(out) if w.ndim == 1 else out

    __call__ = value

    def grad(self, w: ArrayLike) -> Array:
        """The gradient at ``w``, same shape as ``w``."""
        w = self._points(w)
        return np.stack(self._df(w[..., 0], w[..., 1]), axis=-1)

    def grid(self, n: int = 101) -> tuple[Array, Array, Array]:
        """``(W0, W1, Z)``, each ``(n, n)``, over ``bounds``: ready for ``plt.contour(W0, W1, Z)``."""
        n = check_int(n, "n", minimum=2)
        (a0, b0), (a1, b1) = self.bounds
        W0, W1 = np.meshgrid(np.linspace(a0, b0, n), np.linspace(a1, b1, n))
        return W0, W1, self._f(W0, W1)


def _point(*values: float) -> NDArray:
    p = np.array(values, dtype=np.float64)
    p.setflags(write=False)
    return p


def elongated_quadratic(a: float = 1.0, b: float = 25.0) -> LossSurface:
    r"""A convex quadratic bowl, stretched: the valley where plain gradient descent zig-zags.

    .. math:: f(w) = \tfrac12\,(a\,w_0^2 + b\,w_1^2), \qquad
              \nabla f(w) = (a\,w_0,\ b\,w_1)

    The Hessian is :math:`\operatorname{diag}(a, b)`, so the condition number is
    :math:`\kappa = b/a` (25 by default). Gradient descent converges only for
    ``lr < 2/max(a, b)``, and then in about :math:`\kappa` times more steps along
    the flat direction than along the steep one. Minimum at the origin.
    """
    check_positive(a, "a")
    check_positive(b, "b")
    a, b = float(a), float(b)
    return LossSurface(
        name=f"elongated_quadratic(a={a}, b={b})",
        minimum=_point(0.0, 0.0),
        bounds=((-5.0, 5.0), (-3.0, 3.0)),
        start=_point(-4.5, 2.0),
        _f=lambda w0, w1: 0.5 * (a * w0**2 + b * w1**2),
        _df=lambda w0, w1: (a * w0, b * w1),
    )


def rotated_quadratic(a: float = 1.0, b: float = 25.0, angle: float = 45.0) -> LossSurface:
    r""":func:`elongated_quadratic` turned by ``angle`` degrees about the minimum.

    .. math:: f(w) = \tfrac12\, w^\top H w, \qquad H = R\,\operatorname{diag}(a, b)\,R^\top,
              \qquad \nabla f(w) = H w

    with :math:`R` the rotation by ``angle``. Same curvatures and condition number
    as the unrotated bowl, but its axes are no longer the coordinate axes, so
    per-coordinate step sizes (Adagrad, RMSprop, Adam) cannot equalise its
    curvatures. Same start and bounds as the unrotated bowl.
    """
    base = elongated_quadratic(a, b)
    a, b, angle = float(a), float(b), float(angle)
    if not np.isfinite(angle):
        raise ValueError(f"Invalid angle: {angle} (must be a finite number of degrees)")
    c, s = np.cos(np.radians(angle)), np.sin(np.radians(angle))
    h00, h11, h01 = a * c * c + b * s * s, a * s * s + b * c * c, (a - b) * c * s
    return LossSurface(
        name=f"rotated_quadratic(a={a}, b={b}, angle={angle})",
        minimum=base.minimum,
        bounds=base.bounds,
        start=base.start,
        _f=lambda w0, w1: 0.5 * (h00 * w0**2 + 2 * h01 * w0 * w1 + h11 * w1**2),
        _df=lambda w0, w1: (h00 * w0 + h01 * w1, h01 * w0 + h11 * w1),
    )


def rosenbrock(a: float = 1.0, b: float = 100.0) -> LossSurface:
    r"""Rosenbrock's banana-shaped valley: easy to find, slow to follow to the minimum.

    .. math:: f(w) = (a - w_0)^2 + b\,(w_1 - w_0^2)^2

    .. math:: \nabla f(w) = \big(-2(a - w_0) - 4b\,w_0(w_1 - w_0^2),\ \ 2b\,(w_1 - w_0^2)\big)

    Minimum :math:`f = 0` at :math:`(a, a^2)`. Not convex. Suggested start
    :math:`(-1.2a, a^2)`, the classic test point.
    """
    check_positive(a, "a")
    check_positive(b, "b")
    a, b = float(a), float(b)
    return LossSurface(
        name=f"rosenbrock(a={a}, b={b})",
        minimum=_point(a, a * a),
        bounds=((-2.0 * a, 2.0 * a), (-a * a, 3.0 * a * a)),
        start=_point(-1.2 * a, a * a),
        _f=lambda w0, w1: (a - w0) ** 2 + b * (w1 - w0**2) ** 2,
        _df=lambda w0, w1: (-2 * (a - w0) - 4 * b * w0 * (w1 - w0**2), 2 * b * (w1 - w0**2)),
    )


def bumpy_quadratic(
    a: float = 1.0, b: float = 4.0, amplitude: float = 0.3, frequency: float = 4.0
) -> LossSurface:
    r"""A quadratic bowl with ripples along :math:`w_0`: local minima that momentum rolls over.

    .. math:: f(w) = \tfrac12\,(a\,w_0^2 + b\,w_1^2) + A\,\big(1 - \cos(k\,w_0)\big)

    .. math:: \nabla f(w) = \big(a\,w_0 + A k \sin(k\,w_0),\ \ b\,w_1\big)

    with :math:`A` = ``amplitude`` and :math:`k` = ``frequency``. Both terms are
    non-negative and vanish only at the origin, the global minimum. When
    :math:`A k^2 > a` the ripples create local minima along the :math:`w_0` axis:
    with the defaults, plain gradient descent from ``start`` = (4, 1.5) stops in
    the one near :math:`w_0 \approx 1.2`, while heavy-ball momentum (0.9) carries
    on to the origin (the course notes' "escape small bumps").
    """
    for value, name in ((a, "a"), (b, "b"), (frequency, "frequency")):
        check_positive(value, name)
    check_nonnegative(amplitude, "amplitude")
    a, b, amp, k = float(a), float(b), float(amplitude), float(frequency)
    return LossSurface(
        name=f"bumpy_quadratic(a={a}, b={b}, amplitude={amp}, frequency={k})",
        minimum=_point(0.0, 0.0),
        bounds=((-5.0, 5.0), (-2.5, 2.5)),
        start=_point(4.0, 1.5),
        _f=lambda w0, w1: 0.5 * (a * w0**2 + b * w1**2) + amp * (1 - np.cos(k * w0)),
        _df=lambda w0, w1: (a * w0 + amp * k * np.sin(k * w0), b * w1),
    )
