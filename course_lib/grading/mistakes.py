"""Recognising classic mistakes, for the feedback ``check()`` prints.

Each detector recomputes what the *mistaken* formula gives on the case's inputs and
says whether the learner's output matches it (and not the correct answer). An item
lists the detectors that make sense for it, by name or as a dict with options that
name its arguments::

    "mistakes": ["softmax_wrong_axis", {"name": "unscaled_dropout", "x": "x", "p": "p"}]

Defaults name the arguments ``z`` (logits), ``x``, ``p``, ``gamma``, ``beta``,
``eps``, and for Adam ``w``, ``g``, ``m``, ``v``, ``t``, ``lr``, ``beta1``,
``beta2``, ``eps``; when an option's argument is missing, the first argument is used
for the main input.

A detector names a mistake only where the mistaken formula gives another value than
the correct one on the case (``_names``), so a case that cannot tell them apart
never blames the learner for it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .compare import Output

__all__ = ["MISTAKES", "detect"]

Args = Mapping[str, NDArray[Any]]


def _arg(args: Args, opts: Mapping[str, Any], key: str, default: str) -> NDArray[np.float64]:
    name = opts.get(key, default)
    if name not in args:
        name = next(iter(args))
    return np.asarray(args[name], dtype=np.float64)


def _scalar(args: Args, opts: Mapping[str, Any], key: str, default: float) -> float:
    """A scalar argument named by ``opts[key]`` (default: ``key``), or ``default`` if absent."""
    name = opts.get(key, key)
    return float(np.asarray(args[name]).reshape(())) if name in args else default


def _matches(got: Output, value: Any, k: int = 0) -> bool:
    if k >= len(got.arrays):
        return False
    g, v = got.arrays[k], np.asarray(value, dtype=np.float64)
    if g.shape != v.shape:
        return False
    with np.errstate(all="ignore"):
        return bool(np.allclose(g.astype(np.float64), v, rtol=1e-6, atol=1e-9, equal_nan=True))


def _softmax(z: NDArray[np.float64], axis: int) -> NDArray[np.float64]:
    e = np.exp(z - z.max(axis=axis, keepdims=True))  # max-shifted: exp never overflows
    return e / e.sum(axis=axis, keepdims=True)


def softmax_wrong_axis(args: Args, expected: Output, got: Output, opts: Mapping[str, Any]) -> bool:
    """Softmax normalised over the batch (axis 0) instead of over the classes (last axis)."""
    z = _arg(args, opts, "z", "z")
    return z.ndim == 2 and z.shape[0] > 1 and _matches(got, _softmax(z, axis=0))


def softmax_no_max_shift(args: Args, expected: Output, got: Output, opts: Mapping[str, Any]) -> bool:
    """``exp(z) / sum(exp(z))`` without subtracting the max: inf/inf = nan for large logits."""
    g = got.arrays[0]
    expected_finite = bool(np.all(np.isfinite(expected.arrays[0])))
    return expected_finite and g.dtype.kind == "f" and not bool(np.all(np.isfinite(g)))


def sum_instead_of_mean(args: Args, expected: Output, got: Output, opts: Mapping[str, Any]) -> bool:
    """A loss (or its gradient) summed over the batch instead of averaged: ``n`` times too big."""
    first = _arg(args, opts, "x", "pred")
    n = first.shape[0] if first.ndim else 1
    if n < 2:
        return False
    pairs = zip(got.arrays, expected.arrays, strict=False)
    return any(_matches(Output([g], False), n * np.asarray(e, dtype=np.float64)) for g, e in pairs
               if np.any(np.asarray(e) != 0))


def unscaled_dropout(args: Args, expected: Output, got: Output, opts: Mapping[str, Any]) -> bool:
    """Inverted dropout without the ``1 / (1 - p)`` rescaling of the kept units."""
    p = _scalar(args, opts, "p", 0.5)
    e = np.asarray(expected.arrays[0], dtype=np.float64)
    return 0 < p < 1 and bool(np.any(e != 0)) and _matches(got, e * (1.0 - p))


def batch_stats_in_eval(args: Args, expected: Output, got: Output, opts: Mapping[str, Any]) -> bool:
    """Batch norm in eval mode normalising with the batch's statistics, not the running ones."""
    x = _arg(args, opts, "x", "x")
    gamma, beta = _arg(args, opts, "gamma", "gamma"), _arg(args, opts, "beta", "beta")
    eps = _scalar(args, opts, "eps", 1e-5)
    if x.ndim != 2 or x.shape[0] < 2:
        return False
    mistaken = gamma * (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + eps) + beta
    return _matches(got, mistaken)


