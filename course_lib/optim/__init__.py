r"""Optimizers (SGD with momentum and Nesterov, Adagrad, RMSprop, Adam, AdamW), schedulers, clipping.

Each optimizer follows ``torch.optim``: ``Optimizer(params, ...)`` keeps
per-parameter ``state``, ``step()`` updates every parameter that has a
gradient, and ``zero_grad()`` sets the gradients to None. The update rule of
each one is a plain function (``sgd_update``, ``adam_update``, ...) that follows
PyTorch's documented algorithm line by line; the class only loops over the
parameters and keeps the state. Names, defaults and update rules are
PyTorch's. Where the course notes write a rule differently (EMA-form momentum, ε inside
the square root, Adam without :math:`\beta_2`) the docstring shows both.

``params`` is any iterable of objects with a ``.data`` array and a ``.grad``
(array or None): ``layers.Parameter`` and ``autodiff.Tensor`` alike. Parameters
are updated in place, so every reference to ``p.data`` sees the new values, and
float32 parameters stay float32. As in PyTorch, ``params`` may instead list
*parameter groups*, dicts with a ``"params"`` entry and the hyperparameters that
differ for them (``{"params": biases, "weight_decay": 0.0}``); they are in
``optimizer.param_groups``. ``optimizer.lr`` reads or sets the learning rate of
every group; the schedulers (``StepLR``, ``ExponentialLR``, ``InverseTimeLR``;
``LinearLR`` warmup, ``CosineAnnealingLR``, ``SequentialLR``, ``LambdaLR``,
``OneCycleLR``, ``ReduceLROnPlateau``) change each group's once per epoch or
per step. ``clip_grad_norm_`` and ``clip_grad_value_`` clip the gradients
between ``backward`` and ``step()``.

One file per concept, as in ``torch.optim``: ``optimizer`` (the base class),
``sgd`` (SGD and the three momentum conventions), ``adagrad``, ``rmsprop``,
``adam`` (Adam and AdamW), ``lr_scheduler`` (a subpackage: the schedules),
``clip_grad`` (gradient clipping) and ``line_search`` (backtracking line search
and full-batch gradient descent). Import everything
from here: ``from course_lib.optim import SGD, StepLR``.

See the chapters on optimizers and on training in practice.
"""

from .adagrad import Adagrad, adagrad_update
from .adam import Adam, AdamW, adam_update, adamw_update
from .clip_grad import clip_grad_norm_, clip_grad_value_, grad_norms
from .line_search import (
    DescentHistory,
    backtracking_line_search,
    gradient_descent,
    gradient_descent_line_search,
)
from .lr_scheduler import (
    CosineAnnealingLR,
    ExponentialLR,
    InverseTimeLR,
    LambdaLR,
    LinearLR,
    LRScheduler,
    OneCycleLR,
    ReduceLROnPlateau,
    SequentialLR,
    StepLR,
    cosine_annealing,
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
    "LambdaLR", "LinearLR", "CosineAnnealingLR", "SequentialLR", "OneCycleLR", "ReduceLROnPlateau",
    "step_decay", "exponential_decay", "inverse_time_decay", "cosine_annealing",
    "clip_grad_norm_", "clip_grad_value_", "grad_norms",
    "backtracking_line_search", "gradient_descent_line_search", "gradient_descent",
    "DescentHistory",
]  # fmt: skip
