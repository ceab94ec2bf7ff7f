r"""Design matrices: :func:`with_intercept` (the column of ones) and :func:`polynomial_features`,
which turns polynomial fitting into linear regression.

See the chapter on regression.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from .._validation import as_float_array, check_int, check_ndim
from ._gd import Array

__all__ = ["with_intercept", "polynomial_features"]


def with_intercept(F: ArrayLike) -> Array:
    r"""The design matrix :math:`[1, F]`: a leading column of ones, then the features.

    The weight of the column of ones is the intercept :math:`\theta_0`, so a
    linear model :math:`X\theta` with this ``X`` is :math:`\theta_0 + F\theta_{1:}`.

    Parameters
    ----------
    F : ``(n_samples, n_features)``, or ``(n_samples,)`` for one feature

    Returns
    -------
    ``(n_samples, n_features + 1)``, dtype of ``F`` (float64 for ints)
    """
    F = as_float_array(F, "F")
    check_ndim(F, (1, 2), "F", "Expected (n_samples, n_features) or (n_samples,).")
    if F.ndim == 1:
        F = F[:, None]
    return np.column_stack([np.ones(F.shape[0], dtype=F.dtype), F])


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
    degree = check_int(degree, "degree", 0)
    if degree == 0 and not include_bias:
        raise ValueError("degree=0 with include_bias=False leaves no columns")
    powers = np.vander(x, degree + 1, increasing=True).astype(x.dtype, copy=False)  # x**k
    return powers if include_bias else powers[:, 1:]
