r"""Computations for the chapter on backpropagation: how the gradient's size changes with depth.

Pure compute functions, each unit-tested in ``tests/test_widgets_backpropagation.py``:

* :func:`gradient_flow` builds a few deep multilayer perceptrons (``depth`` hidden
  layers of equal width, each a :class:`~course_lib.layers.Linear` followed by an
  activation, then a linear read-out), runs one forward and one backward pass on a
  fixed random regression batch, and records per hidden layer
  :math:`\lVert\partial L/\partial W_l\rVert_F`, the backpropagated signal
  :math:`\lVert\partial L/\partial Z_l\rVert_F` and the size of the activations.
  Through sigmoid layers the gradient shrinks by about :math:`1/4` per layer
  (:math:`\sigma' \le 1/4`), the *vanishing gradient*; with ReLU and He
  initialisation it keeps its size.
* :func:`finite_difference_errors` measures the error of the forward and the
  central difference quotient against an exact derivative, for a range of step
  sizes: why gradient checking uses central differences.

:func:`course_lib.widgets.backpropagation.gradient_flow_explorer` puts
:func:`gradient_flow` on sliders; the figures are drawn by
:mod:`course_lib.plots.backpropagation`.

See the chapter on backpropagation.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .. import layers, losses
from .._validation import as_float_array, check_int, make_rng
from ..layers import ACTIVATIONS  # the explorer's dropdown, by name

__all__ = [
    "INITS",
    "RECOMMENDED_INIT",
    "GradientFlow",
    "build_mlp",
    "gradient_flow_problem",
    "gradient_flow",
    "FiniteDifferenceErrors",
    "finite_difference_errors",
]

Array = NDArray[np.float64]

#: Weight initialisations: ``"auto"`` picks the recommended one for the activation.
INITS = ("auto", "he", "xavier", "normal")
#: He for the ReLU family, Xavier (Glorot) for the saturating sigmoid and tanh.
RECOMMENDED_INIT = {"sigmoid": "xavier", "tanh": "xavier", "relu": "he", "leaky_relu": "he"}


def _check_choice(value: str, options: Sequence[str], name: str) -> str:
    if value not in options:
        raise ValueError(f"Invalid {name}: {value!r}; expected one of {', '.join(options)}")
    return value


def build_mlp(activation: str, depth: int, *, width: int = 64, init: str = "auto",
              n_out: int = 1, rng: np.random.Generator | int | None = None) -> layers.Sequential:
    """A deep multilayer perceptron of equal-width hidden layers.

    ``depth`` times ``Linear(width, width, init=init)`` followed by the activation,
    then a ``Linear(width, n_out, init="xavier")`` read-out. Square hidden layers
    make He's and Xavier's variances the same going forward and backward, so any
    trend across layers comes from the activation and the initialisation alone.

    Parameters
    ----------
    activation : ``"sigmoid"``, ``"tanh"``, ``"relu"`` or ``"leaky_relu"``
    depth : number of hidden layers (>= 1)
    width : units per hidden layer; the input must have ``width`` features
    init : ``"he"``, ``"xavier"``, ``"normal"`` (:math:`\\mathcal N(0, 0.01^2)`) or
        ``"auto"`` (:data:`RECOMMENDED_INIT`)
    n_out : outputs of the read-out
    rng : generator or seed for the weights

    Returns
    -------
    layers.Sequential of ``2 * depth + 1`` modules; hidden layer ``l`` (from 1) is
    the module at index ``2 * (l - 1)``.
    """
    _check_choice(activation, tuple(ACTIVATIONS), "activation")
    _check_choice(init, INITS, "init")
    depth, width = check_int(depth, "depth"), check_int(width, "width")
    init = RECOMMENDED_INIT[activation] if init == "auto" else init
    rng = make_rng(rng)
    modules: list[layers.Module] = []
    for _ in range(depth):
        modules += [layers.Linear(width, width, init=init, rng=rng), ACTIVATIONS[activation]()]
    modules.append(layers.Linear(width, n_out, init="xavier", rng=rng))
    return layers.Sequential(*modules)


def gradient_flow_problem(activation: str = "sigmoid", depth: int = 10, init: str = "auto", *,
                          width: int = 64, n_samples: int = 64, n_nets: int = 8, seed: int = 0
                          ) -> tuple[Array, Array, list[layers.Sequential]]:
    """The data and the networks :func:`gradient_flow` measures: ``(X, y, nets)``.

    ``X`` of shape ``(n_samples, width)`` and ``y`` of shape ``(n_samples, 1)`` are
    standard normal; then ``n_nets`` networks from :func:`build_mlp`, all drawn from
    one generator seeded with ``seed``. Changing only ``init`` therefore gives the
    same standard-normal draws scaled by a different standard deviation.
    """
    _check_choice(activation, tuple(ACTIVATIONS), "activation")
    width, n_samples = check_int(width, "width"), check_int(n_samples, "n_samples")
    n_nets = check_int(n_nets, "n_nets")
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_samples, width))
    y = rng.standard_normal((n_samples, 1))
    nets = [build_mlp(activation, depth, width=width, init=init, rng=rng) for _ in range(n_nets)]
    return X, y, nets


@dataclass(frozen=True)
class GradientFlow:
    """What :func:`gradient_flow` measured, per network and per hidden layer.

    Arrays have shape ``(n_nets, depth)``; column ``l - 1`` is hidden layer ``l``,
    counted from the input.

    Attributes
    ----------
    activation, init : the settings (``init`` resolved from ``"auto"``)
    auto : whether ``init`` was resolved from ``"auto"``
    weight_grad_norms : :math:`\\lVert\\partial L/\\partial W_l\\rVert_F`
    delta_norms : :math:`\\lVert\\partial L/\\partial Z_l\\rVert_F`, the signal that
        backpropagation carries into layer ``l`` (the course notes' :math:`\\delta`)
    activation_rms : root mean square of the layer's output :math:`A_l`
    """

    activation: str
    init: str
    weight_grad_norms: Array
    delta_norms: Array
    activation_rms: Array
    auto: bool = False  # ``init`` was chosen by "auto"

    @property
    def depth(self) -> int:
        return self.weight_grad_norms.shape[1]

    def typical(self, quantity: str = "weight_grad_norms") -> Array:
        """Geometric mean over the networks, per layer (the right average on a log scale).

        ``quantity`` is ``"weight_grad_norms"``, ``"delta_norms"`` or ``"activation_rms"``.
        """
        _check_choice(quantity, ("weight_grad_norms", "delta_norms", "activation_rms"),
                      "quantity")
        return _geometric_mean(getattr(self, quantity))

    @property
    def typical_weight_grad_norms(self) -> Array:
        """``typical("weight_grad_norms")``: what the explorer's thick line shows."""
        return self.typical("weight_grad_norms")

    @property
    def first_to_last(self) -> float:
        """Typical ratio :math:`\\lVert\\partial L/\\partial W_1\\rVert` over that of the last layer."""
        g = self.typical_weight_grad_norms
        return float(g[0] / g[-1])

    @property
    def delta_first_to_last(self) -> float:
        """The same ratio for :math:`\\lVert\\partial L/\\partial Z_l\\rVert`."""
        d = self.typical("delta_norms")
        return float(d[0] / d[-1])


def _geometric_mean(a: Array) -> Array:
    # A norm can be exactly 0 (a whole layer of dead ReLUs): floor it so log() is finite.
    return np.exp(np.mean(np.log(np.maximum(a, np.finfo(float).tiny)), axis=0))


def _measure(net: layers.Sequential, X: Array, y: Array) -> tuple[Array, Array, Array]:
    """One forward and backward pass, layer by layer, recording what the figure shows."""
    loss = losses.MSELoss()
    a, rms = X, []
    for module in net:
        a = module.forward(a)
        if not isinstance(module, layers.Linear):
            rms.append(np.sqrt(np.mean(a * a)))
    loss.forward(a, y)
    g, deltas = loss.backward(), []
    for module in reversed(net.layers):
        if isinstance(module, layers.Linear) and module is not net.layers[-1]:
            deltas.append(np.linalg.norm(g))  # g is dL/dZ of this hidden layer
        g = module.backward(g)
    grads = [np.linalg.norm(net[2 * i].weight.grad) for i in range(len(rms))]
    return np.array(grads), np.array(deltas[::-1]), np.array(rms)


def gradient_flow(activation: str = "sigmoid", depth: int = 10, init: str = "auto", *,
                  width: int = 64, n_samples: int = 64, n_nets: int = 8,
                  seed: int = 0) -> GradientFlow:
    r"""Size of each hidden layer's weight gradient in deep MLPs at initialisation.

    For each of ``n_nets`` networks from :func:`gradient_flow_problem`: one forward
    pass, the mean squared error against random targets, one backward pass. Going
    back through hidden layer :math:`l`,

    .. math:: \frac{\partial L}{\partial Z_{l-1}} = \Big(\frac{\partial L}{\partial Z_l} W_l\Big)
              \odot g'(Z_{l-1}), \qquad
              \frac{\partial L}{\partial W_l} = \Big(\frac{\partial L}{\partial Z_l}\Big)^{\!\top} A_{l-1},

    so each layer multiplies the signal by a weight matrix and by :math:`g'`. With
    the sigmoid, :math:`g' \le 1/4`.

    Returns
    -------
    GradientFlow with arrays of shape ``(n_nets, depth)``.
    """
    X, y, nets = gradient_flow_problem(activation, depth, init, width=width,
                                       n_samples=n_samples, n_nets=n_nets, seed=seed)
    grads, deltas, rms = zip(*(_measure(net, X, y) for net in nets), strict=True)
    return GradientFlow(
        activation=activation,
        init=RECOMMENDED_INIT[activation] if init == "auto" else init,
        auto=init == "auto",
        weight_grad_norms=np.array(grads),
        delta_norms=np.array(deltas),
        activation_rms=np.array(rms),
    )


# --- why central differences --------------------------------------------------------


@dataclass(frozen=True)
class FiniteDifferenceErrors:
    """Absolute errors of two difference quotients, one per step size ``eps``."""

    eps: Array
    forward: Array
    central: Array


def finite_difference_errors(f: Callable[[Array], Array], df: Callable[[Array], Array],
                             x: float, eps: ArrayLike) -> FiniteDifferenceErrors:
    r"""Errors of the forward and central differences of ``f`` at ``x`` against ``df(x)``.

    .. math:: \Big|\frac{f(x+\epsilon) - f(x)}{\epsilon} - f'(x)\Big| = O(\epsilon),\qquad
              \Big|\frac{f(x+\epsilon) - f(x-\epsilon)}{2\epsilon} - f'(x)\Big| = O(\epsilon^2)

    (Taylor's theorem) until rounding, which grows like :math:`u/\epsilon` with
    :math:`u \approx 10^{-16}` in float64, takes over for tiny ``eps``.

    Parameters
    ----------
    f, df : a vectorised function and its exact derivative
    x : the point
    eps : step sizes, shape ``(k,)``, all > 0
    """
    eps = np.asarray(as_float_array(eps, "eps"), dtype=np.float64)
    if eps.ndim != 1 or np.any(eps <= 0):
        raise ValueError(f"eps must be a 1-D array of positive step sizes; got {eps!r}")
    exact = float(df(np.asarray(x, dtype=np.float64)))
    fx = f(np.asarray(x, dtype=np.float64))
    forward = (f(x + eps) - fx) / eps
    central = (f(x + eps) - f(x - eps)) / (2 * eps)
    return FiniteDifferenceErrors(eps=eps, forward=np.abs(forward - exact),
                                  central=np.abs(central - exact))
