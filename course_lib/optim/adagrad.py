r"""Adagrad: divide by the root of the summed squared gradients.

See the chapter on optimizers.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from .._validation import check_lr, check_nonnegative
from .optimizer import Array, Optimizer, ParamLike

__all__ = ["Adagrad", "adagrad_update"]


def adagrad_update(
    p: Array, g: Array, state_sum: Array, *, step: int, lr: float, lr_decay: float,
    weight_decay: float, eps: float,
) -> None:  # fmt: skip
    r"""One step of PyTorch's Adagrad on ``p`` (in place); ``state_sum`` is updated in place.

    .. math::
        \tilde\gamma = \frac{\gamma}{1 + (t-1)\eta}, \quad g \leftarrow g + \lambda\theta, \quad
        s \leftarrow s + g^2, \quad
        \theta \leftarrow \theta - \tilde\gamma \frac{g}{\sqrt{s} + \epsilon}

    ``step`` is :math:`t`, counted from 1 for this parameter.
    """
    if weight_decay != 0:
        g = g + weight_decay * p
    clr = lr / (1 + (step - 1) * lr_decay)
    state_sum += g * g
    p -= clr * (g / (np.sqrt(state_sum) + eps))


class Adagrad(Optimizer):
    r"""Adagrad (Duchi et al., 2011): divide by the root of the summed squared gradients.

    The update is :func:`adagrad_update`, PyTorch's rule with its defaults. Each
    coordinate's effective step :math:`\alpha / \sqrt{\sum_t g_t^2}` shrinks as its
    gradients accumulate, so rarely-updated coordinates keep larger steps. The sum
    never forgets, which makes the steps go to zero on long runs; RMSprop replaces
    it with an exponential average.

    Parameters
    ----------
    lr : learning rate :math:`\gamma`
    lr_decay : :math:`\eta`, the learning rate at step :math:`t` is :math:`\gamma/(1+(t-1)\eta)`
    weight_decay : L2 penalty added to the gradient
    initial_accumulator_value : starting value of the sum :math:`s`
    eps : added to :math:`\sqrt{s}` (outside the root)

    See the chapter on optimizers.
    """

    def __init__(
        self, params: Iterable[ParamLike], lr: float = 1e-2, lr_decay: float = 0,
        weight_decay: float = 0, initial_accumulator_value: float = 0, eps: float = 1e-10,
    ) -> None:  # fmt: skip
        defaults = dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, eps=eps)  # fmt: skip
        super().__init__(params, defaults)

    def _check(self, group: dict[str, Any]) -> None:
        check_lr(group["lr"])
        check_nonnegative(group["lr_decay"], "lr_decay value")
        check_nonnegative(group["weight_decay"], "weight_decay value")
        check_nonnegative(group["initial_accumulator_value"], "initial_accumulator_value value")
        check_nonnegative(group["eps"], "epsilon value")

    def _update(self, p: Array, g: Array, state: dict[str, Any], group: dict[str, Any]) -> None:
        if not state:
            state["step"] = 0
            state["sum"] = np.full_like(p, group["initial_accumulator_value"])
        state["step"] += 1
        adagrad_update(p, g, state["sum"], step=state["step"], lr=group["lr"],
                       lr_decay=group["lr_decay"], weight_decay=group["weight_decay"],
                       eps=group["eps"])  # fmt: skip
