r"""Regularization: weight penalties, the λ grid, weight decay, early stopping, dropout's ensemble.

The course notes add a penalty to the loss, :math:`L'(\theta) = L(\theta) + \lambda R(\theta)`,
with L2 (:math:`R = \sum\theta_i^2`, many small weights) or L1
(:math:`R = \sum|\theta_i|`, sparse weights). This module provides those
penalties and their gradients, the doubling grid of λ values the course notes tune over,
:func:`fit_penalized_linear`, which fits a linear model with either penalty
(exactly sparse weights for L1), :func:`weight_decay_groups`, which decays only
the weight matrices, :class:`EarlyStopping`, the callback that stops
training when the validation loss stops improving, and :func:`thinned_average`,
the ensemble view of dropout. The dropout and batch-normalisation layers live in
``course_lib.layers``.

One file per concept: ``penalties`` (the penalties, the λ grid,
:func:`fit_penalized_linear`), ``weight_decay`` (:func:`weight_decay_groups`),
``early_stopping`` and ``dropout`` (:func:`thinned_average`). Import everything
from here: ``from course_lib.regularization import EarlyStopping``.

See the chapter on regularization.
"""

from .dropout import thinned_average
from .early_stopping import EarlyStopping
from .penalties import (
    fit_penalized_linear,
    l1_penalty,
    l1_penalty_grad,
    l2_penalty,
    l2_penalty_grad,
    lambda_grid,
)
from .weight_decay import weight_decay_groups

__all__ = [
    "l1_penalty",
    "l1_penalty_grad",
    "l2_penalty",
    "l2_penalty_grad",
    "lambda_grid",
    "fit_penalized_linear",
    "weight_decay_groups",
    "EarlyStopping",
    "thinned_average",
]
