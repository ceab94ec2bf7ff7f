"""The multilayer perceptron every chapter builds: :func:`mlp`.

See the chapters on the training loop (introduction) and on regularization.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .._validation import check_int, check_probability, make_rng
from .activation import LeakyReLU, ReLU, Sigmoid, Tanh
from .batchnorm import BatchNorm1d
from .dropout import Dropout
from .linear import Linear
from .module import Module, Sequential

__all__ = ["ACTIVATIONS", "mlp"]

#: The hidden-layer activations :func:`mlp` accepts, by name.
ACTIVATIONS: dict[str, type[Module]] = {
    "sigmoid": Sigmoid,
    "tanh": Tanh,
    "relu": ReLU,
    "leaky_relu": LeakyReLU,
}


def mlp(sizes: Sequence[int], *, activation: str = "relu", init: str = "he",
        batchnorm: bool = False, dropout: float = 0.0,
        rng: np.random.Generator | int | None = None) -> Sequential:
    r"""A multilayer perceptron with layer sizes ``(n_in, h_1, ..., h_k, n_out)``.

    Each hidden layer is

    .. math:: \text{Linear} \to [\text{BatchNorm1d}] \to g \to [\text{Dropout}(p)],

    batch normalisation on the pre-activations :math:`z` (as in the notes) and
    dropout on the activations; the output layer is a plain ``Linear`` (logits or
    a regression output). With batch norm the hidden ``Linear`` layers have no
    bias: the normalisation subtracts the batch mean, so a bias would do nothing
    (:math:`\beta` takes its place).

    Every initial weight and dropout mask comes from one generator made from
    ``rng``, layer by layer from the input, so ``mlp((64, 32, 10), rng=1)`` is
    ``Sequential(Linear(64, 32, rng=g), ReLU(), Linear(32, 10, rng=g))`` with
    ``g = np.random.default_rng(1)``.

    Parameters
    ----------
    sizes : at least two layer sizes, input first
    activation : ``"sigmoid"``, ``"tanh"``, ``"relu"`` or ``"leaky_relu"``
        (:data:`ACTIVATIONS`), the non-linearity :math:`g`
    init : initialisation of every ``Linear`` (``"he"``, ``"xavier"`` or ``"normal"``)
    batchnorm : a ``BatchNorm1d`` after each hidden ``Linear``
    dropout : rate :math:`p` of a ``Dropout`` after each hidden activation; 0 for none
    rng : generator or seed for the weights and the dropout masks

    Examples
    --------
    >>> net = mlp((64, 128, 128, 10), batchnorm=True, dropout=0.2, rng=0)
    """
    sizes = [check_int(n, "layer size") for n in sizes]
    if len(sizes) < 2:
        raise ValueError(f"mlp needs at least an input and an output size; got sizes={sizes}")
    if activation not in ACTIVATIONS:
        raise ValueError(f"Invalid activation: {activation!r}; expected one of {', '.join(ACTIVATIONS)}")
    check_probability(dropout, "dropout")
    gen = make_rng(rng)
    modules: list[Module] = []
    for n_in, n_out in zip(sizes[:-2], sizes[1:-1], strict=True):
        modules.append(Linear(n_in, n_out, bias=not batchnorm, init=init, rng=gen))
        if batchnorm:
            modules.append(BatchNorm1d(n_out))
        modules.append(ACTIVATIONS[activation]())
        if dropout > 0:
            modules.append(Dropout(dropout, rng=gen))
    modules.append(Linear(sizes[-2], sizes[-1], init=init, rng=gen))
    return Sequential(*modules)
