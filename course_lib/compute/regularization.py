r"""Computations and experiments for the chapter on regularization.

Pure compute functions (numpy in, a small frozen dataclass out), each tested in
``tests/test_widgets_regularization.py``:

* :func:`make_poly_data`, :func:`fit_poly_ridge`, :func:`lambda_sweep`,
  :func:`degree_sweep`, :func:`learning_curve`: a polynomial of some degree fitted
  by ridge regression to a few noisy samples of a cubic; errors are the course notes'
  :math:`J = \frac{1}{2m}\sum_i (h_\theta(x^{(i)}) - y^{(i)})^2`, without the penalty.
* :func:`sparse_regression_data`, :func:`choose_penalty`: a linear model on many
  features with no penalty, an L2 or an L1 penalty
  (``regularization.fit_penalized_linear``), λ chosen on a validation set.
* :func:`decay_race`: weights whose loss gradient is pure noise, shrunk by Adam
  with an L2 penalty versus AdamW.
* :func:`fit_dropout_net`: a one-hidden-layer network fitted to the polynomial
  data with a dropout rate ``p`` (``regularization.thinned_average`` averages its
  thinned networks).

Two factories in ``course_lib.widgets.regularization`` put them on sliders:
:func:`poly_ridge_explorer` (degree and λ) and :func:`dropout_explorer` (``p``).
The figures are drawn by :mod:`course_lib.plots.regularization`.

See the chapter on regularization.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

from .. import layers, losses, optim, regression, regularization, training
from .._validation import check_int, check_nonnegative, make_rng
from ..data import Standardizer, noisy_polynomial

__all__ = [
    "PolyData",
    "PolyFit",
    "Sweep",
    "LearningCurve",
    "SparseProblem",
    "DecayRace",
    "DropoutFit",
    "make_poly_data",
    "fit_poly_ridge",
    "lambda_sweep",
    "degree_sweep",
    "learning_curve",
    "sparse_regression_data",
    "choose_penalty",
    "decay_race",
    "fit_dropout_net",
    "half_mse",
    "LAMBDAS",
    "DROPOUT_RATES",
]

Array = NDArray[np.float64]

#: The λ slider: 0 and the course notes' doubling grid 0.01, 0.02, ..., 5.12.
LAMBDAS = (0.0, *(float(v) for v in regularization.lambda_grid()))
#: The dropout-rate slider.
DROPOUT_RATES = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6)


def half_mse(pred: Array, y: Array) -> float:
    r"""The course notes' :math:`J = \frac{1}{2m}\sum_i(\hat y_i - y_i)^2`: half the mean squared error."""
    return 0.5 * float(np.mean((np.asarray(pred) - np.asarray(y)) ** 2))


# --- polynomial ridge regression --------------------------------------------------------


@dataclass(frozen=True, eq=False)
class PolyData:
    """Noisy samples of the cubic :math:`x^3 - 3x + 1`, split into training and validation.

    Attributes: ``x_train``, ``y_train`` ``(n_train,)``; ``x_val``, ``y_val`` ``(n_val,)``;
    ``noise``, the standard deviation of the noise (the best possible :math:`J` is ``noise²/2``).
    """

    x_train: Array
    y_train: Array
    x_val: Array
    y_val: Array
    noise: float

    @staticmethod
    def truth(x: Array) -> Array:
        """The noiseless cubic, the default of :func:`course_lib.data.noisy_polynomial`."""
        return x**3 - 3 * x + 1


def make_poly_data(n_train: int = 20, n_val: int = 50, noise: float = 1.0, rng=1) -> PolyData:
    """Draw ``n_train + n_val`` points with :func:`course_lib.data.noisy_polynomial` and split them.

    The defaults are the chapter's data set.
    """
    X, y = noisy_polynomial(n_samples=n_train + n_val, noise=noise, rng=rng)
    x = X[:, 0]
    return PolyData(x[:n_train], y[:n_train], x[n_train:], y[n_train:], float(noise))