def adam_no_bias_correction(args: Args, expected: Output, got: Output, opts: Mapping[str, Any]) -> bool:
    """Adam's step with the raw moments ``m``, ``v`` instead of ``m / (1 - β1^t)``, ``v / (1 - β2^t)``."""
    w, g = _arg(args, opts, "w", "w"), _arg(args, opts, "g", "g")
    m, v = _arg(args, opts, "m", "m"), _arg(args, opts, "v", "v")
    lr, eps = _scalar(args, opts, "lr", 1e-3), _scalar(args, opts, "eps", 1e-8)
    b1, b2 = _scalar(args, opts, "beta1", 0.9), _scalar(args, opts, "beta2", 0.999)
    m_new = b1 * m + (1 - b1) * g
    v_new = b2 * v + (1 - b2) * g * g
    return _matches(got, w - lr * m_new / (np.sqrt(v_new) + eps))


def _names(got: Output, expected: Output, mistaken: Any, k: int) -> bool:
    """Output ``k`` is the mistaken value, and the mistaken value is not the correct one."""
    return (k < len(expected.arrays) and _matches(got, mistaken, k)
            and not _matches(Output([expected.arrays[k]], False), mistaken))


def _flag(args: Args, opts: Mapping[str, Any], key: str) -> bool:
    name = opts.get(key, key)
    return bool(np.asarray(args[name]).reshape(())) if name in args else False


def _root_step(args: Args, opts: Mapping[str, Any], inside: bool) -> NDArray[np.float64] | None:
    """``p_new`` of Adagrad / RMSprop / Adam (``opts["rule"]``, else guessed from the arguments)."""
    rule = opts.get("rule") or ("adam" if "m" in args else "rmsprop" if "beta" in args else "adagrad")
    p, g = _arg(args, opts, "p", "p"), _arg(args, opts, "g", "g")
    lr, eps = _scalar(args, opts, "lr", 1e-2), _scalar(args, opts, "eps", 1e-8)

    def ratio(num: NDArray[np.float64], sq: NDArray[np.float64]) -> NDArray[np.float64]:
        return num / (np.sqrt(sq + eps) if inside else np.sqrt(sq) + eps)

    if rule == "adagrad":
        return p - lr * ratio(g, _arg(args, opts, "s", "s") + g * g)
    if rule == "rmsprop":
        beta = _scalar(args, opts, "beta", 0.99)
        return p - lr * ratio(g, beta * _arg(args, opts, "s", "s") + (1 - beta) * g * g)
    if rule == "adam":
        b1, b2 = _scalar(args, opts, "beta1", 0.9), _scalar(args, opts, "beta2", 0.999)
        t = _scalar(args, opts, "t", 1.0)
        m = b1 * _arg(args, opts, "m", "m") + (1 - b1) * g
        v = b2 * _arg(args, opts, "v", "v") + (1 - b2) * g * g
        return p - lr * ratio(m / (1 - b1**t), v / (1 - b2**t))
    return None


def eps_inside_sqrt(args: Args, expected: Output, got: Output, opts: Mapping[str, Any]) -> bool:
    """Adagrad / RMSprop / Adam dividing by ``sqrt(s + eps)`` instead of PyTorch's ``sqrt(s) + eps``."""
    mistaken = _root_step(args, opts, inside=True)
    return mistaken is not None and _names(got, expected, mistaken, 0)


def _momentum_args(args: Args, opts: Mapping[str, Any]) -> tuple[NDArray[np.float64], ...]:
    return (_arg(args, opts, "p", "p"), _arg(args, opts, "g", "g"), _arg(args, opts, "buf", "buf"))


