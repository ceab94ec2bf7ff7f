"""course_lib: the numpy engine behind the course "How neural networks are trained".

Every formula in the book is backed by a function here, in the order the book
teaches it. Chapter -> module:

=========================  ===================================================================================
Chapter                    Modules
=========================  ===================================================================================
1. Introduction            ``training`` (``make_batches``, ``fit``)
2. Regression              ``regression``, ``data``
3. Loss functions          ``losses``
4. Backpropagation         ``activations``, ``layers``, ``autodiff``, ``gradcheck``
5. Optimizers              ``optim``
6. Regularization          ``regularization`` (and ``layers.Dropout``, ``layers.BatchNorm1d``)
7. Training in practice    ``optim`` (``LinearLR``, ``CosineAnnealingLR``, ``SequentialLR``, ``OneCycleLR``,
                           ``ReduceLROnPlateau``, ``clip_grad_norm_``), ``layers.init``, ``layers.LayerNorm``,
                           ``layers.Residual``, ``training`` (``lr_range_test``, ``GradientMonitor``,
                           ``ClipGradNorm``)
Figures and sliders        ``plots`` (matplotlib), ``widgets`` (ipywidgets)
Exercises                  ``grading``
=========================  ===================================================================================

One parameter protocol runs through the package: anything an optimizer updates
has a ``.data`` and a ``.grad`` numpy array (``layers.Parameter`` and
``autodiff.Tensor`` alike), so one optimizer serves both.

``import course_lib`` imports every core module above. Only ``plots`` and
``widgets`` import matplotlib or ipywidgets; they are not imported here, so
import them explicitly (``from course_lib import plots``).
"""

from . import (
    activations,
    autodiff,
    data,
    gradcheck,
    layers,
    losses,
    optim,
    regression,
    regularization,
    training,
)

__all__ = [
    "activations",
    "autodiff",
    "data",
    "gradcheck",
    "layers",
    "losses",
    "optim",
    "regression",
    "regularization",
    "training",
]
__version__ = "0.1.0"
