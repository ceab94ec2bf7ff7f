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
matches the course notes' regularised costs

.. math:: J(\theta) = \frac{1}{2m}\sum_{i=1}^{m}\big(h_\theta(x^{(i)}) - y^{(i)}\big)^2
          + \frac{\lambda}{2m}\sum_{j\ge 1}\theta_j^2
          \qquad\text{(and the same penalty added to the mean BCE)}.

(One of the notes writes the penalty's sum up to :math:`m`, the number of samples; it runs
over the parameters, :math:`j = 1..d`, skipping the bias :math:`\theta_0`.)

**Divergence.** A learning rate that is too large makes gradient descent blow up.
The functions then stop, emit a :class:`course_lib.training.DivergenceWarning`
naming ``lr`` and the largest safe step, and return the last good parameters with
the loss history up to that point, never nan. Stopping happens when the loss is
inf/nan or exceeds :data:`DIVERGENCE_FACTOR` times its initial value: the rule of
:mod:`course_lib.training.divergence`, the same for ``training.fit``.

**The learning rate** may be 0 (nothing moves) but not negative, as for every
optimizer in :mod:`course_lib.optim` and in PyTorch.

**Layout**: ``linear`` (the normal equation, gradient descent on the MSE,
:class:`LinearRegression`), ``features`` (:func:`with_intercept`, :func:`polynomial_features`) and
``logistic`` (gradient descent on the BCE, :class:`LogisticRegression`). The
gradient-descent loop with its divergence check, and the estimators' shared
base class, are private (``_gd``, ``_base``).

See the chapter on regression.
"""

from ..training.divergence import DIVERGENCE_FACTOR
from .features import polynomial_features, with_intercept
from .linear import LinearRegression, linear_regression_gd, normal_equation
from .logistic import LogisticRegression, logistic_regression_gd

__all__ = [
    "normal_equation",
    "polynomial_features",
    "with_intercept",
    "linear_regression_gd",
    "logistic_regression_gd",
    "LinearRegression",
    "LogisticRegression",
    "DIVERGENCE_FACTOR",
]
