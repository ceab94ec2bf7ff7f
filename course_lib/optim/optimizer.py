"""The :class:`Optimizer` base class: parameter groups, their hyperparameters, per-parameter state.

A subclass checks a group's hyperparameters in ``_check(group)`` and implements
``_update(p, g, state, group)`` by calling its plain update function
(``sgd_update``, ``adam_update``, ...) on one parameter array.

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
    """Base class: parameter groups with their hyperparameters, and per-parameter state.

    As in PyTorch, ``params`` is either an iterable of parameters (one group, with
    the optimizer's hyperparameters) or an iterable of dicts, one per group, each
    with a ``"params"`` entry and any hyperparameters that differ from the
    optimizer's. For example, AdamW without weight decay on biases::

        AdamW([{"params": weights}, {"params": biases, "weight_decay": 0.0}], lr=1e-3)

    Parameters
    ----------
    params : iterable of parameters (objects with a numpy ``.data`` and a ``.grad``),
        or of dicts describing parameter groups
    defaults : the hyperparameters, ``defaults["lr"]`` among them

    Attributes
    ----------
    param_groups : list of dicts: ``"params"`` (a list) and every hyperparameter
    defaults : the hyperparameters as passed to ``__init__``
    state : ``dict`` from ``id(param)`` to that parameter's ``dict`` of buffers
    """

    def __init__(self, params: Iterable[ParamLike] | Iterable[dict[str, Any]],
                 defaults: dict[str, Any]) -> None:
        self.defaults = dict(defaults)
        self.param_groups: list[dict[str, Any]] = []
        self.state: dict[int, dict[str, Any]] = {}
        items = _nonempty_list(params)
        groups = items if all(isinstance(item, dict) for item in items) else [{"params": items}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, group: dict[str, Any]) -> None:
        """Add a group: a dict with ``"params"`` and the hyperparameters that differ from the defaults."""
        if not isinstance(group, dict) or "params" not in group:
            raise TypeError(f"a parameter group must be a dict with a 'params' entry; got {group!r}")
        unknown = sorted(set(group) - {"params"} - set(self.defaults))
        if unknown:
            raise ValueError(f"unknown hyperparameter(s) {unknown} in a parameter group; "
                             f"{type(self).__name__} takes {', '.join(self.defaults)}")
        params = _param_list(group["params"])
        taken = {id(p) for p in self.params}
        if any(id(p) in taken for p in params):
            raise ValueError("some parameters appear in more than one parameter group")
        full = {**self.defaults, **group, "params": params}
        self._check(full)
        self.param_groups.append(full)

    @property
    def params(self) -> list[ParamLike]:
        """Every parameter, group by group."""
        return [p for group in self.param_groups for p in group["params"]]

    @property
    def lr(self) -> float:
        """The learning rate of every group (schedules change it between steps).

        Groups with different learning rates have no single one: read
        ``param_groups[i]["lr"]`` instead. Setting it sets every group's.
        """
        rates = {group["lr"] for group in self.param_groups}
        if len(rates) > 1:
            raise ValueError(f"the parameter groups have different learning rates {sorted(rates)}; "
                             "read optimizer.param_groups[i]['lr']")
        return self.param_groups[0]["lr"]

    @lr.setter
    def lr(self, value: float) -> None:
        for group in self.param_groups:
            group["lr"] = value

    def zero_grad(self) -> None:
        """Set every parameter's ``.grad`` to None (PyTorch's ``set_to_none=True``)."""
        for p in self.params:
            p.grad = None

    def step(self) -> None:
        """Update, in place, every parameter whose ``.grad`` is not None, with its group's hyperparameters."""
        for group in self.param_groups:
            for p in group["params"]:
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
                self._update(p.data, g, state, group)

    def _check(self, group: dict[str, Any]) -> None:
        """Raise ``ValueError`` for an invalid hyperparameter of ``group``."""

    def _update(self, p: Array, g: Array, state: dict[str, Any], group: dict[str, Any]) -> None:
        raise NotImplementedError

    def __repr__(self) -> str:
        def hyper(group: dict[str, Any]) -> str:
            return ", ".join(f"{k}={group[k]}" for k in self.defaults)

        if len(self.param_groups) == 1:
            return f"{type(self).__name__}({hyper(self.param_groups[0])})"
        lines = [f"  group {i}: {len(g['params'])} params, {hyper(g)}"
                 for i, g in enumerate(self.param_groups)]
        return f"{type(self).__name__}(\n" + "\n".join(lines) + "\n)"


def _nonempty_list(params: Iterable[Any]) -> list[Any]:
    if isinstance(params, np.ndarray) or not isinstance(params, Iterable):
        raise TypeError(
            "params must be an iterable of parameters (objects with .data and .grad), "
            f"e.g. model.parameters(), or of parameter-group dicts; got {type(params).__name__}"
        )
    items = list(params)
    if not items:
        raise ValueError("optimizer got an empty parameter list")
    return items


def _param_list(params: Iterable[ParamLike]) -> list[ParamLike]:
    plist = _nonempty_list(params)
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
