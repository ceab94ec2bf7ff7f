r"""Computations for the chapter on loss functions.

The two explorers' compute functions (their factories are in ``course_lib.widgets.losses``):

* :func:`outlier_fits` / :func:`outlier_explorer`: drag one outlier and compare the
  straight line that minimises the MSE (normal equation) with the one that
  minimises the MAE (exact least absolute deviations, :func:`lad_line`).
* :func:`logit_losses` / :func:`logit_explorer`: move a logit :math:`z` and compare
  binary cross-entropy with the squared error of :math:`\sigma(z)`, and their
  gradients with respect to :math:`z`.

The other functions compute what the chapter's static figures and tables show:
the loss of a constant prediction (:func:`constant_losses`), gradient descent on
that constant (:func:`constant_descent`) and the largest stable learning rate of
gradient descent for the sum and mean conventions (:func:`largest_stable_lr`).
None of them touches matplotlib or ipywidgets.

See the chapter on loss functions.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .. import losses
from ..activations import sigmoid
from ..data import noisy_line
from ..regression import normal_equation, with_intercept

__all__ = [
    "LineFits",
    "LogitLosses",
    "ols_line",
    "lad_line",
    "outlier_fits",
    "logit_losses",
    "constant_losses",
    "constant_descent",
    "largest_stable_lr",
]

Array = NDArray[np.float64]

# The clean data of the outlier explorer: y = 2x + 1 + N(0, 1) noise, x in [0, 5].
TRUE_SLOPE = 2.0
TRUE_INTERCEPT = 1.0


# --- fitting a line under MSE and under MAE ----------------------------------


def ols_line(x: ArrayLike, y: ArrayLike) -> tuple[float, float]:
    r"""Slope and intercept of the line minimising the MSE, by the normal equation.

    .. math:: \min_{a, b}\ \frac1n\sum_i (a x_i + b - y_i)^2

    Parameters
    ----------
    x, y : ``(n_samples,)`` each, with at least two distinct ``x``

    Returns
    -------
    (slope, intercept)
    """
    x, y = _check_xy(x, y)
    intercept, slope = normal_equation(with_intercept(x), y)
    return float(slope), float(intercept)


def lad_line(x: ArrayLike, y: ArrayLike) -> tuple[float, float]:
    r"""Slope and intercept of the line minimising the MAE (least absolute deviations).

    .. math:: \min_{a, b}\ \frac1n\sum_i |a x_i + b - y_i|

    The MAE of a line is piecewise linear and convex in :math:`(a, b)`, so a
    minimum sits at a corner of its graph: a line that passes *exactly* through
    two data points (a vertex of the equivalent linear program). With two
    parameters we can therefore try every pair of points and keep the best line:
    exact, deterministic, and :math:`O(n^3)` work, fine for the few dozen points
    of a figure. (Large problems use linear programming or iteratively
    reweighted least squares instead.) When several lines tie, the first pair in
    ``np.triu_indices`` order wins.

    Parameters
    ----------
    x, y : ``(n_samples,)`` each, with at least two distinct ``x``

    Returns
    -------
    (slope, intercept)
    """
    x, y = _check_xy(x, y)
    i, j = np.triu_indices(x.size, k=1)
    keep = x[i] != x[j]  # a vertical line through two points is not a function of x
    i, j = i[keep], j[keep]
    slopes = (y[j] - y[i]) / (x[j] - x[i])
    intercepts = y[i] - slopes * x[i]
    # Sum of |residual| of every candidate line (rows) at every point (columns).
    cost = np.abs(intercepts[:, None] + slopes[:, None] * x[None, :] - y[None, :]).sum(axis=1)
    best = int(np.argmin(cost))
    return float(slopes[best]), float(intercepts[best])


def _check_xy(x: ArrayLike, y: ArrayLike) -> tuple[Array, Array]:
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.ndim != 1 or x.shape != y.shape:
        raise ValueError(f"x and y must be 1-D of the same length; got shapes {x.shape} and {y.shape}")
    if np.unique(x).size < 2:
        raise ValueError("a line needs at least two distinct x values")
    return x, y


@dataclass(frozen=True)
class LineFits:
    """Result of :func:`outlier_fits`: the data and the two fitted lines."""

    x: Array = field(repr=False)  #: ``(n,)`` the clean points' x
    y: Array = field(repr=False)  #: ``(n,)`` the clean points' y
    outlier: tuple[float, float] | None  #: ``(x, y)`` of the extra point, or None
    mse_slope: float
    mse_intercept: float
    mae_slope: float
    mae_intercept: float

    def residuals(self, which: str) -> Array:
        """Residuals ``y - (a x + b)`` of every point (outlier last) under the ``"mse"`` or ``"mae"`` fit."""
        lines = {"mse": (self.mse_slope, self.mse_intercept), "mae": (self.mae_slope, self.mae_intercept)}
        if which not in lines:
            raise ValueError(f"which must be 'mse' or 'mae'; got {which!r}")
        a, b = lines[which]
        x, y = self.all_points()
        return y - (a * x + b)

    def all_points(self) -> tuple[Array, Array]:
        """x and y of every point the lines were fitted to, the outlier last."""
        if self.outlier is None:
            return self.x, self.y
        return np.append(self.x, self.outlier[0]), np.append(self.y, self.outlier[1])


def outlier_fits(
    outlier_y: float = 30.0,
    outlier_x: float = 4.5,
    *,
    include_outlier: bool = True,
    n_samples: int = 15,
    noise: float = 1.0,
    seed: int = 0,
) -> LineFits:
    r"""Fit a line by MSE and by MAE to noisy points on :math:`y = 2x + 1`, plus one outlier.

    Parameters
    ----------
    outlier_y, outlier_x : position of the extra point (the clean x lie in [0, 5])
    include_outlier : False fits the clean points only
    n_samples, noise, seed : the clean data, :func:`course_lib.data.noisy_line`
    """
    X, y = noisy_line(n_samples, slope=TRUE_SLOPE, intercept=TRUE_INTERCEPT, noise=noise, rng=seed)
    order = np.argsort(X[:, 0])
    x, y = X[order, 0], y[order]
    outlier = (float(outlier_x), float(outlier_y)) if include_outlier else None
    xs, ys = (np.append(x, outlier_x), np.append(y, outlier_y)) if include_outlier else (x, y)
    a_mse, b_mse = ols_line(xs, ys)
    a_mae, b_mae = lad_line(xs, ys)
    return LineFits(x, y, outlier, a_mse, b_mse, a_mae, b_mae)


# --- a logit under BCE and under squared error ---------------------------------


@dataclass(frozen=True)
class LogitLosses:
    r"""Result of :func:`logit_losses`: per-example losses of one logit, and their z-gradients."""

    z_grid: Array = field(repr=False)  #: ``(m,)`` logits at which the curves are drawn
    bce_curve: Array = field(repr=False)  #: ``(m,)`` BCE of ``sigmoid(z_grid)`` against the target
    mse_curve: Array = field(repr=False)  #: ``(m,)`` squared error ``(sigmoid(z_grid) - y)**2``
    z: float  #: the current logit
    target: float  #: the target y in [0, 1]
    p: float  #: sigmoid(z), the predicted probability of class 1
    bce: float
    bce_grad: float  #: dBCE/dz = sigmoid(z) - y
    mse: float
    mse_grad: float  #: d(sigmoid(z) - y)^2/dz = 2 (p - y) p (1 - p)


def logit_losses(
    z: float = -4.0, target: float = 1.0, *, z_max: float = 8.0, n_grid: int = 401
) -> LogitLosses:
    r"""BCE and squared error of the prediction :math:`p = \sigma(z)`, as functions of the logit.

    .. math:: \ell_\text{BCE} = -[y\log p + (1-y)\log(1-p)],\qquad
              \frac{\partial \ell_\text{BCE}}{\partial z} = p - y

    .. math:: \ell_\text{SE} = (p - y)^2,\qquad
              \frac{\partial \ell_\text{SE}}{\partial z} = 2(p - y)\,p(1-p)

    Since :math:`p(1-p) \le 1/4`, the squared error's gradient is never more than
    half of the BCE's, and it vanishes when the sigmoid saturates, even when the
    prediction is confidently wrong.

    Parameters
    ----------
    z : the current logit
    target : y in [0, 1] (0 or 1 for a hard label)
    z_max, n_grid : the curves are drawn on ``n_grid`` points of ``[-z_max, z_max]``
    """
    if not 0.0 <= target <= 1.0:
        raise ValueError(f"target must lie in [0, 1]; got {target}")
    grid = np.linspace(-z_max, z_max, n_grid)
    t = np.full(1, float(target))
    # One call per point: every loss in course_lib returns the batch mean.
    bce_curve = np.array([losses.binary_cross_entropy_with_logits([g], t) for g in grid])
    p_grid = sigmoid(grid)
    mse_curve = (p_grid - target) ** 2
    p = float(sigmoid(np.array([z]))[0])
    return LogitLosses(
        z_grid=grid,
        bce_curve=bce_curve,
        mse_curve=mse_curve,
        z=float(z),
        target=float(target),
        p=p,
        bce=losses.binary_cross_entropy_with_logits([z], t),
        bce_grad=float(losses.binary_cross_entropy_with_logits_grad([z], t)[0]),
        mse=losses.mse([p], t),
        # chain rule: dSE/dp = 2 (p - y) from mse_grad, times dp/dz = p (1 - p)
        mse_grad=float(losses.mse_grad([p], t)[0]) * p * (1.0 - p),
    )


# --- a constant prediction, and the learning rate ------------------------------


def constant_losses(y: ArrayLike, c_grid: ArrayLike) -> tuple[Array, Array]:
    r"""MSE and MAE of predicting the same constant :math:`c` for every target.

    .. math:: \operatorname{MSE}(c) = \frac1n\sum_i (c - y_i)^2,\qquad
              \operatorname{MAE}(c) = \frac1n\sum_i |c - y_i|

    The first is minimised by the mean of ``y``, the second by its median.

    Returns
    -------
    (mse, mae) : arrays shaped like ``c_grid``
    """
    y = np.asarray(y, dtype=np.float64)
    c_grid = np.asarray(c_grid, dtype=np.float64)
    mse = np.array([losses.mse(np.full_like(y, c), y) for c in c_grid.ravel()])
    mae = np.array([losses.mae(np.full_like(y, c), y) for c in c_grid.ravel()])
    return mse.reshape(c_grid.shape), mae.reshape(c_grid.shape)


def constant_descent(y: ArrayLike, loss: str, lr: float, steps: int, c0: float = 0.0) -> Array:
    r"""Gradient descent on one constant prediction: :math:`c \leftarrow c - \alpha\,\partial L/\partial c`.

    The gradient with respect to :math:`c` is the sum of the loss's gradient with
    respect to each prediction (every prediction equals :math:`c`).

    Parameters
    ----------
    y : ``(n,)`` targets
    loss : ``"mse"`` or ``"mae"``
    lr, steps, c0 : learning rate, number of steps, starting value

    Returns
    -------
    ``(steps + 1,)`` the value of :math:`c` before each step and after the last
    """
    grads = {"mse": losses.mse_grad, "mae": losses.mae_grad}
    if loss not in grads:
        raise ValueError(f"loss must be 'mse' or 'mae'; got {loss!r}")
    y = np.asarray(y, dtype=np.float64)
    path = [float(c0)]
    for _ in range(steps):
        c = path[-1]
        path.append(c - lr * float(np.sum(grads[loss](np.full_like(y, c), y))))
    return np.array(path)


def largest_stable_lr(X: ArrayLike, scale: float) -> float:
    r"""Largest learning rate for which gradient descent on :math:`s\,\lVert X\theta - y\rVert^2` converges.

    The Hessian is :math:`H = 2s\,X^\top X`, and gradient descent on a quadratic
    converges if and only if :math:`\alpha < 2/\lambda_\max(H)`, that is
    :math:`\alpha < 1/(s\,\lambda_\max(X^\top X))`. The course notes' conventions are
    :math:`s = 1` (sum), :math:`1/2` (half sum), :math:`1/n` (mean, PyTorch) and
    :math:`1/(2n)` (half mean).

    Parameters
    ----------
    X : ``(n_samples, n_features)`` design matrix
    scale : :math:`s > 0`
    """
    X = np.asarray(X, dtype=np.float64)
    if scale <= 0:
        raise ValueError(f"scale must be positive; got {scale}")
    return float(1.0 / (scale * np.linalg.eigvalsh(X.T @ X)[-1]))
