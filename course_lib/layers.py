r"""Layers as modules with a hand-written ``forward`` and ``backward`` (cs231n style).

Each module's ``forward(x)`` computes its output and caches exactly what
``backward`` needs. ``backward(grad_out)`` takes :math:`\partial L/\partial y` and
returns :math:`\partial L/\partial x`. It also ADDS each parameter's gradient to
``.grad`` (``p.grad = g if p.grad is None else p.grad + g``). It never modifies
``grad_out``. Call ``zero_grad()`` between steps, as in PyTorch.

Shapes are ``(n_samples, n_features)``. Parameters are float64. A float32 input
stays float32: the weights are cast to float32 when used, while ``.data`` and
``.grad`` stay float64 (as in mixed-precision training).

See the chapters on backpropagation and on regularization.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Self

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import activations
from ._validation import (
    as_float_array,
    check_axis,
    check_nonnegative,
    check_positive,
    check_probability,
    make_rng,
)

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
    "Sequential",
]

Array = NDArray[np.floating]
_INITS = ("he", "xavier", "normal")


class Parameter:
    """An array that an optimizer updates: ``.data`` and its gradient ``.grad``.

    ``.grad`` is None until a backward pass adds to it; ``zero_grad()`` resets it
    to None. ``autodiff.Tensor`` follows the same protocol.
    """

    def __init__(self, data: ArrayLike) -> None:
        self.data: Array = np.array(as_float_array(data, "data"), copy=True)
        self.grad: Array | None = None

    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    def __repr__(self) -> str:
        grad = "None" if self.grad is None else "set"
        return f"Parameter(shape={self.data.shape}, dtype={self.data.dtype}, grad={grad})"


def _accumulate(p: Parameter, g: Array) -> None:
    # Add, never overwrite: a parameter used twice gets the sum of both gradients.
    g = g.astype(p.data.dtype, copy=False)
    p.grad = g if p.grad is None else p.grad + g


def _check_grad_out(module: Module, grad_out: Array, out_shape: tuple | None) -> None:
    if out_shape is None:
        raise RuntimeError(
            f"{type(module).__name__}.backward() called before forward(): "
            "run forward first, it caches what backward needs"
        )
    if grad_out.shape != out_shape:
        raise ValueError(
            f"{type(module).__name__}.backward(): grad_out must have the shape of the "
            f"forward output {out_shape}; got {grad_out.shape}"
        )


def _check_positive_int(value: int, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int; got {type(value).__name__}: {value!r}")
    if value <= 0:
        raise ValueError(f"Invalid {name}: {value} (must be > 0)")
    return int(value)


def _check_2d(x: Array, n_features: int, module: Module) -> None:
    # The one check on the hot path: cheap, and it stops silent broadcasting.
    if x.ndim != 2 or x.shape[1] != n_features:
        raise ValueError(
            f"{type(module).__name__} expects input of shape (n_samples, {n_features}); "
            f"got x.shape={x.shape}"
        )


class Module:
    """Base class: ``forward``, ``backward``, ``parameters``, ``train``/``eval``, ``zero_grad``.

    A subclass implements ``forward(x)`` (caching what it needs) and
    ``backward(grad_out) -> grad_in``. ``parameters()`` finds every
    :class:`Parameter` and sub-module stored as an attribute. ``module(x)`` is
    ``module.forward(x)``.
    """

    training: bool = True

    def __init__(self) -> None:
        self.training = True

    def forward(self, x: ArrayLike) -> Array:
        raise NotImplementedError

    def backward(self, grad_out: Array) -> Array:
        raise NotImplementedError

    def __call__(self, x: ArrayLike) -> Array:
        return self.forward(x)

    def children(self) -> list[Module]:
        """The direct sub-modules (in attribute order)."""
        return [v for v in vars(self).values() if isinstance(v, Module)]

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Parameter]]:
        """Yield ``(name, parameter)`` pairs, e.g. ``("0.weight", p)``, each parameter once."""
        seen: set[int] = set()
        for name, p in self._named_parameters(prefix):
            if id(p) not in seen:
                seen.add(id(p))
                yield name, p

    def _named_parameters(self, prefix: str) -> Iterator[tuple[str, Parameter]]:
        for name, v in vars(self).items():
            if isinstance(v, Parameter):
                yield prefix + name, v
            elif isinstance(v, Module):
                yield from v._named_parameters(f"{prefix}{name}.")

    def parameters(self) -> list[Parameter]:
        """Every parameter of this module and its sub-modules, each once."""
        return [p for _, p in self.named_parameters()]

    def train(self, mode: bool = True) -> Self:
        """Set training mode (dropout active, batch norm uses batch statistics); return self."""
        self.training = bool(mode)
        for child in self.children():
            child.train(mode)
        return self

    def eval(self) -> Self:
        """Set evaluation mode (dropout off, batch norm uses running statistics); return self."""
        return self.train(False)

    def zero_grad(self) -> None:
        """Set every parameter's ``.grad`` to None (PyTorch's default ``set_to_none=True``)."""
        for p in self.parameters():
            p.grad = None

    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.extra_repr()})"


class Linear(Module):
    r"""Affine layer :math:`y = x W^\top + b` (PyTorch's layout).

    .. math:: y_{ij} = \sum_k x_{ik} W_{jk} + b_j, \qquad
              \frac{\partial L}{\partial W} = \delta^\top x,\quad
              \frac{\partial L}{\partial b} = \sum_i \delta_i,\quad
              \frac{\partial L}{\partial x} = \delta W

    with :math:`\delta = \partial L/\partial y` of shape ``(n, out_features)``.
    One seed writes :math:`z = \Theta a` for a single column vector :math:`a`, with
    the bias folded in as :math:`a_0 = 1`. That is the same map written for one
    sample; stacking samples as rows gives :math:`x W^\top`. This layer uses rows
    and a separate bias.

    Initialisation (``init``); the bias starts at zero:

    - ``"he"`` (default): Kaiming normal, :math:`\sigma = \sqrt{2/\text{in}}`. Use it
      before ReLU or leaky ReLU. From He et al. 2015, *Delving Deep into
      Rectifiers*: a ReLU zeroes half its inputs, and the factor 2 makes up for it.
    - ``"xavier"``: Glorot normal, :math:`\sigma = \sqrt{2/(\text{in}+\text{out})}`.
      Use it before tanh or sigmoid. From Glorot & Bengio 2010, *Understanding
      the difficulty of training deep feedforward neural networks*.
    - ``"normal"``: :math:`\mathcal N(0, 0.01^2)`, the seeds' "initialise randomly
      :math:`\sim\mathcal N(0,\sigma^2)`". In deep networks it shrinks the
      activations layer by layer.

    PyTorch's own default is different: uniform on
    :math:`\pm 1/\sqrt{\text{in}}`, for both weight and bias.

    Parameters
    ----------
    in_features, out_features : sizes of the input and output
    bias : whether to add a learnable bias
    init : ``"he"``, ``"xavier"`` or ``"normal"``
    rng : generator or seed for the initial weights

    Attributes
    ----------
    weight : Parameter ``(out_features, in_features)``
    bias : Parameter ``(out_features,)`` or None

    Input ``(n_samples, in_features)`` -> output ``(n_samples, out_features)``.
    See the chapter on backpropagation.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        init: str = "he",
        rng: np.random.Generator | int | None = None,
    ) -> None:
        super().__init__()
        self.in_features = _check_positive_int(in_features, "in_features")
        self.out_features = _check_positive_int(out_features, "out_features")
        if init not in _INITS:
            raise ValueError(f"Invalid init: {init!r}; expected one of {', '.join(_INITS)}")
        std = {
            "he": np.sqrt(2.0 / in_features),
            "xavier": np.sqrt(2.0 / (in_features + out_features)),
            "normal": 0.01,
        }[init]
        w = make_rng(rng).standard_normal((out_features, in_features)) * std
        self.weight = Parameter(w)
        self.bias = Parameter(np.zeros(out_features)) if bias else None
        self._x: Array | None = None
        self._w: Array | None = None
        self._out_shape: tuple | None = None

    def forward(self, x: ArrayLike) -> Array:
        x = as_float_array(x, "x")
        _check_2d(x, self.in_features, self)
        w = self.weight.data
        if w.dtype != x.dtype:  # float32 input: compute in float32
            w = w.astype(x.dtype)
        out = x @ w.T
        if self.bias is not None:
            out += self.bias.data.astype(x.dtype, copy=False)
        self._x, self._w, self._out_shape = x, w, out.shape
        return out

    def backward(self, grad_out: Array) -> Array:
        _check_grad_out(self, grad_out, self._out_shape)
        _accumulate(self.weight, grad_out.T @ self._x)
        if self.bias is not None:
            _accumulate(self.bias, grad_out.sum(axis=0))
        return grad_out @ self._w

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )


