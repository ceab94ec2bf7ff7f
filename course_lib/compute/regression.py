r"""Computations for the chapter on regression: the learning rate of gradient descent.

Two pure compute functions, each unit-tested over a grid of slider values in
``tests/test_widgets_regression.py``:

* :func:`linear_gd` runs gradient descent on the mean squared error of a straight
  line fitted to :func:`course_lib.data.noisy_line` data, raw or standardized, and
  returns the path of :math:`\theta`, the loss at every step, and the Hessian's
  eigenvalues, which decide whether the loss falls (``lr < 2/λ_max``) or blows up.
* :func:`logistic_gd` runs gradient descent on the binary cross-entropy of a
  logistic regression on two standardized features of the breast-cancer data and
  returns the decision boundary after ``n_iter`` steps.

Three factories in ``course_lib.widgets.regression`` put them on sliders:
:func:`linear_gd_loss_explorer` (the loss curve), :func:`linear_gd_path_explorer`
(the path on the contours of the loss) and :func:`logistic_gd_explorer` (the
decision boundary). The figures are drawn by :mod:`course_lib.plots.regression`.

See the chapter on regression.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

from .. import activations, data, losses, regression
from ..training import DivergenceWarning

__all__ = [
    "LinearGDResult",
    "LogisticGDResult",
    "linear_gd",
    "logistic_gd",
    "run_gd",
    "CheckpointCurve",
    "logistic_gd_checkpoints",
    "LINE_LRS",
    "LOGISTIC_LRS",
    "LOGISTIC_ITERS",
]

Array = NDArray[np.float64]

#: Slider values of the learning rate for the straight-line explorers. With the
#: default data, 2/λ_max is about 0.10 for the raw feature and exactly 1 for the
#: standardized one, so the list brackets both thresholds.
LINE_LRS = (0.001, 0.003, 0.01, 0.03, 0.05, 0.08, 0.095, 0.1, 0.11, 0.2, 0.5, 0.9, 1.1)
#: Slider values of the learning rate and the number of steps for logistic regression.
LOGISTIC_LRS = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
LOGISTIC_ITERS = (0, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000)


# --- gradient descent with the divergence warning caught ----------------------------


GradientDescent = Callable[..., tuple[Array, Array]]


def run_gd(gd: GradientDescent, X: Array, y: Array, lr: float, n_iter: int,
           theta0: Array | None = None) -> tuple[Array, Array, str | None]:
    """Call ``regression.linear_regression_gd`` or ``logistic_regression_gd``, catching divergence.

    Returns ``(theta, loss_history, message)``: ``message`` is the text of the
    :class:`~course_lib.training.DivergenceWarning` if gradient descent stopped
    early because the loss blew up, else None. Nothing is printed.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DivergenceWarning)
        theta, history = gd(X, y, lr=lr, n_iter=n_iter, theta0=theta0)
    messages = [str(w.message) for w in caught if issubclass(w.category, DivergenceWarning)]
    return theta, history, (messages[0] if messages else None)


# --- linear regression on a noisy line ----------------------------------------------


