r"""RMSprop: divide by a running RMS of the gradient.

See the chapter on optimizers.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from .._validation import check_lr, check_nonnegative
from .optimizer import Array, Optimizer, ParamLike

__all__ = ["RMSprop", "rmsprop_update"]


def rmsprop_update(
    p: Array, g: Array, square_avg: Array, grad_avg: Array | None, buf: Array | None, *,
    lr: float, alpha: float, eps: float, weight_decay: float, momentum: float,
) -> None:  # fmt: skip
    r"""One step of PyTorch's RMSprop on ``p`` (in place); the buffers are updated in place.

    .. math::
        g &\leftarrow g + \lambda\theta, \qquad v \leftarrow \alpha v + (1-\alpha) g^2 \\
        \tilde v &= v - \bar g^2 \ \text{with}\ \bar g \leftarrow \alpha\bar g + (1-\alpha) g
        \ \text{(centered)}, \qquad \tilde v = v \ \text{(otherwise)} \\
        b &\leftarrow \mu b + \frac{g}{\sqrt{\tilde v} + \epsilon},\ \theta \leftarrow
        \theta - \gamma b \ \text{(momentum)}, \qquad
        \theta \leftarrow \theta - \gamma\frac{g}{\sqrt{\tilde v} + \epsilon} \ \text{(otherwise)}

    ``grad_avg`` is None unless centered; ``buf`` is None unless ``momentum > 0``.
    """
    if weight_decay != 0:
        g = g + weight_decay * p
    square_avg *= alpha
    square_avg += (1 - alpha) * (g * g)
    if grad_avg is not None:
        grad_avg *= alpha
        grad_avg += (1 - alpha) * g
        avg = np.sqrt(square_avg - grad_avg * grad_avg) + eps
    else:
        avg = np.sqrt(square_avg) + eps  # eps outside the square root, as in PyTorch
    if buf is not None:
        buf *= momentum
        buf += g / avg
        p -= lr * buf
    else:
        p -= lr * (g / avg)


class RMSprop(Optimizer):
    r"""RMSprop (Hinton, Lecture 6e, 2012): divide by a running RMS of the gradient.

    The update is :func:`rmsprop_update`, PyTorch's rule with its defaults:
    :math:`v \leftarrow \alpha v + (1-\alpha) g^2,\ \theta \leftarrow \theta -
    \gamma\, g / (\sqrt{v} + \epsilon)`. ``alpha`` is the course notes' :math:`\beta`; the
    seeds suggest :math:`\beta = 0.9` or 0.999; PyTorch defaults to 0.99.

    **Where ε goes.** One of the notes writes :math:`g/(\sqrt{s} + \epsilon)` (ε outside the
    root, with β = 0.9), another :math:`g/\sqrt{s + \epsilon}` (inside, β = 0.999). Inside, ε is a floor
    on the variance estimate, so the denominator is at least :math:`\sqrt\epsilon`
    (1e-4 for ε = 1e-8) and a coordinate whose gradients are all near zero takes
    steps of at most about :math:`\gamma |g| / \sqrt\epsilon`. Outside, the floor on
    the denominator is ε itself (1e-8). The two agree whenever
    :math:`\sqrt{s} \gg \sqrt\epsilon`. PyTorch puts ε outside, and so does this code;
    Hinton's lecture slide has no ε at all.

    ``centered=True`` divides by an estimate of the standard deviation instead of the
    RMS (Graves, 2013). ``momentum > 0`` keeps a buffer of the normalised steps.

    Parameters
    ----------
    lr : learning rate :math:`\gamma`
    alpha : smoothing constant of the average of :math:`g^2`
    eps : added to the denominator, outside the root
    weight_decay : L2 penalty added to the gradient
    momentum : momentum of the normalised step
    centered : subtract the squared running mean of the gradient from :math:`v`

    See the chapter on optimizers.
    """

    def __init__(
        self, params: Iterable[ParamLike], lr: float = 1e-2, alpha: float = 0.99,
        eps: float = 1e-8, weight_decay: float = 0, momentum: float = 0,
        centered: bool = False,
    ) -> None:  # fmt: skip
        defaults = dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                        momentum=momentum, centered=centered)  # fmt: skip
        super().__init__(params, defaults)

    def _check(self, group: dict[str, Any]) -> None:
        check_lr(group["lr"])
        check_nonnegative(group["eps"], "epsilon value")
        check_nonnegative(group["momentum"], "momentum value")
        check_nonnegative(group["weight_decay"], "weight_decay value")
        check_nonnegative(group["alpha"], "alpha value")

    def _update(self, p: Array, g: Array, state: dict[str, Any], group: dict[str, Any]) -> None:
        if not state:
            state["square_avg"] = np.zeros_like(p)
            state["grad_avg"] = np.zeros_like(p) if group["centered"] else None
            state["momentum_buffer"] = np.zeros_like(p) if group["momentum"] > 0 else None
        rmsprop_update(p, g, state["square_avg"], state["grad_avg"], state["momentum_buffer"],
                       lr=group["lr"], alpha=group["alpha"], eps=group["eps"],
                       weight_decay=group["weight_decay"], momentum=group["momentum"])  # fmt: skip