@dataclass(frozen=True, eq=False)
class PolyFit:
    """A ridge fit of a polynomial of degree ``degree`` with strength ``lam``.

    Attributes
    ----------
    degree, lam : the settings
    weights : ``(degree,)``, coefficients of the standardized powers :math:`x, \\dots, x^d`
    intercept : the unpenalised :math:`\\theta_0`
    train_error, val_error : :math:`J` on each set, without the penalty
    weight_norm : :math:`\\lVert w\\rVert_2` (bias excluded)
    x_curve, y_curve : ``(200,)``, the fitted polynomial on a grid over the data
    data : the :class:`PolyData` it was fitted to
    """

    degree: int
    lam: float
    weights: Array
    intercept: float
    train_error: float
    val_error: float
    weight_norm: float
    x_curve: Array
    y_curve: Array
    data: PolyData


def fit_poly_ridge(degree: int, lam: float, data: PolyData) -> PolyFit:
    r"""Fit :math:`h_\theta(x) = \theta_0 + \sum_{j=1}^{d}\theta_j z_j(x)` by ridge regression.

    :math:`z_j` is the power :math:`x^j` standardized with the training set's mean
    and standard deviation. The fit minimises the course notes' cost

    .. math:: J(\theta) = \frac{1}{2m}\sum_{i=1}^{m}\big(h_\theta(x^{(i)}) - y^{(i)}\big)^2
              + \frac{\lambda}{2m}\sum_{j=1}^{d}\theta_j^2,

    whose penalty skips :math:`\theta_0`. Multiplying by :math:`2m` shows it is
    ``normal_equation(Z, y - ȳ, l2=λ)`` on centred data, with :math:`\theta_0 = \bar y`.
    """
    degree = check_int(degree, "degree")
    check_nonnegative(lam, "lam")
    powers = regression.polynomial_features(data.x_train, degree, include_bias=False)
    scaler = Standardizer().fit(powers)
    y_mean = float(data.y_train.mean())
    w = regression.normal_equation(scaler.transform(powers), data.y_train - y_mean, l2=lam)

    def predict(x: Array) -> Array:
        z = scaler.transform(regression.polynomial_features(x, degree, include_bias=False))
        return z @ w + y_mean

    lo, hi = min(data.x_train.min(), data.x_val.min()), max(data.x_train.max(), data.x_val.max())
    x_curve = np.linspace(lo, hi, 200)
    return PolyFit(
        degree, float(lam), w, y_mean,
        half_mse(predict(data.x_train), data.y_train), half_mse(predict(data.x_val), data.y_val),
        float(np.linalg.norm(w)), x_curve, predict(x_curve), data,
    )  # fmt: skip


@dataclass(frozen=True, eq=False)
class Sweep:
    """Errors and weight norms over a list of settings (``values``, of λ or of the degree).

    ``best`` is the value with the lowest validation error.
    """

    values: Array
    train_error: Array
    val_error: Array
    weight_norm: Array

    @property
    def best(self) -> float:
        return float(self.values[int(np.argmin(self.val_error))])


def _sweep(fits: Sequence[PolyFit], values: Sequence[float]) -> Sweep:
    return Sweep(np.asarray(values, dtype=float), *(np.array([getattr(f, k) for f in fits])
                 for k in ("train_error", "val_error", "weight_norm")))  # fmt: skip


def lambda_sweep(degree: int, lams: Sequence[float], data: PolyData) -> Sweep:
    """:func:`fit_poly_ridge` for each λ in ``lams`` at a fixed degree."""
    return _sweep([fit_poly_ridge(degree, lam, data) for lam in lams], lams)


def degree_sweep(degrees: Sequence[int], lam: float, data: PolyData) -> Sweep:
    """:func:`fit_poly_ridge` for each degree in ``degrees`` at a fixed λ."""
    return _sweep([fit_poly_ridge(d, lam, data) for d in degrees], degrees)


@dataclass(frozen=True, eq=False)
class LearningCurve:
    """Median :math:`J_\\text{train}` and :math:`J_\\text{val}` against the training-set size.

    ``noise_floor`` is ``noise²/2``, the error of the true function itself.
    """

    sizes: Array
    train_error: Array
    val_error: Array
    noise_floor: float
    degree: int
    lam: float


