r"""Learning-rate schedules: the formulas, and the classes that apply them to an optimizer.

A **schedule** fixes the step size :math:`\alpha` as a function of the epoch
(or of the step). The pure functions (``step_decay``, ``exponential_decay``,
``inverse_time_decay``, ``cosine_annealing``) give the formula and accept an
array of epochs for plotting; the classes apply it to an optimizer's parameter
groups, PyTorch-style, when ``scheduler.step()`` is called. Names, arguments and
defaults are PyTorch's.

======================  =====================  ===================================================
Class                   File                   Schedule
======================  =====================  ===================================================
``LRScheduler``         ``base.py``            the base class: ``base_lrs``, ``last_epoch``
``StepLR``              ``decay.py``           times ``gamma`` every ``step_size`` epochs
``ExponentialLR``       ``decay.py``           times ``gamma`` every epoch
``InverseTimeLR``       ``decay.py``           the course notes' :math:`\alpha_0/(1 + kt)`
``LambdaLR``            ``warmup_cosine.py``   :math:`\alpha_0\,\lambda(t)` for any function
``LinearLR``            ``warmup_cosine.py``   a linear ramp (warmup), then constant
``CosineAnnealingLR``   ``warmup_cosine.py``   half a cosine down to ``eta_min``
``SequentialLR``        ``warmup_cosine.py``   schedulers one after another (warmup, then cosine)
``OneCycleLR``          ``one_cycle.py``       up to ``max_lr`` and far down; momentum inversely
``ReduceLROnPlateau``   ``plateau.py``         cut the rate when a metric stops improving
======================  =====================  ===================================================

Everything here is re-exported by ``course_lib.optim``.

See the chapters on optimizers and on training in practice.
"""

from .base import LRScheduler
from .decay import (
    ExponentialLR,
    InverseTimeLR,
    StepLR,
    exponential_decay,
    inverse_time_decay,
    step_decay,
)
from .one_cycle import OneCycleLR
from .plateau import ReduceLROnPlateau
from .warmup_cosine import CosineAnnealingLR, LambdaLR, LinearLR, SequentialLR, cosine_annealing

__all__ = [
    "LRScheduler", "StepLR", "ExponentialLR", "InverseTimeLR",
    "LambdaLR", "LinearLR", "CosineAnnealingLR", "SequentialLR", "OneCycleLR",
    "ReduceLROnPlateau",
    "step_decay", "exponential_decay", "inverse_time_decay", "cosine_annealing",
]  # fmt: skip
