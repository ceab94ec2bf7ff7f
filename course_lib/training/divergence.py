r"""The one divergence rule of ``course_lib``: when a run counts as blown up.

A learning rate that is too large makes the loss grow without bound. Every
training loop of the package (:func:`course_lib.training.fit`, the regression
functions' gradient descent, :func:`course_lib.training.lr_range_test`) stops on
the same test, made after each step, before the step's update is kept:

.. math:: \ell_k \notin \mathbb{R}\ (\text{inf or nan}) \quad\text{or}\quad
          \ell_k > F\,\ell_0 \ \text{ with } \ell_0 > 0, \qquad F = 10^8,

where :math:`\ell_0` is the first loss of the run (for :func:`fit`, the first
mini-batch's) and :math:`F` is :data:`DIVERGENCE_FACTOR`. A loss a hundred
million times its starting value is no longer training, even while it is still a
finite number. The loops then emit a :class:`DivergenceWarning` that names the
learning rate, keep the last good parameters (never nan), and mark the result
(``History.diverged``, ``LRRangeTestResult.diverged``, a loss history that stops
early).

See the chapters "Regression" (gradient descent that diverges) and "Training in
practice" (the learning-rate range test).
"""

from __future__ import annotations

import math

__all__ = ["DIVERGENCE_FACTOR", "DivergenceWarning", "divergence_reason"]

#: A run has diverged once its loss exceeds this multiple of its first loss.
DIVERGENCE_FACTOR = 1e8


class DivergenceWarning(UserWarning):
    """Training stopped because the loss became inf or nan, or grew over ``DIVERGENCE_FACTOR`` times."""


def divergence_reason(loss: float, initial: float) -> str | None:
    r"""Why a run whose first loss was ``initial`` has diverged at ``loss``, or None if it has not.

    The rule: ``loss`` is inf or nan, or ``loss > DIVERGENCE_FACTOR * initial``
    (only when ``initial > 0``; a run that starts at zero loss can only diverge
    to inf or nan).

    Parameters
    ----------
    loss : the loss just computed (a float)
    initial : the first loss of the run

    Returns
    -------
    A phrase for the warning ("the loss became nan", "the loss grew to 2.7e+13, over
    1e+08 times its initial 2.31"), or None.
    """
    if not math.isfinite(loss):
        return f"the loss became {loss}"
    if initial > 0 and loss > DIVERGENCE_FACTOR * initial:
        return (f"the loss grew to {loss:.3g}, over {DIVERGENCE_FACTOR:.0e} times its initial "
                f"{initial:.3g}")  # fmt: skip
    return None
