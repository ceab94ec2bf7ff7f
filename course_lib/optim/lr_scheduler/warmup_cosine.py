r"""Warmup and cosine annealing, and the schedulers that build schedules from others.

``LinearLR`` ramps the learning rate linearly (a warmup, or a linear decay),
``CosineAnnealingLR`` follows half a cosine down to ``eta_min``,
``SequentialLR`` runs one scheduler after another (warmup, then cosine), and
``LambdaLR`` multiplies the initial rate by any function of the epoch. All have
PyTorch's names, arguments and defaults, and are re-exported by
``course_lib.optim``.

See the chapter on training in practice.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ..._validation import check_int, check_nonnegative
from .base import LRScheduler, _check_optimizer, _per_group
from .decay import Array, _epochs, _out
from .plateau import ReduceLROnPlateau

__all__ = ["cosine_annealing", "LambdaLR", "LinearLR", "CosineAnnealingLR", "SequentialLR"]


def cosine_annealing(lr0: float, epoch: ArrayLike, T_max: int, eta_min: float = 0.0) -> float | Array:
    r"""Cosine annealing from ``lr0`` at epoch 0 to ``eta_min`` at epoch ``T_max`` (``CosineAnnealingLR``).

    .. math:: \alpha = \eta_\min + \frac{\alpha_0 - \eta_\min}{2}
              \left(1 + \cos\frac{\pi\,\text{epoch}}{T_\max}\right)

    Past ``T_max`` the formula climbs back up (a period of ``2 T_max``), as
    PyTorch's does; schedules usually stop at ``T_max``. ``epoch`` may be a number
    or an array (for plotting). From Loshchilov & Hutter 2017, *SGDR*.
    """
    check_nonnegative(lr0, "lr0")
    check_int(T_max, "T_max")
    check_nonnegative(eta_min, "eta_min")
    e = _epochs(epoch)
    return _out(eta_min + (lr0 - eta_min) * (1 + np.cos(math.pi * e / T_max)) / 2)


class LambdaLR(LRScheduler):
    r"""Learning rate :math:`\alpha_0 \cdot \lambda(\text{epoch})` for any function :math:`\lambda`.

    PyTorch's ``LambdaLR``. ``lr_lambda`` is one function of the epoch count
    (an int, from 0) for every group, or a list with one function per group.
    For example ``LambdaLR(opt, lambda e: min(1.0, (e + 1) / 5))`` is a five-epoch
    linear warmup.

    See the chapter on training in practice.
    """

    def __init__(self, optimizer: Any,
                 lr_lambda: Callable[[int], float] | Sequence[Callable[[int], float]]) -> None:
        _check_optimizer(optimizer)
        self.lr_lambdas = _per_group("lr_lambda", optimizer, lr_lambda)
        for i, fn in enumerate(self.lr_lambdas):
            if not callable(fn):
                raise TypeError(f"lr_lambda must be a function of the epoch (or one per group); "
                                f"item {i} is {fn!r}")
        super().__init__(optimizer)

    def _lrs(self) -> list[float]:
        return [base * fn(self.last_epoch)
                for fn, base in zip(self.lr_lambdas, self.base_lrs, strict=True)]  # fmt: skip


class LinearLR(LRScheduler):
    r"""Change the learning rate linearly over ``total_iters`` steps, then hold it (warmup).

    .. math:: \alpha = \alpha_0 \left(f_s + (f_e - f_s)\,
              \frac{\min(\text{epoch}, T)}{T}\right)

    with :math:`f_s` = ``start_factor``, :math:`f_e` = ``end_factor`` and
    :math:`T` = ``total_iters``. PyTorch's ``LinearLR`` and defaults
    (start at a third of the rate, reach it after 5 steps). A **warmup** starts
    small (``start_factor=0.01``) so that the first steps, taken while Adam's
    second-moment estimate or the weights' scale is still poor, stay small
    (Goyal et al. 2017); with ``start_factor=1, end_factor=0`` it is a linear decay.

    Parameters
    ----------
    start_factor : multiplier of :math:`\alpha_0` at step 0, in ``(0, 1]``
    end_factor : multiplier reached at step ``total_iters``, in ``[0, 1]``
    total_iters : number of steps of the ramp

    See the chapter on training in practice.
    """

    def __init__(self, optimizer: Any, start_factor: float = 1.0 / 3, end_factor: float = 1.0,
                 total_iters: int = 5) -> None:
        if not 0 < start_factor <= 1:
            raise ValueError(f"Invalid start_factor: {start_factor} (must be in (0, 1])")
        if not 0 <= end_factor <= 1:
            raise ValueError(f"Invalid end_factor: {end_factor} (must be in [0, 1])")
        self.start_factor, self.end_factor = float(start_factor), float(end_factor)
        self.total_iters = check_int(total_iters, "total_iters")
        super().__init__(optimizer)

    def _lr_at(self, base_lr: float, epoch: int) -> float:
        progress = min(self.total_iters, epoch) / self.total_iters
        return base_lr * (self.start_factor + (self.end_factor - self.start_factor) * progress)


class CosineAnnealingLR(LRScheduler):
    r"""Anneal the learning rate along half a cosine, from :math:`\alpha_0` to ``eta_min`` in ``T_max`` steps.

    PyTorch's ``CosineAnnealingLR`` (without restarts), in closed form
    (:func:`cosine_annealing`). The rate falls slowly at first, fastest
    half-way, and slowly again near the end, so the last epochs are spent at
    small steps that settle into a minimum.

    Parameters
    ----------
    T_max : number of steps (epochs) from :math:`\alpha_0` down to ``eta_min``
    eta_min : the final learning rate

    See the chapter on training in practice.
    """

    def __init__(self, optimizer: Any, T_max: int, eta_min: float = 0.0) -> None:
        self.T_max = check_int(T_max, "T_max")
        check_nonnegative(eta_min, "eta_min")
        self.eta_min = float(eta_min)
        super().__init__(optimizer)

    def _lr_at(self, base_lr: float, epoch: int) -> float:
        cos = math.cos(math.pi * epoch / self.T_max)
        return self.eta_min + (base_lr - self.eta_min) * (1 + cos) / 2


class SequentialLR(LRScheduler):
    r"""Run ``schedulers`` one after another, switching at the ``milestones`` (warmup, then decay).

    PyTorch's ``SequentialLR``: scheduler ``i`` runs from milestone ``i - 1``
    (or 0) to milestone ``i``, and each one starts again from its own step 0 and
    from the groups' initial learning rates. Warmup for 5 epochs, then cosine
    over the remaining 45::

        warmup = LinearLR(opt, start_factor=0.01, total_iters=5)
        cosine = CosineAnnealingLR(opt, T_max=45)
        scheduler = SequentialLR(opt, [warmup, cosine], milestones=[5])

    Parameters
    ----------
    schedulers : schedulers built on ``optimizer`` (not ``ReduceLROnPlateau``)
    milestones : increasing step counts, one fewer than the schedulers

    See the chapter on training in practice.
    """

    def __init__(self, optimizer: Any, schedulers: Sequence[LRScheduler],
                 milestones: Sequence[int]) -> None:
        _check_optimizer(optimizer)
        schedulers, milestones = list(schedulers), [check_int(m, "milestone") for m in milestones]
        if not schedulers:
            raise ValueError("SequentialLR needs at least one scheduler; got none")
        for i, sched in enumerate(schedulers):
            if isinstance(sched, ReduceLROnPlateau):
                raise ValueError(f"SequentialLR does not support ReduceLROnPlateau (scheduler {i}): "
                                 "its step() needs the metric")
            if not isinstance(sched, LRScheduler):
                raise TypeError(f"SequentialLR: scheduler {i} is not an LRScheduler; "
                                f"got {type(sched).__name__}")
            if sched.optimizer is not optimizer:
                raise ValueError(f"SequentialLR: scheduler {i} ({type(sched).__name__}) "
                                 "belongs to another optimizer")
        if len(milestones) != len(schedulers) - 1:
            raise ValueError(f"SequentialLR needs one milestone fewer than schedulers; got "
                             f"{len(schedulers)} schedulers and {len(milestones)} milestones")
        if any(b <= a for a, b in zip(milestones, milestones[1:], strict=False)):
            raise ValueError(f"milestones must increase; got {milestones}")
        self._schedulers, self._milestones = schedulers, milestones
        for sched in schedulers:
            sched.last_epoch = 0
        super().__init__(optimizer)

    def _active(self) -> LRScheduler:
        """The scheduler of step ``last_epoch``, with its own step count set."""
        idx = bisect_right(self._milestones, self.last_epoch)
        sched = self._schedulers[idx]
        if idx > 0 and self._milestones[idx - 1] == self.last_epoch:
            sched.last_epoch = 0  # its first step: start from the initial rates
        elif self.last_epoch > 0:
            sched.last_epoch += 1
        return sched

    def _lrs(self) -> list[float]:
        sched = self._active()
        sched._set_lr()
        return sched.get_last_lr()