def learning_curve(degree: int, lam: float, sizes: Sequence[int], n_repeats: int = 25,
                   n_val: int = 500, noise: float = 1.0, rng=0) -> LearningCurve:
    """Train on ``m`` fresh samples for each ``m`` in ``sizes``, ``n_repeats`` times; take medians.

    :math:`J_\\text{train}` is measured on the ``m`` training samples themselves,
    :math:`J_\\text{val}` on one fixed validation set of ``n_val`` samples. The
    median, not the mean, because one unlucky draw of a few points can make a
    high-degree fit explode. With ``lam = 0`` every size must exceed ``degree``.
    """
    gen = make_rng(rng)
    X_val, y_val = noisy_polynomial(n_samples=n_val, noise=noise, rng=gen)
    train, val = np.empty((len(sizes), n_repeats)), np.empty((len(sizes), n_repeats))
    for i, m in enumerate(sizes):
        for r in range(n_repeats):
            X, y = noisy_polynomial(n_samples=m, noise=noise, rng=gen)
            fit = fit_poly_ridge(degree, lam, PolyData(X[:, 0], y, X_val[:, 0], y_val, noise))
            train[i, r], val[i, r] = fit.train_error, fit.val_error
    return LearningCurve(np.asarray(sizes), np.median(train, axis=1), np.median(val, axis=1),
                         noise**2 / 2, degree, float(lam))  # fmt: skip


@lru_cache(maxsize=1)
def _default_poly_data() -> PolyData:
    return make_poly_data()


# --- L1 versus L2 on many features --------------------------------------------------------


@dataclass(frozen=True, eq=False)
class SparseProblem:
    """A linear problem where only a few of many features matter.

    ``X_*`` ``(n, n_features)`` standard normal, ``y = X @ true_weights + noise``;
    ``true_weights`` has ``n_informative`` non-zero entries.
    """

    X_train: Array
    y_train: Array
    X_val: Array
    y_val: Array
    true_weights: Array


def sparse_regression_data(n_train: int = 100, n_val: int = 200, n_features: int = 80,
                           n_informative: int = 8, noise: float = 1.0, rng=0) -> SparseProblem:
    """Draw a :class:`SparseProblem`; the informative weights are ±1 to ±3."""
    gen = make_rng(rng)
    w = np.zeros(n_features)
    idx = gen.choice(n_features, size=n_informative, replace=False)
    w[idx] = gen.choice([-1.0, 1.0], size=n_informative) * gen.uniform(1.0, 3.0, size=n_informative)
    X = gen.standard_normal((n_train + n_val, n_features))
    y = X @ w + noise * gen.standard_normal(n_train + n_val)
    return SparseProblem(X[:n_train], y[:n_train], X[n_train:], y[n_train:], w)


def choose_penalty(problem: SparseProblem, penalty: str,
                   lams: Sequence[float]) -> tuple[float, Array, Array]:
    """Fit ``regularization.fit_penalized_linear`` for every λ; keep the one with the lowest validation J.

    Returns ``(best λ, its weights, validation J for every λ)``.
    """
    fits = [regularization.fit_penalized_linear(problem.X_train, problem.y_train, penalty, lam)
            for lam in lams]
    val = np.array([half_mse(problem.X_val @ w, problem.y_val) for w in fits])
    best = int(np.argmin(val))
    return float(lams[best]), fits[best], val


# --- Adam + L2 versus AdamW ---------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class DecayRace:
    """Mean weight of each group against the step, under Adam with L2 and under AdamW.

    ``adam`` and ``adamw`` are ``(len(noise_scales), n_steps + 1)``, with the standard
    errors of those means in ``adam_sem`` and ``adamw_sem``; ``plain`` is the
    pure-decay reference :math:`(1 - \\alpha\\lambda)^t`.
    """

    steps: Array
    noise_scales: tuple[float, ...]
    adam: Array
    adamw: Array
    adam_sem: Array
    adamw_sem: Array
    plain: Array
    lr: float
    weight_decay: float


def _race(cls: type[optim.Adam], scales: Sequence[float], lr: float, wd: float, n_steps: int,
          n_weights: int, seed: int) -> tuple[Array, Array]:
    gen = np.random.default_rng(seed)
    params = [layers.Parameter(np.ones(n_weights)) for _ in scales]
    opt = cls(params, lr=lr, weight_decay=wd)
    mean, sem = np.ones((len(scales), n_steps + 1)), np.zeros((len(scales), n_steps + 1))
    for t in range(1, n_steps + 1):
        for p, s in zip(params, scales, strict=True):
            p.grad = s * gen.standard_normal(n_weights)  # the loss gradient: pure noise
        opt.step()
        mean[:, t] = [p.data.mean() for p in params]
        sem[:, t] = [p.data.std(ddof=1) / np.sqrt(n_weights) for p in params]
    return mean, sem


