r"""The decay schedules of the chapter on optimizers: step, exponential and inverse-time decay.

A **schedule** fixes the step size :math:`\alpha` as a function of the epoch. The
pure functions (``step_decay``, ``exponential_decay``, ``inverse_time_decay``)
give the formula and accept an array of epochs for plotting; the classes
(``StepLR``, ``ExponentialLR``, ``InverseTimeLR``) apply it to an optimizer's
``lr``, PyTorch-style, when ``scheduler.step()`` is called once per epoch. (The
other way to choose :math:`\alpha`, a line search at every step, is in
``line_search``.)

See the chapter on optimizers.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..._validation import as_float_array, check_int, check_nonnegative, check_positive
from .base import LRScheduler

__all__ = [
    "step_decay", "exponential_decay", "inverse_time_decay",
    "StepLR", "ExponentialLR", "InverseTimeLR",
]  # fmt: skip

Array = NDArray[np.floating]


# -------------------------------------------------------------- schedule formulas


def _epochs(epoch: ArrayLike) -> Array:
    e = as_float_array(epoch, "epoch")
    if np.any(~(e >= 0)):
        raise ValueError(f"epoch must be >= 0; got {epoch!r}")
    return e


def _out(lr: Array) -> float | Array:
    return float(lr) if lr.ndim == 0 else lr


def step_decay(lr0: float, epoch: ArrayLike, step_size: int, gamma: float = 0.1) -> float | Array:
    r"""Learning rate multiplied by ``gamma`` every ``step_size`` epochs (``StepLR``).

    .. math:: \alpha = \alpha_0 \, \gamma^{\lfloor \text{epoch} / \text{step\_size} \rfloor}

    ``epoch`` may be a number (returns a float) or an array (returns an array of its shape).
    """
    check_nonnegative(lr0, "lr0")
    check_int(step_size, "step_size")
    check_positive(gamma, "gamma")
    return _out(lr0 * gamma ** np.floor_divide(_epochs(epoch), step_size))


def exponential_decay(lr0: float, epoch: ArrayLike, gamma: float) -> float | Array:
    r"""Learning rate multiplied by ``gamma`` every epoch (``ExponentialLR``).

    .. math:: \alpha = \alpha_0 \, \gamma^{\text{epoch}}
    """
    check_nonnegative(lr0, "lr0")
    check_positive(gamma, "gamma")
    return _out(lr0 * gamma ** _epochs(epoch))


def inverse_time_decay(lr0: float, epoch: ArrayLike, decay_rate: float) -> float | Array:
    r"""The course notes' learning-rate decay (``InverseTimeLR``).

    .. math:: \alpha = \frac{\alpha_0}{1 + \text{decay\_rate} \cdot \text{epoch}}

    With the course notes' :math:`\alpha_0 = 0.2`, decay_rate = 1: 0.2, 0.1, 0.0667, 0.05, ...
    for epochs 0, 1, 2, 3.
    """
    check_nonnegative(lr0, "lr0")
    check_nonnegative(decay_rate, "decay_rate")
    return _out(lr0 / (1 + decay_rate * _epochs(epoch)))


# ------------------------------------------------------------- scheduler classes


class StepLR(LRScheduler):
    r"""Multiply the learning rate by ``gamma`` every ``step_size`` epochs (:func:`step_decay`).

    PyTorch's ``StepLR`` with the same arguments. See the chapter on optimizers.
    """

    def __init__(self, optimizer: Any, step_size: int, gamma: float = 0.1) -> None:
        check_int(step_size, "step_size")
        check_positive(gamma, "gamma")
        self.step_size, self.gamma = int(step_size), gamma
        super().__init__(optimizer)

    def _lr_at(self, base_lr: float, epoch: int) -> float:
        return float(step_decay(base_lr, epoch, self.step_size, self.gamma))


class ExponentialLR(LRScheduler):
    r"""Multiply the learning rate by ``gamma`` every epoch (:func:`exponential_decay`).

    PyTorch's ``ExponentialLR``. See the chapter on optimizers.
    """

    def __init__(self, optimizer: Any, gamma: float) -> None:
        check_positive(gamma, "gamma")
        self.gamma = gamma
        super().__init__(optimizer)

    def _lr_at(self, base_lr: float, epoch: int) -> float:
        return float(exponential_decay(base_lr, epoch, self.gamma))


class InverseTimeLR(LRScheduler):
    r"""The course notes' decay :math:`\alpha = \alpha_0 / (1 + \text{decay\_rate}\cdot\text{epoch})`.

    PyTorch has no class for this schedule; there one writes
    ``LambdaLR(optimizer, lambda epoch: 1 / (1 + decay_rate * epoch))``. Epochs are
    counted from 0 as in PyTorch, so the first epoch runs at :math:`\alpha_0`: with
    the course notes' :math:`\alpha_0 = 0.2` and decay_rate = 1 the epochs use 0.2, 0.1,
    0.0667, 0.05, ... Andrew Ng's lecture numbers epochs from 1 and so lists
    0.1, 0.067, 0.05, ...: the same formula, shifted by one epoch.

    See :func:`inverse_time_decay` and the chapter on optimizers.
    """

    def __init__(self, optimizer: Any, decay_rate: float) -> None:
        check_nonnegative(decay_rate, "decay_rate")
        self.decay_rate = decay_rate
        super().__init__(optimizer)

    def _lr_at(self, base_lr: float, epoch: int) -> float:
        return float(inverse_time_decay(base_lr, epoch, self.decay_rate))
