"""The training loop: mini-batches, ``fit``, the per-epoch ``History``, and the hooks of a step.

The course notes write the loop as::

    for epoch in range(numOfEpoch):
        for subsetOfData in make_batch(X, Y):
            input, target = subsetOfData
            output = net(input)                          # 1. forward propagation
            error = lossFunction(output, target)         # 2. error computation
            backpropagation(net, error, lossFunction)    # 3. backpropagation
            updateParameter(net)                         # 4. parameter update

:func:`fit` is exactly that loop, with ``course_lib`` names, plus the things a
real run needs: validation after each epoch, callbacks such as early stopping,
a learning-rate schedule (per epoch or per step), hooks around every optimizer
step (for monitoring or clipping the gradients), a progress bar, and a clear
stop when the loss diverges.

See the chapters "Introduction" (the loop), "Optimizers" (batch sizes) and
"Training in practice" (the step hooks).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from tqdm import tqdm

from .._validation import as_float_array, check_int, make_rng
from ..losses import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, Loss
from ..optim import ReduceLROnPlateau
from .divergence import DivergenceWarning, divergence_reason

__all__ = ["make_batches", "fit", "evaluate", "accuracy", "History", "StepInfo"]


def make_batches(
    X: ArrayLike,
    y: ArrayLike,
    batch_size: int | None,
    shuffle: bool = True,
    rng: np.random.Generator | int | None = None,
) -> Iterator[tuple[NDArray, NDArray]]:
    """Yield ``(X_batch, y_batch)`` pairs that cover the data set once (one epoch).

    ``batch_size`` picks the flavour of gradient descent from the course notes:

    * ``batch_size=None`` or ``len(X)``: full-batch gradient descent (one update per epoch);
    * ``batch_size=1``: stochastic gradient descent (one update per example);
    * anything in between: mini-batch gradient descent.

    The last batch is smaller when ``batch_size`` does not divide ``len(X)``
    (PyTorch's ``DataLoader`` default, ``drop_last=False``).

    Parameters
    ----------
    X : array ``(n_samples, ...)``
    y : array ``(n_samples, ...)``
    batch_size : int >= 1, or None for the full batch
    shuffle : visit the samples in a new random order each call (each epoch)
    rng : generator or seed for the shuffle

    Yields
    ------
    X_batch : ``(batch, ...)``, y_batch : ``(batch, ...)``
    """
    X, y = np.asarray(X), np.asarray(y)
    if X.ndim == 0 or y.ndim == 0:
        raise ValueError(f"X and y must have a sample axis; got shapes {X.shape} and {y.shape}")
    n = len(X)
    if len(y) != n:
        raise ValueError(f"X and y must have the same number of samples; got {n} and {len(y)}")
    if batch_size is None:
        batch_size = n
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)):
        raise TypeError(f"batch_size must be an int or None; got {batch_size!r}")
    if batch_size < 1:
        raise ValueError(f"Invalid batch_size: {batch_size} (must be >= 1)")
    order = make_rng(rng).permutation(n) if shuffle else np.arange(n)
    for start in range(0, n, batch_size):
        idx = order[start : start + batch_size]
        yield X[idx], y[idx]


def accuracy(output: ArrayLike, y: ArrayLike, loss: Loss | None = None) -> float:
    """Fraction of correct predictions.

    * ``output`` of shape ``(n, C)`` with ``C > 1``: class scores, prediction = argmax;
      ``y`` integer labels ``(n,)`` or one-hot rows ``(n, C)``.
    * otherwise a binary output: a probability (threshold 0.5) when ``loss`` is a
      ``BCELoss``, a logit (threshold 0) otherwise.
    """
    out = np.asarray(output)
    y = np.asarray(y)
    if out.ndim == 2 and out.shape[1] > 1:
        pred = out.argmax(axis=1)
        labels = y.argmax(axis=1) if y.ndim == 2 else y
    else:
        threshold = 0.5 if isinstance(loss, BCELoss) else 0.0
        pred = (out > threshold).astype(y.dtype).reshape(y.shape)
        labels = y
    if pred.shape != labels.shape:
        raise ValueError(f"predictions {pred.shape} and labels {labels.shape} differ in shape")
    return float(np.mean(pred == labels))


_CLASSIFICATION_LOSSES = (CrossEntropyLoss, BCELoss, BCEWithLogitsLoss)


def evaluate(model: Any, loss: Loss, X: ArrayLike, y: ArrayLike) -> dict[str, float]:
    """Loss (and accuracy, for a classification loss) of ``model`` on ``(X, y)`` in eval mode.

    The model's previous train/eval mode is restored afterwards.
    """
    was_training = getattr(model, "training", False)
    model.eval()
    try:
        out = model.forward(as_float_array(X, "X"))
        result = {"loss": loss.forward(out, y)}
        if isinstance(loss, _CLASSIFICATION_LOSSES):
            result["accuracy"] = accuracy(out, y, loss)
    finally:
        if was_training:
            model.train()
    return result


@dataclass
class History:
    """Per-epoch record of a :func:`fit` run (lists have one entry per finished epoch).

    ``loss``/``accuracy`` are averaged over the epoch's mini-batches (weighted by
    batch size), measured while the weights were still changing; ``val_*`` are
    measured on the validation set after the epoch, in eval mode.
    """

    epoch: list[int] = field(default_factory=list)
    loss: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)
    stopped_early: bool = False
    diverged: bool = False
    message: str = ""

    def as_dict(self) -> dict[str, list[float]]:
        """The non-empty per-epoch series, by name."""
        names = ("epoch", "loss", "accuracy", "val_loss", "val_accuracy", "lr")
        return {k: getattr(self, k) for k in names if getattr(self, k)}

    def __repr__(self) -> str:
        last = {k: v[-1] for k, v in self.as_dict().items() if k != "epoch"}
        shown = ", ".join(f"{k}={v:.4g}" for k, v in last.items())
        flags = " (stopped early)" if self.stopped_early else ""
        flags += " (diverged)" if self.diverged else ""
        return f"History({len(self.epoch)} epochs: {shown}{flags})"


@dataclass(frozen=True)
class StepInfo:
    """What a callback's ``on_before_step(info)`` and ``on_after_step(info)`` receive.

    Attributes
    ----------
    epoch : the epoch, from 1 (as in :class:`History`)
    batch : index of the mini-batch within the epoch, from 0
    step : optimizer steps of this ``fit`` so far, this one included, from 1
    loss : the mini-batch loss, computed before this step
    batch_size : number of samples in the mini-batch
    model, optimizer : those given to :func:`fit`
    """

    epoch: int
    batch: int
    step: int
    loss: float
    batch_size: int
    model: Any
    optimizer: Any


_HOOKS = ("on_epoch_end", "on_before_step", "on_after_step")


class _StepHooks:
    """The callbacks' per-step hooks, a per-step scheduler, and the global step count."""

    def __init__(self, callbacks: Sequence, scheduler: Any, model: Any, optimizer: Any) -> None:
        self.first_loss: float | None = None  # the run's first batch loss, for the divergence rule
        self.before: list[Callable] = [cb.on_before_step for cb in callbacks
                                       if hasattr(cb, "on_before_step")]  # fmt: skip
        self.after: list[Callable] = [cb.on_after_step for cb in callbacks
                                      if hasattr(cb, "on_after_step")]  # fmt: skip
        self.scheduler, self.model, self.optimizer = scheduler, model, optimizer
        self.count = 0

    def step(self, epoch: int, batch: int, loss: float, batch_size: int) -> None:
        """``optimizer.step()`` with the hooks around it (none by default: just the step)."""
        self.count += 1
        info = None
        if self.before or self.after:
            info = StepInfo(epoch, batch, self.count, loss, batch_size, self.model, self.optimizer)
        for hook in self.before:
            hook(info)
        self.optimizer.step()                        # 4. parameter update
        for hook in self.after:
            hook(info)
        if self.scheduler is not None:
            self.scheduler.step()


