r"""Callbacks that watch or change every optimizer step of :func:`fit`: monitoring and clipping.

A callback is any object with some of ``on_before_step(info)`` (after the
backward pass, before ``optimizer.step()``), ``on_after_step(info)`` and
``on_epoch_end(epoch, logs, model)``; ``info`` is a :class:`StepInfo`.

See the chapter on training in practice.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .._validation import check_int, check_nonnegative
from ..optim import clip_grad_norm_, grad_norms
from .loop import StepInfo

__all__ = ["GradientMonitor", "ClipGradNorm"]

Array = NDArray[np.floating]


def _named_parameters(model: Any) -> list[tuple[str, Any]]:
    if hasattr(model, "named_parameters"):
        return list(model.named_parameters())
    return [(f"param{i}", p) for i, p in enumerate(model.parameters())]


class GradientMonitor:
    r"""Record, every ``every`` optimizer steps, each parameter's gradient norm and update-to-weight ratio.

    .. math:: \lVert \nabla_{\theta_k} L\rVert_2 \qquad\text{and}\qquad
              r_k = \frac{\lVert \theta_k^\text{after} - \theta_k^\text{before}\rVert_2}
                         {\lVert \theta_k^\text{before}\rVert_2}

    for every parameter :math:`\theta_k` (a layer's weight or bias). Gradient
    norms that shrink layer by layer towards the input are vanishing gradients;
    norms that grow are exploding ones. The ratio :math:`r_k` says how fast a
    layer learns: around :math:`10^{-3}` per step is the usual rule of thumb
    (cs231n); far below, the layer barely moves; far above, the learning rate
    is too large for it. Pass it to ``fit(..., callbacks=[monitor])``; the
    gradient norms are those the optimizer sees, so a :class:`ClipGradNorm`
    listed before the monitor shows clipped norms, listed after it raw ones.

    Parameters
    ----------
    every : record one step in ``every`` (1: all of them); each record copies the parameters once

    Attributes
    ----------
    names_ : parameter names, from ``model.named_parameters()`` (``"0.weight"``, ...)
    steps_, epochs_ : arrays ``(n_records,)``: the step (from 1) and epoch of each record
    grad_norms_ : array ``(n_records, n_params)``; nan where a parameter had no gradient
    update_ratios_ : array ``(n_records, n_params)``; nan where :math:`\lVert\theta\rVert = 0`
        (biases at their zero start)

    See the chapter on training in practice.
    """

    def __init__(self, every: int = 1) -> None:
        self.every = check_int(every, "every")
        self.names_: list[str] = []
        self._steps: list[int] = []
        self._epochs: list[int] = []
        self._grad_norms: list[Array] = []
        self._ratios: list[Array] = []
        self._before: list[Array] | None = None

    def on_before_step(self, info: StepInfo) -> None:
        if (info.step - 1) % self.every:
            return
        named = _named_parameters(info.model)
        if not self.names_:
            self.names_ = [name for name, _ in named]
        params = [p for _, p in named]
        self._grad_norms.append(grad_norms(params))
        self._before = [np.array(p.data, copy=True) for p in params]

    def on_after_step(self, info: StepInfo) -> None:
        if self._before is None:
            return
        params = [p for _, p in _named_parameters(info.model)]
        ratios = []
        for p, before in zip(params, self._before, strict=True):
            size = float(np.linalg.norm(before.ravel()))
            step = float(np.linalg.norm((p.data - before).ravel()))
            ratios.append(step / size if size > 0 else math.nan)
        self._ratios.append(np.array(ratios))
        self._steps.append(info.step)
        self._epochs.append(info.epoch)
        self._before = None

    @property
    def steps_(self) -> NDArray[np.int64]:
        return np.array(self._steps, dtype=np.int64)

    @property
    def epochs_(self) -> NDArray[np.int64]:
        return np.array(self._epochs, dtype=np.int64)

    @property
    def grad_norms_(self) -> Array:
        return np.array(self._grad_norms[:len(self._ratios)]).reshape(-1, len(self.names_))

    @property
    def update_ratios_(self) -> Array:
        return np.array(self._ratios).reshape(-1, len(self.names_))

    def per_epoch(self, quantity: str = "grad_norms") -> tuple[NDArray[np.int64], Array]:
        """Mean over each epoch's records of ``"grad_norms"`` or ``"update_ratios"``.

        Returns
        -------
        (epochs, values) : the epochs ``(n_epochs,)`` and the means ``(n_epochs, n_params)``
        (nan-aware: a parameter's missing values are left out).
        """
        if quantity not in ("grad_norms", "update_ratios"):
            raise ValueError(f"quantity must be 'grad_norms' or 'update_ratios'; got {quantity!r}")
        values, epochs = getattr(self, quantity + "_"), self.epochs_
        unique = np.unique(epochs)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # an all-nan column's mean is nan
            means = [np.nanmean(values[epochs == e], axis=0) for e in unique]
        return unique, np.array(means).reshape(len(unique), len(self.names_))

    def __repr__(self) -> str:
        return f"GradientMonitor(every={self.every}, {len(self._ratios)} records)"


class ClipGradNorm:
    r"""Clip the total gradient norm to ``max_norm`` before every optimizer step (``clip_grad_norm_``).

    ``fit(..., callbacks=[ClipGradNorm(1.0)])`` runs
    ``clip_grad_norm_(model.parameters(), max_norm, norm_type)`` between the
    backward pass and ``optimizer.step()``, as a PyTorch loop does.

    Attributes
    ----------
    total_norms_ : list of the total norm of every step, before clipping
    """

    def __init__(self, max_norm: float, norm_type: float = 2.0) -> None:
        check_nonnegative(max_norm, "max_norm")
        self.max_norm, self.norm_type = float(max_norm), norm_type
        self.total_norms_: list[float] = []

    @property
    def clipped_fraction_(self) -> float:
        """Fraction of the steps so far whose gradient was scaled down."""
        norms = np.array(self.total_norms_)
        return float(np.mean(norms + 1e-6 > self.max_norm)) if norms.size else 0.0

    def on_before_step(self, info: StepInfo) -> None:
        self.total_norms_.append(
            clip_grad_norm_(info.model.parameters(), self.max_norm, self.norm_type)
        )

    def __repr__(self) -> str:
        return f"ClipGradNorm(max_norm={self.max_norm}, norm_type={self.norm_type})"
