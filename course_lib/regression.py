r"""Linear and logistic regression: the closed form, gradient descent, and two estimators.

Chapter 2 builds regression three ways, and this module follows it:

1. :func:`normal_equation`, the closed-form least-squares (and ridge) solution;
2. :func:`linear_regression_gd` and :func:`logistic_regression_gd`, plain
   full-batch gradient descent that records the loss at every step;
3. :class:`LinearRegression` and :class:`LogisticRegression`, scikit-learn-style
   estimators (``fit`` returns ``self``, learned attributes end in ``_``) that
   add the intercept and leave it out of the penalty.

The functions take an explicit design matrix ``X`` ``(n_samples, n_features)``
and penalise *every* entry of ``theta``: if ``X`` holds a column of ones, its
coefficient is penalised too. The estimators handle the intercept themselves and
never penalise it.

**The ridge parameter** ``l2`` (written λ) means the same in every function: it
is scikit-learn's ``Ridge(alpha=λ)`` and ``LogisticRegression(C=1/λ)``, and it
matches the seeds' regularised costs

.. math:: J(\theta) = \frac{1}{2m}\sum_{i=1}^{m}\big(h_\theta(x^{(i)}) - y^{(i)}\big)^2
          + \frac{\lambda}{2m}\sum_{j\ge 1}\theta_j^2
          \qquad\text{(and the same penalty added to the mean BCE)}.

(One seed writes the penalty's sum up to :math:`m`, the number of samples; it runs
over the parameters, :math:`j = 1..d`, skipping the bias :math:`\theta_0`.)

**Divergence.** A learning rate that is too large makes gradient descent blow up.
The functions then stop, emit a :class:`course_lib.training.DivergenceWarning`
naming ``lr`` and the largest safe step, and return the last good parameters with
the loss history up to that point, never nan. Stopping happens when the loss is
inf/nan or exceeds :data:`DIVERGENCE_FACTOR` times its initial value.

See the chapter on regression.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._validation import as_float_array, check_ndim, check_nonnegative, check_positive
from .activations import _sigmoid
from .losses import binary_cross_entropy_with_logits, binary_cross_entropy_with_logits_grad
from .training import DivergenceWarning

__all__ = [
    "normal_equation",
    "polynomial_features",
    "linear_regression_gd",
    "logistic_regression_gd",
    "LinearRegression",
    "LogisticRegression",
    "DIVERGENCE_FACTOR",
]

Array = NDArray[np.floating]
Objective = Callable[[Array], tuple[float, Array]]  # theta -> (loss, gradient)
SafeLr = Callable[[], float]  # computed only when needed for the divergence message

#: Gradient descent stops when the loss exceeds this multiple of its initial value.
DIVERGENCE_FACTOR = 1e8


# --- validation helpers -----------------------------------------------------------


def _check_design(
    X: ArrayLike, y: ArrayLike, y_ndims: tuple[int, ...] = (1,)
) -> tuple[Array, Array]:
    X = as_float_array(X, "X")
    check_ndim(X, 2, "X", "Expected a design matrix (n_samples, n_features).")
    y = as_float_array(y, "y").astype(X.dtype, copy=False)
    check_ndim(y, y_ndims, "y", f"Expected targets of shape ({X.shape[0]},).")
    if y.shape[0] != X.shape[0]:
        raise ValueError(
            f"X and y must have the same number of samples; got X.shape={X.shape} and "
            f"y.shape={y.shape}"
        )
    if X.shape[0] == 0:
        raise ValueError(f"X has no rows (shape {X.shape})")
    return X, y


def _check_int(value: int, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"Invalid {name}: {value!r} (must be an int >= {minimum})")
    return int(value)


def _check_theta0(theta0: ArrayLike | None, X: Array) -> Array:
    if theta0 is None:
        return np.zeros(X.shape[1], dtype=X.dtype)
    theta0 = as_float_array(theta0, "theta0").astype(X.dtype)  # a copy: never edit the caller's
    if theta0.shape != (X.shape[1],):
        raise ValueError(
            f"theta0 must have shape ({X.shape[1]},), one entry per column of X "
            f"(X.shape={X.shape}); got shape {theta0.shape}"
        )
    return theta0


# --- closed form --------------------------------------------------------------------


def normal_equation(X: ArrayLike, y: ArrayLike, l2: float = 0.0) -> Array:
    r"""Least-squares (or ridge) coefficients in closed form, by solving the normal equations.

    .. math:: (X^\top X + \lambda I)\,\theta = X^\top y

    minimises :math:`\lVert X\theta - y\rVert^2 + \lambda\lVert\theta\rVert^2`. With
    :math:`\lambda = 0` this is the seeds' :math:`\theta = (X^\top X)^{-1}X^\top y`,
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