class _Elementwise(Module):
    """An elementwise map: backward multiplies ``grad_out`` by a cached local derivative."""

    def __init__(self) -> None:
        super().__init__()
        self._out_shape: tuple | None = None

    def _set(self, out: Array) -> Array:
        self._out_shape = out.shape
        return out


class Identity(_Elementwise):
    """:math:`y = x`: a placeholder, e.g. for a switched-off layer."""

    def forward(self, x: ArrayLike) -> Array:
        return self._set(as_float_array(x, "x"))

    def backward(self, grad_out: Array) -> Array:
        _check_grad_out(self, grad_out, self._out_shape)
        return grad_out


class ReLU(_Elementwise):
    r""":math:`\max(0, x)`; backward passes the gradient where :math:`x > 0`.

    Caches the mask :math:`x > 0`. At :math:`x = 0` the derivative is taken as 0, as
    in PyTorch (one seed writes 1 for :math:`z \ge 0`). See :func:`activations.relu_grad`.
    """

    def forward(self, x: ArrayLike) -> Array:
        x = as_float_array(x, "x")
        self._mask = x > 0
        return self._set(activations.relu(x))

    def backward(self, grad_out: Array) -> Array:
        _check_grad_out(self, grad_out, self._out_shape)
        return grad_out * self._mask