def ema_momentum(args: Args, expected: Output, got: Output, opts: Mapping[str, Any]) -> bool:
    """The course notes' EMA form ``v = β v + (1 - β) g`` where PyTorch's ``buf = μ buf + g`` is asked."""
    p, g, buf = _momentum_args(args, opts)
    lr, mu = _scalar(args, opts, "lr", 1e-2), _scalar(args, opts, "momentum", 0.9)
    first = _flag(args, opts, "first_step")
    candidates = [(1 - mu) * g, g] if first else [mu * buf + (1 - mu) * g]  # EMA from 0, or from g
    for v in candidates:
        step = g + mu * v if opts.get("nesterov") else v
        if _names(got, expected, p - lr * step, 0) or _names(got, expected, v, 1):
            return True
    return False


def nesterov_old_buffer(args: Args, expected: Output, got: Output, opts: Mapping[str, Any]) -> bool:
    """Nesterov's look-ahead ``g + μ buf`` taken with the OLD buffer instead of the updated one."""
    p, g, buf = _momentum_args(args, opts)
    lr, mu = _scalar(args, opts, "lr", 1e-2), _scalar(args, opts, "momentum", 0.9)
    old = np.zeros_like(g) if _flag(args, opts, "first_step") else buf
    return _names(got, expected, p - lr * (g + mu * old), 0)


def adam_beta1_for_v(args: Args, expected: Output, got: Output, opts: Mapping[str, Any]) -> bool:
    """Adam's second moment averaged with β1 instead of β2 (``v = β1 v + (1 - β1) g²``)."""
    p, g = _arg(args, opts, "p", "p"), _arg(args, opts, "g", "g")
    m, v = _arg(args, opts, "m", "m"), _arg(args, opts, "v", "v")
    lr, eps = _scalar(args, opts, "lr", 1e-3), _scalar(args, opts, "eps", 1e-8)
    t = _scalar(args, opts, "t", 1.0)
    b1, b2 = _scalar(args, opts, "beta1", 0.9), _scalar(args, opts, "beta2", 0.999)
    m_new, v_wrong = b1 * m + (1 - b1) * g, b1 * v + (1 - b1) * g * g
    if _names(got, expected, v_wrong, 2):
        return True
    m_hat = m_new / (1 - b1**t)
    return any(_names(got, expected, p - lr * m_hat / (np.sqrt(v_wrong / (1 - b**t)) + eps), 0)
               for b in (b1, b2))


def relu_grad_at_zero_one(args: Args, expected: Output, got: Output, opts: Mapping[str, Any]) -> bool:
    """ReLU'(0) (or leaky ReLU'(0)) taken as 1: the kink belongs to the zero (negative) side."""
    z = _arg(args, opts, "z", "z")
    slope = _scalar(args, opts, "negative_slope", 0.0)
    k = int(opts.get("output", len(expected.arrays) - 1))  # default: the last output is the derivative
    return bool(np.any(z == 0)) and _names(got, expected, np.where(z >= 0, 1.0, slope), k)


def biased_running_var(args: Args, expected: Output, got: Output, opts: Mapping[str, Any]) -> bool:
    """BatchNorm's running variance updated with the biased batch variance (``ddof=0``).

    PyTorch normalises with the biased variance but averages the unbiased one (``ddof=1``).
    """
    x = _arg(args, opts, "x", "x")
    running_var = _arg(args, opts, "running_var", "running_var")
    m = _scalar(args, opts, "momentum", 0.1)
    if x.ndim != 2 or x.shape[0] < 2:
        return False
    mistaken = (1 - m) * running_var + m * x.var(axis=0)
    return _names(got, expected, mistaken, int(opts.get("output", 1)))


def _p_norm(a: NDArray[np.float64], p: float) -> float:
    return float(np.max(np.abs(a))) if np.isinf(p) else float(np.sum(np.abs(a) ** p) ** (1.0 / p))


