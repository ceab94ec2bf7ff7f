r"""The backtracking (Armijo) line search, and full-batch gradient descent with and without it.

A **line search** picks the step size :math:`\alpha` at every step by evaluating
the loss (``backtracking_line_search``, ``gradient_descent_line_search``);
``gradient_descent`` uses a fixed step, for comparison. (The other way to choose
:math:`\alpha`, a schedule of the epoch, is in ``lr_scheduler``.)

Everything here is re-exported by ``course_lib.optim``.

See the chapter on optimizers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._validation import (
    as_float_array,
    check_int,
    check_lr,
    check_positive,
    check_same_shape,
)

__all__ = [
    "backtracking_line_search", "gradient_descent_line_search", "gradient_descent",
    "DescentHistory",
]  # fmt: skip

Array = NDArray[np.floating]


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
    predicts). The course notes mention the *exact* line search
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
    check_int(max_iter, "max_iter")


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
    check_int(n_iter, "n_iter", minimum=0)
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
    check_lr(lr)
    check_int(n_iter, "n_iter", minimum=0)
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
