"""The base class of :class:`LinearRegression` and :class:`LogisticRegression`.

See the chapter on regression.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from .._validation import as_float_array, check_int, check_lr, check_ndim, check_nonnegative
from ._gd import Array
from .features import with_intercept


class _LinearModel:
    """Shared parts of the two estimators: hyperparameter checks and ``X @ coef_ + intercept_``."""

    def __init__(self, l2: float, fit_intercept: bool, lr: float, n_iter: int) -> None:
        check_nonnegative(l2, "l2")
        check_lr(lr)
        if not isinstance(fit_intercept, (bool, np.bool_)):
            raise TypeError(f"fit_intercept must be True or False; got {fit_intercept!r}")
        self.l2 = float(l2)
        self.fit_intercept = bool(fit_intercept)
        self.lr = float(lr)
        self.n_iter = check_int(n_iter, "n_iter", 0)

    def _design(self, X: Array) -> tuple[Array, Array]:
        """The design matrix (with a leading column of ones) and the penalty mask."""
        mask = np.ones(X.shape[1], dtype=X.dtype)
        if not self.fit_intercept:
            return X, mask
        return with_intercept(X), np.r_[0.0, mask].astype(X.dtype)

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