@dataclass(frozen=True, eq=False)
class LinearGDResult:
    r"""Gradient descent on :math:`J(\theta) = \frac1n\lVert X\theta - y\rVert^2` for a line.

    Attributes
    ----------
    x, y : ``(n,)``, the raw feature and the targets
    X : ``(n, 2)``, the design matrix ``[1, x]`` (or ``[1, z]`` with ``z`` the
        standardized ``x``) that gradient descent used
    standardized : whether ``X`` holds the standardized feature
    lr, n_iter : the settings
    thetas : ``(k + 1, 2)``, :math:`\theta_0, \dots, \theta_k` (intercept, slope);
        ``k = n_iter`` unless gradient descent stopped early
    losses : ``(k + 1,)``, :math:`J(\theta_0), \dots, J(\theta_k)`
    theta_star : ``(2,)``, the minimiser (the normal equation's solution)
    loss_star : :math:`J(\theta^\ast)`
    eigvals : ``(2,)``, the eigenvalues of the Hessian :math:`\frac2n X^\top X`, ascending
    stopped_at : the iteration at which course_lib stopped because the loss blew
        up, or None
    grid : ``(t0, t1, J)``, the loss on a square grid around ``theta_star`` for the
        contour plot: ``t0`` ``(g,)``, ``t1`` ``(g,)``, ``J`` ``(g, g)`` with
        ``J[i, j]`` at ``(t0[j], t1[i])``
    """

    x: Array
    y: Array
    X: Array
    standardized: bool
    lr: float
    n_iter: int
    thetas: Array
    losses: Array
    theta_star: Array
    loss_star: float
    eigvals: Array
    stopped_at: int | None
    grid: tuple[Array, Array, Array]

    @property
    def lr_critical(self) -> float:
        r""":math:`2/\lambda_{\max}`: gradient descent converges below it and diverges above."""
        return float(2.0 / self.eigvals[-1])

    @property
    def excess(self) -> Array:
        r""":math:`J(\theta_k) - J(\theta^\ast) \ge 0`, the loss still to be removed."""
        return np.maximum(self.losses - self.loss_star, 0.0)

    @property
    def diverging(self) -> bool:
        """True if the loss ended above where it started (or course_lib stopped the run)."""
        return self.stopped_at is not None or bool(self.losses[-1] > self.losses[0])


@lru_cache(maxsize=8)
def _line(n_samples: int, noise: float, seed: int) -> tuple[Array, Array]:
    X, y = data.noisy_line(n_samples, noise=noise, rng=seed)
    x = X[:, 0]
    x.setflags(write=False)
    y.setflags(write=False)
    return x, y


def _loss_grid(X: Array, y: Array, center: Array, half_width: float, size: int = 121):
    t0 = np.linspace(center[0] - half_width, center[0] + half_width, size)
    t1 = np.linspace(center[1] - half_width, center[1] + half_width, size)
    T0, T1 = np.meshgrid(t0, t1)
    thetas = np.stack([T0.ravel(), T1.ravel()])  # (2, size**2)
    J = np.mean((X @ thetas - y[:, None]) ** 2, axis=0)  # the MSE at every grid point
    return t0, t1, J.reshape(T0.shape)


def _gd_path(X: Array, y: Array, lr: float, n_steps: int, theta0: Array) -> Array:
    """The iterates of ``linear_regression_gd``, one library step at a time."""
    thetas = [theta0]
    for _ in range(n_steps):
        theta, _, _ = run_gd(regression.linear_regression_gd, X, y, lr, 1, thetas[-1])
        thetas.append(theta)
    return np.array(thetas)


def linear_gd(
    lr: float,
    n_iter: int,
    standardize: bool = False,
    theta0: tuple[float, float] = (5.0, 0.0),
    n_samples: int = 50,
    noise: float = 1.0,
    seed: int = 0,
) -> LinearGDResult:
    r"""Fit a line by gradient descent on the MSE, from ``theta0``, for ``n_iter`` steps.

    The data are ``data.noisy_line(n_samples, noise=noise, rng=seed)`` (slope 2,
    intercept 1, ``x`` uniform in [0, 5]). With ``standardize=True`` the feature is
    replaced by ``z = (x - mean) / std`` first, which makes the Hessian
    :math:`\frac2n X^\top X` equal to :math:`2I`.

    Parameters
    ----------
    lr : learning rate :math:`\alpha > 0`
    n_iter : number of gradient-descent steps, >= 0
    standardize : standardize the feature before fitting
    theta0 : starting (intercept, slope); the default is a flat line at height 5
    n_samples, noise, seed : passed to :func:`course_lib.data.noisy_line`

    Returns
    -------
    LinearGDResult
    """
    x, y = _line(n_samples, float(noise), seed)
    X = regression.with_intercept((x - x.mean()) / x.std() if standardize else x)
    start = np.asarray(theta0, dtype=np.float64)
    _, losses, message = run_gd(regression.linear_regression_gd, X, y, lr, n_iter, start)
    stopped_at = len(losses) if message is not None else None
    thetas = _gd_path(X, y, lr, len(losses) - 1, start)
    theta_star = regression.normal_equation(X, y)
    loss_star = float(np.mean((X @ theta_star - y) ** 2))
    eigvals = np.linalg.eigvalsh(2.0 / len(y) * X.T @ X)
    half_width = 1.3 * float(np.max(np.abs(start - theta_star)))
    return LinearGDResult(
        x=x, y=y, X=X, standardized=bool(standardize), lr=float(lr), n_iter=int(n_iter),
        thetas=thetas, losses=losses, theta_star=theta_star, loss_star=loss_star,
        eigvals=eigvals, stopped_at=stopped_at, grid=_loss_grid(X, y, theta_star, half_width),
    )


