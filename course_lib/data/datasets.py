"""Real data sets that ship with scikit-learn, as plain numpy arrays in a :class:`Dataset`.

Nothing is downloaded; scikit-learn is imported only when a loader is called.

See the chapter on regression.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

__all__ = ["Dataset", "load_digits", "load_breast_cancer", "load_diabetes", "load_iris"]


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
