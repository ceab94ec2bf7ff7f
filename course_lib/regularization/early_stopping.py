"""The :class:`EarlyStopping` callback.

See the chapter on regularization.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .._validation import check_int, check_nonnegative

__all__ = ["EarlyStopping"]

Array = NDArray[np.floating]


class EarlyStopping:
    r"""Stop training when a monitored quantity has stopped improving.

    After every epoch, the monitored value (by default the validation loss) is
    compared with the best so far. It counts as an improvement if

    .. math:: v < \text{best} - \text{min\_delta}\ \ (\text{mode="min"}), \qquad
              v > \text{best} + \text{min\_delta}\ \ (\text{mode="max"}).

    After ``patience`` epochs in a row without improvement, training should stop.
    nan is never an improvement. This is the course notes' rule "if we see a consistent
    increase of errors in validation data we should stop", with ``patience``
    saying how consistent.

    Two ways to use it:

    * by hand: ``if stopper.step(val_loss): break`` after each epoch;
    * as a callback of ``course_lib.training.fit``: ``fit(..., callbacks=[stopper])``
      calls :meth:`on_epoch_end` with the epoch's logs.

    With ``restore_best_weights`` the callback keeps a copy of every parameter at
    the best epoch and writes it back into the model when it stops training. If
    training instead ran out of epochs, call :meth:`restore` yourself.

    Parameters
    ----------
    patience : epochs without improvement before stopping, an int >= 1
    min_delta : smallest change that counts as an improvement, >= 0
    mode : ``"min"`` for losses, ``"max"`` for accuracies
    restore_best_weights : keep and restore the parameters of the best epoch
    monitor : the key of the logs to watch (``"val_loss"``, ``"val_accuracy"``,
        ``"loss"``, ...); only :meth:`on_epoch_end` uses it

    Attributes
    ----------
    best_ : best value so far (``inf`` for ``"min"``, ``-inf`` for ``"max"`` before any)
    best_epoch_ : epoch of ``best_`` (None before any)
    stopped_epoch_ : epoch at which stopping was first signalled (None if not yet)
    num_bad_epochs_ : epochs since the last improvement

    Epochs are numbered by the caller in :meth:`on_epoch_end` (``fit`` counts from
    1) and from 0 by :meth:`step`.

    See the chapter on regularization.
    """

    def __init__(
        self,
        patience: int = 5,
        min_delta: float = 0.0,
        mode: str = "min",
        restore_best_weights: bool = True,
        monitor: str = "val_loss",
    ) -> None:
        check_int(patience, "patience")
        check_nonnegative(min_delta, "min_delta")
        if mode not in ("min", "max"):
            raise ValueError(f"Invalid mode: {mode!r} (use 'min' for losses, 'max' for accuracies)")
        if not isinstance(monitor, str):
            raise TypeError(f"monitor must be the name of a logged quantity; got {monitor!r}")
        self.patience = int(patience)
        self.min_delta = float(min_delta)
        self.mode = mode
        self.restore_best_weights = bool(restore_best_weights)
        self.monitor = monitor
        self.reset()

    def reset(self) -> None:
        """Forget everything seen so far, to reuse the object for another training run."""
        self.best_ = math.inf if self.mode == "min" else -math.inf
        self.best_epoch_: int | None = None
        self.stopped_epoch_: int | None = None
        self.num_bad_epochs_ = 0
        self._n_seen = 0
        self._best_weights: list[Array] | None = None

    def _is_improvement(self, value: float) -> bool:
        if self.mode == "min":
            return value < self.best_ - self.min_delta  # False for nan
        return value > self.best_ + self.min_delta

    def _record(self, value: float, epoch: int) -> tuple[bool, bool]:
        """Update the state with one epoch's value; return (improved, should_stop)."""
        self._n_seen += 1
        improved = self._is_improvement(value)
        if improved:
            self.best_, self.best_epoch_, self.num_bad_epochs_ = value, epoch, 0
        else:
            self.num_bad_epochs_ += 1
        stop = self.num_bad_epochs_ >= self.patience
        if stop and self.stopped_epoch_ is None:
            self.stopped_epoch_ = epoch
        return improved, stop

    def step(self, value: float) -> bool:
        """Record one epoch's monitored value; return True when training should stop.

        Epochs are numbered 0, 1, 2, ... in the order of the calls.
        """
        return self._record(float(value), self._n_seen)[1]

    def on_epoch_end(self, epoch: int, logs: dict[str, float], model: Any = None) -> bool:
        """Callback hook for ``training.fit``: watch ``logs[monitor]``; True means stop.

        ``model`` must have ``parameters()`` (objects with a ``.data`` array) when
        ``restore_best_weights`` is set.
        """
        if self.monitor not in logs:
            raise KeyError(
                f"EarlyStopping monitors {self.monitor!r}, which is not in the logs; "
                f"available keys: {sorted(logs)}. (val_* keys need validation data in fit.)"
            )
        if self.restore_best_weights and model is None:
            raise ValueError("restore_best_weights=True needs the model to copy its weights")
        improved, stop = self._record(float(logs[self.monitor]), int(epoch))
        if improved and self.restore_best_weights:
            self._best_weights = [np.array(p.data, copy=True) for p in model.parameters()]
        if stop and self.restore_best_weights and self._best_weights is not None:
            self.restore(model)
        return stop

    def restore(self, model: Any) -> None:
        """Write the parameters saved at the best epoch back into ``model``, in place."""
        if not self.restore_best_weights:
            raise RuntimeError("this EarlyStopping was created with restore_best_weights=False")
        if self._best_weights is None:
            raise RuntimeError("no weights saved yet: no epoch has improved on the start")
        params = list(model.parameters())
        if len(params) != len(self._best_weights):
            raise ValueError(
                f"model has {len(params)} parameters but {len(self._best_weights)} were saved"
            )
        for i, (p, best) in enumerate(zip(params, self._best_weights, strict=True)):
            if p.data.shape != best.shape:
                raise ValueError(
                    f"parameter {i} has shape {p.data.shape} but the saved one {best.shape}"
                )
            p.data[...] = best

    def __repr__(self) -> str:
        return (
            f"EarlyStopping(patience={self.patience}, min_delta={self.min_delta}, "
            f"mode={self.mode!r}, restore_best_weights={self.restore_best_weights}, "
            f"monitor={self.monitor!r})"
        )