def polynomial_features(x: ArrayLike, degree: int, include_bias: bool = True) -> Array:
    r"""Columns :math:`[1, x, x^2, \dots, x^{\text{degree}}]` of one input feature.

    Linear regression on these columns fits a polynomial: the model stays linear
    in :math:`\theta`, so the normal equation still applies.

    Parameters
    ----------
    x : ``(n_samples,)`` or ``(n_samples, 1)``
    degree : highest power, an int >= 0
    include_bias : keep the column of ones (leave it out when the estimator adds
        its own intercept)

    Returns
    -------
    ``(n_samples, degree + 1)``, or ``(n_samples, degree)`` without the bias
    column; dtype of ``x`` (float64 for ints).
    """
    x = as_float_array(x, "x")
    if x.ndim == 2 and x.shape[1] == 1:
        x = x[:, 0]
    check_ndim(x, 1, "x", "Expected one feature: shape (n_samples,) or (n_samples, 1).")
    degree = _check_int(degree, "degree", 0)
    if degree == 0 and not include_bias:
        raise ValueError("degree=0 with include_bias=False leaves no columns")
    powers = np.vander(x, degree + 1, increasing=True).astype(x.dtype, copy=False)  # x**k
    return powers if include_bias else powers[:, 1:]


# --- gradient descent -----------------------------------------------------------------


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


def _bce_objective(X: Array, y: Array, l2: float, mask: Array) -> tuple[Objective, SafeLr]:
    """Loss-and-gradient of the penalised mean BCE on logits, and a safe learning rate."""
    n = X.shape[0]

    def loss_and_grad(theta: Array) -> tuple[float, Array]:
        z = X @ theta
        decay = l2 * mask * theta
        loss = binary_cross_entropy_with_logits(z, y) + 0.5 * float(decay @ theta) / n
        return loss, X.T @ binary_cross_entropy_with_logits_grad(z, y) + decay / n

    def safe_lr() -> float:
        # sigma' <= 1/4, so the Hessian is at most X^T X/(4n) + l2*M/n: lr < 2/L is safe.
        top = np.linalg.eigvalsh(X.T @ X / 4 + l2 * np.diag(mask))[-1]
        return float(2 * n / top) if top > 0 else np.inf

    return loss_and_grad, safe_lr


def _gradient_descent(
    objective: Objective, theta0: Array, lr: float, n_iter: int, safe_lr: SafeLr
) -> tuple[Array, Array]:
    r"""Run :math:`\theta \leftarrow \theta - \alpha\nabla J(\theta)`, stopping on divergence."""
    theta = theta0
    # Overflow is expected when lr is too large; we detect it below instead of warning.
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        loss, grad = objective(theta)
        if not np.isfinite(loss):
            raise ValueError(f"the loss at theta0 is {loss}; check X, y and theta0 for inf/nan")
        history = [loss]
        limit = DIVERGENCE_FACTOR * loss if loss > 0 else np.inf
        for k in range(1, n_iter + 1):
            new_theta = theta - lr * grad
            new_loss, new_grad = objective(new_theta)
            if not (np.isfinite(new_loss) and new_loss <= limit and np.isfinite(new_grad).all()):
                _warn_divergence(k, new_loss, history[0], lr, safe_lr())
                break
            theta, grad = new_theta, new_grad
            history.append(new_loss)
    return theta, np.array(history)


