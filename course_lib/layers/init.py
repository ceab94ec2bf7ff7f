r"""Weight initialisation: PyTorch's ``torch.nn.init`` for numpy arrays and ``Parameter``\ s.

Each function fills its argument **in place** and returns it: a float numpy
array, or anything with a ``.data`` array (``layers.Parameter``,
``autodiff.Tensor``). A weight of shape ``(out, in)`` (``Linear``'s layout) has
:math:`\text{fan\_in} = \text{in}` and :math:`\text{fan\_out} = \text{out}`.

Randomness: PyTorch's functions take an optional ``generator=`` and otherwise
draw from a global one. course_lib has no global random state, so the random
initialisers take a **required** keyword ``rng`` instead: a
``numpy.random.Generator`` (which advances) or an int seed.

The scale of every scheme comes from one rule: keep the variance of the signal
the same from layer to layer. A layer with :math:`n` inputs multiplies the
variance by :math:`n\,\mathrm{Var}(w)` times the non-linearity's effect, so

.. math:: \mathrm{Var}(w) = \frac{\text{gain}^2}{\text{fan}}, \qquad
          \text{Xavier: fan} = \frac{\text{fan\_in} + \text{fan\_out}}{2}, \qquad
          \text{Kaiming: fan} = \text{fan\_in (or fan\_out)},

with the gain of :func:`calculate_gain` (:math:`\sqrt 2` for ReLU, which zeroes
half its inputs). A uniform draw on :math:`[-b, b]` has variance :math:`b^2/3`,
hence :math:`b = \sqrt 3\,\sigma`.

See the chapters on backpropagation and on training in practice.
"""

from __future__ import annotations

import math
from typing import Any, Literal, TypeVar

import numpy as np

from .._validation import make_rng

__all__ = [
    "calculate_gain", "fan_in_and_fan_out",
    "uniform_", "normal_", "constant_", "zeros_", "ones_",
    "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_",
]  # fmt: skip

T = TypeVar("T")
RNG = np.random.Generator | int | None
FanMode = Literal["fan_in", "fan_out"]

_LINEAR = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
           "conv_transpose3d", "sigmoid")  # fmt: skip


def _gain_squared(nonlinearity: str, param: float | None) -> float:
    if nonlinearity in _LINEAR:
        return 1.0
    if nonlinearity == "tanh":
        return (5.0 / 3) ** 2
    if nonlinearity == "relu":
        return 2.0
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, (int, float)) and not isinstance(param, bool):
            slope = param
        else:
            raise ValueError(f"negative_slope {param!r} not a valid number")
        return 2.0 / (1 + slope**2)
    if nonlinearity == "selu":
        return (3.0 / 4) ** 2
    raise ValueError(f"Unsupported nonlinearity {nonlinearity!r}; expected one of "
                     f"{', '.join((*_LINEAR, 'tanh', 'relu', 'leaky_relu', 'selu'))}")  # fmt: skip


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    r"""The recommended gain for a non-linearity (PyTorch's ``calculate_gain`` values).

    ======================  =============================================
    nonlinearity            gain
    ======================  =============================================
    linear, conv*, sigmoid  :math:`1`
    tanh                    :math:`5/3`
    relu                    :math:`\sqrt{2}`
    leaky_relu              :math:`\sqrt{2/(1 + a^2)}`, slope ``param`` (default 0.01)
    selu                    :math:`3/4`
    ======================  =============================================

    Sigmoid's gain 1 is PyTorch's convention, not a derivation: σ has slope 1/4 at 0
    and is not centred, so no gain makes it variance-preserving.
    """
    # sqrt of the squared gain: the same float as PyTorch's (IEEE sqrt(x*x) == x),
    # and the Kaiming variance gain**2 / fan stays exactly 2 / fan for ReLU.
    return math.sqrt(_gain_squared(nonlinearity, param))


def _array(tensor: Any) -> np.ndarray:
    """The array to fill: ``tensor`` itself or its ``.data``, which must be floating point."""
    arr = tensor if isinstance(tensor, np.ndarray) else getattr(tensor, "data", None)
    if not isinstance(arr, np.ndarray):
        raise TypeError("tensor must be a numpy array or have a numpy .data array (a Parameter); "
                        f"got {type(tensor).__name__}")
    if arr.dtype.kind != "f":
        raise TypeError(f"tensor must hold floats to be filled in place; got dtype {arr.dtype}")
    return arr


