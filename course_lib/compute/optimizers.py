r"""Computations for the chapter on optimizers.

Pure compute functions (numpy in, a small dataclass out; no plotting) in the
order the chapter uses them (its mini-batches on a real problem are in
:mod:`course_lib.compute.minibatch`):

* optimizer paths on the 2-D loss surfaces of ``course_lib.data``:
  :func:`run_optimizer` (any ``course_lib.optim`` optimizer on a 2-element
  parameter), :func:`optimizer_trajectory` (the same, by name: the explorer's
  compute function) and :func:`steps_to_tolerance`;
* Adam's first steps with and without bias correction: :func:`adam_step_sizes`;
* exact line search on a quadratic: :func:`exact_line_search_quadratic`.

``course_lib.widgets.optimizers.optimizer_explorer`` builds the chapter's widget.
Its drawing functions are in ``course_lib.plots.optimizers``.

See the chapter on optimizers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .. import data, layers, optim
from ..data import LossSurface

__all__ = [
    "OPTIMIZER_NAMES",
    "MOMENTUM_OPTIMIZERS",
    "SURFACE_NAMES",
    "make_surface",
    "make_optimizer",
    "Trajectory",
    "run_optimizer",
    "optimizer_trajectory",
    "steps_to_tolerance",
    "adam_step_sizes",
    "exact_line_search_quadratic",
]

Array = NDArray[np.float64]

#: The optimizers the chapter compares, by the name the explorer's dropdown shows.
OPTIMIZER_NAMES = ("GD", "Momentum", "Nesterov", "Adagrad", "RMSprop", "Adam")
#: Those of them that :func:`make_optimizer` gives a momentum ``beta``.
MOMENTUM_OPTIMIZERS = ("Momentum", "Nesterov", "Adam")


#: The loss surfaces of the explorer's dropdown: the ``course_lib.data`` surfaces
#: with their default arguments, and the quadratic turned by 45 degrees.
_SURFACES: dict[str, Callable[[], LossSurface]] = {
    "quadratic": data.elongated_quadratic,
    "rotated quadratic": data.rotated_quadratic,
    "Rosenbrock": data.rosenbrock,
    "bumpy": data.bumpy_quadratic,
}
SURFACE_NAMES = tuple(_SURFACES)

#: A path that gets this far from the origin has diverged; we stop it there.
DIVERGENCE_RADIUS = 1e6


def make_surface(name: str) -> LossSurface:
    """The loss surface called ``name`` (one of :data:`SURFACE_NAMES`)."""
    if name not in _SURFACES:
        raise ValueError(f"Unknown surface {name!r}; expected one of {', '.join(SURFACE_NAMES)}")
    return _SURFACES[name]()


def make_optimizer(name: str, params: list, *, lr: float, beta: float = 0.9) -> optim.Optimizer:
    r"""A ``course_lib.optim`` optimizer by its name in :data:`OPTIMIZER_NAMES`.

    ``beta`` is the momentum coefficient: SGD's ``momentum`` for "Momentum" and
    "Nesterov", :math:`\beta_1` for "Adam" (with :math:`\beta_2 = 0.999`). GD,
    Adagrad and RMSprop ignore it (RMSprop keeps PyTorch's ``alpha=0.99``).
    "Nesterov" with ``beta = 0`` is plain GD.
    """
    if name == "GD":
        return optim.SGD(params, lr=lr)
    if name == "Momentum":
        return optim.SGD(params, lr=lr, momentum=beta)
    if name == "Nesterov":
        # With beta = 0 Nesterov's look-ahead is the current point: plain GD. PyTorch's
        # SGD refuses nesterov=True without momentum, so that case runs as GD.
        return optim.SGD(params, lr=lr, momentum=beta, nesterov=beta > 0)
    if name == "Adagrad":
        return optim.Adagrad(params, lr=lr)
    if name == "RMSprop":
        return optim.RMSprop(params, lr=lr)
    if name == "Adam":
        return optim.Adam(params, lr=lr, betas=(beta, 0.999))
    raise ValueError(f"Unknown optimizer {name!r}; expected one of {', '.join(OPTIMIZER_NAMES)}")


# -------------------------------------------------------- paths on 2-D surfaces


@dataclass
class Trajectory:
    """The path of one optimizer on a 2-D loss surface.

    Attributes
    ----------
    surface : the loss surface
    optimizer : the optimizer's name
    lr : learning rate
    path : ``(k + 1, 2)``, the start and every iterate
    loss : ``(k + 1,)``, the loss at each point of ``path``
    grads : ``(k, 2)``, the gradient (noise included) each step used
    diverged : True when the path left the disc of radius :data:`DIVERGENCE_RADIUS`
        or became non-finite; it is cut there, so ``k`` may be below ``n_steps``
    beta : the momentum coefficient, for the optimizers that have one (else None)
    noise : the standard deviation of the gradient noise
    """

    surface: LossSurface
    optimizer: str
    lr: float
    path: Array
    loss: Array
    grads: Array
    diverged: bool
    beta: float | None = None
    noise: float = 0.0

    @property
    def final_loss(self) -> float:
        """The loss at the last point, or inf if the run diverged."""
        return float(self.loss[-1]) if not self.diverged else float("inf")

    @property
    def effective_lr(self) -> Array:
        r"""``(k, 2)``: each step divided by minus its gradient, coordinate by coordinate.

        For GD this is the learning rate; for Adagrad and RMSprop it is the
        per-coordinate step size :math:`\alpha / (\sqrt{s} + \epsilon)`. (With momentum
        the step is not a multiple of the current gradient and the ratio mixes steps.)
        """
        return -np.diff(self.path, axis=0) / self.grads


def run_optimizer(surface: LossSurface, opt_factory: Callable[[list], optim.Optimizer], *,
                  n_steps: int, noise: float = 0.0, rng: np.random.Generator | None = None,
                  start: ArrayLike | None = None, label: str = "") -> Trajectory:
    r"""Run a ``course_lib.optim`` optimizer on a 2-D surface, one parameter of shape ``(2,)``.

    The parameter is a ``layers.Parameter``; before each ``step()`` its ``.grad`` is
    the surface's gradient plus, if ``noise > 0``, Gaussian noise of standard
    deviation ``noise`` per coordinate: a stand-in for the error of a mini-batch
    gradient (smaller batch, larger ``noise``).

    Parameters
    ----------
    surface : a ``course_lib.data`` loss surface
    opt_factory : ``params -> optimizer``, e.g. ``lambda ps: optim.Adam(ps, lr=0.1)``
    n_steps : number of updates
    noise : standard deviation of the gradient noise
    rng : generator for the noise (required when ``noise > 0``)
    start : starting point ``(2,)``; default ``surface.start``
    label : the optimizer's name, stored in the result
    """
    if noise > 0 and rng is None:
        raise ValueError("noise > 0 needs an rng (np.random.default_rng(seed))")
    p = layers.Parameter(surface.start if start is None else start)
    opt = opt_factory([p])
    path, values, grads = [p.data.copy()], [surface.value(p.data)], []
    diverged = False
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(n_steps):
            g = surface.grad(p.data)
            if noise > 0:
                g = g + noise * rng.standard_normal(2)
            p.grad = g
            opt.step()
            if not np.all(np.isfinite(p.data)) or np.hypot(*p.data) > DIVERGENCE_RADIUS:
                diverged = True
                break
            path.append(p.data.copy())
            values.append(surface.value(p.data))
            grads.append(g)
    return Trajectory(surface, label, float(opt.defaults["lr"]), np.array(path),
                      np.array(values), np.array(grads).reshape(-1, 2), diverged,
                      noise=float(noise))  # fmt: skip


def optimizer_trajectory(optimizer: str = "GD", surface: str = "quadratic",
                         lr: float = 0.03, beta: float = 0.9, noise: float = 0.0,
                         n_steps: int = 150, seed: int = 0) -> Trajectory:
    """The explorer's compute function: :func:`run_optimizer` with everything given by name.

    ``optimizer`` is one of :data:`OPTIMIZER_NAMES`, ``surface`` one of
    :data:`SURFACE_NAMES`; ``beta`` as in :func:`make_optimizer`; the noise is
    drawn from ``np.random.default_rng(seed)``.
    """
    traj = run_optimizer(make_surface(surface),
                         lambda ps: make_optimizer(optimizer, ps, lr=lr, beta=beta),
                         n_steps=n_steps, noise=noise, rng=np.random.default_rng(seed),
                         label=optimizer)  # fmt: skip
    if optimizer in MOMENTUM_OPTIMIZERS:
        traj.beta = float(beta)
    return traj


def steps_to_tolerance(traj: Trajectory, tol: float) -> int | None:
    """The first step after which the loss is at most ``tol``, or None if it never is."""
    hits = np.flatnonzero(traj.loss <= tol)
    return int(hits[0]) if hits.size else None


# --------------------------------------------------------------- Adam's first steps


def adam_step_sizes(n_steps: int, *, beta1: float = 0.9, beta2: float = 0.999,
                    variant: str = "adam") -> Array:
    r"""Adam's step length divided by the learning rate, for a constant gradient (ε = 0).

    With :math:`g_t = g` for every :math:`t`, :math:`m_t = (1-\beta_1^t)g` and
    :math:`v_t = (1-\beta_2^t)g^2`, so the step is :math:`\alpha` times

    * ``"adam"`` (both averages bias-corrected): :math:`1`;
    * ``"no_correction"`` (neither): :math:`(1-\beta_1^t)/\sqrt{1-\beta_2^t}`,
      about :math:`3.2` at :math:`t = 1`;
    * ``"no_m_correction"`` (only :math:`v` corrected): :math:`1-\beta_1^t`, 0.1 at first;
    * ``"notes"`` (the course notes' form: :math:`\beta_1` in both averages, no correction):
      :math:`\sqrt{1-\beta_1^t}`, about 0.32 at first.

    Returns an array ``(n_steps,)`` for :math:`t = 1, \dots, n`.
    """
    t = np.arange(1, n_steps + 1, dtype=np.float64)
    b1, b2 = 1 - beta1**t, 1 - beta2**t
    if variant == "adam":
        return np.ones_like(t)
    if variant == "no_correction":
        return b1 / np.sqrt(b2)
    if variant == "no_m_correction":
        return b1
    if variant == "notes":
        return np.sqrt(b1)
    raise ValueError(f"Unknown variant {variant!r}; expected adam, no_correction, "
                     "no_m_correction or notes")  # fmt: skip


# ---------------------------------------------------------------- line search


def exact_line_search_quadratic(surface: LossSurface, n_steps: int) -> Trajectory:
    r"""Gradient descent with the exactly minimising step, on a quadratic surface.

    .. math:: \alpha_k = \arg\min_\alpha L(\theta_k - \alpha g_k)
              = \frac{g_k^\top g_k}{g_k^\top H g_k}

    The closed form holds for a quadratic only. :math:`Hg` is the difference of
    two gradients, :math:`\nabla L(\theta + g) - \nabla L(\theta)`, exact for a
    quadratic. The ``lr`` attribute of the result is the last step size.
    """
    x = np.array(surface.start, dtype=np.float64)
    path, values, grads, alpha = [x], [surface.value(x)], [], 0.0
    for _ in range(n_steps):
        g = surface.grad(x)
        Hg = surface.grad(x + g) - g
        if g @ Hg <= 0:  # at the minimum (or not a convex quadratic): stop
            break
        alpha = float(g @ g / (g @ Hg))
        x = x - alpha * g
        path.append(x)
        values.append(surface.value(x))
        grads.append(g)
    return Trajectory(surface, "exact line search", alpha, np.array(path),
                      np.array(values), np.array(grads).reshape(-1, 2), False)  # fmt: skip