def decay_race(noise_scales: Sequence[float] = (10.0, 0.01), lr: float = 1e-2,
               weight_decay: float = 0.1, n_steps: int = 2000, n_weights: int = 200,
               seed: int = 0) -> DecayRace:
    """Start every weight at 1 and feed it gradients of pure noise with std ``noise_scales[k]``.

    The data has nothing to say about these weights, so only the decay should move
    them (the noise averages out over the ``n_weights`` of a group). Both
    optimizers see the same noise.
    """
    args = (tuple(noise_scales), lr, weight_decay, n_steps, n_weights, seed)
    (adam, adam_sem), (adamw, adamw_sem) = _race(optim.Adam, *args), _race(optim.AdamW, *args)
    steps = np.arange(n_steps + 1)
    return DecayRace(steps, tuple(noise_scales), adam, adamw, adam_sem, adamw_sem,
                     (1 - lr * weight_decay) ** steps, lr, weight_decay)  # fmt: skip


# --- dropout on a small network -------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class DropoutFit:
    """A one-hidden-layer ReLU network fitted with dropout rate ``p`` on the hidden units.

    Attributes
    ----------
    x_curve : ``(200,)``; y_eval : the eval-mode prediction on it
    y_thinned : ``(n_thinned, 200)``, train-mode predictions (one dropout mask each)
    loss, val_loss : per-epoch MSE from :class:`course_lib.training.History` (``loss`` is
        measured in train mode, with dropout; ``val_loss`` in eval mode)
    train_error, val_error : :math:`J` (half MSE) of the final eval-mode network
    model : the trained network, left in eval mode
    """

    p: float
    x_curve: Array
    y_eval: Array
    y_thinned: Array
    loss: Array
    val_loss: Array
    train_error: float
    val_error: float
    model: layers.Sequential
    data: PolyData


def fit_dropout_net(p: float, data: PolyData, hidden: int = 200, epochs: int = 1000,
                    lr: float = 0.01, final_lr: float = 0.001, n_thinned: int = 4,
                    seed: int = 0) -> DropoutFit:
    """Full-batch Adam on the MSE of ``Linear(1, hidden) -> ReLU -> Dropout(p) -> Linear(hidden, 1)``
    (:func:`course_lib.layers.mlp`) for the (standardized) polynomial data.

    The learning rate decays exponentially from ``lr`` to ``final_lr``, so the
    last steps, noisy because every step draws new masks, are small. Dropout sits
    just before the last, linear layer, so the eval-mode output is *exactly* the
    average of the outputs of all :math:`2^{\\text{hidden}}` thinned networks (see
    ``regularization.thinned_average``); in deeper networks it is only an approximation.
    """
    mu, sd = data.x_train.mean(), data.x_train.std()
    Xtr, Xva = ((data.x_train - mu) / sd)[:, None], ((data.x_val - mu) / sd)[:, None]
    model = layers.mlp((1, hidden, 1), dropout=p, rng=seed)
    opt = optim.Adam(model.parameters(), lr=lr)
    schedule = optim.ExponentialLR(opt, gamma=(final_lr / lr) ** (1 / epochs))
    hist = training.fit(model, losses.MSELoss(), opt, Xtr, data.y_train[:, None], epochs=epochs,
                        batch_size=None, validation=(Xva, data.y_val[:, None]), progress=False,
                        scheduler=schedule, rng=seed)  # fmt: skip
    lo, hi = min(data.x_train.min(), data.x_val.min()), max(data.x_train.max(), data.x_val.max())
    x_curve = np.linspace(lo, hi, 200)
    grid = ((x_curve - mu) / sd)[:, None]
    model.train()
    thinned = np.array([model(grid)[:, 0] for _ in range(n_thinned)])
    model.eval()
    return DropoutFit(
        float(p), x_curve, model(grid)[:, 0], thinned, np.array(hist.loss), np.array(hist.val_loss),
        half_mse(model(Xtr)[:, 0], data.y_train), half_mse(model(Xva)[:, 0], data.y_val), model, data,
    )  # fmt: skip