class LeakyReLU(_Elementwise):
    r""":math:`x` for :math:`x > 0`, else ``negative_slope``:math:`\cdot x` (PyTorch default 0.01).

    Caches the local derivative (1 or ``negative_slope``). See :func:`activations.leaky_relu`.
    """

    def __init__(self, negative_slope: float = 0.01) -> None:
        super().__init__()
        check_nonnegative(negative_slope, "negative_slope")
        self.negative_slope = float(negative_slope)

    def forward(self, x: ArrayLike) -> Array:
        x = as_float_array(x, "x")
        self._slope = activations.leaky_relu_grad(x, self.negative_slope)
        return self._set(x * self._slope)

    def backward(self, grad_out: Array) -> Array:
        _check_grad_out(self, grad_out, self._out_shape)
        return grad_out * self._slope

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class Sigmoid(_Elementwise):
    r""":math:`s = \sigma(x)`; caches the output and uses :math:`\sigma' = s(1 - s)`."""

    def forward(self, x: ArrayLike) -> Array:
        self._s = activations.sigmoid(x)
        return self._set(self._s)

    def backward(self, grad_out: Array) -> Array:
        _check_grad_out(self, grad_out, self._out_shape)
        return grad_out * self._s * (1 - self._s)


class Tanh(_Elementwise):
    r""":math:`t = \tanh(x)`; caches the output and uses :math:`\tanh' = 1 - t^2`."""

    def forward(self, x: ArrayLike) -> Array:
        self._t = activations.tanh(x)
        return self._set(self._t)

    def backward(self, grad_out: Array) -> Array:
        _check_grad_out(self, grad_out, self._out_shape)
        return grad_out * (1 - self._t * self._t)


