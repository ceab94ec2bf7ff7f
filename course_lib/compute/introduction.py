r"""Computations for the chapter "Introduction".

Pure compute functions (numpy in, a small frozen dataclass out; no matplotlib,
no ipywidgets); the factories in ``course_lib.widgets.introduction`` put them on sliders:

=================================  ==========================================================
Function                           What the reader sees
=================================  ==========================================================
:func:`fit_curve`                  a network with ``hidden_units`` tanh units fitted to a curve
:func:`descend_line`               full-batch gradient descent on a one-weight line fit
:func:`sgd_line`                   the same fit with mini-batches (``batch_size=1``: SGD)
:func:`train_with_batch_size`      a digit classifier trained with one flavour of descent
:func:`approximation_explorer`     slider: hidden units -> the fitted curve
:func:`learning_rate_explorer`     slider: learning rate -> the path of gradient descent
=================================  ==========================================================

The tests in ``tests/test_widgets_introduction.py`` check, over a grid of slider
values, what each figure is meant to show.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .. import layers, losses, optim, training
from .._validation import as_float_array, check_int, check_lr, check_same_shape, make_rng

__all__ = [
    "target_curve",
    "CurveFit",
    "fit_curve",
    "line_loss",
    "line_loss_grad",
    "DescentPath",
    "descend_line",
    "SGDPath",
    "sgd_line",
    "train_with_batch_size",
]

Array = NDArray[np.float64]
Rng = np.random.Generator | int | None

HIDDEN_UNITS = (1, 2, 3, 4, 6, 8, 12, 16)
"""The values of the hidden-units slider."""


# ------------------------------------------------------ universal approximation


def target_curve(x: ArrayLike) -> Array:
    r"""The function the approximation demo learns: :math:`f^*(x) = \sin 2x + 0.3x`."""
    x = as_float_array(x, "x")
    return np.sin(2 * x) + 0.3 * x


@dataclass(frozen=True)
class CurveFit:
    """A network fitted to :func:`target_curve` on ``[-3, 3]``.

    Attributes
    ----------
    hidden_units : number of tanh units in the hidden layer
    x_train, y_train : the training points, ``(n_points,)``
    x_grid, target, prediction : a dense grid ``(n_grid,)``, :math:`f^*` and the network on it
    mse : final training loss (mean squared error on the training points)
    max_error : :math:`\\max |f - f^*|` on the dense grid (the theorem's measure)
    loss_curve : training loss per epoch
    """

    hidden_units: int
    x_train: Array
    y_train: Array
    x_grid: Array
    target: Array
    prediction: Array
    mse: float
    max_error: float
    loss_curve: Array


@lru_cache(maxsize=64)
def fit_curve(hidden_units: int, *, n_points: int = 100, epochs: int = 2000, lr: float = 0.02,
              seed: int = 0) -> CurveFit:
    r"""Fit ``layers.mlp((1, hidden_units, 1), activation="tanh")`` to :math:`f^*` with Adam.

    Full-batch training (``batch_size=None``) on ``n_points`` evenly spaced, noise-free
    samples of :func:`target_curve` on ``[-3, 3]``, minimising the MSE with
    ``optim.Adam(lr)`` for ``epochs`` steps through :func:`course_lib.training.fit`.
    Noise-free data keeps the question to approximation: how close can this many
    units get to :math:`f^*`?

    The result depends only on the arguments, so it is memoised: moving the slider
    back to a value already shown, or drawing the same value in the static figure
    and the table, does not train again. Treat the returned arrays as read-only.

    Parameters
    ----------
    hidden_units : width of the hidden layer (>= 1)
    n_points : number of training points
    epochs : number of full-batch Adam steps
    lr : Adam's learning rate
    seed : seed of the initial weights
    """
    hidden_units = check_int(hidden_units, "hidden_units")
    x = np.linspace(-3.0, 3.0, check_int(n_points, "n_points", minimum=2))
    y = target_curve(x)
    net = layers.mlp((1, hidden_units, 1), activation="tanh", rng=seed)
    history = training.fit(net, losses.MSELoss(), optim.Adam(net.parameters(), lr=lr),
                           x[:, None], y[:, None], epochs=epochs, batch_size=None,
                           progress=False, rng=seed)  # fmt: skip
    grid = np.linspace(-3.0, 3.0, 601)
    pred = net.forward(grid[:, None])[:, 0]
    target = target_curve(grid)
    return CurveFit(hidden_units, x, y, grid, target, pred, float(history.loss[-1]),
                    float(np.max(np.abs(pred - target))), np.array(history.loss))  # fmt: skip


# ------------------------------------------- gradient descent on a one-weight fit


def _line_data(x: ArrayLike, y: ArrayLike) -> tuple[Array, Array]:
    x, y = as_float_array(x, "x"), as_float_array(y, "y")
    check_same_shape(x, y, "x", "y")
    if x.ndim != 1 or x.size == 0:
        raise ValueError(f"x and y must be non-empty 1-D arrays; got shape {x.shape}")
    if not np.any(x != 0):
        raise ValueError("x is all zeros: the loss does not depend on w")
    return x, y


def line_loss(w: float, x: ArrayLike, y: ArrayLike) -> float:
    r"""The loss of the one-weight model :math:`\hat y = w x`.

    .. math:: J(w) = \frac1n\sum_i (w x_i - y_i)^2
    """
    x, y = _line_data(x, y)
    return float(np.mean((w * x - y) ** 2))


def line_loss_grad(w: float, x: ArrayLike, y: ArrayLike) -> float:
    r""":math:`J'(w) = \frac2n\sum_i x_i (w x_i - y_i)`."""
    x, y = _line_data(x, y)
    return float(2 * np.mean(x * (w * x - y)))


@dataclass(frozen=True)
class DescentPath:
    r"""Iterates of :math:`w_{k+1} = w_k - \alpha J'(w_k)` on the parabola :math:`J(w)`.

    :math:`J(w) = J(w^*) + \tfrac h2 (w - w^*)^2` with curvature :math:`h = J'' = 2\,\overline{x^2}`,
    so :math:`w_k - w^* = (1 - \alpha h)^k (w_0 - w^*)`.

    Attributes
    ----------
    lr : the learning rate :math:`\alpha`
    w : iterates :math:`w_0, \dots, w_K`, ``(n_steps + 1,)``
    loss : :math:`J(w_k)`, ``(n_steps + 1,)``
    w_star, loss_star : the minimiser and the minimum
    curvature : :math:`h`
    x, y : the data (for drawing the parabola)
    """

    lr: float
    w: Array
    loss: Array
    w_star: float
    loss_star: float
    curvature: float
    x: Array
    y: Array

    @property
    def lr_limit(self) -> float:
        """:math:`2/h`: gradient descent converges for ``0 < lr < lr_limit`` and diverges above."""
        return 2.0 / self.curvature

    @property
    def factor(self) -> float:
        """:math:`1 - \\alpha h`, the factor by which each step multiplies :math:`w - w^*`."""
        return 1.0 - self.lr * self.curvature

    @property
    def regime(self) -> str:
        """``"no progress"``, ``"converges"``, ``"converges in one step"``, ``"converges, oscillating"``,
        ``"oscillates"`` (never settles) or ``"diverges"``."""
        f = self.factor
        if f >= 1.0:
            return "no progress"
        if abs(f) < 1e-12:
            return "converges in one step"
        if f > 0.0:
            return "converges"
        if f > -1.0:
            return "converges, oscillating"
        return "oscillates" if f == -1.0 else "diverges"


def descend_line(lr: float, x: ArrayLike, y: ArrayLike, *, w0: float = -1.0,
                 n_steps: int = 10) -> DescentPath:
    r"""Full-batch gradient descent on :func:`line_loss`, with :func:`course_lib.optim.gradient_descent`.

    Parameters
    ----------
    lr : learning rate :math:`\alpha \ge 0`
    x, y : the data, ``(n,)`` each
    w0 : starting weight
    n_steps : number of updates
    """
    x, y = _line_data(x, y)
    check_lr(lr)
    n_steps = check_int(n_steps, "n_steps", minimum=0)
    w_star = float(np.mean(x * y) / np.mean(x * x))  # J'(w*) = 0
    _, hist = optim.gradient_descent(
        lambda w: line_loss(float(w[0]), x, y),
        lambda w: np.array([line_loss_grad(float(w[0]), x, y)]),
        np.array([w0], dtype=np.float64), n_steps, lr=lr,
    )  # fmt: skip
    return DescentPath(float(lr), hist.x[:, 0], hist.loss, w_star, line_loss(w_star, x, y),
                       float(2 * np.mean(x * x)), x, y)  # fmt: skip


@dataclass(frozen=True)
class SGDPath:
    """Iterates of mini-batch gradient descent on :func:`line_loss`, one per update.

    Attributes
    ----------
    lr, batch_size : the settings (``batch_size=None`` is the full batch)
    w : :math:`w_0` and the weight after every update, ``(n_updates + 1,)``
    updates_per_epoch : number of updates in one epoch
    w_star : the minimiser of the full loss
    """

    lr: float
    batch_size: int | None
    w: Array
    updates_per_epoch: int
    w_star: float

    def last_epoch_rms(self) -> float:
        r"""Root-mean-square distance from :math:`w^*` over the last epoch's iterates.

        .. math:: \sqrt{\tfrac1m \textstyle\sum_k (w_k - w^*)^2}, \quad m = \text{updates per epoch}
        """
        tail = self.w[-self.updates_per_epoch:]
        return float(np.sqrt(np.mean((tail - self.w_star) ** 2)))


def sgd_line(lr: float, batch_size: int | None, x: ArrayLike, y: ArrayLike, *, epochs: int = 30,
             w0: float = -1.0, rng: Rng = None) -> SGDPath:
    r"""Mini-batch gradient descent on the one-weight fit, written with ``training.make_batches``.

    Each update uses the gradient of the loss on one batch,
    :math:`w \leftarrow w - \alpha\,\frac{2}{|B|}\sum_{i\in B} x_i(w x_i - y_i)`, and
    each epoch visits the data in a new random order drawn from ``rng``.

    Parameters
    ----------
    lr : learning rate
    batch_size : 1 (SGD), ``None`` (full batch) or anything in between
    x, y : the data, ``(n,)`` each
    epochs : number of passes over the data
    w0 : starting weight
    rng : generator or seed for the shuffles
    """
    x, y = _line_data(x, y)
    check_lr(lr)
    gen = make_rng(rng)
    w, path = float(w0), [float(w0)]
    for _ in range(check_int(epochs, "epochs")):
        for xb, yb in training.make_batches(x, y, batch_size, rng=gen):
            w -= lr * line_loss_grad(w, xb, yb)
            path.append(w)
    per_epoch = (len(path) - 1) // epochs
    return SGDPath(float(lr), batch_size, np.array(path), per_epoch, float(np.mean(x * y) / np.mean(x * x)))


# ---------------------------------------------------------- batch-size flavours


def train_with_batch_size(batch_size: int | None, X: ArrayLike, y: ArrayLike, *, lr: float = 0.1,
                          epochs: int = 20, n_hidden: int = 32, seed: int = 0) -> training.History:
    """Train ``layers.mlp((n_features, n_hidden, n_classes))`` with plain ``optim.SGD`` and ``training.fit``.

    Only ``batch_size`` changes between the three flavours of gradient descent: the
    initial weights (``seed``), the learning rate and the shuffles (``seed``) are the same.

    Parameters
    ----------
    batch_size : ``None`` (full batch), 1 (SGD) or a mini-batch size
    X : ``(n_samples, n_features)``; y : int labels ``(n_samples,)``
    lr, epochs, n_hidden, seed : as named

    Returns
    -------
    the :class:`course_lib.training.History` (training loss per epoch)
    """
    X = as_float_array(X, "X")
    y = np.asarray(y)
    net = layers.mlp((X.shape[1], n_hidden, int(y.max()) + 1), rng=seed)
    return training.fit(net, losses.CrossEntropyLoss(), optim.SGD(net.parameters(), lr=lr), X, y,
                        epochs=epochs, batch_size=batch_size, progress=False, rng=seed)  # fmt: skip
