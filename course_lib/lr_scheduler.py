r"""Learning-rate schedules and the backtracking (Armijo) line search.

Two ways to choose the step size :math:`\alpha` of gradient descent:

* a **schedule** fixes :math:`\alpha` as a function of the epoch. The pure functions
  (``step_decay``, ``exponential_decay``, ``inverse_time_decay``) give the formula and
  accept an array of epochs for plotting; the classes (``StepLR``, ``ExponentialLR``,
  ``InverseTimeLR``) apply it to an optimizer's ``lr``, PyTorch-style, when
  ``scheduler.step()`` is called once per epoch;
* a **line search** picks :math:`\alpha` at every step by evaluating the loss
  (``backtracking_line_search``, ``gradient_descent_line_search``).

Everything here is re-exported by ``course_lib.optim``.

See the chapter on optimizers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._validation import as_float_array, check_nonnegative, check_positive, check_same_shape

__all__ = [
    "step_decay", "exponential_decay", "inverse_time_decay",
    "LRScheduler", "StepLR", "ExponentialLR", "InverseTimeLR",
    "backtracking_line_search", "gradient_descent_line_search", "gradient_descent",
    "DescentHistory",
]  # fmt: skip

Array = NDArray[np.floating]


# -------------------------------------------------------------- schedule formulas


def _epochs(epoch: ArrayLike) -> Array:
    e = as_float_array(epoch, "epoch")
    if np.any(~(e >= 0)):
        raise ValueError(f"epoch must be >= 0; got {epoch!r}")
    return e


def _out(lr: Array) -> float | Array:
    return float(lr) if lr.ndim == 0 else lr


def step_decay(lr0: float, epoch: ArrayLike, step_size: int, gamma: float = 0.1) -> float | Array:
    r"""Learning rate multiplied by ``gamma`` every ``step_size`` epochs (``StepLR``).

    .. math:: \alpha = \alpha_0 \, \gamma^{\lfloor \text{epoch} / \text{step\_size} \rfloor}

    ``epoch`` may be a number (returns a float) or an array (returns an array of its shape).
    """
    check_nonnegative(lr0, "lr0")
    _check_step_size(step_size)
    check_positive(gamma, "gamma")
    return _out(lr0 * gamma ** np.floor_divide(_epochs(epoch), step_size))


def exponential_decay(lr0: float, epoch: ArrayLike, gamma: float) -> float | Array:
    r"""Learning rate multiplied by ``gamma`` every epoch (``ExponentialLR``).

    .. math:: \alpha = \alpha_0 \, \gamma^{\text{epoch}}
    """
    check_nonnegative(lr0, "lr0")
    check_positive(gamma, "gamma")
    return _out(lr0 * gamma ** _epochs(epoch))


def inverse_time_decay(lr0: float, epoch: ArrayLike, decay_rate: float) -> float | Array:
    r"""The seeds' learning-rate decay (``InverseTimeLR``).

    .. math:: \alpha = \frac{\alpha_0}{1 + \text{decay\_rate} \cdot \text{epoch}}

    With the seeds' :math:`\alpha_0 = 0.2`, decay_rate = 1: 0.2, 0.1, 0.0667, 0.05, ...
    for epochs 0, 1, 2, 3.
    """
    check_nonnegative(lr0, "lr0")
    check_nonnegative(decay_rate, "decay_rate")
    return _out(lr0 / (1 + decay_rate * _epochs(epoch)))


def _check_step_size(step_size: int) -> None:
    if isinstance(step_size, bool) or not isinstance(step_size, (int, np.integer)) or step_size < 1:
        raise ValueError(f"Invalid step_size: {step_size!r} (must be a positive int)")


# ------------------------------------------------------------- scheduler classes


class LRScheduler:
    r"""Base class: sets ``optimizer.lr`` from a formula of the epoch count.

    Call ``scheduler.step()`` once at the end of every epoch, after the
    optimizer's steps. The formula is applied in closed form to the learning rate
    the optimizer had when the scheduler was made (``base_lr``), so a manual
    change of ``optimizer.lr`` is overwritten at the next ``step()`` (PyTorch's
    schedulers multiply the current value instead; without manual changes the two
    agree).

    Attributes
    ----------
    optimizer : anything with an ``lr`` attribute (a ``course_lib.optim`` optimizer)
    base_lr : the initial learning rate :math:`\alpha_0`
    last_epoch : number of ``step()`` calls so far
    """

    def __init__(self, optimizer: Any) -> None:
        if not hasattr(optimizer, "lr"):
            raise TypeError(
                f"optimizer must have an lr attribute (a course_lib.optim optimizer); "
                f"got {type(optimizer).__name__}"
            )
        self.optimizer = optimizer
        self.base_lr = float(optimizer.lr)
        self.last_epoch = 0
        self._set_lr()

    def _lr_at(self, epoch: int) -> float:
        raise NotImplementedError

    def _set_lr(self) -> None:
        self._last_lr = self._lr_at(self.last_epoch)
        self.optimizer.lr = self._last_lr

    def step(self) -> None:
        """Advance one epoch and set ``optimizer.lr`` to the learning rate for it."""
        self.last_epoch += 1
        self._set_lr()

    def get_last_lr(self) -> list[float]:
        """The learning rate set by the last ``step()``, as a one-element list.

        A list as in PyTorch (one entry per parameter group; there is one group
        here), so ``scheduler.get_last_lr()[0]`` runs unchanged on both.
        """
        return [self._last_lr]


class StepLR(LRScheduler):
    r"""Multiply the learning rate by ``gamma`` every ``step_size`` epochs (:func:`step_decay`).

    PyTorch's ``StepLR`` with the same arguments. See the chapter on optimizers.
    """

    def __init__(self, optimizer: Any, step_size: int, gamma: float = 0.1) -> None:
        _check_step_size(step_size)
        check_positive(gamma, "gamma")
        self.step_size, self.gamma = int(step_size), gamma
        super().__init__(optimizer)

    def _lr_at(self, epoch: int) -> float:
        return float(step_decay(self.base_lr, epoch, self.step_size, self.gamma))


class ExponentialLR(LRScheduler):
    r"""Multiply the learning rate by ``gamma`` every epoch (:func:`exponential_decay`).

    PyTorch's ``ExponentialLR``. See the chapter on optimizers.
    """

    def __init__(self, optimizer: Any, gamma: float) -> None:
        check_positive(gamma, "gamma")
        self.gamma = gamma
        super().__init__(optimizer)

    def _lr_at(self, epoch: int) -> float:
        return float(exponential_decay(self.base_lr, epoch, self.gamma))


class InverseTimeLR(LRScheduler):
    r"""The seeds' decay :math:`\alpha = \alpha_0 / (1 + \text{decay\_rate}\cdot\text{epoch})`.

    PyTorch has no class for this schedule; there one writes
    ``LambdaLR(optimizer, lambda epoch: 1 / (1 + decay_rate * epoch))``. Epochs are
    counted from 0 as in PyTorch, so the first epoch runs at :math:`\alpha_0`: with
    the seeds' :math:`\alpha_0 = 0.2` and decay_rate = 1 the epochs use 0.2, 0.1,
    0.0667, 0.05, ... Andrew Ng's lecture numbers epochs from 1 and so lists
    0.1, 0.067, 0.05, ...: the same formula, shifted by one epoch.

    See :func:`inverse_time_decay` and the chapter on optimizers.
    """

    def __init__(self, optimizer: Any, decay_rate: float) -> None:
        check_nonnegative(decay_rate, "decay_rate")
        self.decay_rate = decay_rate
        super().__init__(optimizer)

    def _lr_at(self, epoch: int) -> float:
        return float(inverse_time_decay(self.base_lr, epoch, self.decay_rate))


# ------------------------------------------------------------------ line search


def backtracking_line_search(
    f: Callable[[Array], float], x: ArrayLike, grad: ArrayLike,
    direction: ArrayLike | None = None, lr0: float = 1.0, shrink: float = 0.5,
    c: float = 1e-4, max_iter: int = 50,
) -> float:  # fmt: skip
    r"""Backtracking line search: shrink the step until the Armijo condition holds.

    Starting from :math:`\alpha = \text{lr0}`, multiply :math:`\alpha` by ``shrink``
    until

    .. math:: L(\theta + \alpha d) \le L(\theta) + c\,\alpha\,\nabla L(\theta)^\top d

    (sufficient decrease: at least a fraction ``c`` of the decrease the linear model
    predicts). The seeds mention the *exact* line search
    :math:`\arg\min_\alpha L(\theta - \alpha\nabla L)`; backtracking only asks for
    enough decrease, which costs a few loss evaluations instead of a 1-D optimisation.

    Neither is used to train neural networks. Each trial step needs the loss on the
    full training set (one more forward pass over all the data per trial), and with
    mini-batches the loss and gradient are noisy estimates, so the Armijo test
    compares two noisy numbers and accepting or rejecting a step means little.
    Schedules and adaptive optimizers set the step size without extra passes.

    Parameters
    ----------
    f : the loss, array shaped like ``x`` -> scalar
    x : current point, any shape
    grad : :math:`\nabla L(x)`, same shape
    direction : search direction :math:`d`, same shape; default ``-grad``. Must be a
        descent direction (:math:`\nabla L^\top d < 0`).
    lr0 : first step tried
    shrink : factor in (0, 1) applied after each rejected step
    c : Armijo constant in (0, 1)
    max_iter : maximum number of trial steps

    Returns
    -------
    the accepted step :math:`\alpha`, or 0.0 if none of ``max_iter`` trials passed.
    """
    x = as_float_array(x, "x")
    grad = as_float_array(grad, "grad")
    check_same_shape(x, grad, "x", "grad")
    d = -grad if direction is None else as_float_array(direction, "direction")
    check_same_shape(x, d, "x", "direction")
    _check_search_params(lr0, shrink, c, max_iter)
    slope = float(np.vdot(grad, d))
    if not slope < 0:
        raise ValueError(
            f"direction is not a descent direction: grad . direction = {slope} (must be < 0)"
        )
    alpha, _, _ = _backtrack(f, x, float(f(x)), slope, d, lr0, shrink, c, max_iter)
    return alpha


def _check_search_params(lr0: float, shrink: float, c: float, max_iter: int) -> None:
    check_positive(lr0, "lr0")
    if not 0 < shrink < 1:
        raise ValueError(f"Invalid shrink: {shrink} (must be in (0, 1))")
    if not 0 < c < 1:
        raise ValueError(f"Invalid c: {c} (must be in (0, 1))")
    _check_step_size(max_iter)


def _check_n_iter(n_iter: int) -> None:
    if isinstance(n_iter, bool) or not isinstance(n_iter, (int, np.integer)) or n_iter < 0:
        raise ValueError(f"Invalid n_iter: {n_iter!r} (must be an int >= 0)")


def _backtrack(f, x, fx, slope, d, lr0, shrink, c, max_iter) -> tuple[float, float, int]:
    """Return (accepted step or 0.0, loss there, number of loss evaluations)."""
    alpha = lr0
    for i in range(max_iter):
        f_new = float(f(x + alpha * d))
        if f_new <= fx + c * alpha * slope:  # the Armijo condition
            return alpha, f_new, i + 1
        alpha *= shrink
    return 0.0, fx, max_iter


@dataclass
class DescentHistory:
    """The path of full-batch gradient descent.

    Attributes
    ----------
    x : iterates, shape ``(n_steps + 1, *x0.shape)``, starting with ``x0``
    loss : loss at each iterate, shape ``(n_steps + 1,)``
    lr : step size used at each step, shape ``(n_steps,)``
    n_loss_evals : loss evaluations the method itself needed (0 for a fixed step;
        the recorded ``loss`` is bookkeeping and not counted)
    """

    x: Array
    loss: Array
    lr: Array
    n_loss_evals: int

    @property
    def n_steps(self) -> int:
        return len(self.lr)


def gradient_descent_line_search(
    f: Callable[[Array], float], grad_f: Callable[[Array], Array], x0: ArrayLike,
    n_iter: int, *, lr0: float = 1.0, shrink: float = 0.5, c: float = 1e-4,
    max_iter: int = 50, tol: float = 0.0,
) -> tuple[Array, DescentHistory]:  # fmt: skip
    r"""Full-batch gradient descent with a backtracking line search at every step.

    .. math:: \theta_{k+1} = \theta_k - \alpha_k \nabla L(\theta_k)

    with :math:`\alpha_k` from :func:`backtracking_line_search` (first trial ``lr0``
    at every step). The accepted trial's loss is reused as the next step's
    :math:`L(\theta_k)`, so each step costs one loss evaluation per trial.

    Stops after ``n_iter`` steps, when :math:`\lVert\nabla L\rVert \le` ``tol``, or
    when no trial step satisfies the Armijo condition (the last recorded ``lr`` is
    then 0). The Armijo test compares loss values, and a float64 loss stops
    changing once :math:`x` is within about :math:`\sqrt{10^{-16}}` (relative) of
    the minimum, so a ``tol`` much below 1e-6 may not be reached: the accepted
    steps collapse toward 0 instead.

    Parameters
    ----------
    f : the loss, array shaped like ``x0`` -> scalar
    grad_f : its gradient, array shaped like ``x0`` -> array of that shape
    x0 : starting point, any shape
    n_iter : maximum number of steps
    lr0, shrink, c, max_iter : as in :func:`backtracking_line_search`
    tol : stop when the gradient norm is at most ``tol``

    Returns
    -------
    (x, history) : the last iterate (shape of ``x0``) and a :class:`DescentHistory`.
    """
    _check_search_params(lr0, shrink, c, max_iter)
    _check_n_iter(n_iter)
    x = np.array(as_float_array(x0, "x0"), copy=True)
    fx, n_evals = float(f(x)), 1
    xs, losses, lrs = [x], [fx], []
    for _ in range(n_iter):
        g = np.asarray(grad_f(x))
        if np.linalg.norm(g) <= tol:
            break
        alpha, fx, n = _backtrack(f, x, fx, -float(np.vdot(g, g)), -g, lr0, shrink, c, max_iter)
        n_evals += n
        x = x - alpha * g
        xs.append(x)
        losses.append(fx)
        lrs.append(alpha)
        if alpha == 0.0:
            break
    return x, DescentHistory(np.stack(xs), np.array(losses), np.array(lrs), n_evals)


def gradient_descent(
    f: Callable[[Array], float], grad_f: Callable[[Array], Array], x0: ArrayLike,
    n_iter: int, *, lr: float, tol: float = 0.0,
) -> tuple[Array, DescentHistory]:  # fmt: skip
    r"""Full-batch gradient descent with a fixed step, to compare with the line search.

    .. math:: \theta_{k+1} = \theta_k - \alpha \nabla L(\theta_k)

    ``f`` is only used to record the loss. Stops after ``n_iter`` steps or when
    :math:`\lVert\nabla L\rVert \le` ``tol``. Returns ``(x, history)`` like
    :func:`gradient_descent_line_search`.
    """
    check_nonnegative(lr, "learning rate")
    _check_n_iter(n_iter)
    x = np.array(as_float_array(x0, "x0"), copy=True)
    xs, losses = [x], [float(f(x))]
    for _ in range(n_iter):
        g = np.asarray(grad_f(x))
        if np.linalg.norm(g) <= tol:
            break
        x = x - lr * g
        xs.append(x)
        losses.append(float(f(x)))
    lrs = np.full(len(xs) - 1, float(lr))
    return x, DescentHistory(np.stack(xs), np.array(losses), lrs, 0)
