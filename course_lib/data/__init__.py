r"""Data for the examples: real data sets, synthetic generators, loss surfaces, splitting.

Four groups of helpers, in the order the book needs them, one file each:

* **Real data** that ships with scikit-learn (nothing is downloaded), in
  ``datasets``: :func:`load_digits`, :func:`load_breast_cancer`,
  :func:`load_diabetes`, :func:`load_iris`. Each returns a :class:`Dataset`,
  which unpacks as ``X, y = load_digits()``.
* **Synthetic data**, deterministic given ``rng``, in ``synthetic``:
  :func:`noisy_line` and :func:`noisy_polynomial` for regression (``X`` of shape
  ``(n, 1)``, a design matrix with one feature; ``y`` of shape ``(n,)``),
  :func:`two_moons` and :func:`spirals` for classification (``X`` of shape
  ``(n, 2)``, ``y`` int64 labels of shape ``(n,)``). Rows come in random order.
* **Loss surfaces** in two dimensions for the optimizer figures, in ``surfaces``:
  :func:`elongated_quadratic`, :func:`rotated_quadratic`, :func:`rosenbrock`,
  :func:`bumpy_quadratic`.
* **Preparing data**, in ``preprocessing``: :func:`train_val_test_split`,
  :class:`Standardizer` / :func:`standardize`, :func:`one_hot`.

Import everything from here: ``from course_lib.data import rosenbrock``.

See the chapters on regression, optimizers and regularization.
"""

from .datasets import Dataset, load_breast_cancer, load_diabetes, load_digits, load_iris
from .preprocessing import Standardizer, one_hot, standardize, train_val_test_split
from .surfaces import LossSurface, bumpy_quadratic, elongated_quadratic, rosenbrock, rotated_quadratic
from .synthetic import noisy_line, noisy_polynomial, spirals, two_moons

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
    "rotated_quadratic",
    "rosenbrock",
    "bumpy_quadratic",
    "train_val_test_split",
    "Standardizer",
    "standardize",
    "one_hot",
]