#: The step counts the site offers (the notebook's slider has every count in 1..300).
SITE_ITERS = (1, 2, 3, 5, 10, 20, 40, 70, 100, 150, 200, 300)


# --- logistic regression on two features of the breast-cancer data -----------------


@dataclass(frozen=True, eq=False)
class LogisticGDResult:
    r"""Gradient descent on the mean BCE of :math:`\sigma(\theta_0 + \theta_1 x_1 + \theta_2 x_2)`.

    Attributes
    ----------
    X : ``(n, 2)``, the two standardized features of the training set
    y : ``(n,)``, labels (1 = benign, 0 = malignant)
    feature_names : the names of the two columns
    lr, n_iter : the settings
    theta : ``(3,)``, (intercept, weight 1, weight 2) after gradient descent
    losses : ``(k + 1,)``, the training BCE at every step
    theta_ref : ``(3,)``, the minimiser, from a long run at a safe learning rate
    lr_safe : :math:`2/L` with :math:`L = \lambda_{\max}(X^\top X)/(4n)`, a bound on
        the curvature: the loss falls at every step for ``lr`` below it
    stopped_at : the iteration at which course_lib stopped because the loss blew
        up, or None
    """

    X: Array
    y: Array
    feature_names: tuple[str, str]
    lr: float
    n_iter: int
    theta: Array
    losses: Array
    theta_ref: Array
    lr_safe: float
    stopped_at: int | None

    @property
    def accuracy(self) -> float:
        """Training accuracy of the rule "benign if the logit is positive"."""
        return float(np.mean((self._design() @ self.theta > 0) == (self.y == 1)))

    def _design(self) -> Array:
        return regression.with_intercept(self.X)

    def probability_grid(self, lims: tuple[float, float], size: int = 101) -> tuple[Array, Array, Array]:
        r""":math:`p(y=1 \mid x) = \sigma(\theta_0 + \theta_1 u + \theta_2 v)` on a square grid.

        Returns ``u`` ``(size,)``, ``v`` ``(size,)`` and ``p`` ``(size, size)`` with
        ``p[i, j]`` at ``(u[j], v[i])``.
        """
        u = np.linspace(*lims, size)
        U, V = np.meshgrid(u, u)
        p = activations.sigmoid(self.theta[0] + self.theta[1] * U + self.theta[2] * V)
        return u, u.copy(), p


@lru_cache(maxsize=4)
def _cancer_pair(features: tuple[str, str], seed: int) -> tuple[Array, Array]:
    ds = data.load_breast_cancer()
    columns = [ds.feature_names.index(f) for f in features]
    X_train, _, _, y_train, _, _ = data.train_val_test_split(ds.X, ds.y, rng=seed, stratify=True)
    (Z,) = data.standardize(X_train[:, columns])
    Z.setflags(write=False)
    y_train.setflags(write=False)
    return Z, y_train


