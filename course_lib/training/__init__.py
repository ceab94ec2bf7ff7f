"""Training: the loop (``fit``), its per-step callbacks, and the learning-rate range test.

``loop.py`` has :func:`fit`, the course notes' four-step loop (forward, loss, backward,
update) with validation, schedulers, callbacks and divergence checks, plus
``make_batches``, ``evaluate``, ``accuracy``, ``History`` and ``StepInfo``.
``divergence.py`` has the one divergence rule that every loop of the package
uses (:func:`divergence_reason`, :class:`DivergenceWarning`).
``callbacks.py`` has the callbacks that act at every optimizer step
(:class:`GradientMonitor`, :class:`ClipGradNorm`); ``range_test.py`` has
:func:`lr_range_test`. Import everything from here.

See the chapters "Introduction" (the loop), "Optimizers" (batch sizes) and
"Training in practice" (monitoring, clipping, the range test).
"""

from .callbacks import ClipGradNorm, GradientMonitor
from .divergence import DIVERGENCE_FACTOR, DivergenceWarning, divergence_reason
from .loop import History, StepInfo, accuracy, evaluate, fit, make_batches
from .range_test import LRRangeTestResult, lr_range_test

__all__ = [
    "make_batches", "fit", "evaluate", "accuracy", "History", "DivergenceWarning", "StepInfo",
    "GradientMonitor", "ClipGradNorm", "lr_range_test", "LRRangeTestResult",
    "DIVERGENCE_FACTOR", "divergence_reason",
]  # fmt: skip
