r"""The learning-rate range test: train briefly with an exponentially growing rate and watch the loss.

See the chapter on training in practice.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._validation import as_float_array, check_int, check_positive, check_probability, make_rng
from ..losses import Loss
from .divergence import divergence_reason
from .loop import make_batches

__all__ = ["lr_range_test", "LRRangeTestResult"]

Array = NDArray[np.floating]


@dataclass
class LRRangeTestResult:
    """What :func:`lr_range_test` measured, ready to plot (``lrs`` on a log axis).

    Attributes
    ----------
    lrs : array ``(n,)``, the learning rate of each step taken
    losses : array ``(n,)``, the mini-batch loss at each step (before its update)
    smoothed_losses : array ``(n,)``, their bias-corrected exponential moving average
    lr_min_loss : the learning rate where the smoothed loss is lowest
    lr_steepest : the learning rate where the smoothed loss falls fastest per decade
        of lr, after the first tenth of the steps (too noisy) and before the minimum
        (nan if fewer than 3 steps lie between them)
    suggested_lr : ``lr_min_loss / 10``, the rule this test recommends
    diverged : whether the test stopped early because the loss blew up
    """

    lrs: Array
    losses: Array
    smoothed_losses: Array
    lr_min_loss: float
    lr_steepest: float
    suggested_lr: float
    diverged: bool

    def __repr__(self) -> str:
        return (f"LRRangeTestResult({len(self.lrs)} steps, suggested_lr={self.suggested_lr:.3g}, "
                f"lr_min_loss={self.lr_min_loss:.3g}, lr_steepest={self.lr_steepest:.3g}, "
                f"diverged={self.diverged})")  # fmt: skip


def lr_range_test(
    model: Any, loss: Loss, optimizer: Any, X: ArrayLike, y: ArrayLike, *,
    start_lr: float = 1e-7, end_lr: float = 10.0, num_steps: int = 100, batch_size: int = 32,
    smooth: float = 0.98, diverge_threshold: float = 4.0, restore: bool = True,
    rng: np.random.Generator | int | None = None,
) -> LRRangeTestResult:  # fmt: skip
    r"""Smith's learning-rate range test, in its exponential, smoothed form.

    Train for ``num_steps`` mini-batch steps, raising every group's learning rate
    geometrically from ``start_lr`` to ``end_lr``,

    .. math:: \alpha_i = \alpha_\text{start}\,
              (\alpha_\text{end}/\alpha_\text{start})^{i/(n-1)}, \qquad i = 0, \dots, n-1,

    and record each batch's loss :math:`\ell_i`. Batch losses are noisy, so they
    are smoothed with a bias-corrected exponential moving average (as Adam's
    moments are):

    .. math:: m_i = \beta m_{i-1} + (1-\beta)\,\ell_i, \qquad \bar\ell_i = m_i/(1 - \beta^{i+1})

    The test stops early once :math:`\bar\ell_i` exceeds ``diverge_threshold``
    times its lowest value so far (the range test's own, tighter criterion), or
    when the package's divergence rule fires (a loss or gradient is not finite,
    or the loss exceeds ``DIVERGENCE_FACTOR`` times the first one;
    :mod:`course_lib.training.divergence`). At first
    the rate is too small to change anything; then the loss falls; past the
    largest usable rate it shoots up. Smith (2017, *Cyclical Learning Rates for
    Training Neural Networks*, §3.3) picks the rates where the loss starts to
    fall and where it stops falling; the exponential sweep with smoothing is the
    fastai version (Gugger 2017). Here ``suggested_lr`` is the rate of the lowest
    smoothed loss divided by ten, a rate still safely on the falling side;
    ``lr_steepest`` (the steepest descent of :math:`\bar\ell` against
    :math:`\log\alpha`) is the other common choice. The average lags the raw
    loss by about :math:`1/(1-\beta)` steps, so with few steps per decade of lr
    both suggestions sit to the right of where the raw loss turns: lower
    ``smooth`` or raise ``num_steps`` to tighten them.

    The optimizer is used as it is (momentum, Adam's moments, weight decay), with
    its ``lr`` overwritten at each step. With ``restore=True`` (the default) the
    model and the optimizer are put back afterwards exactly as they were: every
    parameter (in place, so the optimizer still holds them) and its gradient,
    the buffers and flags of every module (BatchNorm's running statistics, the
    train/eval mode), the state of every module's random generator (Dropout's),
    and the optimizer's state and hyperparameters. The test then leaves no trace
    but the advanced ``rng``.

    Parameters
    ----------
    model, loss, optimizer, X, y : as for :func:`fit`
    start_lr, end_lr : the first and last learning rate, ``0 < start_lr < end_lr``
    num_steps : number of steps (at least 2; a few hundred is typical)
    batch_size : mini-batch size; the data are reshuffled each time they are used up
    smooth : :math:`\beta` of the moving average, in ``[0, 1)`` (0: no smoothing)
    diverge_threshold : stop when the smoothed loss exceeds this many times its best, > 1
    restore : put the model and optimizer back afterwards
    rng : generator or seed for the shuffles

    Returns
    -------
    :class:`LRRangeTestResult`
    """
    X = as_float_array(X, "X")
    y = np.asarray(y)
    check_positive(start_lr, "start_lr")
    if not end_lr > start_lr:
        raise ValueError(f"end_lr must be larger than start_lr; got start_lr={start_lr}, end_lr={end_lr}")
    n = check_int(num_steps, "num_steps", minimum=2)
    check_probability(smooth, "smooth")
    if not diverge_threshold > 1:
        raise ValueError(f"Invalid diverge_threshold: {diverge_threshold} (must be > 1)")
    if len(X) != len(y):
        raise ValueError(f"X and y must have the same number of samples; got {len(X)} and {len(y)}")
    planned = start_lr * (end_lr / start_lr) ** (np.arange(n) / (n - 1))
    saved = _Snapshot(model, optimizer) if restore else None
    try:
        losses, smoothed, diverged = _sweep(model, loss, optimizer, _batches(X, y, batch_size, make_rng(rng)),
                                  planned, smooth, diverge_threshold)  # fmt: skip
    finally:
        if saved is not None:
            saved.restore()
    return _result(planned[: len(losses)], np.array(losses), np.array(smoothed), diverged)


def _batches(X: Array, y: NDArray, batch_size: int, rng: np.random.Generator) -> Iterator:
    while True:  # epoch after epoch, each one reshuffled
        yield from make_batches(X, y, batch_size, shuffle=True, rng=rng)


def _sweep(model, loss, optimizer, batches, lrs, smooth, threshold):
    """Run the steps; return the raw and smoothed losses, and whether the sweep diverged."""
    model.train()
    params = list(model.parameters())
    losses: list[float] = []
    smoothed: list[float] = []
    avg, best = 0.0, math.inf
    for i, lr in enumerate(lrs):
        xb, yb = next(batches)
        for group in optimizer.param_groups:
            group["lr"] = float(lr)
        optimizer.zero_grad()
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            value = loss.forward(model.forward(xb), yb)
            if divergence_reason(value, losses[0] if losses else value) is not None:
                return losses, smoothed, True
            model.backward(loss.backward())
        if not all(np.isfinite(p.grad).all() for p in params if p.grad is not None):
            return losses, smoothed, True
        optimizer.step()
        losses.append(float(value))
        avg = smooth * avg + (1 - smooth) * value
        smoothed.append(avg / (1 - smooth ** (i + 1)))  # bias correction: avg starts at 0
        best = min(best, smoothed[-1])
        if smoothed[-1] > threshold * best:
            return losses, smoothed, True
    return losses, smoothed, False


def _result(lrs: Array, losses: Array, smoothed: Array, diverged: bool) -> LRRangeTestResult:
    if losses.size == 0:
        raise RuntimeError("the loss was not finite at the first step: lower start_lr, or check "
                           "the model and the data")  # fmt: skip
    i_min = int(np.argmin(smoothed))
    skip = len(losses) // 10  # the first averages hold few batches: too noisy for a slope
    if i_min - skip >= 2:
        slope = np.gradient(smoothed[skip : i_min + 1], np.log10(lrs[skip : i_min + 1]))
        lr_steepest = float(lrs[skip + int(np.argmin(slope[:-1]))])  # not the minimum itself
    else:
        lr_steepest = math.nan
    return LRRangeTestResult(lrs=lrs, losses=losses, smoothed_losses=smoothed,
                             lr_min_loss=float(lrs[i_min]), lr_steepest=lr_steepest,
                             suggested_lr=float(lrs[i_min]) / 10, diverged=diverged)  # fmt: skip


class _Snapshot:
    """A deep copy of a model and an optimizer, written back into the originals by :meth:`restore`."""

    def __init__(self, model: Any, optimizer: Any) -> None:
        self.model, self.optimizer = model, optimizer
        self.saved_model = copy.deepcopy(model)
        self.state = copy.deepcopy(optimizer.state)
        self.groups = [{k: copy.deepcopy(v) for k, v in group.items() if k != "params"}
                       for group in optimizer.param_groups]  # fmt: skip

    def restore(self) -> None:
        _restore_module(self.model, self.saved_model)
        self.optimizer.state.clear()
        self.optimizer.state.update(self.state)
        for group, saved in zip(self.optimizer.param_groups, self.groups, strict=True):
            group.update(saved)


def _is_param(value: Any) -> bool:
    return hasattr(value, "grad") and isinstance(getattr(value, "data", None), np.ndarray)


def _restore_module(module: Any, saved: Any) -> None:
    """Write ``saved``'s state into ``module``: parameters in place, everything else by value."""
    for name, value in vars(saved).items():
        current = getattr(module, name)
        if _is_param(value):
            current.data[...] = value.data  # in place: the optimizer holds these objects
            current.grad = value.grad
        elif isinstance(value, np.random.Generator):
            current.bit_generator.state = value.bit_generator.state  # same object, old state
        elif isinstance(value, list) and any(hasattr(v, "forward") for v in value):
            for sub, sub_saved in zip(current, value, strict=True):  # Sequential's layers
                _restore_module(sub, sub_saved)
        elif hasattr(value, "forward") and hasattr(value, "parameters"):
            _restore_module(current, value)
        else:
            setattr(module, name, value)