def clip_norm_per_parameter(args: Args, expected: Output, got: Output, opts: Mapping[str, Any]) -> bool:
    """Each gradient clipped to ``max_norm`` by its OWN norm, instead of all by their total norm.

    Options: ``grads`` (argument names of the gradients; default every argument but the
    norms), or ``rows: true`` when one 2-D argument holds one gradient per row;
    ``max_norm``, ``norm_type`` (argument names); ``output`` (index of the first clipped
    gradient in the returned tuple, default 0).
    """
    max_norm, p = _scalar(args, opts, "max_norm", 1.0), _scalar(args, opts, "norm_type", 2.0)
    skip = {opts.get("max_norm", "max_norm"), opts.get("norm_type", "norm_type")}
    names = list(opts.get("grads") or [n for n in args if n not in skip])
    grads = [np.asarray(args[n], dtype=np.float64) for n in names]
    if opts.get("rows"):
        grads = list(grads[0])
    if len(grads) < 2:
        return False  # one gradient: its own norm is the total norm
    start = int(opts.get("output", 0))
    for tiny in (1e-6, 0.0):  # PyTorch's 1e-6 in the denominator, or none
        with np.errstate(all="ignore"):
            clipped = [g * min(1.0, max_norm / (_p_norm(g, p) + tiny)) for g in grads]
        outs = [np.stack(clipped)] if opts.get("rows") else clipped
        if (all(_matches(got, c, start + i) for i, c in enumerate(outs))
                and any(_names(got, expected, c, start + i) for i, c in enumerate(outs))):
            return True
    return False


def _anneal_cos(a: float, b: float, q: NDArray[np.float64]) -> NDArray[np.float64]:
    return b + (a - b) / 2.0 * (1.0 + np.cos(np.pi * q))


def one_cycle_peak_off_by_one(args: Args, expected: Output, got: Output, opts: Mapping[str, Any]) -> bool:
    """Two-phase cosine OneCycleLR peaking at step ``pct_start * T``, not PyTorch's ``pct_start * T - 1``.

    Options name the arguments (defaults: ``max_lr``, ``total_steps``, ``pct_start``,
    ``div_factor``, ``final_div_factor``, ``base_momentum``, ``max_momentum``); the
    rates are output 0 and the momenta output 1. Either one matching the late peak names it.
    """
    total = int(_scalar(args, opts, "total_steps", 0.0))
    max_lr, pct = _scalar(args, opts, "max_lr", 0.1), _scalar(args, opts, "pct_start", 0.3)
    start = max_lr / _scalar(args, opts, "div_factor", 25.0)
    low = start / _scalar(args, opts, "final_div_factor", 1e4)
    m_base, m_max = _scalar(args, opts, "base_momentum", 0.85), _scalar(args, opts, "max_momentum", 0.95)
    peak = pct * total  # the mistake: one step late
    if total < 2 or not 0 < peak < total - 1:
        return False
    t = np.arange(total, dtype=np.float64)
    up, q1, q2 = t <= peak, t / peak, (t - peak) / (total - 1.0 - peak)
    lrs = np.where(up, _anneal_cos(start, max_lr, q1), _anneal_cos(max_lr, low, q2))
    momenta = np.where(up, _anneal_cos(m_max, m_base, q1), _anneal_cos(m_base, m_max, q2))
    return _names(got, expected, lrs, 0) or _names(got, expected, momenta, 1)


def range_test_lr_at_minimum(args: Args, expected: Output, got: Output, opts: Mapping[str, Any]) -> bool:
    """The range test read at the smoothed loss minimum itself, ten times the rule's ``lr_min / 10``.

    Recomputes the bias-corrected moving average of ``losses`` (options ``lrs``,
    ``losses``, ``beta`` name the arguments) and names the mistake when the answer is
    within ``factor`` (default 1.5, the checker's) of the rate at its minimum.
    """
    lrs, losses = _arg(args, opts, "lrs", "lrs"), _arg(args, opts, "losses", "losses")
    beta, factor = _scalar(args, opts, "beta", 0.98), float(opts.get("factor", 1.5))
    if lrs.ndim != 1 or lrs.shape != losses.shape or lrs.size == 0 or got.arrays[0].size != 1:
        return False
    avg, smoothed = 0.0, np.empty(losses.size)
    for i, loss in enumerate(losses):
        avg = beta * avg + (1 - beta) * loss
        smoothed[i] = avg / (1 - beta ** (i + 1))  # bias correction: the average starts at 0
    at_min = float(lrs[int(np.argmin(smoothed))])
    answer, right = float(got.arrays[0].reshape(())), float(np.asarray(expected.arrays[0]).reshape(()))

    def near(a: float, b: float) -> bool:
        return a > 0 and b > 0 and 1 / factor <= a / b <= factor

    return near(answer, at_min) and not near(answer, right)


Detector = Callable[[Args, Output, Output, Mapping[str, Any]], bool]

