r"""Layers as modules with a hand-written ``forward`` and ``backward`` (cs231n style).

Each module's ``forward(x)`` computes its output and caches exactly what
``backward`` needs. ``backward(grad_out)`` takes :math:`\partial L/\partial y` and
returns :math:`\partial L/\partial x`. It also ADDS each parameter's gradient to
``.grad`` (``p.grad = g if p.grad is None else p.grad + g``). It never modifies
``grad_out``. Call ``zero_grad()`` between steps, as in PyTorch.
``parameters()`` lists every :class:`Parameter` of a module and its sub-modules
(each once), ready for an optimizer; ``train()`` and ``eval()`` switch the
modules whose behaviour differs between training and evaluation (``Dropout``,
``BatchNorm1d``).

Shapes are ``(n_samples, n_features)``. Parameters are float64. A float32 input
stays float32: the weights are cast to float32 when used, while ``.data`` and
``.grad`` stay float64 (as in mixed-precision training).

One file per concept, as in ``torch.nn.modules``:

===============  ==================  ===================================================
Class            File                What it computes
===============  ==================  ===================================================
``Parameter``    ``module.py``       an array an optimizer updates: ``.data``, ``.grad``
``Module``       ``module.py``       the base class: forward, backward, parameters, modes
``Sequential``   ``module.py``       modules in a chain; backward runs them in reverse
``Linear``       ``linear.py``       :math:`y = x W^\top + b`; He, Xavier or normal init
``Identity``     ``activation.py``   :math:`y = x`
``ReLU``         ``activation.py``   :math:`\max(0, x)`
``LeakyReLU``    ``activation.py``   :math:`x` for :math:`x > 0`, else a small slope times :math:`x`
``Sigmoid``      ``activation.py``   :math:`\sigma(x) = 1/(1 + e^{-x})`
``Tanh``         ``activation.py``   :math:`\tanh x`
``Softmax``      ``activation.py``   softmax along one axis
``Dropout``      ``dropout.py``      inverted dropout, active in training mode only
``BatchNorm1d``  ``batchnorm.py``    batch normalisation over the batch axis
``LayerNorm``    ``layernorm.py``    layer normalisation over each sample's features
``Residual``     ``residual.py``     :math:`y = x + f(x)`: a block with a skip connection
``mlp``          ``mlp.py``          a multilayer perceptron from its layer sizes
``init``         ``init.py``         ``kaiming_normal_``, ``xavier_uniform_``, ...: in-place initialisers
===============  ==================  ===================================================

See the chapters on backpropagation, on regularization and on training in practice.
"""

from . import init
from .activation import Identity, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from .batchnorm import BatchNorm1d
from .dropout import Dropout
from .layernorm import LayerNorm
from .linear import Linear
from .mlp import ACTIVATIONS, mlp
from .module import Module, Parameter, Sequential
from .residual import Residual

__all__ = [
    "Parameter",
    "Module",
    "Linear",
    "Identity",
    "ReLU",
    "LeakyReLU",
    "Sigmoid",
    "Tanh",
    "Softmax",
    "Dropout",
    "BatchNorm1d",
    "LayerNorm",
    "Sequential",
    "Residual",
    "mlp",
    "ACTIVATIONS",
    "init",
]
