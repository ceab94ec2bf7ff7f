r"""Gradient clipping: rescale or clamp the gradients between ``backward`` and ``step()``.

PyTorch's ``torch.nn.utils.clip_grad_norm_`` and ``clip_grad_value_``, for
anything with the parameter protocol (``.data`` and ``.grad``: layers'
``Parameter`` and ``autodiff.Tensor``). Parameters whose ``.grad`` is None are
skipped. The gradient arrays are replaced by clipped copies (``p.grad = ...``),
never written into, so an array shared with another object stays as it was.

See the chapter on training in practice.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
from numpy.typing import NDArray

from .optimizer import Array, ParamLike

__all__ = ["clip_grad_norm_", "clip_grad_value_", "grad_norms"]


def _param_list(parameters: ParamLike | Iterable[ParamLike]) -> list[ParamLike]:
    """One parameter or an iterable of them, checked: a ``.data`` array and a ``.grad`` of its shape."""
    if hasattr(parameters, "grad") and hasattr(parameters, "data"):
        parameters = [parameters]  # type: ignore[list-item]
    if isinstance(parameters, np.ndarray) or not isinstance(parameters, Iterable):
        raise TypeError("parameters must be a parameter or an iterable of parameters (objects "
                        f"with .data and .grad), e.g. model.parameters(); got {type(parameters).__name__}")
    params = list(parameters)
    for i, p in enumerate(params):
        if not (hasattr(p, "grad") and isinstance(getattr(p, "data", None), np.ndarray)):
            raise TypeError(f"parameter {i} must have a numpy array .data and a .grad attribute "
                            f"(like layers.Parameter); got {type(p).__name__}")
        if p.grad is not None and np.shape(p.grad) != p.data.shape:
            raise ValueError(f"parameter {i}: gradient shape {np.shape(p.grad)} does not match "
                             f"parameter shape {p.data.shape}")
    return params


def _norm_type(norm_type: float | str) -> float:
    try:
        value = float(norm_type)
    except (TypeError, ValueError):
        value = math.nan
    if not value > 0:
        raise ValueError(f"Invalid norm_type: {norm_type!r} (use a number > 0, e.g. 2.0, or inf)")
    return value


def _norm(g: Array, p: float) -> float:
    r""":math:`\lVert g\rVert_p` of the flattened array; :math:`\max_i |g_i|` for ``p = inf``."""
    if g.size == 0:
        return 0.0
    return float(np.linalg.norm(g.ravel(), ord=p))


def grad_norms(parameters: ParamLike | Iterable[ParamLike], norm_type: float = 2.0) -> NDArray[np.float64]:
    r"""The norm :math:`\lVert \nabla_{\theta_k} L\rVert_p` of each parameter's gradient.

    For monitoring a run layer by layer (see ``training.GradientMonitor``).

    Returns
    -------
    array ``(n_params,)``, nan where ``.grad`` is None.
    """
    p = _norm_type(norm_type)
    return np.array([math.nan if q.grad is None else _norm(q.grad, p)
                     for q in _param_list(parameters)])  # fmt: skip


def clip_grad_norm_(parameters: ParamLike | Iterable[ParamLike], max_norm: float,
                    norm_type: float = 2.0, error_if_nonfinite: bool = False) -> float:
    r"""Rescale all gradients together so that their total norm is at most ``max_norm``.

    The total norm treats every gradient as one long vector:

    .. math:: N = \Big\lVert \big(\lVert g_1\rVert_p, \dots, \lVert g_K\rVert_p\big)\Big\rVert_p,
              \qquad g_k \leftarrow g_k \cdot \min\Big(1, \frac{\text{max\_norm}}{N + 10^{-6}}\Big)

    (for :math:`p = \infty`, :math:`N = \max_{k,i} |g_{k,i}|`). It is PyTorch's rule,
    the 1e-6 included. Every gradient is scaled by the same factor, so the update
    keeps its direction and only its length is capped (Pascanu et al. 2013).
    Clipping each parameter's gradient to ``max_norm`` separately would change
    the direction: a common mistake.

    Parameters
    ----------
    parameters : a parameter or an iterable of them (``model.parameters()``)
    max_norm : the largest total norm allowed, >= 0
    norm_type : :math:`p`, a number > 0 or ``inf`` (``float("inf")`` or ``"inf"``)
    error_if_nonfinite : raise ``RuntimeError`` if the total norm is nan or inf
        (otherwise the gradients are scaled by it anyway, as in PyTorch)

    Returns
    -------
    the total norm :math:`N` before clipping, a float (0.0 if no parameter has a gradient).
    """
    if not (isinstance(max_norm, (int, float, np.floating, np.integer)) and max_norm >= 0):
        raise ValueError(f"Invalid max_norm: {max_norm!r} (must be a number >= 0)")
    p = _norm_type(norm_type)
    with_grad = [q for q in _param_list(parameters) if q.grad is not None]
    if not with_grad:
        return 0.0
    total = _norm(np.array([_norm(q.grad, p) for q in with_grad]), p)
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(
            f"The total norm of order {p} for gradients from `parameters` is non-finite, so it "
            "cannot be clipped. To disable this error and scale the gradients by the non-finite "
            "norm anyway, set `error_if_nonfinite=False`"
        )
    with np.errstate(invalid="ignore", over="ignore"):
        coef = float(max_norm) / (total + 1e-6)
        if not coef >= 1.0:  # also nan: PyTorch scales by it
            for q in with_grad:
                q.grad = q.grad * q.grad.dtype.type(coef)
    return total


def clip_grad_value_(parameters: ParamLike | Iterable[ParamLike], clip_value: float) -> None:
    r"""Clamp every gradient entry to :math:`[-c, c]`: :math:`g_i \leftarrow \max(-c, \min(c, g_i))`.

    PyTorch's ``clip_grad_value_``. Unlike :func:`clip_grad_norm_` it changes the
    direction of the gradient: the large entries are cut, the small ones kept.

    Parameters
    ----------
    parameters : a parameter or an iterable of them
    clip_value : :math:`c`, >= 0
    """
    if not (isinstance(clip_value, (int, float, np.floating, np.integer)) and clip_value >= 0):
        raise ValueError(f"Invalid clip_value: {clip_value!r} (must be a number >= 0)")
    for q in _param_list(parameters):
        if q.grad is not None:
            q.grad = np.clip(q.grad, -clip_value, clip_value).astype(q.grad.dtype, copy=False)