class Softmax(_Elementwise):
    r"""Softmax along ``dim`` (default: the last axis), with its Jacobian-vector product.

    .. math:: \frac{\partial L}{\partial x_j} = s_j\Big(\delta_j - \sum_k \delta_k s_k\Big)

    Do not put it in front of ``losses.CrossEntropyLoss``: that loss takes logits
    and applies the softmax itself.
    """

    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, x: ArrayLike) -> Array:
        x = as_float_array(x, "x")
        self._axis = check_axis(self.dim, x.ndim, "dim")
        self._s = activations.softmax(x, axis=self._axis)
        return self._set(self._s)

    def backward(self, grad_out: Array) -> Array:
        _check_grad_out(self, grad_out, self._out_shape)
        s = self._s
        return s * (grad_out - np.sum(grad_out * s, axis=self._axis, keepdims=True))

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Dropout(_Elementwise):
    r"""Inverted dropout: zero each unit with probability ``p``, scale the rest by :math:`1/(1-p)`.

    .. math:: y = \frac{m \odot x}{1 - p}, \qquad m_i \sim \text{Bernoulli}(1 - p),
              \qquad \frac{\partial L}{\partial x} = \frac{m \odot \delta}{1 - p}

    Srivastava et al. 2014, *Dropout: A Simple Way to Prevent Neural Networks from
    Overfitting*. The paper keeps units unscaled during training and multiplies
    the weights by :math:`1-p` at test time. "Inverted" dropout scales during
    training instead, so :math:`\mathbb E[y] = x` and evaluation is the plain
    identity: the same network runs at test time with no rescaling. PyTorch does
    this, and so does this layer. In ``eval()`` mode, or with ``p=0``, it is the
    identity.

    Parameters
    ----------
    p : probability of zeroing a unit, in ``[0, 1)``
    rng : generator or seed for the masks (each forward draws a new mask)

    See the chapter on regularization.
    """

    def __init__(self, p: float = 0.5, rng: np.random.Generator | int | None = None) -> None:
        super().__init__()
        check_probability(p, "p (dropout probability)")
        self.p = float(p)
        self.rng = make_rng(rng)
        self._mask: Array | None = None

    def forward(self, x: ArrayLike) -> Array:
        x = as_float_array(x, "x")
        if not self.training or self.p == 0.0:
            self._mask = None
            return self._set(x)
        keep = 1.0 - self.p
        # The mask already holds 0 or 1/keep, so backward is one multiplication.
        self._mask = (self.rng.random(x.shape, dtype=x.dtype) < keep) * x.dtype.type(1 / keep)
        return self._set(x * self._mask)

    def backward(self, grad_out: Array) -> Array:
        _check_grad_out(self, grad_out, self._out_shape)
        return grad_out if self._mask is None else grad_out * self._mask

    def extra_repr(self) -> str:
        return f"p={self.p}"


