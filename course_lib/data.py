r"""Data for the examples: real data sets, synthetic generators, loss surfaces, splitting.

Four groups of helpers, in the order the book needs them:

* **Real data** that ships with scikit-learn (nothing is downloaded):
  :func:`load_digits`, :func:`load_breast_cancer`, :func:`load_diabetes`,
  :func:`load_iris`. Each returns a :class:`Dataset`, which unpacks as
  ``X, y = load_digits()``.
* **Synthetic data**, deterministic given ``rng``: :func:`noisy_line` and
  :func:`noisy_polynomial` for regression (``X`` of shape ``(n, 1)``, a design
  matrix with one feature; ``y`` of shape ``(n,)``), :func:`two_moons` and
  :func:`spirals` for classification (``X`` of shape ``(n, 2)``, ``y`` int64
  labels of shape ``(n,)``). Rows come in random order.
* **Loss surfaces** in two dimensions for the optimizer figures:
  :func:`elongated_quadratic`, :func:`rosenbrock`, :func:`bumpy_quadratic`.
* **Preparing data**: :func:`train_val_test_split`, :class:`Standardizer` /
  :func:`standardize`, :func:`one_hot`.

See the chapters on regression, optimizers and regularization.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._validation import (
    as_float_array,
    check_labels,
    check_ndim,
    check_nonnegative,
    check_positive,
    make_rng,
)

__all__ = [
    "Dataset",
    "load_digits",
    "load_breast_cancer",
    "load_diabetes",
    "load_iris",
    "noisy_line",
    "noisy_polynomial",
    "two_moons",
    "spirals",
    "LossSurface",
    "elongated_quadratic",
    "rosenbrock",
    "bumpy_quadratic",
    "train_val_test_split",
    "Standardizer",
    "standardize",
    "one_hot",
]

Array = NDArray[np.floating]
Rng = np.random.Generator | int | None


# --- real data sets ------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Dataset:
    """A data set as plain numpy arrays. Unpacks as ``X, y = dataset``.

    Attributes
    ----------
    X : float64 array ``(n_samples, n_features)``
    y : ``(n_samples,)``, int64 class labels or float64 regression targets
    feature_names, target_names : names of the columns of ``X`` and of the classes
        (for regression, the name of the target)
    description : scikit-learn's description of the data (its source and units)
    """

    X: NDArray
    y: NDArray
    feature_names: tuple[str, ...]
    target_names: tuple[str, ...]
    description: str = field(repr=False)

    def __iter__(self) -> Iterator[NDArray]:
        yield self.X
        yield self.y

    def __repr__(self) -> str:
        return (
            f"Dataset(X: {self.X.shape} {self.X.dtype}, y: {self.y.shape} {self.y.dtype}, "
            f"{len(self.target_names)} target name(s))"
        )


def _from_bunch(bunch, regression: bool, target_names: tuple[str, ...] | None = None) -> Dataset:
    y = bunch.target.astype(np.float64 if regression else np.int64)
    if target_names is None:
        target_names = tuple(str(t) for t in bunch.target_names)
    return Dataset(
        X=np.ascontiguousarray(bunch.data, dtype=np.float64),
        y=y,
        feature_names=tuple(str(f) for f in bunch.feature_names),
        target_names=target_names,
        description=str(bunch.DESCR),
    )


def load_digits() -> Dataset:
    """8x8 images of handwritten digits: ``X`` ``(1797, 64)``, ``y`` int64 in ``0..9``.

    Pixel values are integers 0..16 stored as float64; ``X[i].reshape(8, 8)`` is
    the image. Divide by 16 (or standardize) before training.
    """
    from sklearn import datasets

    return _from_bunch(datasets.load_digits(), regression=False)


def load_breast_cancer() -> Dataset:
    """Wisconsin breast cancer: ``X`` ``(569, 30)``, ``y`` int64, 0 = malignant, 1 = benign.

    The features have very different scales (areas in the hundreds, smoothness
    around 0.1): standardize before gradient descent. With all 30 standardized
    features the two classes are linearly separable, so unregularized logistic
    regression has no finite minimiser (the weights grow without bound).
    """
    from sklearn import datasets

    return _from_bunch(datasets.load_breast_cancer(), regression=False)


def load_diabetes(*, scaled: bool = False) -> Dataset:
    """Diabetes progression: ``X`` ``(442, 10)``, ``y`` float64 (a disease score, 25..346).

    By default the features are in their original units (age in years, BMI,
    blood pressure, six blood serum measurements), so the book can show why
    standardizing matters. ``scaled=True`` returns scikit-learn's default
    version, centred and scaled so each column has unit Euclidean norm.
    """
    from sklearn import datasets

    bunch = datasets.load_diabetes(scaled=scaled)
    return _from_bunch(bunch, regression=True, target_names=("disease progression",))


def load_iris() -> Dataset:
    """Iris flowers: ``X`` ``(150, 4)`` in cm, ``y`` int64, 0 = setosa, 1 = versicolor, 2 = virginica."""
    from sklearn import datasets

    return _from_bunch(datasets.load_iris(), regression=False)


# --- synthetic data -------------------------------------------------------------


def _check_count(value: int, name: str, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"Invalid {name}: {value!r} (must be an int >= {minimum})")
    return int(value)


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
    n = _check_count(n_samples, "n_samples")
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
    n = _check_count(n_samples, "n_samples", minimum=2)
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
    n = _check_count(n_samples, "n_samples")
    c = _check_count(n_classes, "n_classes", minimum=2)
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


# --- 2-D loss surfaces ----------------------------------------------------------


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
        n = _check_count(n, "n", minimum=2)
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
    on to the origin (the seeds' "escape small bumps").
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


# --- splitting and scaling ------------------------------------------------------


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
    n_classes = _check_count(n_classes, "n_classes")
    if arr.size == 0:
        arr = arr.astype(np.int64)  # np.asarray([]) is float64
    labels = check_labels(arr, n_classes, arr.shape[0], "y")
    out = np.zeros((labels.size, n_classes))
    out[np.arange(labels.size), labels] = 1.0
    return out