def _warn_divergence(k: int, loss: float, initial: float, lr: float, safe_lr: float) -> None:
    what = (
        f"became {loss}"
        if not np.isfinite(loss)
        else f"grew to {loss:.3g}, over {DIVERGENCE_FACTOR:.0e} times its initial {initial:.3g}"
    )
    warnings.warn(
        f"Gradient descent diverged at iteration {k}: the loss {what} with lr={lr}. "
        f"Returning the parameters of iteration {k - 1} and the loss history so far. "
        f"Use a smaller learning rate: lr < {safe_lr:.3g} is guaranteed to converge here.",
        DivergenceWarning,
        stacklevel=4,  # the caller of linear_regression_gd or fit
    )


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

    The seeds also write the squared error as :math:`(X\theta - y)^\top(X\theta - y)`
    (no :math:`1/n`) and as :math:`\frac{1}{2m}\sum(\cdot)^2` (with ½). With the
    penalty scaled alike, all three have the same minimiser,
    :func:`normal_equation` ``(X, y, l2)``; they differ by a constant factor, which
    rescales the gradient and so the learning rate that works. This function uses
    the mean (PyTorch's ``MSELoss``) without ½.

    Converges for ``lr < n / λ_max(XᵀX + λI)`` and diverges above; standardize the
    features to allow a larger step. On divergence: see the module docstring.

    Parameters
    ----------
    X : ``(n_samples, n_features)``, the design matrix (add a column of ones for an
        intercept; it is then penalised too)
    y : ``(n_samples,)``
    lr : learning rate :math:`\alpha > 0`
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
    check_positive(lr, "lr")
    n_iter = _check_int(n_iter, "n_iter", 0)
    check_nonnegative(l2, "l2")
    objective, safe_lr = _mse_objective(X, y, l2, np.ones(X.shape[1], dtype=X.dtype))
    return _gradient_descent(objective, _check_theta0(theta0, X), lr, n_iter, safe_lr)


def logistic_regression_gd(
    X: ArrayLike,
    y: ArrayLike,
    lr: float,
    n_iter: int,
    theta0: ArrayLike | None = None,
    l2: float = 0.0,
) -> tuple[Array, Array]:
    r"""Full-batch gradient descent on the mean binary cross-entropy of :math:`\sigma(X\theta)`.

    .. math:: J(\theta) = -\frac1n\sum_i\big[y_i\log\sigma(z_i) + (1-y_i)\log(1-\sigma(z_i))\big]
              + \frac{\lambda}{2n}\lVert\theta\rVert^2, \qquad z = X\theta

    .. math:: \nabla J(\theta) = \frac1n\big(X^\top(\sigma(X\theta) - y) + \lambda\theta\big)

    The loss is computed from the logits :math:`z` with
    :func:`course_lib.losses.binary_cross_entropy_with_logits`, which never takes
    ``log(0)``. There is no closed form. If the classes are linearly separable and
    ``l2 = 0`` there is no minimiser at all: the loss keeps falling towards 0 while
    :math:`\lVert\theta\rVert` grows. ``l2 > 0`` gives a unique minimiser, the one of
    scikit-learn's ``LogisticRegression(C=1/l2)`` when ``X`` holds an unpenalised
    intercept column (use :class:`LogisticRegression` for that).

    Parameters
    ----------
    X : ``(n_samples, n_features)``, the design matrix
    y : ``(n_samples,)``, targets in ``[0, 1]`` (labels 0/1)
    lr, n_iter, theta0, l2 : as in :func:`linear_regression_gd`

    Returns
    -------
    theta : ``(n_features,)``
    loss_history : ``(n_iter + 1,)`` (shorter if gradient descent diverged)
    """
    X, y = _check_design(X, y)
    check_positive(lr, "lr")
    n_iter = _check_int(n_iter, "n_iter", 0)
    check_nonnegative(l2, "l2")
    objective, safe_lr = _bce_objective(X, y, l2, np.ones(X.shape[1], dtype=X.dtype))
    return _gradient_descent(objective, _check_theta0(theta0, X), lr, n_iter, safe_lr)


# --- estimators ------------------------------------------------------------------------


class _LinearModel:
    """Shared parts of the two estimators: hyperparameter checks and ``X @ coef_ + intercept_``."""

    def __init__(self, l2: float, fit_intercept: bool, lr: float, n_iter: int) -> None:
        check_nonnegative(l2, "l2")
        check_positive(lr, "lr")
        if not isinstance(fit_intercept, (bool, np.bool_)):
            raise TypeError(f"fit_intercept must be True or False; got {fit_intercept!r}")
        self.l2 = float(l2)
        self.fit_intercept = bool(fit_intercept)
        self.lr = float(lr)
        self.n_iter = _check_int(n_iter, "n_iter", 0)

    def _design(self, X: Array) -> tuple[Array, Array]:
        """The design matrix (with a leading column of ones) and the penalty mask."""
        mask = np.ones(X.shape[1], dtype=X.dtype)
        if not self.fit_intercept:
            return X, mask
        return np.hstack([np.ones((X.shape[0], 1), dtype=X.dtype), X]), np.r_[0.0, mask].astype(X.dtype)

    def _set_params(self, theta: Array, n_features: int) -> None:
        self.intercept_ = float(theta[0]) if self.fit_intercept else 0.0
        self.coef_ = theta[1:] if self.fit_intercept else theta
        self.n_features_in_ = n_features

    def _check_X(self, X: ArrayLike) -> Array:
        if not hasattr(self, "coef_"):
            raise RuntimeError(f"{type(self).__name__} is not fitted yet; call fit(X, y) first")
        X = as_float_array(X, "X")
        check_ndim(X, 2, "X", "Expected (n_samples, n_features).")
        if X.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {X.shape[1]} features (shape {X.shape}) but the model was fitted "
                f"on {self.n_features_in_}"
            )
        return X

    def decision_function(self, X: ArrayLike) -> Array:
        r""":math:`X w + b`, shape ``(n_samples,)``: the prediction (linear) or the logit (logistic)."""
        return self._check_X(X) @ self.coef_ + self.intercept_

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.endswith("_"))
        return f"{type(self).__name__}({params})"


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