def _train_one_epoch(model, loss, X, y, batch_size, rng, hooks, epoch):
    """Run one epoch; return (mean loss, mean accuracy or None, message if diverged)."""
    total_loss, total_correct, seen = 0.0, 0.0, 0
    classify = isinstance(loss, _CLASSIFICATION_LOSSES)
    params = list(model.parameters())
    for i, (xb, yb) in enumerate(make_batches(X, y, batch_size, shuffle=True, rng=rng)):
        hooks.optimizer.zero_grad()
        # Overflow is not an error here: a diverging run is caught just below, by
        # name, before a non-finite number can reach the parameters.
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            out = model.forward(xb)                  # 1. forward propagation
            value = loss.forward(out, yb)            # 2. error computation
            if hooks.first_loss is None:
                hooks.first_loss = value
            reason = divergence_reason(value, hooks.first_loss)
            if reason is not None:
                return None, None, f"{reason} at batch {i}"
            model.backward(loss.backward())          # 3. backpropagation
        if not all(np.isfinite(p.grad).all() for p in params if p.grad is not None):
            return None, None, f"a gradient became inf or nan at batch {i}"
        hooks.step(epoch, i, value, len(xb))         # 4. parameter update
        total_loss += value * len(xb)
        if classify:
            total_correct += accuracy(out, yb, loss) * len(xb)
        seen += len(xb)
    return total_loss / seen, (total_correct / seen if classify else None), None


