"""The autograder: exercises generated from solutions, instant checks, and a sandboxed grader.

One source: ``solutions/NN_<chapter>.ipynb`` is the only file an author edits.

Authoring an exercise
---------------------
Write the solution inside nbgrader's markers, in a top-level function, and declare
the graded item in that code cell's metadata under ``"grading"``::

    def softmax(z):
        ### BEGIN SOLUTION
        e = np.exp(z - z.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)
        ### END SOLUTION

    cell.metadata["grading"] = {
        "item": "softmax",                 # unique name in the notebook (CSV rows, check("softmax"))
        "points": 2,                       # score = points * passed hidden cases / hidden cases
        "function": "softmax",             # default: the item's name
        "cases": {
            "dims": {"n": [2, 5], "k": [2, 4]},          # drawn per case, inclusive ranges (or an int)
            "args": {"z": {"dist": "normal", "shape": ["n", "k"], "scale": 3.0}},
            "edge": [{"z": [[1000.0, 0.0, -1000.0]]}],   # public, not scored: every argument, as lists
            "random": 5,                                 # hidden random cases (secret seed)
            "public": 2                                  # random cases check() shows (public seed)
        },
        "compare": {"rtol": 1e-6, "atol": 1e-9},           # default checker "allclose"
        "mistakes": ["softmax_wrong_axis", "softmax_no_max_shift"],
        "forbid": ["course_lib.activations.softmax"],      # delegating to these earns 0
        "hint": "subtract the row maximum first",          # shown in the exercise's stub
        "timeout": 30                                      # optional, seconds per call
    }

Argument generators (``cases.args``, passed positionally in this order):
``{"dist": "normal", "loc", "scale"}``, ``{"dist": "uniform", "low", "high"}``,
``{"dist": "integers", "low", "high"}`` (high exclusive), ``{"dist": "choice",
"values": [...]}``, ``{"dist": "u_curve", "length", "noise"}`` (a validation-loss
curve), ``{"value": ...}`` (a constant) and ``{"data": NAME}`` (from the item's
data set). ``"shape"`` lists ints or names from ``"dims"``; numbers may also name a
dim (``"high": "k"``). ``"dtype"`` is one of float64, float32, int64, bool. Scalars
(no shape) reach the function as Python numbers.

Data sets (``cases.data``, redrawn per case): ``{"kind": "blobs", "n_train",
"n_test", "n_features", "n_classes", "separation", "spread"}`` gives ``X_train,
y_train, X_test, y_test``; ``{"kind": "linear", "n_train", "n_val", "n_features",
"noise"}`` gives ``X_train, y_train, X_val, y_val, w_true``. Synthetic runs for
diagnostic items (:mod:`.runs`): ``{"kind": "learning_curves", "n_runs", "n_epochs",
"n_classes"}`` gives ``train_loss, val_loss, kind``; ``{"kind": "range_test",
"num_steps", "noise"}`` gives ``lrs, losses, lr_cliff``; ``{"kind": "gd_run",
"n_steps"}`` gives ``w_path, lr, h``. Arrays not passed as arguments stay hidden
from the learner and are used by checkers.

Checkers (``compare.checker``, see :mod:`.compare`): ``allclose`` (default),
``accuracy_at_least`` (``labels``, ``threshold``), ``within_factor_of_solution``
(``factor``), ``val_mse_not_worse_than_solution_by`` (``X``, ``y``,
``tolerance``). Mistake detectors (``mistakes``, see :mod:`.mistakes`):
``softmax_wrong_axis``, ``softmax_no_max_shift``, ``sum_instead_of_mean``,
``unscaled_dropout``, ``batch_stats_in_eval``, ``adam_no_bias_correction``.

Commands
--------
``python -m course_lib.grading generate [--solutions solutions --exercises exercises] [--check]``
    writes ``exercises/`` (stubs, cleared outputs, public cases with the solution's
    outputs in each graded cell's metadata); ``--check`` exits 1 when out of date.
``python -m course_lib.grading grade SUB.ipynb|FOLDER... --solutions solutions/ --out grades.csv
[--json results.json] [--feedback DIR] [--resume] [--jobs N] [--timeout S] [--cell-timeout S]
[--call-timeout S] [--memory MB] [--secret S] [--cache DIR] [--sandbox auto|bwrap|none]``
    grades each submission in a fresh kernel inside ``bwrap``; a submission belongs
    to the solutions notebook named in its metadata (``course_grading.source``,
    written by ``generate``), else to the one whose file stem its name contains.

In a notebook: ``from course_lib.grading import check`` then ``check("softmax")``.
See ``docs/grading.md`` for the full guide.
"""

from .check import CheckResult, check

__all__ = ["check", "CheckResult"]
