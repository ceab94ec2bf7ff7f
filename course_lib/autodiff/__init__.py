r"""Reverse-mode automatic differentiation on numpy arrays: a vectorised micrograd.

A :class:`Tensor` wraps a numpy array. Every operation on tensors computes its
result and, right beside that forward maths, defines a small ``backward`` closure:
the *local* chain rule, turning the gradient of the result into the gradients of
its operands. ``loss.backward()`` then visits the graph once, in reverse
topological order (every node after all the nodes that use it):

.. math:: \bar v_i = \sum_{j \,:\, v_i \to v_j} \bar v_j\,\frac{\partial v_j}{\partial v_i},
          \qquad \bar v = \frac{\partial L}{\partial v}, \qquad \bar L = 1.

A node used more than once receives the *sum* of the gradients from each use, and
``backward`` adds into ``.grad`` rather than overwriting it, so calling it twice
accumulates (as in PyTorch; reset with ``t.grad = None``). One difference from
micrograd: a closure *returns* its operands' gradients and the engine does the
adding. That way a second ``backward()`` sends only its own gradient down the
graph (not the running total already stored in ``.grad``), and no node holds a
reference to itself, so a graph is freed as soon as the last name for it goes.

micrograd's ``Value`` holds one number; here a node holds an array and the local
derivatives are array expressions. For ``Y = X @ W``:
:math:`\bar X = \bar Y W^\top` and :math:`\bar W = X^\top \bar Y`.

**Broadcasting.** When numpy stretches an operand of shape ``(m,)`` to ``(n, m)``
(a bias added to a batch), each of its entries is used ``n`` times, so its gradient
is the upstream gradient *summed* over the stretched axes (``engine._unbroadcast``).

**Parameters.** A tensor with ``requires_grad=True`` has numpy ``.data`` and
``.grad``: the package's parameter protocol, so ``course_lib.optim`` updates it
exactly as it updates a layer's parameters. ``.grad`` arrays may share memory with
a neighbouring node's gradient (an addition passes its gradient through
unchanged); ``course_lib`` never edits them in place, and neither should you.

**Layout**, one file per concept: ``tensor`` (the :class:`Tensor`, each operation
beside its ``backward`` closure, and :func:`no_grad`), ``engine`` (the backward
pass and the broadcasting bookkeeping), ``functional`` (function forms and the
losses, PyTorch's ``torch.nn.functional``) and ``graph`` (:func:`trace`, the
graph as data for the book's figure).

See the chapter on backpropagation.
"""

from .functional import cross_entropy, log_softmax, mse_loss, relu, sigmoid, tanh
from .graph import TraceNode, trace
from .tensor import Tensor, is_grad_enabled, no_grad

__all__ = [
    "Tensor",
    "no_grad",
    "is_grad_enabled",
    "relu",
    "sigmoid",
    "tanh",
    "log_softmax",
    "cross_entropy",
    "mse_loss",
    "trace",
    "TraceNode",
]
