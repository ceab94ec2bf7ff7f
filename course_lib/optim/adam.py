r"""Adam and AdamW: momentum plus RMSprop scaling, bias-corrected; coupled or decoupled decay.

See the chapter on optimizers.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from .._validation import check_lr, check_nonnegative, check_probability
from .optimizer import Array, Optimizer, ParamLike

__all__ = ["Adam", "AdamW", "adam_update", "adamw_update"]


def adam_update(
    p: Array, g: Array, exp_avg: Array, exp_avg_sq: Array, max_exp_avg_sq: Array | None, *,
    step: int, lr: float, beta1: float, beta2: float, eps: float, weight_decay: float,
) -> None:  # fmt: skip
    r"""One step of PyTorch's Adam on ``p`` (in place); the moment buffers are updated in place.

    .. math::
        g &\leftarrow g + \lambda\theta, \quad m \leftarrow \beta_1 m + (1-\beta_1) g, \quad
        v \leftarrow \beta_2 v + (1-\beta_2) g^2 \\
        v_\max &\leftarrow \max(v_\max, v) \ \text{and use it for}\ v \ \text{(AMSGrad)} \\
        \theta &\leftarrow \theta - \frac{\gamma}{1-\beta_1^t}\,
        \frac{m}{\sqrt{v}/\sqrt{1-\beta_2^t} + \epsilon}

    which is :math:`\theta - \gamma \hat m / (\sqrt{\hat v} + \epsilon)` with
    :math:`\hat m = m/(1-\beta_1^t)`, :math:`\hat v = v/(1-\beta_2^t)`, arranged as
    PyTorch computes it. ``max_exp_avg_sq`` is None unless AMSGrad; ``step`` is
    :math:`t`, counted from 1 for this parameter.
    """
    if weight_decay != 0:
        g = g + weight_decay * p  # coupled L2: goes through the adaptive scaling
    exp_avg *= beta1
    exp_avg += (1 - beta1) * g
    exp_avg_sq *= beta2
    exp_avg_sq += (1 - beta2) * (g * g)
    bias_correction1 = 1 - beta1**step
    bias_correction2 = 1 - beta2**step
    step_size = lr / bias_correction1
    v = exp_avg_sq
    if max_exp_avg_sq is not None:
        np.maximum(max_exp_avg_sq, exp_avg_sq, out=max_exp_avg_sq)  # max of the raw v
        v = max_exp_avg_sq
    denom = np.sqrt(v) / math.sqrt(bias_correction2) + eps
    p -= step_size * (exp_avg / denom)


def adamw_update(
    p: Array, g: Array, exp_avg: Array, exp_avg_sq: Array, max_exp_avg_sq: Array | None, *,
    step: int, lr: float, beta1: float, beta2: float, eps: float, weight_decay: float,
) -> None:  # fmt: skip
    r"""One step of PyTorch's AdamW: :math:`\theta \leftarrow \theta(1 - \gamma\lambda)`, then Adam
    without L2 (see :func:`adam_update`)."""
    p *= 1 - lr * weight_decay
    adam_update(p, g, exp_avg, exp_avg_sq, max_exp_avg_sq, step=step, lr=lr,
                beta1=beta1, beta2=beta2, eps=eps, weight_decay=0.0)  # fmt: skip


class Adam(Optimizer):
    r"""Adam (Kingma & Ba, 2015): momentum on :math:`g` plus RMSprop scaling, bias-corrected.

    The update is :func:`adam_update`, PyTorch's rule with its defaults:

    .. math::
        m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t, \quad v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2,
        \quad \theta_t = \theta_{t-1} - \alpha\frac{m_t/(1-\beta_1^t)}
        {\sqrt{v_t/(1-\beta_2^t)} + \epsilon}

    **Bias correction.** :math:`m` and :math:`v` start at zero, so in the early steps
    they are biased toward zero: :math:`m_t = (1-\beta_1)\sum_{i\le t}\beta_1^{t-i} g_i`
    has weights summing to :math:`1-\beta_1^t`, not 1 (after one step with
    :math:`\beta_2 = 0.999`, :math:`v_1 = 0.001\,g_1^2`). Dividing by
    :math:`1-\beta^t` makes the weights sum to one; the correction fades as
    :math:`\beta^t \to 0`. With it the first step is exactly
    :math:`\alpha\, g/(|g| + \epsilon) \approx \alpha\,\mathrm{sign}(g)`.

    The course notes: one has the bias correction (with ε inside the root; PyTorch
    and the paper put it outside, as here). Another writes Adam with
    :math:`\beta_1` in both averages and no bias correction; both are errors. Adam
    has two decay rates: :math:`\beta_2` (0.999) averages :math:`g^2` over about a
    thousand steps, far longer than the momentum's ten. And without the correction
    the early steps have the wrong size: the first one would be
    :math:`0.1 g / \sqrt{0.001 g^2} \approx 3.2` times :math:`\alpha` per coordinate.

    ``weight_decay`` here is L2 regularisation added to the gradient (coupled), so
    it is rescaled by :math:`1/\sqrt{\hat v}` like the rest of the gradient; see
    :class:`AdamW` for decoupled weight decay. ``amsgrad=True`` divides by the
    running maximum of :math:`v` (Reddi et al., 2018).

    Parameters
    ----------
    lr : learning rate :math:`\alpha`
    betas : :math:`(\beta_1, \beta_2)`, each in ``[0, 1)``
    eps : added to the denominator, outside the root
    weight_decay : L2 penalty added to the gradient
    amsgrad : use the AMSGrad variant

    See the chapter on optimizers.
    """

    _decoupled = False

    def __init__(
        self, params: Iterable[ParamLike], lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
        weight_decay: float = 0.0, amsgrad: bool = False,
    ) -> None:  # fmt: skip
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        amsgrad=amsgrad)  # fmt: skip
        super().__init__(params, defaults)

    def _check(self, group: dict[str, Any]) -> None:
        check_lr(group["lr"])
        check_nonnegative(group["eps"], "epsilon value")
        betas = group["betas"]
        if len(betas) != 2:
            raise ValueError(f"betas must be a pair (beta1, beta2); got {betas!r}")
        check_probability(betas[0], "beta parameter at index 0")
        check_probability(betas[1], "beta parameter at index 1")
        group["betas"] = tuple(betas)
        check_nonnegative(group["weight_decay"], "weight_decay value")

    def _update(self, p: Array, g: Array, state: dict[str, Any], group: dict[str, Any]) -> None:
        if not state:
            state["step"] = 0
            state["exp_avg"] = np.zeros_like(p)
            state["exp_avg_sq"] = np.zeros_like(p)
            state["max_exp_avg_sq"] = np.zeros_like(p) if group["amsgrad"] else None
        state["step"] += 1
        update = adamw_update if self._decoupled else adam_update
        beta1, beta2 = group["betas"]
        update(p, g, state["exp_avg"], state["exp_avg_sq"], state["max_exp_avg_sq"],
               step=state["step"], lr=group["lr"], beta1=beta1, beta2=beta2,
               eps=group["eps"], weight_decay=group["weight_decay"])  # fmt: skip


class AdamW(Adam):
    r"""Adam with decoupled weight decay (Loshchilov & Hutter, 2019).

    Before each Adam step the parameters shrink, :math:`\theta \leftarrow \theta(1 -
    \alpha\lambda)`, and the decay never enters :math:`m` or :math:`v`
    (:func:`adamw_update`). With :class:`Adam`'s coupled L2 the decay gradient
    :math:`\lambda\theta` is divided by :math:`\sqrt{\hat v}`, so weights with large
    gradients are barely regularised; decoupling decays all weights at the same
    rate, as weight decay does in plain SGD. PyTorch's default ``weight_decay=1e-2``.

    Parameters are those of :class:`Adam`. See the chapter on optimizers.
    """

    _decoupled = True

    def __init__(
        self, params: Iterable[ParamLike], lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
        weight_decay: float = 1e-2, amsgrad: bool = False,
    ) -> None:  # fmt: skip
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                         amsgrad=amsgrad)  # fmt: skip
