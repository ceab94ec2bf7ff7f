r"""Optimizers: SGD (with momentum and Nesterov), Adagrad, RMSprop, Adam and AdamW.

Each optimizer follows ``torch.optim``: ``Optimizer(params, ...)`` keeps
per-parameter ``state``, ``step()`` updates every parameter that has a
gradient, and ``zero_grad()`` sets the gradients to None. The update rule of
each one is a plain function (``sgd_update``, ``adam_update``, ...) that follows
PyTorch's documented algorithm line by line; the class only loops over the
parameters and keeps the state. Names, defaults and update rules are
PyTorch's. Where the seeds write a rule differently (EMA-form momentum, ε inside
the square root, Adam without :math:`\beta_2`) the docstring shows both.

``params`` is any iterable of objects with a ``.data`` array and a ``.grad``
(array or None): ``layers.Parameter`` and ``autodiff.Tensor`` alike. Parameters
are updated in place, so every reference to ``p.data`` sees the new values, and
float32 parameters stay float32. As in PyTorch, ``params`` may instead list
*parameter groups*, dicts with a ``"params"`` entry and the hyperparameters that
differ for them (``{"params": biases, "weight_decay": 0.0}``); they are in
``optimizer.param_groups``. ``optimizer.lr`` reads or sets the learning rate of
every group; the schedules (``StepLR``, ``ExponentialLR``, ``InverseTimeLR``)
change each group's once per epoch.

One file per concept, as in ``torch.optim``: ``optimizer`` (the base class),
``sgd`` (SGD and the three momentum conventions), ``adagrad``, ``rmsprop``,
``adam`` (Adam and AdamW), ``lr_scheduler`` (the schedules) and ``line_search``
(backtracking line search and full-batch gradient descent). Import everything
from here: ``from course_lib.optim import SGD, StepLR``.

See the chapter on optimizers.
"""

from .adagrad import Adagrad, adagrad_update
from .adam import Adam, AdamW, adam_update, adamw_update
from .line_search import (
    DescentHistory,
    backtracking_line_search,
    gradient_descent,
    gradient_descent_line_search,
)
from .lr_scheduler import (
    ExponentialLR,
    InverseTimeLR,
    LRScheduler,
    StepLR,
    exponential_decay,
    inverse_time_decay,
    step_decay,
)
from .optimizer import Optimizer
from .optimizer import ParamLike as ParamLike  # the parameter protocol, for type hints
from .rmsprop import RMSprop, rmsprop_update
from .sgd import SGD, momentum_trajectory, momentum_update, sgd_update
from .sgd import Convention as Convention  # the momentum conventions, for type hints

__all__ = [
    "Optimizer", "SGD", "Adagrad", "RMSprop", "Adam", "AdamW",
    "sgd_update", "adagrad_update", "rmsprop_update", "adam_update", "adamw_update",
    "momentum_update", "momentum_trajectory",
    "LRScheduler", "StepLR", "ExponentialLR", "InverseTimeLR",
    "step_decay", "exponential_decay", "inverse_time_decay",
    "backtracking_line_search", "gradient_descent_line_search", "gradient_descent",
    "DescentHistory",
]  # fmt: skip
