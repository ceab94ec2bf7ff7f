r"""The :class:`LRScheduler` base class: a learning rate per parameter group, from the step count.

A subclass gives the closed-form rate at step ``last_epoch`` in ``_lr_at(base_lr,
epoch)`` (or, when it needs the group index, in ``_lrs()``).

See the chapters on optimizers and on training in practice.
"""

from __future__ import annotations

from typing import Any

__all__ = ["LRScheduler"]


def _check_optimizer(optimizer: Any) -> None:
    if not hasattr(optimizer, "param_groups"):
        raise TypeError(
            f"optimizer must have param_groups (a course_lib.optim optimizer); "
            f"got {type(optimizer).__name__}"
        )


def _per_group(name: str, optimizer: Any, value: Any) -> list[Any]:
    """One value per parameter group: a list or tuple of that length, or one value for all."""
    n = len(optimizer.param_groups)
    if isinstance(value, (list, tuple)):
        if len(value) != n:
            raise ValueError(f"{name} must have one value per parameter group: "
                             f"got {len(value)} values for {n} groups")
        return list(value)
    return [value] * n


class LRScheduler:
    r"""Base class: sets each parameter group's learning rate from a formula of the step count.

    Call ``scheduler.step()`` once at the end of every epoch, after the
    optimizer's steps (or after every optimizer step for a per-step schedule
    such as :class:`OneCycleLR`). The formula is applied in closed form to the
    learning rate each group had when the first scheduler was attached to the
    optimizer (``base_lrs``; PyTorch keeps it in ``group["initial_lr"]``, and so
    does course_lib), so a manual change of a learning rate is overwritten at the
    next ``step()``. PyTorch's chainable schedulers multiply the current value
    instead; without manual changes the two agree to rounding.

    Attributes
    ----------
    optimizer : a ``course_lib.optim`` optimizer (anything with ``param_groups``)
    base_lrs : the initial learning rate :math:`\alpha_0` of each group
    last_epoch : number of ``step()`` calls so far (0 right after construction)
    """

    def __init__(self, optimizer: Any) -> None:
        _check_optimizer(optimizer)
        self.optimizer = optimizer
        self.base_lrs = [float(group.setdefault("initial_lr", group["lr"]))
                         for group in optimizer.param_groups]  # fmt: skip
        self.last_epoch = 0
        self._set_lr()

    def _lr_at(self, base_lr: float, epoch: int) -> float:
        raise NotImplementedError

    def _lrs(self) -> list[float]:
        """The learning rate of every group at step ``last_epoch``."""
        return [self._lr_at(base, self.last_epoch) for base in self.base_lrs]

    def _set_lr(self) -> None:
        self._last_lrs = [float(lr) for lr in self._lrs()]
        for group, lr in zip(self.optimizer.param_groups, self._last_lrs, strict=True):
            group["lr"] = lr

    def step(self) -> None:
        """Advance one epoch (or step) and set every group's learning rate for it."""
        self.last_epoch += 1
        self._set_lr()

    def get_last_lr(self) -> list[float]:
        """The learning rates set by the last ``step()``, one per parameter group, as in PyTorch."""
        return list(self._last_lrs)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(last_epoch={self.last_epoch}, lr={self._last_lrs})"
