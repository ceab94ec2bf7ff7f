r"""SGD with momentum, Nesterov and weight decay, and the three momentum conventions.

See the chapter on optimizers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike

from .._validation import as_float_array, check_int, check_lr, check_nonnegative, check_probability
from .optimizer import Array, Optimizer, ParamLike

__all__ = ["SGD", "sgd_update", "momentum_update", "momentum_trajectory"]

Convention = Literal["pytorch", "velocity", "ema"]


def sgd_update(
    p: Array, g: Array, buf: Array | None, *, lr: float, momentum: float,
    dampening: float, nesterov: bool, weight_decay: float,
) -> Array | None:  # fmt: skip
    r"""One step of PyTorch's SGD on the array ``p`` (in place); returns the new buffer.

    .. math::
        g &\leftarrow g + \lambda\theta \\
        b &\leftarrow g \ \text{(first step)}, \quad
        b \leftarrow \mu b + (1 - \tau) g \ \text{(later steps)} \\
        g &\leftarrow g + \mu b \ \text{(Nesterov)}, \quad g \leftarrow b \ \text{(otherwise)} \\
        \theta &\leftarrow \theta - \gamma g

    Parameters
    ----------
    p : parameter array, any shape; updated in place
    g : its gradient, same shape; never modified
    buf : momentum buffer from the previous step (same shape), or None on the first
    lr, momentum, dampening, nesterov, weight_decay : :math:`\gamma, \mu, \tau`, -, :math:`\lambda`

    Returns
    -------
    the momentum buffer (updated in place when it existed), or None without momentum.
    """
    if weight_decay != 0:
        g = g + weight_decay * p  # a new array: the caller's .grad stays untouched
    if momentum != 0:
        if buf is None:
            buf = g.copy()  # PyTorch: the first step takes the gradient undamped
        else:
            buf *= momentum
            buf += (1 - dampening) * g
        g = g + momentum * buf if nesterov else buf
    p -= lr * g
    return buf


class SGD(Optimizer):
    r"""Stochastic gradient descent with optional momentum, Nesterov and weight decay.

    The update is :func:`sgd_update`, PyTorch's rule. Without momentum it is
    :math:`\theta \leftarrow \theta - \alpha g`.

    **Three momentum conventions.** The course notes write momentum three ways
    (:func:`momentum_update` implements all three):

    1. PyTorch / Sutskever et al. (2013), used here and in one of the notes:
       :math:`v \leftarrow \beta v + g,\ \theta \leftarrow \theta - \alpha v`.
    2. The velocity form (another of the notes): :math:`v \leftarrow \beta v - \alpha g,\
       \theta \leftarrow \theta + v`.
    3. The EMA form (Andrew Ng's, a third seed): :math:`v \leftarrow \beta v + (1-\beta) g,\
       \theta \leftarrow \theta - \alpha v`.

    With :math:`v_0 = 0`: (1) and (2) give identical trajectories when the learning
    rate is constant, because :math:`v^{(2)} = -\alpha v^{(1)}` at every step. Under a
    schedule they differ: (1) applies the current :math:`\alpha` to the whole
    velocity, (2) keeps each past gradient scaled by the :math:`\alpha` of its own
    step. (3) is (1) with learning rate :math:`\alpha(1-\beta)`, since
    :math:`v^{(3)} = (1-\beta) v^{(1)}`: with :math:`\beta=0.9` the EMA form takes
    steps ten times smaller for the same :math:`\alpha`. PyTorch's
    ``dampening=β`` computes the same EMA from the second step on, but starts the
    buffer at :math:`b_1 = g_1` instead of :math:`(1-\beta) g_1`; it equals (3)
    started from :math:`v_0 = g_1`. Fed the same gradients, its buffer and that of
    (3) from :math:`v_0 = 0` differ by :math:`\beta^k g_1`, which fades but makes
    the trajectories differ.

    **Nesterov.** The course notes' look-ahead form evaluates the gradient at
    :math:`\tilde\theta = \theta + \beta v`: :math:`v \leftarrow \beta v - \alpha
    \nabla L(\theta + \beta v),\ \theta \leftarrow \theta + v`. PyTorch
    reformulates it so that only the gradient at the current parameters is
    needed: :math:`b \leftarrow \beta b + g,\ \theta \leftarrow \theta - \alpha(g +
    \beta b)`. The two are the same algorithm under the change of variables
    :math:`\phi = \theta + \beta v` (and :math:`b = -v/\alpha`) for a constant
    learning rate: PyTorch's parameters are the look-ahead points, and with
    :math:`v_0 = 0` both trajectories start at the same point.

    Parameters
    ----------
    params : iterable of parameters (``.data``, ``.grad``)
    lr : learning rate :math:`\alpha` (PyTorch's default 1e-3)
    momentum : :math:`\beta`; 0 turns momentum off
    dampening : :math:`\tau`, scales the gradient entering the buffer by :math:`1-\tau`
    weight_decay : L2 penalty :math:`\lambda`, added to the gradient as :math:`\lambda\theta`
    nesterov : use Nesterov momentum (needs ``momentum > 0`` and ``dampening == 0``)

    See the chapter on optimizers.
    """

    def __init__(
        self, params: Iterable[ParamLike], lr: float = 1e-3, momentum: float = 0.0,
        dampening: float = 0.0, weight_decay: float = 0.0, nesterov: bool = False,
    ) -> None:  # fmt: skip
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening,
                        weight_decay=weight_decay, nesterov=nesterov)  # fmt: skip
        super().__init__(params, defaults)

    def _check(self, group: dict[str, Any]) -> None:
        check_lr(group["lr"])
        check_nonnegative(group["momentum"], "momentum value")
        check_nonnegative(group["weight_decay"], "weight_decay value")
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(
                "Nesterov momentum requires a momentum and zero dampening; "
                f"got momentum={group['momentum']}, dampening={group['dampening']}"
            )

    def _update(self, p: Array, g: Array, state: dict[str, Any], group: dict[str, Any]) -> None:
        state["momentum_buffer"] = sgd_update(
            p, g, state.get("momentum_buffer"), lr=group["lr"], momentum=group["momentum"],
            dampening=group["dampening"], nesterov=group["nesterov"],
            weight_decay=group["weight_decay"],
        )  # fmt: skip


# ------------------------------------------------------- momentum conventions


def momentum_update(
    v: ArrayLike, g: ArrayLike, *, lr: float, beta: float, convention: Convention = "pytorch"
) -> tuple[Array, Array]:
    r"""One momentum step in one of the three conventions of :class:`SGD`'s docstring.

    .. math::
        \text{pytorch:}\ v' = \beta v + g,\ \Delta\theta = -\alpha v' \qquad
        \text{velocity:}\ v' = \beta v - \alpha g,\ \Delta\theta = v' \qquad
        \text{ema:}\ v' = \beta v + (1-\beta) g,\ \Delta\theta = -\alpha v'

    Parameters
    ----------
    v : velocity from the previous step (start from zeros), any shape
    g : gradient at the current parameters, same shape
    lr, beta : :math:`\alpha` and :math:`\beta`
    convention : ``"pytorch"``, ``"velocity"`` or ``"ema"``

    Returns
    -------
    (delta, new_v) : the step to add to the parameters, and the new velocity (new
    arrays; the inputs are not modified).
    """
    if convention == "pytorch":
        v = beta * v + g
        return -lr * v, v
    if convention == "velocity":
        v = beta * v - lr * g
        return v, v
    if convention == "ema":
        v = beta * v + (1 - beta) * g
        return -lr * v, v
    raise ValueError(f"convention must be 'pytorch', 'velocity' or 'ema'; got {convention!r}")


def momentum_trajectory(
    grad_f: Callable[[Array], Array], x0: ArrayLike, n_steps: int, *, lr: float,
    beta: float, convention: Convention = "pytorch", nesterov: bool = False,
) -> Array:  # fmt: skip
    r"""Iterates of gradient descent with momentum from ``x0``, for plotting paths.

    ``nesterov=True`` is defined for two conventions: ``"velocity"`` runs the course notes'
    look-ahead form (gradient at :math:`\theta + \beta v`), ``"pytorch"`` runs
    PyTorch's reformulation (gradient at :math:`\theta`, step :math:`g + \beta v`).

    Parameters
    ----------
    grad_f : gradient of the loss, array shaped like ``x0`` -> array of that shape
    x0 : starting point, any shape (usually ``(2,)`` for a contour plot)
    n_steps : number of steps
    lr, beta, convention : as in :func:`momentum_update`
    nesterov : use Nesterov momentum

    Returns
    -------
    array of shape ``(n_steps + 1, *x0.shape)``: ``x0`` and every iterate.
    """
    x = np.array(as_float_array(x0, "x0"), dtype=np.float64)
    check_lr(lr)
    check_probability(beta, "beta")
    if convention not in ("pytorch", "velocity", "ema"):
        raise ValueError(f"convention must be 'pytorch', 'velocity' or 'ema'; got {convention!r}")
    if nesterov and convention == "ema":
        raise ValueError("nesterov=True is defined for convention 'pytorch' or 'velocity'")
    check_int(n_steps, "n_steps", minimum=0)
    v = np.zeros_like(x)
    path = [x.copy()]
    for _ in range(n_steps):
        if nesterov and convention == "velocity":
            delta, v = momentum_update(v, grad_f(x + beta * v), lr=lr, beta=beta,
                                       convention="velocity")  # fmt: skip
        elif nesterov:
            g = grad_f(x)
            v = beta * v + g
            delta = -lr * (g + beta * v)
        else:
            delta, v = momentum_update(v, grad_f(x), lr=lr, beta=beta, convention=convention)
        x = x + delta
        path.append(x)
    return np.stack(path)
