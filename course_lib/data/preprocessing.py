r"""Preparing data: splitting, standardizing, one-hot encoding.

See the chapters on regression and regularization.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._validation import as_float_array, check_int, check_labels, check_ndim, make_rng

__all__ = ["train_val_test_split", "Standardizer", "standardize", "one_hot"]

Array = NDArray[np.floating]
Rng = np.random.Generator | int | None


def _split_sizes(n: int, val_size: float, test_size: float) -> tuple[int, int]:
    for value, name in ((val_size, "val_size"), (test_size, "test_size")):
        if not (np.isscalar(value) and 0 < value < 1):
            raise ValueError(f"Invalid {name}: {value} (must be a fraction in (0, 1))")
    if val_size + test_size >= 1:
        raise ValueError(
            f"val_size + test_size must be < 1 to leave training data; got "
            f"{val_size} + {test_size} = {val_size + test_size}"
        )
    n_val, n_test = math.ceil(val_size * n), math.ceil(test_size * n)
    if n - n_val - n_test < 1:
        raise ValueError(
            f"{n} samples are too few: {n_val} validation + {n_test} test leave no training data"
        )
    return n_val, n_test


def _stratified_order(labels: NDArray, gen: np.random.Generator) -> NDArray:
    """Order samples by their quantile within their class (random within ties).

    Cutting this order into consecutive blocks gives every block the class
    proportions of the whole data set, up to one sample per class.
    """
    quantile = np.empty(len(labels))
    for c in np.unique(labels):
        idx = np.flatnonzero(labels == c)
        quantile[gen.permutation(idx)] = (np.arange(idx.size) + 0.5) / idx.size
    return np.lexsort((gen.random(len(labels)), quantile))


def train_val_test_split(
    X: ArrayLike,
    y: ArrayLike,
    val_size: float = 0.15,
    test_size: float = 0.15,
    rng: Rng = None,
    stratify: bool = False,
) -> tuple[NDArray, NDArray, NDArray, NDArray, NDArray, NDArray]:
    """Shuffle and split into training, validation and test sets.

    The validation set is for choosing hyperparameters (λ, the learning rate,
    when to stop); the test set is looked at once, at the end.

    Parameters
    ----------
    X : ``(n_samples, ...)``; rows are samples
    y : ``(n_samples, ...)``
    val_size, test_size : fractions in (0, 1) with ``val_size + test_size < 1``.
        The sets get ``ceil(val_size * n)`` and ``ceil(test_size * n)`` samples
        (scikit-learn rounds the test set up too); training gets the rest.
    rng : generator or seed for the shuffle
    stratify : keep the class proportions of ``y`` (integer labels ``(n_samples,)``)
        in every set, up to one sample per class

    Returns
    -------
    X_train, X_val, X_test, y_train, y_val, y_test
        All X parts first, then all y parts: scikit-learn's ``train_test_split``
        order (``X_train, X_test, y_train, y_test``) extended by the validation set.
        dtypes are kept.
    """
    X, y = np.asarray(X), np.asarray(y)
    if X.ndim == 0 or y.ndim == 0:
        raise ValueError(f"X and y must be arrays of samples; got shapes {X.shape} and {y.shape}")
    if len(X) != len(y):
        raise ValueError(
            f"X and y must have the same number of samples; got len(X)={len(X)} and len(y)={len(y)}"
        )
    n_val, n_test = _split_sizes(len(X), val_size, test_size)
    gen = make_rng(rng)
    if stratify:
        labels = check_labels(y, int(np.max(y)) + 1, len(y), "y")
        order = _stratified_order(labels, gen)
    else:
        order = gen.permutation(len(X))
    blocks = order[n_val + n_test :], order[:n_val], order[n_val : n_val + n_test]
    # Shuffle inside each block so no set is sorted by class or quantile.
    train, val, test = (gen.permutation(b) for b in blocks)
    return X[train], X[val], X[test], y[train], y[val], y[test]


class Standardizer:
    r"""Rescale each feature to mean 0 and standard deviation 1, with statistics from training data.

    .. math:: x'_{ij} = \frac{x_{ij} - \mu_j}{\sigma_j}

    ``fit`` computes :math:`\mu_j` and the population standard deviation
    :math:`\sigma_j` (``ddof=0``, as scikit-learn's ``StandardScaler``) on the
    training set only; ``transform`` applies those same numbers to any set.
    Fitting on all the data would leak information about the validation and test
    sets into training, and make their scores look better than they are.

    A constant column (all values equal) is only centred: its ``scale_`` is 1, so
    it becomes all zeros instead of 0/0 = nan.

    Attributes
    ----------
    mean_ : ``(n_features,)``
    scale_ : ``(n_features,)``, the standard deviations, with 1 for constant columns

    See the chapter on regression.
    """

    def fit(self, X: ArrayLike) -> Standardizer:
        """Compute ``mean_`` and ``scale_`` from ``X`` ``(n_samples, n_features)``; return self."""
        X = self._check(X, "X")
        if X.shape[0] == 0:
            raise ValueError(f"X has no rows (shape {X.shape}); cannot compute a mean")
        constant = X.max(axis=0) == X.min(axis=0)  # exact test, immune to rounding in std
        # The mean of a constant column can be off by one ulp; use the value itself so
        # the column centres to exact zeros.
        self.mean_ = np.where(constant, X[0], X.mean(axis=0)).astype(X.dtype)
        std = X.std(axis=0)
        # std can also underflow to 0 for columns of tiny numbers like 1e-190.
        self.scale_ = np.where(constant | (std == 0), 1.0, std).astype(X.dtype)
        return self

    def transform(self, X: ArrayLike) -> Array:
        """Return ``(X - mean_) / scale_``, same shape and dtype as ``X``."""
        X = self._check_fitted(X)
        return ((X - self.mean_) / self.scale_).astype(X.dtype, copy=False)

    def fit_transform(self, X: ArrayLike) -> Array:
        """``fit(X)`` then ``transform(X)``."""
        return self.fit(X).transform(X)

    def inverse_transform(self, Z: ArrayLike) -> Array:
        """Undo :meth:`transform`: ``Z * scale_ + mean_``."""
        Z = self._check_fitted(Z)
        return (Z * self.scale_ + self.mean_).astype(Z.dtype, copy=False)

    @staticmethod
    def _check(X: ArrayLike, name: str) -> Array:
        X = as_float_array(X, name)
        check_ndim(X, 2, name, "Expected (n_samples, n_features); reshape one feature with "
                   "x.reshape(-1, 1).")
        return X

    def _check_fitted(self, X: ArrayLike) -> Array:
        if not hasattr(self, "mean_"):
            raise RuntimeError("Standardizer is not fitted yet; call fit(X_train) first")
        X = self._check(X, "X")
        if X.shape[1] != self.mean_.shape[0]:
            raise ValueError(
                f"X has {X.shape[1]} features (shape {X.shape}) but the Standardizer was "
                f"fitted on {self.mean_.shape[0]}"
            )
        return X

    def __repr__(self) -> str:
        fitted = f"n_features={self.mean_.shape[0]}" if hasattr(self, "mean_") else "not fitted"
        return f"Standardizer({fitted})"


def standardize(X_train: ArrayLike, *others: ArrayLike) -> tuple[Array, ...]:
    """Standardize ``X_train`` and any other sets with the mean and std of ``X_train`` only.

    ``X_train, X_val, X_test = standardize(X_train, X_val, X_test)``. Always returns
    a tuple (``(X,) = standardize(X)`` for one array). Use :class:`Standardizer`
    when you need ``mean_``/``scale_`` later, e.g. to transform new data.
    See :class:`Standardizer` for why only the training set is used.
    """
    scaler = Standardizer().fit(X_train)
    return tuple(scaler.transform(X) for X in (X_train, *others))


def one_hot(y: ArrayLike, n_classes: int | None = None) -> Array:
    """One row per label with a 1 in that label's column: ``(n_samples, n_classes)`` float64.

    Parameters
    ----------
    y : integer labels ``(n_samples,)`` in ``[0, n_classes)``
    n_classes : number of columns; default ``max(y) + 1``
    """
    arr = np.asarray(y)
    check_ndim(arr, 1, "y", "Expected integer labels of shape (n_samples,).")
    if n_classes is None:
        if arr.size == 0:
            raise ValueError("y is empty; pass n_classes to one-hot encode no labels")
        if arr.dtype.kind not in "iuf":
            raise TypeError(f"y must hold integer class labels; got dtype {arr.dtype}")
        n_classes = int(np.max(arr)) + 1
    n_classes = check_int(n_classes, "n_classes")
    if arr.size == 0:
        arr = arr.astype(np.int64)  # np.asarray([]) is float64
    labels = check_labels(arr, n_classes, arr.shape[0], "y")
    out = np.zeros((labels.size, n_classes))
    out[np.arange(labels.size), labels] = 1.0
    return out
