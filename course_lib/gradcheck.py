r"""Gradient checking: compare an analytic gradient with central differences.

.. math:: \frac{\partial J}{\partial\theta_i} \approx
          \frac{J(\theta + \epsilon e_i) - J(\theta - \epsilon e_i)}{2\epsilon}

and the relative difference of the course notes,

.. math:: \text{diff} = \frac{\lVert g_\text{approx} - g\rVert_2}
          {\lVert g_\text{approx}\rVert_2 + \lVert g\rVert_2}.

Central differences have error :math:`O(\epsilon^2)`; one-sided ones only
:math:`O(\epsilon)`. In float64 with ``eps=1e-5`` a correct gradient of a smooth
function gives a relative difference around 1e-10; a wrong one gives 1e-2 or
more. Each check costs two evaluations of ``J`` per parameter, so it is a
debugging tool, not something to run every step.

See the chapter on backpropagation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._validation import as_float_array, check_positive

__all__ = ["numerical_gradient", "relative_error", "check_gradients", "GradCheckReport"]

Array = NDArray[np.floating]


def numerical_gradient(f: Callable[[Array], float], x: ArrayLike, eps: float = 1e-5) -> Array:
    r"""Central-difference estimate of :math:`\nabla f(x)` for a scalar function ``f``.

    Parameters
    ----------
    f : callable taking an array shaped like ``x`` and returning a scalar
    x : array of any shape (use float64: float32 differences are too coarse)
    eps : step size

    Returns
    -------
    array shaped like ``x``. ``x`` itself is left unchanged.
    """
    check_positive(eps, "eps")
    x = np.array(as_float_array(x, "x"), copy=True)
    grad = np.zeros_like(x)
    flat_x, flat_g = x.reshape(-1), grad.reshape(-1)
    for i in range(flat_x.size):
        old = flat_x[i]
        flat_x[i] = old + eps
        f_plus = float(f(x))
        flat_x[i] = old - eps
        f_minus = float(f(x))
        flat_x[i] = old
        flat_g[i] = (f_plus - f_minus) / (2 * eps)
    return grad


def relative_error(a: ArrayLike, b: ArrayLike) -> float:
    r"""The course notes' relative difference :math:`\lVert a-b\rVert / (\lVert a\rVert + \lVert b\rVert)`.

    Returns 0.0 when both are exactly zero (the formula's 0/0).
    """
    a, b = as_float_array(a, "a"), as_float_array(b, "b")
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape; got {a.shape} and {b.shape}")
    denom = np.linalg.norm(a) + np.linalg.norm(b)
    return 0.0 if denom == 0 else float(np.linalg.norm(a - b) / denom)


@dataclass
class GradCheckReport:
    """Result of :func:`check_gradients`.

    Attributes
    ----------
    errors : relative error (the course notes' formula) for each checked array, by name
    max_relative_error : the largest of ``errors``
    worst_name : which array has it
    worst_index : index into that array of the element with the largest
        elementwise relative difference :math:`|a-b|/(|a|+|b|)`
    threshold : the pass mark
    passed : ``max_relative_error < threshold``
    """

    errors: dict[str, float]
    threshold: float
    worst_index: tuple[int, ...]
    analytic: dict[str, Array] = field(repr=False)
    numeric: dict[str, Array] = field(repr=False)

    @property
    def worst_name(self) -> str:
        return max(self.errors, key=self.errors.__getitem__)

    @property
    def max_relative_error(self) -> float:
        return self.errors[self.worst_name]

    @property
    def passed(self) -> bool:
        return self.max_relative_error < self.threshold

    def __str__(self) -> str:
        verdict = "PASS" if self.passed else "FAIL"
        lines = [
            f"gradient check {verdict}: max relative error {self.max_relative_error:.2e} "
            f"(threshold {self.threshold:.0e}) in {self.worst_name}{list(self.worst_index)}"
        ]
        lines += [f"  {name:<20s} {err:.2e}" for name, err in self.errors.items()]
        return "\n".join(lines)


def _elementwise_worst(a: Array, b: Array) -> tuple[int, ...]:
    denom = np.abs(a) + np.abs(b)
    rel = np.divide(np.abs(a - b), denom, out=np.zeros_like(denom), where=denom > 0)
    return tuple(int(i) for i in np.unravel_index(np.argmax(rel), rel.shape)) if rel.size else ()


def _report(analytic: dict[str, Array], numeric: dict[str, Array], threshold: float):
    errors = {k: relative_error(analytic[k], numeric[k]) for k in analytic}
    worst = max(errors, key=errors.__getitem__)
    return GradCheckReport(
        errors=errors,
        threshold=threshold,
        worst_index=_elementwise_worst(analytic[worst], numeric[worst]),
        analytic=analytic,
        numeric=numeric,
    )


def check_gradients(
    model_or_fn,
    x: ArrayLike,
    target: ArrayLike | Callable | None = None,
    loss=None,
    *,
    eps: float = 1e-5,
    threshold: float = 1e-7,
) -> GradCheckReport:
    """Check an analytic gradient against central differences.

    Two forms:

    ``check_gradients(f, x, grad)``
        ``f(x) -> float`` is a scalar function and ``grad`` its analytic gradient at
        ``x``: either an array shaped like ``x`` or a callable ``grad(x)``.

    ``check_gradients(model, x, target, loss)``
        ``model`` is a ``course_lib.layers`` module and ``loss`` a loss module
        (e.g. ``losses.MSELoss()``). Runs forward, loss, and backward once, then
        perturbs every parameter (and the input ``x``) to check ``.grad`` of each
        parameter and the gradient ``backward`` returns for the input. The model
        must be deterministic: call ``model.eval()`` first if it has dropout.

    Returns
    -------
    GradCheckReport, whose ``passed`` is ``max_relative_error < threshold``.
    """
    check_positive(threshold, "threshold")
    x = np.array(as_float_array(x, "x"), dtype=np.float64, copy=True)
    if hasattr(model_or_fn, "parameters") and hasattr(model_or_fn, "backward"):
        if loss is None or target is None:
            raise TypeError("check_gradients(model, x, target, loss): pass a target and a loss")
        return _check_model(model_or_fn, x, target, loss, eps, threshold)
    if not callable(model_or_fn):
        raise TypeError(f"expected a scalar function or a layers module; got {model_or_fn!r}")
    if target is None:
        raise TypeError("check_gradients(f, x, grad): pass the analytic gradient or a function")
    analytic = target(x) if callable(target) else target
    analytic = np.asarray(as_float_array(analytic, "grad"), dtype=np.float64)
    if analytic.shape != x.shape:
        raise ValueError(f"grad must have the shape of x {x.shape}; got {analytic.shape}")
    numeric = numerical_gradient(model_or_fn, x, eps)
    return _report({"x": analytic}, {"x": numeric}, threshold)


def _check_model(model, x: Array, target, loss, eps: float, threshold: float):
    params = list(model.parameters())
    for p in params:
        p.grad = None
    loss.forward(model.forward(x), target)
    grad_x = model.backward(loss.backward())
    analytic = {f"param{i}{tuple(p.data.shape)}": np.array(p.grad) for i, p in enumerate(params)}
    analytic["input"] = np.asarray(grad_x)

    def loss_at_current_params(_: Array) -> float:
        return loss.forward(model.forward(x), target)

    numeric = {}
    for name, p in zip(analytic, params, strict=False):
        original = p.data

        def f(w: Array, p=p) -> float:
            p.data = w
            return loss_at_current_params(w)

        numeric[name] = numerical_gradient(f, original, eps)
        p.data = original
    numeric["input"] = numerical_gradient(lambda xx: loss.forward(model.forward(xx), target), x, eps)
    return _report(analytic, numeric, threshold)
