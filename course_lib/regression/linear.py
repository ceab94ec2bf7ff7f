r"""Linear regression: the normal equation, gradient descent on the MSE, :class:`LinearRegression`.

See the chapter on regression.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from .._validation import check_int, check_lr, check_nonnegative
from ._base import _LinearModel
from ._gd import (
    Array,
    Objective,
    SafeLr,
    _check_design,
    _check_theta0,
    _gradient_descent,
)

__all__ = ["normal_equation", "linear_regression_gd", "LinearRegression"]


def normal_equation(X: ArrayLike, y: ArrayLike, l2: float = 0.0) -> Array:
    r"""Least-squares (or ridge) coefficients in closed form, by solving the normal equations.

    .. math:: (X^\top X + \lambda I)\,\theta = X^\top y

    minimises :math:`\lVert X\theta - y\rVert^2 + \lambda\lVert\theta\rVert^2`. With
    :math:`\lambda = 0` this is the course notes' :math:`\theta = (X^\top X)^{-1}X^\top y`,
    but the code *solves* the linear system (``np.linalg.solve``, an LU
    factorisation) instead of forming the inverse. That costs about a third of the
    arithmetic, and it is more accurate: ``solve`` returns the exact solution of a
    slightly perturbed system, while multiplying by a computed inverse can leave
    a residual larger by up to the condition number. (More accurate still is
    ``np.linalg.lstsq(X, y)``, which never forms :math:`X^\top X`, whose condition
    number is the *square* of that of ``X``.)

    Every entry of ``theta`` is penalised, including the coefficient of a column
    of ones; :class:`LinearRegression` leaves the intercept unpenalised.

    Parameters
    ----------
    X : ``(n_samples, n_features)``, the design matrix
    y : ``(n_samples,)`` (or ``(n_samples, n_targets)``)
    l2 : the ridge strength :math:`\lambda \ge 0` (scikit-learn's ``Ridge(alpha=l2)``)

    Returns
    -------
    theta : ``(n_features,)`` (or ``(n_features, n_targets)``)

    Raises
    ------
    numpy.linalg.LinAlgError
        if :math:`X^\top X + \lambda I` is singular: collinear columns or more
        columns than rows. Pass ``l2 > 0``.
    """
    X, y = _check_design(X, y, y_ndims=(1, 2))
    check_nonnegative(l2, "l2")
    A = X.T @ X
    if l2 > 0:
        A = A + l2 * np.eye(X.shape[1], dtype=X.dtype)
    try:
        return np.linalg.solve(A, X.T @ y)
    except np.linalg.LinAlgError:
        rank = np.linalg.matrix_rank(X)
        raise np.linalg.LinAlgError(
            f"X^T X + l2*I is singular: X {X.shape} has rank {rank} < {X.shape[1]} columns "
            "(collinear features, or more features than samples). Pass l2 > 0 (ridge) "
            "or use np.linalg.lstsq for the minimum-norm solution."
        ) from None


def _mse_objective(X: Array, y: Array, l2: float, mask: Array) -> tuple[Objective, SafeLr]:
    """Loss-and-gradient of the penalised MSE, and the largest safe learning rate."""
    n = X.shape[0]

    def loss_and_grad(theta: Array) -> tuple[float, Array]:
        residual = X @ theta - y
        decay = l2 * mask * theta
        return float((residual @ residual + decay @ theta) / n), 2.0 * (X.T @ residual + decay) / n

    def safe_lr() -> float:
        # The Hessian is (2/n)(X^T X + l2*M); GD converges iff lr < 2 / its top eigenvalue.
        top = np.linalg.eigvalsh(X.T @ X + l2 * np.diag(mask))[-1]
        return float(n / top) if top > 0 else np.inf

    return loss_and_grad, safe_lr


def linear_regression_gd(
    X: ArrayLike,
    y: ArrayLike,
    lr: float,
    n_iter: int,
    theta0: ArrayLike | None = None,
    l2: float = 0.0,
) -> tuple[Array, Array]:
    r"""Full-batch gradient descent on the mean squared error (plus a ridge penalty).

    .. math:: J(\theta) = \frac1n\lVert X\theta - y\rVert^2 + \frac{\lambda}{n}\lVert\theta\rVert^2,
              \qquad \nabla J(\theta) = \frac2n\big(X^\top(X\theta - y) + \lambda\theta\big)

    The course notes also write the squared error as :math:`(X\theta - y)^\top(X\theta - y)`
    (no :math:`1/n`) and as :math:`\frac{1}{2m}\sum(\cdot)^2` (with ½). With the
    penalty scaled alike, all three have the same minimiser,
    :func:`normal_equation` ``(X, y, l2)``; they differ by a constant factor, which
    rescales the gradient and so the learning rate that works. This function uses
    the mean (PyTorch's ``MSELoss``) without ½.

    Converges for ``lr < n / λ_max(XᵀX + λI)`` and diverges above; standardize the
    features to allow a larger step. On divergence: see the docstring of
    :mod:`course_lib.regression`.

    Parameters
    ----------
    X : ``(n_samples, n_features)``, the design matrix (add a column of ones for an
        intercept; it is then penalised too)
    y : ``(n_samples,)``
    lr : learning rate :math:`\alpha \ge 0` (0 leaves theta0 as it is)
    n_iter : number of updates, an int >= 0
    theta0 : ``(n_features,)`` starting point; default zeros
    l2 : ridge strength :math:`\lambda \ge 0`, as in :func:`normal_equation`

    Returns
    -------
    theta : ``(n_features,)``
    loss_history : ``(n_iter + 1,)``; entry ``k`` is :math:`J(\theta_k)`, entry 0 the
        loss at ``theta0`` (shorter if gradient descent diverged)
    """
    X, y = _check_design(X, y)
    check_lr(lr)
    n_iter = check_int(n_iter, "n_iter", 0)
    check_nonnegative(l2, "l2")
    objective, safe_lr = _mse_objective(X, y, l2, np.ones(X.shape[1], dtype=X.dtype))
    return _gradient_descent(objective, _check_theta0(theta0, X), lr, n_iter, safe_lr)


class LinearRegression(_LinearModel):
    r"""Least squares, optionally with a ridge penalty, as a scikit-learn-style estimator.

    Minimises :math:`\lVert y - Xw - b\rVert^2 + \lambda\lVert w\rVert^2`: the
    intercept :math:`b` is not penalised. ``solver="normal_equation"`` centres ``X``
    and ``y`` (which removes the intercept from the problem) and calls
    :func:`normal_equation`; ``solver="gd"`` runs gradient descent on the design
    matrix ``[1, X]`` as :func:`linear_regression_gd` does, without penalising the
    column of ones. Both reach the minimiser of scikit-learn's ``Ridge(alpha=l2)``.

    Attributes
    ----------
    coef_ : ``(n_features,)``
    intercept_ : float (0.0 with ``fit_intercept=False``)
    loss_history_ : ``(n_iter + 1,)`` for ``solver="gd"``; None for the closed form
    n_features_in_ : int

    See the chapter on regression.
    """

    def __init__(
        self,
        l2: float = 0.0,
        fit_intercept: bool = True,
        solver: str = "normal_equation",
        lr: float = 0.01,
        n_iter: int = 1000,
    ) -> None:
        super().__init__(l2, fit_intercept, lr, n_iter)
        if solver not in ("normal_equation", "gd"):
            raise ValueError(f"Invalid solver: {solver!r} (use 'normal_equation' or 'gd')")
        self.solver = solver

    def fit(self, X: ArrayLike, y: ArrayLike) -> LinearRegression:
        """Learn ``coef_`` and ``intercept_`` from ``X`` ``(n, d)`` and ``y`` ``(n,)``; return self."""
        X, y = _check_design(X, y)
        if self.solver == "normal_equation":
            self.loss_history_ = None
            if not self.fit_intercept:
                self._set_params(normal_equation(X, y, self.l2), X.shape[1])
                return self
            x_mean, y_mean = X.mean(axis=0), y.mean()
            w = normal_equation(X - x_mean, y - y_mean, self.l2)
            self._set_params(np.r_[y_mean - x_mean @ w, w], X.shape[1])
            return self
        A, mask = self._design(X)
        objective, safe_lr = _mse_objective(A, y, self.l2, mask)
        theta0 = np.zeros(A.shape[1], dtype=A.dtype)
        theta, self.loss_history_ = _gradient_descent(objective, theta0, self.lr, self.n_iter, safe_lr)
        self._set_params(theta, X.shape[1])
        return self

    def predict(self, X: ArrayLike) -> Array:
        """:math:`Xw + b`, shape ``(n_samples,)``."""
        return self.decision_function(X)

    def score(self, X: ArrayLike, y: ArrayLike) -> float:
        r"""Coefficient of determination :math:`R^2 = 1 - \sum(y-\hat y)^2 / \sum(y-\bar y)^2`.

        1 is a perfect fit, 0 is no better than predicting the mean. For constant
        ``y`` (the ratio is 0/0) it is 1.0 for a perfect fit and 0.0 otherwise, as in
        scikit-learn.
        """
        X, y = _check_design(X, y)
        residual = y - self.predict(X)
        ss_res, ss_tot = float(residual @ residual), float(np.sum((y - y.mean()) ** 2))
        if ss_tot == 0:
            return 1.0 if ss_res == 0 else 0.0
        return 1.0 - ss_res / ss_tot
