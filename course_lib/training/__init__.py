"""Training: the loop (``fit``), its per-step hooks and callbacks, and the learning-rate range test.

The seeds write the loop as::

    for epoch in range(numOfEpoch):
        for subsetOfData in make_batch(X, Y):
            input, target = subsetOfData
            output = net(input)                          # 1. forward propagation
            error = lossFunction(output, target)         # 2. error computation
            backpropagation(net, error, lossFunction)    # 3. backpropagation
            updateParameter(net)                         # 4. parameter update

:func:`fit` is exactly that loop (``loop.py``). ``callbacks.py`` has the
callbacks that act at every step (:class:`GradientMonitor`,
:class:`ClipGradNorm`); ``range_test.py`` has :func:`lr_range_test`.

See the chapters "Introduction" (the loop), "Optimizers" (batch sizes) and
"Training in practice" (monitoring, clipping, the range test).
"""

from .callbacks import ClipGradNorm, GradientMonitor
from .loop import DivergenceWarning, History, StepInfo, accuracy, evaluate, fit, make_batches
from .range_test import LRRangeTestResult, lr_range_test

__all__ = [
    "make_batches", "fit", "evaluate", "accuracy", "History", "DivergenceWarning", "StepInfo",
    "GradientMonitor", "ClipGradNorm", "lr_range_test", "LRRangeTestResult",
]  # fmt: skip