def _check_callbacks(callbacks: Sequence) -> None:
    for cb in callbacks:
        if not any(hasattr(cb, hook) for hook in _HOOKS):
            raise TypeError(
                f"callback {cb!r} has no on_epoch_end(epoch, logs, model) method, nor "
                "on_before_step(info) or on_after_step(info)"
            )


def _call_callbacks(callbacks: Sequence, epoch: int, logs: dict, model) -> bool:
    stop = False
    for cb in callbacks:
        hook = getattr(cb, "on_epoch_end", None)
        if hook is not None:
            stop = bool(hook(epoch, logs, model)) or stop
    return stop


def _step_epoch_scheduler(scheduler: Any, logs: dict[str, float]) -> None:
    if isinstance(scheduler, ReduceLROnPlateau):
        scheduler.step(logs.get("val_loss", logs["loss"]))
    else:
        scheduler.step()


def fit(
    model: Any,
    loss: Loss,
    optimizer: Any,
    X: ArrayLike,
    y: ArrayLike,
    epochs: int,
    batch_size: int | None = 32,
    validation: tuple[ArrayLike, ArrayLike] | None = None,
    callbacks: Sequence = (),
    progress: bool = True,
    *,
    scheduler: Any = None,
    scheduler_interval: Literal["epoch", "step"] = "epoch",
    rng: np.random.Generator | int | None = None,
) -> History:
    """Train ``model`` with mini-batch gradient descent and return its :class:`History`.

    Each epoch shuffles the data with ``rng`` and, for every mini-batch, runs the
    four steps of training: forward, loss, backward, ``optimizer.step()``. After
    the epoch it evaluates on ``validation`` (if given), steps the ``scheduler``,
    and calls every callback's ``on_epoch_end(epoch, logs, model)``; a callback
    that returns True stops training (e.g. ``regularization.EarlyStopping``).

    A callback may also have ``on_before_step(info)``, called after the backward
    pass and before every ``optimizer.step()`` (the gradients are in ``.grad``;
    clip them here, e.g. :class:`ClipGradNorm`), and ``on_after_step(info)``,
    called after it; ``info`` is a :class:`StepInfo`. :class:`GradientMonitor`
    uses both to record each parameter's gradient norm and update-to-weight
    ratio. Callbacks run in the order given. Without callbacks the loop is the
    plain four steps.

    If a gradient becomes inf or nan, or the loss diverges by the package's one
    rule (inf, nan, or over ``DIVERGENCE_FACTOR`` = 1e8 times the run's first batch
    loss; :mod:`course_lib.training.divergence`), training stops *before* that
    update is applied, ``History.diverged`` is set, and a :class:`DivergenceWarning` says
    so and suggests a smaller learning rate. Parameters are never left nan.

    Parameters
    ----------
    model : a ``course_lib.layers`` module (``forward``, ``backward``, ``parameters``,
        ``train``, ``eval``)
    loss : a loss module from ``course_lib.losses`` (e.g. ``CrossEntropyLoss()``)
    optimizer : a ``course_lib.optim`` optimizer over ``model.parameters()``
    X, y : training data, ``(n_samples, n_features)`` and ``(n_samples, ...)``
    epochs : number of passes over the data
    batch_size : see :func:`make_batches` (None = full batch, 1 = SGD)
    validation : optional ``(X_val, y_val)``
    callbacks : objects with ``on_epoch_end(epoch, logs, model) -> bool`` and/or
        ``on_before_step(info)`` / ``on_after_step(info)``
    progress : show a tqdm progress bar; it appears only if the run lasts over 2 s
    scheduler : optional learning-rate scheduler, stepped after every epoch (after
        validation) or after every optimizer step; a ``ReduceLROnPlateau`` is
        stepped with the epoch's ``val_loss`` (its ``loss`` without validation)
    scheduler_interval : ``"epoch"`` (the chapter-5 schedules) or ``"step"``
        (``OneCycleLR``, warmup counted in steps)
    rng : generator or seed for the shuffles
    """
    check_int(epochs, "epochs", minimum=0)
    _check_callbacks(callbacks)
    if scheduler_interval not in ("epoch", "step"):
        raise ValueError(f"Invalid scheduler_interval: {scheduler_interval!r} (use 'epoch' or 'step')")
    if scheduler_interval == "step" and isinstance(scheduler, ReduceLROnPlateau):
        raise ValueError("ReduceLROnPlateau needs the epoch's metric: use scheduler_interval='epoch'")
    X = as_float_array(X, "X")
    y = np.asarray(y)
    if len(X) != len(y):
        raise ValueError(f"X and y must have the same number of samples; got {len(X)} and {len(y)}")
    if validation is not None:
        if len(validation) != 2:
            raise ValueError("validation must be a pair (X_val, y_val)")
        X_val = as_float_array(validation[0], "X_val")
        y_val = np.asarray(validation[1])
    rng = make_rng(rng)
    per_step = scheduler if scheduler_interval == "step" else None
    hooks = _StepHooks(callbacks, per_step, model, optimizer)
    history = History()
    bar = tqdm(range(1, epochs + 1), desc="epochs", unit="epoch", disable=not progress, delay=2.0)
    for epoch in bar:
        model.train()
        lr = getattr(optimizer, "lr", None)
        train_loss, train_acc, problem = _train_one_epoch(
            model, loss, X, y, batch_size, rng, hooks, epoch
        )
        if problem is not None:
            history.diverged = True
            history.message = (
                f"Training diverged in epoch {epoch}: {problem}. The parameters are kept "
                f"from the last finite step. Try a smaller learning rate (lr={lr})."
            )
            warnings.warn(history.message, DivergenceWarning, stacklevel=2)
            break
        logs = {"loss": train_loss}
        if train_acc is not None:
            logs["accuracy"] = train_acc
        if validation is not None:
            logs.update({f"val_{k}": v for k, v in evaluate(model, loss, X_val, y_val).items()})
        history.epoch.append(epoch)
        for key, value in logs.items():
            getattr(history, key).append(value)
        if lr is not None:
            history.lr.append(float(lr))
        bar.set_postfix({k: f"{v:.4f}" for k, v in logs.items()}, refresh=False)
        if scheduler is not None and per_step is None:
            _step_epoch_scheduler(scheduler, logs)
        if _call_callbacks(callbacks, epoch, logs, model):
            history.stopped_early = True
            history.message = f"Stopped early after epoch {epoch} by a callback."
            break
    bar.close()
    return history
