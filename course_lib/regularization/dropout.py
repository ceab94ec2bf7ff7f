"""Dropout as an ensemble: :func:`thinned_average`. (The ``Dropout`` layer is in ``course_lib.layers``.)

See the chapter on regularization.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._validation import check_int

__all__ = ["thinned_average"]

Array = NDArray[np.floating]


def thinned_average(model: Any, X: ArrayLike, n_masks: int) -> tuple[Array, Array]:
    """Mean and standard error of ``n_masks`` training-mode outputs (one dropout mask each).

    Each forward pass in training mode draws new masks, so it runs one *thinned*
    network; their average is the ensemble prediction that evaluation mode
    approximates (exactly, when the only dropout layer sits just before the last,
    linear layer). ``model`` is a ``course_lib.layers`` module; it is left in
    evaluation mode.

    Returns
    -------
    ``(mean, standard error)``, each of the shape of ``model(X)``
    """
    n_masks = check_int(n_masks, "n_masks", minimum=2)
    model.train()
    try:
        outs = np.array([model(X) for _ in range(n_masks)])
    finally:
        model.eval()
    return outs.mean(axis=0), outs.std(axis=0, ddof=1) / np.sqrt(n_masks)