class LogisticRegression(_LinearModel):
    r"""Binary logistic regression trained by full-batch gradient descent.

    Minimises the mean binary cross-entropy of :math:`\sigma(Xw + b)` plus
    :math:`\frac{\lambda}{2n}\lVert w\rVert^2` (intercept not penalised), with
    :func:`logistic_regression_gd`'s update. With ``l2 > 0`` the minimiser is the
    one of scikit-learn's ``LogisticRegression(C=1/l2)``; with ``l2 = 0``, that of
    ``LogisticRegression(C=np.inf)``, which exists only if the classes are not
    linearly separable. Standardize the features first: then ``lr`` around 1 works.

    Attributes
    ----------
    coef_ : ``(n_features,)``
    intercept_ : float
    loss_history_ : ``(n_iter + 1,)``, the penalised loss at every step
    classes_ : ``array([0, 1])``
    n_features_in_ : int

    See the chapter on regression.
    """

    def __init__(
        self, l2: float = 0.0, fit_intercept: bool = True, lr: float = 0.1, n_iter: int = 1000
    ) -> None:
        super().__init__(l2, fit_intercept, lr, n_iter)

    def fit(self, X: ArrayLike, y: ArrayLike) -> LogisticRegression:
        """Learn from ``X`` ``(n, d)`` and labels ``y`` ``(n,)`` in {0, 1}; return self."""
        X, y = _check_design(X, y)
        if not np.isin(y, (0, 1)).all():
            raise ValueError(
                f"y must hold binary labels 0 and 1; got values {np.unique(y)[:6].tolist()}"
            )
        A, mask = self._design(X)
        objective, safe_lr = _bce_objective(A, y, self.l2, mask)
        theta0 = np.zeros(A.shape[1], dtype=A.dtype)
        theta, self.loss_history_ = _gradient_descent(objective, theta0, self.lr, self.n_iter, safe_lr)
        self._set_params(theta, X.shape[1])
        self.classes_ = np.array([0, 1])
        return self

    def predict_proba(self, X: ArrayLike) -> Array:
        r"""Class probabilities ``(n_samples, 2)``: columns :math:`1-\sigma(z)` and :math:`\sigma(z)`.

        The column order of scikit-learn (``classes_ = [0, 1]``);
        ``predict_proba(X)[:, 1]`` is :math:`P(y = 1 \mid x)`.
        """
        p = _sigmoid(self.decision_function(X))
        return np.stack([1.0 - p, p], axis=1)

    def predict(self, X: ArrayLike) -> NDArray[np.int64]:
        """Labels ``(n_samples,)``: 1 where the logit is positive (probability > ½), else 0."""
        return (self.decision_function(X) > 0).astype(np.int64)

    def score(self, X: ArrayLike, y: ArrayLike) -> float:
        """Accuracy: the fraction of samples whose label :meth:`predict` gets right."""
        X, y = _check_design(X, y)
        return float(np.mean(self.predict(X) == y))
