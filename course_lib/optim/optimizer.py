"""The :class:`Optimizer` base class: parameters, learning rate, per-parameter state.

A subclass implements ``_update(p, g, state)`` by calling its plain update
function (``sgd_update``, ``adam_update``, ...) on one parameter array.

See the chapter on optimizers.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

__all__ = ["Optimizer", "ParamLike"]

Array = NDArray[np.floating]


class ParamLike(Protocol):
    """What an optimizer updates: a ``.data`` array and its ``.grad`` (or None)."""

    data: Array
    grad: Array | None


class Optimizer:
    """Base class: holds the parameters, the learning rate and per-parameter state.

    Parameters
    ----------
    params : iterable of objects with ``.data`` (numpy array) and ``.grad``
    defaults : the hyperparameters, ``defaults["lr"]`` among them

    Attributes
    ----------
    params : list of the parameters, in the order given
    lr : the learning rate; schedules change it between steps
    defaults : the hyperparameters as passed to ``__init__``
    state : ``dict`` from ``id(param)`` to that parameter's ``dict`` of buffers
    """

    def __init__(self, params: Iterable[ParamLike], defaults: dict[str, Any]) -> None:
        self.params: list[ParamLike] = _param_list(params)
        self.defaults = dict(defaults)
        self.lr = defaults["lr"]
        self.state: dict[int, dict[str, Any]] = {}

    def zero_grad(self) -> None:
        """Set every parameter's ``.grad`` to None (PyTorch's ``set_to_none=True``)."""
        for p in self.params:
            p.grad = None

    def step(self) -> None:
        """Update, in place, every parameter whose ``.grad`` is not None."""
        for p in self.params:
            g = p.grad
            if g is None:
                continue
            if g.shape != p.data.shape:  # numpy would broadcast it into p.data silently
                raise ValueError(
                    f"gradient shape {g.shape} does not match parameter shape {p.data.shape}"
                )
            state = self.state.get(id(p))
            if state is None:
                state = self.state[id(p)] = {}
            self._update(p.data, g, state)

    def _update(self, p: Array, g: Array, state: dict[str, Any]) -> None:
        raise NotImplementedError

    def __repr__(self) -> str:
        hyper = ", ".join(f"{k}={v}" for k, v in {**self.defaults, "lr": self.lr}.items())
        return f"{type(self).__name__}({hyper})"


def _param_list(params: Iterable[ParamLike]) -> list[ParamLike]:
    if isinstance(params, np.ndarray) or not isinstance(params, Iterable):
        raise TypeError(
            "params must be an iterable of parameters (objects with .data and .grad), "
            f"e.g. model.parameters(); got {type(params).__name__}"
        )
    plist = list(params)
    if not plist:
        raise ValueError("optimizer got an empty parameter list")
    seen: set[int] = set()
    for i, p in enumerate(plist):
        if not (hasattr(p, "grad") and isinstance(getattr(p, "data", None), np.ndarray)):
            raise TypeError(
                f"parameter {i} must have a numpy array .data and a .grad attribute "
                f"(like layers.Parameter); got {type(p).__name__}"
            )
        if id(p) in seen:
            raise ValueError(f"parameter {i} appears more than once in params")
        seen.add(id(p))
    return plist
