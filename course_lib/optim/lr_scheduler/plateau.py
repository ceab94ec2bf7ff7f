r""":class:`ReduceLROnPlateau`: cut the learning rate when a monitored metric stops improving.

See the chapter on training in practice.
"""

from __future__ import annotations

import math
from typing import Any, Literal

from ..._validation import check_int, check_nonnegative
from .base import _check_optimizer, _per_group

__all__ = ["ReduceLROnPlateau"]


class ReduceLROnPlateau:
    r"""Multiply the learning rate by ``factor`` once the metric has not improved for ``patience`` epochs.

    PyTorch's ``ReduceLROnPlateau``, with its arguments, defaults and rule. Call
    ``scheduler.step(metric)`` after every epoch with the monitored value
    (usually the validation loss). A value is an **improvement** on the best
    so far when, with :math:`t` = ``threshold``,

    .. math::
        \text{min, rel:}\ v < b(1 - t) \qquad \text{min, abs:}\ v < b - t \qquad
        \text{max, rel:}\ v > b(1 + t) \qquad \text{max, abs:}\ v > b + t

    After more than ``patience`` epochs in a row without one, every group's rate
    becomes :math:`\max(\alpha \cdot \text{factor}, \text{min\_lr})` (a change
    smaller than ``eps`` is skipped), and the count restarts. For ``cooldown``
    epochs after a cut, bad epochs are not counted. Unlike the other schedulers
    it multiplies the *current* rate: there is no formula of the epoch, only the
    history of the metric. nan is never an improvement.

    Parameters
    ----------
    mode : ``"min"`` (losses) or ``"max"`` (accuracies)
    factor : multiplier of the rate at each cut, in ``[0, 1)``
    patience : bad epochs tolerated before a cut (the cut comes on bad epoch ``patience + 1``)
    threshold : how much better than the best a value must be to count
    threshold_mode : ``"rel"`` (relative to the best) or ``"abs"``
    cooldown : epochs after a cut during which bad epochs are ignored
    min_lr : lower bound of the rate, one for all groups or one per group
    eps : smallest change of the rate worth making

    Attributes
    ----------
    best : best metric so far
    num_bad_epochs : epochs since the last improvement
    cooldown_counter : cooldown epochs left
    last_epoch : number of ``step`` calls
    base_lrs : each group's rate when the scheduler was made (course_lib keeps it for plots;
        PyTorch's class has none)

    See the chapter on training in practice.
    """

    def __init__(
        self, optimizer: Any, mode: Literal["min", "max"] = "min", factor: float = 0.1,
        patience: int = 10, threshold: float = 1e-4, threshold_mode: Literal["rel", "abs"] = "rel",
        cooldown: int = 0, min_lr: float | list[float] = 0, eps: float = 1e-8,
    ) -> None:  # fmt: skip
        _check_optimizer(optimizer)
        if not (isinstance(factor, (int, float)) and 0 <= factor < 1):
            raise ValueError(f"Invalid factor: {factor} (Factor should be < 1.0, and >= 0)")
        if mode not in ("min", "max"):
            raise ValueError(f"mode {mode!r} is unknown! Use 'min' for losses, 'max' for accuracies")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(f"threshold mode {threshold_mode!r} is unknown! Use 'rel' or 'abs'")
        check_nonnegative(threshold, "threshold")
        check_nonnegative(eps, "eps")
        self.optimizer = optimizer
        self.mode, self.factor, self.threshold, self.threshold_mode = mode, factor, threshold, threshold_mode
        self.patience = check_int(patience, "patience", minimum=0)
        self.cooldown = check_int(cooldown, "cooldown", minimum=0)
        self.min_lrs = _per_group("min_lr", optimizer, min_lr)
        for value in self.min_lrs:
            check_nonnegative(value, "min_lr")
        self.eps = eps
        self.base_lrs = [float(group["lr"]) for group in optimizer.param_groups]
        self.last_epoch = 0
        self._last_lrs = list(self.base_lrs)
        self.mode_worse = math.inf if mode == "min" else -math.inf
        self.best, self.num_bad_epochs, self.cooldown_counter = self.mode_worse, 0, 0

    def is_better(self, value: float, best: float) -> bool:
        """Whether ``value`` improves on ``best`` by more than the threshold."""
        if self.mode == "min" and self.threshold_mode == "rel":
            return value < best * (1.0 - self.threshold)
        if self.mode == "min":
            return value < best - self.threshold
        if self.threshold_mode == "rel":
            return value > best * (1.0 + self.threshold)
        return value > best + self.threshold

    @property
    def in_cooldown(self) -> bool:
        return self.cooldown_counter > 0

    def step(self, metrics: float) -> None:
        """Record one epoch's metric; cut the learning rates if it has plateaued."""
        current = float(metrics)
        self.last_epoch += 1
        if self.is_better(current, self.best):
            self.best, self.num_bad_epochs = current, 0
        else:
            self.num_bad_epochs += 1
        if self.in_cooldown:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0  # bad epochs during the cooldown do not count
        if self.num_bad_epochs > self.patience:
            self._reduce_lr()
            self.cooldown_counter, self.num_bad_epochs = self.cooldown, 0
        self._last_lrs = [float(group["lr"]) for group in self.optimizer.param_groups]

    def _reduce_lr(self) -> None:
        for group, min_lr in zip(self.optimizer.param_groups, self.min_lrs, strict=True):
            old_lr = float(group["lr"])
            new_lr = max(old_lr * self.factor, min_lr)
            if old_lr - new_lr > self.eps:
                group["lr"] = new_lr

    def get_last_lr(self) -> list[float]:
        """The learning rates after the last ``step``, one per parameter group."""
        return list(self._last_lrs)

    def __repr__(self) -> str:
        return (f"ReduceLROnPlateau(mode={self.mode!r}, factor={self.factor}, "
                f"patience={self.patience}, best={self.best}, lr={self._last_lrs})")  # fmt: skip
