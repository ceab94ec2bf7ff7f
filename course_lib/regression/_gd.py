r"""Full-batch gradient descent with the divergence check, and the input checks it needs.

Shared by :mod:`course_lib.regression.linear` and :mod:`course_lib.regression.logistic`.
The divergence rule is :mod:`course_lib.training.divergence`'s, as for ``fit``.

See the chapter on regression.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._validation import as_float_array, check_finite, check_ndim
from ..training.divergence import DivergenceWarning, divergence_reason

Array = NDArray[np.floating]
Objective = Callable[[Array], tuple[float, Array]]  # theta -> (loss, gradient)
SafeLr = Callable[[], float]  # computed only when needed for the divergence message


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
    check_finite(X, "X")
    check_finite(y, "y")
    return X, y


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
        for k in range(1, n_iter + 1):
            new_theta = theta - lr * grad
            new_loss, new_grad = objective(new_theta)
            reason = divergence_reason(new_loss, history[0])
            if reason is None and not np.isfinite(new_grad).all():
                reason = "the gradient became inf or nan"
            if reason is not None:
                _warn_divergence(k, reason, lr, safe_lr())
                break
            theta, grad = new_theta, new_grad
            history.append(new_loss)
    return theta, np.array(history)


def _warn_divergence(k: int, reason: str, lr: float, safe_lr: float) -> None:
    warnings.warn(
        f"Gradient descent diverged at iteration {k}: {reason} with lr={lr}. "
        f"Returning the parameters of iteration {k - 1} and the loss history so far. "
        f"Use a smaller learning rate: lr < {safe_lr:.3g} is guaranteed to converge here.",
        DivergenceWarning,
        stacklevel=4,  # the caller of linear_regression_gd or fit
    )