class BatchNorm1d(Module):
    r"""Batch normalisation over the batch axis (Ioffe & Szegedy 2015), PyTorch semantics.

    Training mode, with batch mean :math:`\mu`, BIASED batch variance
    :math:`\sigma^2` (divide by :math:`n`) and :math:`\delta = \partial L/\partial y`:

    .. math:: \hat x = \frac{x - \mu}{\sqrt{\sigma^2 + \epsilon}},\qquad
              y = \gamma \hat x + \beta

    .. math:: \frac{\partial L}{\partial x} = \frac{1}{n\sqrt{\sigma^2+\epsilon}}
              \Big(n\,\hat\delta - \sum_i \hat\delta_i - \hat x \sum_i \hat\delta_i \hat x_i\Big),
              \quad \hat\delta = \gamma\,\delta

    The batch statistics depend on every row, hence the two sums. The running
    estimates use the UNBIASED variance (divide by :math:`n-1`):

    .. math:: \text{running} \leftarrow (1 - \text{momentum})\,\text{running}
              + \text{momentum}\cdot\text{batch statistic}

    ``momentum=None`` gives the cumulative average instead (as in PyTorch).
    ``eval()`` mode normalises with the running estimates, so the layer is a
    fixed affine map there and :math:`\partial L/\partial x =
    \gamma\delta/\sqrt{\text{running\_var}+\epsilon}`. The seeds place it on the
    pre-activations :math:`z`: ``Linear -> BatchNorm1d -> ReLU``.

    Parameters
    ----------
    num_features : number of features ``C``; input ``(n_samples, C)``
    eps : added to the variance for stability
    momentum : weight of the new batch in the running estimates, or None
    affine : learn ``weight`` (:math:`\gamma`, ones) and ``bias`` (:math:`\beta`, zeros)

    Attributes
    ----------
    running_mean, running_var : arrays ``(C,)``, start at 0 and 1 (not parameters)
    num_batches_tracked : int

    See the chapter on regularization.
    """

    def __init__(
        self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
        affine: bool = True,
    ) -> None:
        super().__init__()
        self.num_features = _check_positive_int(num_features, "num_features")
        check_positive(eps, "eps")
        if momentum is not None:
            check_probability(momentum, "momentum", include_one=True)
        self.eps, self.momentum, self.affine = float(eps), momentum, bool(affine)
        self.weight = Parameter(np.ones(num_features)) if affine else None
        self.bias = Parameter(np.zeros(num_features)) if affine else None
        self.running_mean = np.zeros(num_features)
        self.running_var = np.ones(num_features)
        self.num_batches_tracked = 0
        self._out_shape: tuple | None = None

    def forward(self, x: ArrayLike) -> Array:
        x = as_float_array(x, "x")
        _check_2d(x, self.num_features, self)
        if self.training:
            mean, var = self._batch_stats(x)
        else:
            mean, var = self.running_mean, self.running_var
        inv_std = (1.0 / np.sqrt(var + self.eps)).astype(x.dtype, copy=False)
        x_hat = (x - mean.astype(x.dtype, copy=False)) * inv_std
        self._x_hat, self._inv_std = x_hat, inv_std
        self._batch_mode, self._out_shape = self.training, x.shape
        if not self.affine:
            return x_hat
        dt = x.dtype
        return x_hat * self.weight.data.astype(dt, copy=False) + self.bias.data.astype(dt, copy=False)

    def _batch_stats(self, x: Array) -> tuple[Array, Array]:
        n = x.shape[0]
        if n < 2:
            raise ValueError(
                f"Expected more than 1 value per channel when training, got input size {x.shape}"
            )
        mean, var = x.mean(axis=0), x.var(axis=0)  # biased: divide by n
        self.num_batches_tracked += 1
        m = 1.0 / self.num_batches_tracked if self.momentum is None else self.momentum
        self.running_mean = (1 - m) * self.running_mean + m * mean
        self.running_var = (1 - m) * self.running_var + m * var * (n / (n - 1))  # unbiased
        return mean, var

    def backward(self, grad_out: Array) -> Array:
        _check_grad_out(self, grad_out, self._out_shape)
        x_hat, inv_std = self._x_hat, self._inv_std
        if self.affine:
            _accumulate(self.weight, np.sum(grad_out * x_hat, axis=0))
            _accumulate(self.bias, grad_out.sum(axis=0))
            d_hat = grad_out * self.weight.data.astype(x_hat.dtype, copy=False)
        else:
            d_hat = grad_out
        if not self._batch_mode:  # eval: a fixed affine map
            return d_hat * inv_std
        n = x_hat.shape[0]
        return (inv_std / n) * (
            n * d_hat - d_hat.sum(axis=0) - x_hat * np.sum(d_hat * x_hat, axis=0)
        )

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}"
        )


class Sequential(Module):
    """Chain modules: ``forward`` runs them in order, ``backward`` in reverse.

    Supports ``len``, iteration and indexing (a slice gives a new ``Sequential``
    sharing the same layers). ``train()``/``eval()`` reach every layer.

    Examples
    --------
    >>> net = Sequential(Linear(64, 128, rng=0), ReLU(), Linear(128, 10, rng=1))
    """

    def __init__(self, *layers: Module) -> None:
        super().__init__()
        for i, layer in enumerate(layers):
            if not isinstance(layer, Module):
                raise TypeError(f"Sequential: layer {i} is not a Module; got {layer!r}")
        self.layers: list[Module] = list(layers)

    def forward(self, x: ArrayLike) -> Array:
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, grad_out: Array) -> Array:
        for layer in reversed(self.layers):
            grad_out = layer.backward(grad_out)
        return grad_out

    def children(self) -> list[Module]:
        return list(self.layers)

    def _named_parameters(self, prefix: str) -> Iterator[tuple[str, Parameter]]:
        for i, layer in enumerate(self.layers):
            yield from layer._named_parameters(f"{prefix}{i}.")

    def __len__(self) -> int:
        return len(self.layers)

    def __iter__(self) -> Iterator[Module]:
        return iter(self.layers)

    def __getitem__(self, index: int | slice) -> Module:
        if isinstance(index, slice):
            return Sequential(*self.layers[index])
        return self.layers[index]

    def __repr__(self) -> str:
        lines = [f"  ({i}): " + repr(layer).replace("\n", "\n  ") for i, layer in enumerate(self)]
        return "Sequential(\n" + "\n".join(lines) + "\n)" if lines else "Sequential()"