@lru_cache(maxsize=4)
def _logistic_reference(features: tuple[str, str], seed: int) -> tuple[Array, float]:
    Z, y = _cancer_pair(features, seed)
    A = regression.with_intercept(Z)
    lr_safe = float(8 * len(Z) / np.linalg.eigvalsh(A.T @ A)[-1])
    # Near its minimiser the loss is strongly convex, so the error shrinks by a
    # constant factor per step (about 0.9 for the default features): 1,000 steps
    # take it far below anything a figure can show.
    theta, _, _ = run_gd(regression.logistic_regression_gd, A, y.astype(float), lr_safe, 1000)
    theta.setflags(write=False)
    return theta, lr_safe


def logistic_gd(
    lr: float,
    n_iter: int,
    features: tuple[str, str] = ("mean radius", "mean texture"),
    seed: int = 0,
) -> LogisticGDResult:
    r"""Logistic regression on two standardized breast-cancer features, by gradient descent.

    The training set is the one of ``data.train_val_test_split(X, y, rng=seed,
    stratify=True)``; both features are standardized with its statistics.
    Gradient descent starts from :math:`\theta = 0` (every probability ½).

    Parameters
    ----------
    lr : learning rate :math:`\alpha > 0`
    n_iter : number of gradient-descent steps, >= 0
    features : two names from ``data.load_breast_cancer().feature_names``
    seed : the seed of the split

    Returns
    -------
    LogisticGDResult
    """
    features = (str(features[0]), str(features[1]))
    Z, y = _cancer_pair(features, seed)
    theta_ref, lr_safe = _logistic_reference(features, seed)
    A = regression.with_intercept(Z)
    theta, losses, message = run_gd(regression.logistic_regression_gd, A, y.astype(float), lr, n_iter)
    return LogisticGDResult(
        X=Z, y=y, feature_names=features, lr=float(lr), n_iter=int(n_iter), theta=theta,
        losses=losses, theta_ref=theta_ref, lr_safe=lr_safe,
        stopped_at=len(losses) if message is not None else None,
    )


@dataclass(frozen=True, eq=False)
class CheckpointCurve:
    r"""Training and validation scores of one gradient-descent run, at chosen step counts.

    Attributes
    ----------
    steps : ``(m,)``, the step counts, increasing
    train_loss, val_loss : ``(m,)``, mean BCE on each set after that many steps
    train_accuracy, val_accuracy : ``(m,)``
    weight_norm : ``(m,)``, :math:`\lVert\theta\rVert` (intercept included)
    """

    steps: NDArray[np.int64]
    train_loss: Array
    val_loss: Array
    train_accuracy: Array
    val_accuracy: Array
    weight_norm: Array


def logistic_gd_checkpoints(
    X_train: Array, y_train: Array, X_val: Array, y_val: Array, lr: float, steps: tuple[int, ...]
) -> CheckpointCurve:
    r"""Run logistic-regression gradient descent once and score it after each count in ``steps``.

    ``X_train`` and ``X_val`` are design matrices (include the column of ones).
    The run is continued from checkpoint to checkpoint with ``theta0``, so the
    parameters after ``steps[i]`` steps are exactly those of a single run of that
    length, from :math:`\theta = 0`.
    """
    y_train, y_val = np.asarray(y_train, dtype=float), np.asarray(y_val, dtype=float)
    theta = np.zeros(X_train.shape[1])
    done, rows = 0, []
    for k in steps:
        theta, history, _ = run_gd(regression.logistic_regression_gd, X_train, y_train, lr, k - done, theta)
        done = k
        z_val = X_val @ theta
        rows.append((
            history[-1],
            losses.binary_cross_entropy_with_logits(z_val, y_val),
            np.mean((X_train @ theta > 0) == (y_train == 1)),
            np.mean((z_val > 0) == (y_val == 1)),
            np.linalg.norm(theta),
        ))
    cols = np.array(rows).T
    return CheckpointCurve(np.asarray(steps, dtype=np.int64), *cols)