def fan_in_and_fan_out(tensor: Any) -> tuple[int, int]:
    r"""``(fan_in, fan_out)`` of a weight ``(out, in, *kernel)``: in·k and out·k, k = prod(kernel).

    PyTorch's ``_calculate_fan_in_and_fan_out``; a vector (a bias) has no fans.
    """
    shape = _array(tensor).shape
    if len(shape) < 2:
        raise ValueError("Fan in and fan out can not be computed for tensor with fewer than "
                         f"2 dimensions; got shape {shape}")  # fmt: skip
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


def _fan(tensor: Any, mode: str) -> int:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {mode!r} not supported, please use one of ['fan_in', 'fan_out']")
    fan_in, fan_out = fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def _fill(tensor: T, values: Any) -> T:
    _array(tensor)[...] = values
    return tensor


def uniform_(tensor: T, a: float = 0.0, b: float = 1.0, *, rng: RNG) -> T:
    r"""Fill with draws from :math:`U(a, b)`."""
    if not a <= b:
        raise ValueError(f"uniform_ needs a <= b; got a={a}, b={b}")
    return _fill(tensor, make_rng(rng).uniform(a, b, size=_array(tensor).shape))


def normal_(tensor: T, mean: float = 0.0, std: float = 1.0, *, rng: RNG) -> T:
    r"""Fill with draws from :math:`\mathcal N(\text{mean}, \text{std}^2)`."""
    if not std >= 0:
        raise ValueError(f"Invalid std: {std} (must be >= 0)")
    values = make_rng(rng).standard_normal(_array(tensor).shape) * std
    return _fill(tensor, values + mean if mean != 0 else values)


def constant_(tensor: T, val: float) -> T:
    """Fill with ``val``."""
    return _fill(tensor, val)


def zeros_(tensor: T) -> T:
    """Fill with zeros: fine for biases, fatal for weights (every unit of a layer stays identical)."""
    return _fill(tensor, 0.0)


def ones_(tensor: T) -> T:
    """Fill with ones."""
    return _fill(tensor, 1.0)


def _xavier_std(tensor: Any, gain: float) -> float:
    fan_in, fan_out = fan_in_and_fan_out(tensor)
    return gain * math.sqrt(2.0 / float(fan_in + fan_out))


def xavier_uniform_(tensor: T, gain: float = 1.0, *, rng: RNG) -> T:
    r"""Glorot & Bengio (2010): fill with :math:`U(-b, b)`.

    .. math:: b = \text{gain}\sqrt{6/(\text{fan\_in} + \text{fan\_out})}

    Suits tanh (with ``gain=calculate_gain("tanh")``) and linear layers.
    """
    bound = math.sqrt(3.0) * _xavier_std(tensor, gain)
    return uniform_(tensor, -bound, bound, rng=rng)


def xavier_normal_(tensor: T, gain: float = 1.0, *, rng: RNG) -> T:
    r"""Glorot & Bengio (2010): fill with :math:`\mathcal N(0, \sigma^2)`.

    .. math:: \sigma = \text{gain}\sqrt{2/(\text{fan\_in} + \text{fan\_out})}
    """
    return normal_(tensor, 0.0, _xavier_std(tensor, gain), rng=rng)


def _kaiming_std(tensor: Any, a: float, mode: str, nonlinearity: str) -> float:
    return math.sqrt(_gain_squared(nonlinearity, a) / _fan(tensor, mode))


def kaiming_uniform_(tensor: T, a: float = 0, mode: FanMode = "fan_in",
                     nonlinearity: str = "leaky_relu", *, rng: RNG) -> T:
    r"""He et al. (2015): :math:`U(-b, b)`, :math:`b = \sqrt{3}\,\text{gain}/\sqrt{\text{fan}}`.

    ``a`` is the negative slope of a leaky ReLU (0: a ReLU, gain :math:`\sqrt 2`);
    ``mode="fan_in"`` keeps the forward signal's variance, ``"fan_out"`` the
    backward gradient's. PyTorch's ``Linear`` uses ``a=math.sqrt(5)``.
    """
    bound = math.sqrt(3.0) * _kaiming_std(tensor, a, mode, nonlinearity)
    return uniform_(tensor, -bound, bound, rng=rng)


def kaiming_normal_(tensor: T, a: float = 0, mode: FanMode = "fan_in",
                    nonlinearity: str = "leaky_relu", *, rng: RNG) -> T:
    r"""He et al. (2015): :math:`\mathcal N(0, \sigma^2)`, :math:`\sigma^2 = \text{gain}^2/\text{fan}`
    (:math:`2/\text{fan\_in}` for a ReLU). Arguments as in :func:`kaiming_uniform_`."""
    return normal_(tensor, 0.0, _kaiming_std(tensor, a, mode, nonlinearity), rng=rng)
