r"""Optimizers: SGD (with momentum and Nesterov), Adagrad, RMSprop, Adam and AdamW.

Each optimizer follows ``torch.optim``: ``Optimizer(params, ...)`` keeps
per-parameter ``state``, ``step()`` updates every parameter that has a
gradient, and ``zero_grad()`` sets the gradients to None. The update rule of
each one is a plain function (``sgd_update``, ``adam_update``, ...) that follows
PyTorch's documented algorithm line by line; the class only loops over the
parameters and keeps the state. Names, defaults and update rules are
PyTorch's. Where the seeds write a rule differently (EMA-form momentum, ε inside
the square root, Adam without :math:`\beta_2`) the docstring shows both.

``params`` is any iterable of objects with a ``.data`` array and a ``.grad``
(array or None): ``layers.Parameter`` and ``autodiff.Tensor`` alike. Parameters
are updated in place, so every reference to ``p.data`` sees the new values, and
float32 parameters stay float32. There is a single learning rate, the attribute
``optimizer.lr``, which the schedules (``StepLR``, ``ExponentialLR``,
``InverseTimeLR``) change once per epoch.

The schedules and the backtracking line search live in ``lr_scheduler`` and are
re-exported here, so ``course_lib.optim.StepLR`` works.

See the chapter on optimizers.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any, Literal, Protocol

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._validation import as_float_array, check_nonnegative, check_probability
from .lr_scheduler import (
    DescentHistory,
    ExponentialLR,
    InverseTimeLR,
    LRScheduler,
    StepLR,
    backtracking_line_search,
    exponential_decay,
    gradient_descent,
    gradient_descent_line_search,
    inverse_time_decay,
    step_decay,
)

__all__ = [
    "Optimizer", "SGD", "Adagrad", "RMSprop", "Adam", "AdamW",
    "sgd_update", "adagrad_update", "rmsprop_update", "adam_update", "adamw_update",
    "momentum_update", "momentum_trajectory",
    "LRScheduler", "StepLR", "ExponentialLR", "InverseTimeLR",
    "step_decay", "exponential_decay", "inverse_time_decay",
    "backtracking_line_search", "gradient_descent_line_search", "gradient_descent",
    "DescentHistory",
]  # fmt: skip

Array = NDArray[np.floating]
Convention = Literal["pytorch", "velocity", "ema"]


class ParamLike(Protocol):
    """What an optimizer updates: a ``.data`` array and its ``.grad`` (or None)."""

    data: Array
    grad: Array | None


class Optimizer:
    """Base class: holds the parameters, the learning rate and per-parameter state.

    Parameters
    ----------
    params : iterable of objects with ``.data`` (numpy array) and ``.grad``
    defaults : the hyperparameters, ``defaults["lr"]`` among them

    Attributes
    ----------
    params : list of the parameters, in the order given
    lr : the learning rate; schedules change it between steps
    defaults : the hyperparameters as passed to ``__init__``
    state : ``dict`` from ``id(param)`` to that parameter's ``dict`` of buffers
    """

    def __init__(self, params: Iterable[ParamLike], defaults: dict[str, Any]) -> None:
        self.params: list[ParamLike] = _param_list(params)
        self.defaults = dict(defaults)
        self.lr = defaults["lr"]
        self.state: dict[int, dict[str, Any]] = {}

    def zero_grad(self) -> None:
        """Set every parameter's ``.grad`` to None (PyTorch's ``set_to_none=True``)."""
        for p in self.params:
            p.grad = None

    def step(self) -> None:
        """Update, in place, every parameter whose ``.grad`` is not None."""
        for p in self.params:
            g = p.grad
            if g is None:
                continue
            if g.shape != p.data.shape:  # numpy would broadcast it into p.data silently
                raise ValueError(
                    f"gradient shape {g.shape} does not match parameter shape {p.data.shape}"
                )
            state = self.state.get(id(p))
            if state is None:
                state = self.state[id(p)] = {}
            self._update(p.data, g, state)

    def _update(self, p: Array, g: Array, state: dict[str, Any]) -> None:
        raise NotImplementedError

    def __repr__(self) -> str:
        hyper = ", ".join(f"{k}={v}" for k, v in {**self.defaults, "lr": self.lr}.items())
        return f"{type(self).__name__}({hyper})"


def _param_list(params: Iterable[ParamLike]) -> list[ParamLike]:
    if isinstance(params, np.ndarray) or not isinstance(params, Iterable):
        raise TypeError(
            "params must be an iterable of parameters (objects with .data and .grad), "
            f"e.g. model.parameters(); got {type(params).__name__}"
        )
    plist = list(params)
    if not plist:
        raise ValueError("optimizer got an empty parameter list")
    seen: set[int] = set()
    for i, p in enumerate(plist):
        if not (hasattr(p, "grad") and isinstance(getattr(p, "data", None), np.ndarray)):
            raise TypeError(
                f"parameter {i} must have a numpy array .data and a .grad attribute "
                f"(like layers.Parameter); got {type(p).__name__}"
            )
        if id(p) in seen:
            raise ValueError(f"parameter {i} appears more than once in params")
        seen.add(id(p))
    return plist


# --------------------------------------------------------------------------- SGD


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

    **Three momentum conventions.** The seeds write momentum three ways
    (:func:`momentum_update` implements all three):

    1. PyTorch / Sutskever et al. (2013), used here and in one seed:
       :math:`v \leftarrow \beta v + g,\ \theta \leftarrow \theta - \alpha v`.
    2. The velocity form (another seed): :math:`v \leftarrow \beta v - \alpha g,\
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

    **Nesterov.** The seeds' look-ahead form evaluates the gradient at
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
        check_nonnegative(lr, "learning rate")
        check_nonnegative(momentum, "momentum value")
        check_nonnegative(weight_decay, "weight_decay value")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError(
                "Nesterov momentum requires a momentum and zero dampening; "
                f"got momentum={momentum}, dampening={dampening}"
            )
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening,
                        weight_decay=weight_decay, nesterov=nesterov)  # fmt: skip
        super().__init__(params, defaults)
        self.momentum, self.dampening = momentum, dampening
        self.weight_decay, self.nesterov = weight_decay, nesterov

    def _update(self, p: Array, g: Array, state: dict[str, Any]) -> None:
        state["momentum_buffer"] = sgd_update(
            p, g, state.get("momentum_buffer"), lr=self.lr, momentum=self.momentum,
            dampening=self.dampening, nesterov=self.nesterov, weight_decay=self.weight_decay,
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

    ``nesterov=True`` is defined for two conventions: ``"velocity"`` runs the seeds'
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
    check_nonnegative(lr, "learning rate")
    check_probability(beta, "beta")
    if convention not in ("pytorch", "velocity", "ema"):
        raise ValueError(f"convention must be 'pytorch', 'velocity' or 'ema'; got {convention!r}")
    if nesterov and convention == "ema":
        raise ValueError("nesterov=True is defined for convention 'pytorch' or 'velocity'")
    if isinstance(n_steps, bool) or not isinstance(n_steps, (int, np.integer)) or n_steps < 0:
        raise ValueError(f"Invalid n_steps: {n_steps!r} (must be an int >= 0)")
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


# ----------------------------------------------------------------------- Adagrad


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
        check_nonnegative(lr, "learning rate")
        check_nonnegative(lr_decay, "lr_decay value")
        check_nonnegative(weight_decay, "weight_decay value")
        check_nonnegative(initial_accumulator_value, "initial_accumulator_value value")
        check_nonnegative(eps, "epsilon value")
        defaults = dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, eps=eps)  # fmt: skip
        super().__init__(params, defaults)
        self.lr_decay, self.weight_decay, self.eps = lr_decay, weight_decay, eps
        self.initial_accumulator_value = initial_accumulator_value

    def _update(self, p: Array, g: Array, state: dict[str, Any]) -> None:
        if not state:
            state["step"] = 0
            state["sum"] = np.full_like(p, self.initial_accumulator_value)
        state["step"] += 1
        adagrad_update(p, g, state["sum"], step=state["step"], lr=self.lr,
                       lr_decay=self.lr_decay, weight_decay=self.weight_decay, eps=self.eps)  # fmt: skip


# ----------------------------------------------------------------------- RMSprop


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
    \gamma\, g / (\sqrt{v} + \epsilon)`. ``alpha`` is the seeds' :math:`\beta`; the
    seeds suggest :math:`\beta = 0.9` or 0.999; PyTorch defaults to 0.99.

    **Where ε goes.** One seed writes :math:`g/(\sqrt{s} + \epsilon)` (ε outside the
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
        check_nonnegative(lr, "learning rate")
        check_nonnegative(eps, "epsilon value")
        check_nonnegative(momentum, "momentum value")
        check_nonnegative(weight_decay, "weight_decay value")
        check_nonnegative(alpha, "alpha value")
        defaults = dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                        momentum=momentum, centered=centered)  # fmt: skip
        super().__init__(params, defaults)
        self.alpha, self.eps, self.weight_decay = alpha, eps, weight_decay
        self.momentum, self.centered = momentum, centered

    def _update(self, p: Array, g: Array, state: dict[str, Any]) -> None:
        if not state:
            state["square_avg"] = np.zeros_like(p)
            state["grad_avg"] = np.zeros_like(p) if self.centered else None
            state["momentum_buffer"] = np.zeros_like(p) if self.momentum > 0 else None
        rmsprop_update(p, g, state["square_avg"], state["grad_avg"], state["momentum_buffer"],
                       lr=self.lr, alpha=self.alpha, eps=self.eps,
                       weight_decay=self.weight_decay, momentum=self.momentum)  # fmt: skip


# -------------------------------------------------------------------------- Adam


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

    The seeds: one has the bias correction (with ε inside the root; PyTorch
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
        check_nonnegative(lr, "learning rate")
        check_nonnegative(eps, "epsilon value")
        if len(betas) != 2:
            raise ValueError(f"betas must be a pair (beta1, beta2); got {betas!r}")
        check_probability(betas[0], "beta parameter at index 0")
        check_probability(betas[1], "beta parameter at index 1")
        check_nonnegative(weight_decay, "weight_decay value")
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                        amsgrad=amsgrad)  # fmt: skip
        super().__init__(params, defaults)
        self.betas, self.eps = tuple(betas), eps
        self.weight_decay, self.amsgrad = weight_decay, amsgrad

    def _update(self, p: Array, g: Array, state: dict[str, Any]) -> None:
        if not state:
            state["step"] = 0
            state["exp_avg"] = np.zeros_like(p)
            state["exp_avg_sq"] = np.zeros_like(p)
            state["max_exp_avg_sq"] = np.zeros_like(p) if self.amsgrad else None
        state["step"] += 1
        update = adamw_update if self._decoupled else adam_update
        update(p, g, state["exp_avg"], state["exp_avg_sq"], state["max_exp_avg_sq"],
               step=state["step"], lr=self.lr, beta1=self.betas[0], beta2=self.betas[1],
               eps=self.eps, weight_decay=self.weight_decay)  # fmt: skip


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
