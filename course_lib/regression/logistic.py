r"""Logistic regression: gradient descent on the BCE, and :class:`LogisticRegression`.

See the chapter on regression.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._validation import check_int, check_lr, check_nonnegative
from ..activations import _sigmoid
from ..losses import binary_cross_entropy_with_logits, binary_cross_entropy_with_logits_grad
from ._base import _LinearModel
from ._gd import (
    Array,
    Objective,
    SafeLr,
    _check_design,
    _check_theta0,
    _gradient_descent,
)

__all__ = ["logistic_regression_gd", "LogisticRegression"]


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
    check_lr(lr)
    n_iter = check_int(n_iter, "n_iter", 0)
    check_nonnegative(l2, "l2")
    objective, safe_lr = _bce_objective(X, y, l2, np.ones(X.shape[1], dtype=X.dtype))
    return _gradient_descent(objective, _check_theta0(theta0, X), lr, n_iter, safe_lr)


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
