r"""The one-cycle policy, :class:`OneCycleLR`: up to a peak learning rate and down far below the start.

See the chapter on training in practice.
"""

from __future__ import annotations

import math
from typing import Any, Literal

from ..._validation import check_int, check_positive
from .base import LRScheduler, _check_optimizer, _per_group

__all__ = ["OneCycleLR"]


def _anneal_cos(start: float, end: float, pct: float) -> float:
    return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)


def _anneal_linear(start: float, end: float, pct: float) -> float:
    return (end - start) * pct + start


class OneCycleLR(LRScheduler):
    r"""The one-cycle policy: warm up to ``max_lr``, then anneal far below the start.

    PyTorch's ``OneCycleLR``, with its arguments and defaults; step it after
    every **batch** (``total_steps`` steps in all). With
    :math:`\alpha_\text{start} = \text{max\_lr}/\text{div\_factor}` and
    :math:`\alpha_\min = \alpha_\text{start}/\text{final\_div\_factor}`, the rate
    goes from :math:`\alpha_\text{start}` up to max_lr over the first
    ``pct_start`` of the steps, then down to :math:`\alpha_\min`; each phase
    interpolates with

    .. math:: \text{cos:}\ a_\text{end} + \frac{a_\text{start} - a_\text{end}}{2}(1 + \cos\pi p)
              \qquad \text{linear:}\ a_\text{start} + (a_\text{end} - a_\text{start})\,p

    where :math:`p \in [0, 1]` is the progress through the phase. With
    ``three_phase=True`` the rate comes back down to :math:`\alpha_\text{start}`
    symmetrically, then a third phase anneals to :math:`\alpha_\min`: the
    schedule of the original paper (Smith & Topin 2019, *Super-convergence*),
    where the large peak rate trains in far fewer epochs; the two-phase default
    follows fastai, as PyTorch's does. With ``cycle_momentum`` the momentum
    (SGD's ``momentum``, or Adam's :math:`\beta_1`) moves the opposite way, from
    ``max_momentum`` down to ``base_momentum`` at the peak rate and back, as
    Smith (2018, *A disciplined approach to neural network hyper-parameters*)
    recommends: a large step with a large momentum would overshoot.

    The optimizer's own ``lr`` is ignored: the schedule sets it. Each group's
    ``initial_lr`` is set to its :math:`\alpha_\text{start}` (as in PyTorch);
    the other values are kept on the scheduler (PyTorch stores them in the
    groups).

    Parameters
    ----------
    max_lr : peak learning rate, one for all groups or one per group
    total_steps : number of steps in the cycle; or give ``epochs`` and ``steps_per_epoch``
    pct_start : fraction of the steps spent increasing the rate, a float in [0, 1]
    anneal_strategy : ``"cos"`` or ``"linear"``
    cycle_momentum : cycle SGD's ``momentum`` or Adam's :math:`\beta_1` inversely to the rate
    base_momentum, max_momentum : the momentum at the peak rate and at the ends
    div_factor : :math:`\alpha_\text{start} = \text{max\_lr}/\text{div\_factor}`
    final_div_factor : :math:`\alpha_\min = \alpha_\text{start}/\text{final\_div\_factor}`
    three_phase : use the three-phase schedule

    See the chapter on training in practice.
    """

    def __init__(
        self, optimizer: Any, max_lr: float | list[float], total_steps: int | None = None,
        epochs: int | None = None, steps_per_epoch: int | None = None, pct_start: float = 0.3,
        anneal_strategy: Literal["cos", "linear"] = "cos", cycle_momentum: bool = True,
        base_momentum: float | list[float] = 0.85, max_momentum: float | list[float] = 0.95,
        div_factor: float = 25.0, final_div_factor: float = 1e4, three_phase: bool = False,
    ) -> None:  # fmt: skip
        _check_optimizer(optimizer)
        self.total_steps = _total_steps(total_steps, epochs, steps_per_epoch)
        if not isinstance(pct_start, float) or not 0 <= pct_start <= 1:
            raise ValueError(f"Expected float between 0 and 1 pct_start, but got {pct_start!r}")
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(
                f"anneal_strategy must be one of 'cos' or 'linear', instead got {anneal_strategy!r}"
            )
        check_positive(div_factor, "div_factor")
        check_positive(final_div_factor, "final_div_factor")
        self._anneal = _anneal_cos if anneal_strategy == "cos" else _anneal_linear
        self.anneal_strategy, self.three_phase = anneal_strategy, bool(three_phase)
        self._phases = _phases(pct_start, self.total_steps, self.three_phase)
        self._values = []  # per group: the rates and momenta the phases move between
        for group, peak in zip(optimizer.param_groups, _per_group("max_lr", optimizer, max_lr),
                               strict=True):  # fmt: skip
            check_positive(peak, "max_lr")
            group["initial_lr"] = peak / div_factor
            self._values.append({"initial_lr": peak / div_factor, "max_lr": peak,
                                 "min_lr": peak / div_factor / final_div_factor})  # fmt: skip
        self.cycle_momentum = bool(cycle_momentum)
        if self.cycle_momentum:
            self._init_momentum(optimizer, base_momentum, max_momentum)
        super().__init__(optimizer)

    def _init_momentum(self, optimizer: Any, base_momentum: Any, max_momentum: Any) -> None:
        if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
            raise ValueError(
                "optimizer must support momentum or beta1 with `cycle_momentum` option enabled "
                f"({type(optimizer).__name__} has neither; pass cycle_momentum=False)"
            )
        self.use_beta1 = "betas" in optimizer.defaults
        highs = _per_group("max_momentum", optimizer, max_momentum)
        lows = _per_group("base_momentum", optimizer, base_momentum)
        for group, values, high, low in zip(optimizer.param_groups, self._values, highs, lows,
                                            strict=True):  # fmt: skip
            values["max_momentum"], values["base_momentum"] = high, low
            self._set_momentum(group, high)

    def _set_momentum(self, group: dict[str, Any], momentum: float) -> None:
        if self.use_beta1:
            group["betas"] = (momentum, *group["betas"][1:])
        else:
            group["momentum"] = momentum

    def _lrs(self) -> list[float]:
        step = self.last_epoch
        if step > self.total_steps:
            raise ValueError(
                f"Tried to step {step} times. The specified number of total steps is "
                f"{self.total_steps}: step OneCycleLR once per batch, over total_steps batches"
            )
        lrs = []
        for group, values in zip(self.optimizer.param_groups, self._values, strict=True):
            lr, momentum = self._at(step, values)
            lrs.append(lr)
            if self.cycle_momentum:
                self._set_momentum(group, momentum)
        return lrs

    def _at(self, step: int, values: dict[str, float]) -> tuple[float, float | None]:
        """Learning rate and momentum at ``step``: interpolate within the phase it falls in."""
        start_step = 0.0
        for i, (end_step, lr_from, lr_to, m_from, m_to) in enumerate(self._phases):
            if step <= end_step or i == len(self._phases) - 1:
                pct = (step - start_step) / (end_step - start_step)
                lr = self._anneal(values[lr_from], values[lr_to], pct)
                momentum = (self._anneal(values[m_from], values[m_to], pct)
                            if self.cycle_momentum else None)  # fmt: skip
                return lr, momentum
            start_step = end_step
        raise AssertionError("unreachable: the last phase always matches")


def _total_steps(total_steps: int | None, epochs: int | None, steps_per_epoch: int | None) -> int:
    if total_steps is not None:
        return check_int(total_steps, "total_steps")
    if epochs is not None and steps_per_epoch is not None:
        return check_int(epochs, "epochs") * check_int(steps_per_epoch, "steps_per_epoch")
    raise ValueError("You must define either total_steps OR (epochs AND steps_per_epoch)")


def _phases(pct_start: float, total_steps: int, three_phase: bool) -> list[tuple]:
    """(end step, lr from, lr to, momentum from, momentum to) of each phase, as PyTorch lays them out."""
    up = float(pct_start * total_steps) - 1
    if three_phase:
        return [
            (up, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
            (float(2 * pct_start * total_steps) - 2, "max_lr", "initial_lr", "base_momentum",
             "max_momentum"),
            (total_steps - 1, "initial_lr", "min_lr", "max_momentum", "max_momentum"),
        ]  # fmt: skip
    return [
        (up, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
        (total_steps - 1, "max_lr", "min_lr", "base_momentum", "max_momentum"),
    ]
