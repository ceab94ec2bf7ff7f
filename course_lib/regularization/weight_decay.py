"""Which parameters weight decay applies to: :func:`weight_decay_groups`.

See the chapter on regularization.
"""

from __future__ import annotations

from typing import Any

from .._validation import check_nonnegative
from ..layers import Linear, Module

__all__ = ["weight_decay_groups"]


def weight_decay_groups(model: Any, weight_decay: float) -> list[dict[str, Any]]:
    r"""Optimizer parameter groups that decay the weight matrices of ``Linear`` layers only.

    Biases and batch norm's :math:`\gamma, \beta` shift or scale a unit's output,
    they do not couple inputs; shrinking them towards zero does not simplify the
    function, so the usual practice (and the notes' penalty, which skips
    :math:`\theta_0`) leaves them out. Pass the result to any optimizer::

        optim.AdamW(regularization.weight_decay_groups(model, 1e-2), lr=1e-3)

    Parameters
    ----------
    model : a ``course_lib.layers`` module
    weight_decay : λ >= 0 for the weight matrices

    Returns
    -------
    ``[{"params": weights, "weight_decay": λ}, {"params": the rest, "weight_decay": 0.0}]``,
    without the second group if there is no other parameter
    """
    if not isinstance(model, Module):
        raise TypeError(f"model must be a course_lib.layers Module; got {type(model).__name__}")
    check_nonnegative(weight_decay, "weight_decay")
    weights: list[Any] = []
    stack = [model]
    while stack:
        module = stack.pop()
        if isinstance(module, Linear):
            weights.append(module.weight)
        stack.extend(reversed(module.children()))
    if not weights:
        raise ValueError("the model has no Linear layer: no weight matrix to decay")
    decayed = {id(w) for w in weights}
    rest = [p for p in model.parameters() if id(p) not in decayed]
    groups = [{"params": weights, "weight_decay": float(weight_decay)}]
    return groups + ([{"params": rest, "weight_decay": 0.0}] if rest else [])