# name -> (detector, what to tell the learner). An explicit registry.
MISTAKES: dict[str, tuple[Detector, str]] = {
    "softmax_wrong_axis": (softmax_wrong_axis,
                           "Your softmax normalises over axis 0 (the batch). Each ROW should sum to 1: "
                           "use axis=-1 (or axis=1) with keepdims=True."),
    "softmax_no_max_shift": (softmax_no_max_shift,
                             "Your output has inf or nan for large inputs: subtract the row maximum "
                             "before exponentiating (softmax(z) = softmax(z - max(z)))."),
    "sum_instead_of_mean": (sum_instead_of_mean,
                            "Your result is n times too large: the loss is the MEAN over the batch, so "
                            "divide the sum (and its gradient) by the number of samples."),
    "unscaled_dropout": (unscaled_dropout,
                         "Your kept units are not rescaled: inverted dropout multiplies them by 1/(1-p) "
                         "in training so that nothing changes at evaluation time."),
    "batch_stats_in_eval": (batch_stats_in_eval,
                            "In eval mode batch norm must use the RUNNING mean and variance, not the "
                            "statistics of the current batch."),
    "adam_no_bias_correction": (adam_no_bias_correction,
                                "Your Adam step skips the bias correction: divide m by (1 - beta1**t) and "
                                "v by (1 - beta2**t) before the update."),
    "eps_inside_sqrt": (eps_inside_sqrt,
                        "Your eps is inside the square root: PyTorch divides by (sqrt(s) + eps), eps "
                        "outside, which matters when s is tiny (a rarely seen or tiny gradient)."),
    "ema_momentum": (ema_momentum,
                     "Your buffer is an exponential moving average, beta * v + (1 - beta) * g. PyTorch's "
                     "SGD asks for buf = momentum * buf + g (no 1 - momentum factor): its steps are "
                     "1/(1 - momentum) times longer at the same learning rate."),
    "nesterov_old_buffer": (nesterov_old_buffer,
                            "Your Nesterov step looks ahead with the OLD buffer. Update the buffer first, "
                            "then step along g + momentum * (the updated buffer)."),
    "adam_beta1_for_v": (adam_beta1_for_v,
                         "Your second moment v is averaged with beta1. The squared gradients use beta2 "
                         "(v = beta2 * v + (1 - beta2) * g**2); beta1 is for m only."),
    "relu_grad_at_zero_one": (relu_grad_at_zero_one,
                              "Your derivative is 1 at z = 0. As in PyTorch, the kink belongs to the flat "
                              "side: the derivative at exactly 0 is 0 for ReLU (negative_slope for leaky "
                              "ReLU). Compare with z > 0, strictly."),
    "biased_running_var": (biased_running_var,
                           "Your running variance uses the biased batch variance (divided by B). PyTorch "
                           "normalises the batch with it but updates running_var with the UNBIASED one "
                           "(divided by B - 1)."),
    "clip_norm_per_parameter": (clip_norm_per_parameter,
                                "You clipped each gradient by its own norm. clip_grad_norm_ computes ONE "
                                "total norm over all gradients together and scales them all by the same "
                                "factor, so the update keeps its direction."),
    "one_cycle_peak_off_by_one": (one_cycle_peak_off_by_one,
                                  "Your schedule peaks one step late. Steps count from 0: PyTorch's "
                                  "OneCycleLR ends its first phase at step pct_start * total_steps - 1, "
                                  "as the last phase ends at total_steps - 1."),
    "range_test_lr_at_minimum": (range_test_lr_at_minimum,
                                 "You returned the rate at the minimum of the smoothed loss. There the loss "
                                 "is about to blow up: the chapter trains with a rate ten times smaller."),
}


def detect(declared: list[Any] | tuple[Any, ...], args: Args, expected: Output, got: Output) -> list[str]:
    """Messages for every declared mistake the output matches (unknown names raise ``ValueError``)."""
    found = []
    for entry in declared:
        opts = {"name": entry} if isinstance(entry, str) else dict(entry)
        name = opts.pop("name")
        if name not in MISTAKES:
            raise ValueError(f"unknown mistake detector {name!r}; known: {sorted(MISTAKES)}")
        detector, message = MISTAKES[name]
        try:
            with np.errstate(all="ignore"):
                hit = detector(args, expected, got, opts)
        except (ValueError, TypeError, IndexError, KeyError):
            hit = False
        if hit:
            found.append(message)
    return found
