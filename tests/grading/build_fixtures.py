"""Build the grading test fixtures: a solutions notebook and deliberately wrong submissions.

Run ``python tests/grading/build_fixtures.py`` after editing this file; the notebooks it
writes are committed. Adversarial submissions that need absolute paths known only at
test time are built by ``tests/grading_adversarial.py`` instead.
"""

from __future__ import annotations

import copy
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).parent

SETUP = "import numpy as np\n\nfrom course_lib.grading import check"

SIGMOID = '''def sigmoid(z):
    """Logistic sigmoid, stable for large |z|."""
    ### BEGIN SOLUTION
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    ### END SOLUTION'''

SOFTMAX = '''def softmax(z):
    """Row-wise softmax of a (n, k) array of logits."""
    ### BEGIN SOLUTION
    shifted = z - z.max(axis=-1, keepdims=True)  # max-shifted: exp never overflows
    e = np.exp(shifted)
    return e / e.sum(axis=-1, keepdims=True)
    ### END SOLUTION'''

MSE = '''def mse_and_grad(pred, target):
    """Mean squared error and its gradient with respect to pred."""
    ### BEGIN SOLUTION
    diff = pred - target
    return np.mean(diff ** 2), 2.0 * diff / diff.size
    ### END SOLUTION'''

ADAM = '''def adam_step(w, g, m, v, t, lr, beta1, beta2, eps):
    """One Adam step (PyTorch's form, with bias correction); returns (w, m, v)."""
    ### BEGIN SOLUTION
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g * g
    m_hat = m / (1 - beta1 ** t)
    v_hat = v / (1 - beta2 ** t)
    return w - lr * m_hat / (np.sqrt(v_hat) + eps), m, v
    ### END SOLUTION'''

CLASSIFIER = '''def train_and_predict(X_train, y_train, X_test):
    """Fit any classifier on (X_train, y_train); return predicted labels for X_test."""
    ### BEGIN SOLUTION
    classes = np.unique(y_train)
    means = np.stack([X_train[y_train == c].mean(axis=0) for c in classes])
    dist = ((X_test[:, None, :] - means[None, :, :]) ** 2).sum(axis=-1)
    return classes[dist.argmin(axis=1)]
    ### END SOLUTION'''

ITEMS = {
    "sigmoid": {
        "item": "sigmoid", "points": 2,
        "cases": {"dims": {"n": [1, 6]},
                  "args": {"z": {"dist": "normal", "shape": ["n", 3], "scale": 5.0}},
                  "edge": [{"z": [-1000.0, 0.0, 1000.0]}], "random": 4, "public": 2},
        "forbid": ["course_lib.activations.sigmoid", "course_lib.layers.Sigmoid"],
        "hint": "use the two-branch form so that exp never overflows",
    },
    "softmax": {
        "item": "softmax", "points": 2,
        "cases": {"dims": {"n": [2, 5], "k": [2, 4]},
                  "args": {"z": {"dist": "normal", "shape": ["n", "k"], "scale": 3.0}},
                  "edge": [{"z": [[1000.0, 0.0, -1000.0], [1.0, 2.0, 3.0]]}, {"z": [[800.0, 800.0]]}],
                  "random": 4, "public": 2},
        "mistakes": ["softmax_wrong_axis", "softmax_no_max_shift"],
        "forbid": ["course_lib.activations.softmax"],
    },
    "mse_and_grad": {
        "item": "mse_and_grad", "points": 2,
        "cases": {"dims": {"n": [2, 8]},
                  "args": {"pred": {"dist": "normal", "shape": ["n"]},
                           "target": {"dist": "normal", "shape": ["n"]}},
                  "random": 5, "public": 2},
        "mistakes": [{"name": "sum_instead_of_mean", "x": "pred"}],
        "forbid": ["course_lib.losses.mse", "course_lib.losses.mse_grad"],
    },
    "adam_step": {
        "item": "adam_step", "points": 3,
        "cases": {"dims": {"d": [1, 6]},
                  "args": {"w": {"dist": "normal", "shape": ["d"]},
                           "g": {"dist": "normal", "shape": ["d"]},
                           "m": {"dist": "normal", "shape": ["d"], "scale": 0.1},
                           "v": {"dist": "uniform", "shape": ["d"], "low": 0.0, "high": 0.1},
                           "t": {"dist": "integers", "low": 1, "high": 20},
                           "lr": {"dist": "choice", "values": [0.001, 0.01, 0.1]},
                           "beta1": {"value": 0.9}, "beta2": {"value": 0.999}, "eps": {"value": 1e-8}},
                  "random": 6, "public": 2},
        "mistakes": ["adam_no_bias_correction"],
        "forbid": ["course_lib.optim.Adam"],
    },
    "train_and_predict": {
        "item": "train_and_predict", "points": 3,
        "cases": {"data": {"kind": "blobs", "n_train": 150, "n_test": 60, "n_features": 2, "n_classes": 3,
                           "separation": 6.0},
                  "args": {"X_train": {"data": "X_train"}, "y_train": {"data": "y_train"},
                           "X_test": {"data": "X_test"}},
                  "random": 2, "public": 1},
        "compare": {"checker": "accuracy_at_least", "labels": "y_test", "threshold": 0.9},
        "timeout": 20,
    },
}

SOLUTIONS = {"sigmoid": SIGMOID, "softmax": SOFTMAX, "mse_and_grad": MSE, "adam_step": ADAM,
             "train_and_predict": CLASSIFIER}


def solutions_notebook(bodies: dict[str, str] | None = None, extra: list[str] | None = None
                       ) -> nbformat.NotebookNode:
    """The fixture solutions notebook; ``bodies`` replaces item cells' sources (for submissions)."""
    bodies = {**SOLUTIONS, **(bodies or {})}
    cells = [new_markdown_cell("# Demo exercises\n\nFive graded items of different kinds."),
             new_code_cell(SETUP)]
    for name, meta in ITEMS.items():
        cells.append(new_markdown_cell(f"## `{name}`"))
        cells.append(new_code_cell(bodies[name], metadata={"grading": copy.deepcopy(meta)}))
        cells.append(new_code_cell(f'check("{name}")'))
    cells += [new_code_cell(src) for src in (extra or [])]
    nb = new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                            "language": "python"}})
    for i, cell in enumerate(nb.cells):
        cell.id = f"cell-{i}"  # stable ids: the committed files do not churn
    return nb


WRONG_SOFTMAX_NO_SHIFT = '''def softmax(z):
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)'''

WRONG_MSE_SUM = '''def mse_and_grad(pred, target):
    diff = pred - target
    return np.sum(diff ** 2), 2.0 * diff'''

WRONG_ADAM_NO_BIAS = '''def adam_step(w, g, m, v, t, lr, beta1, beta2, eps):
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g * g
    return w - lr * m / (np.sqrt(v) + eps), m, v'''

WRONG_CLASSIFIER_CONSTANT = '''def train_and_predict(X_train, y_train, X_test):
    return np.zeros(len(X_test), dtype=int)'''

WRONG_SIGMOID_RAISES_ON_1D = '''def sigmoid(z):
    if z.ndim == 1:
        raise ValueError("only 2-D input handled")
    return 1.0 / (1.0 + np.exp(-z))'''

DELEGATING_SIGMOID = '''import course_lib.activations as act


def sigmoid(z):
    return act.sigmoid(z)'''

HIDDEN_DELEGATION_SOFTMAX = """def softmax(z):
    import importlib
    module = importlib.import_module("course_lib." + "activations")
    return getattr(module, "soft" + "max")(z)"""

# name -> replaced item bodies. Expected scores are derived in the tests from the case counts.
WRONG = {
    "wrong_softmax_mse": {"softmax": WRONG_SOFTMAX_NO_SHIFT, "mse_and_grad": WRONG_MSE_SUM},
    "wrong_adam_classifier": {"adam_step": WRONG_ADAM_NO_BIAS, "train_and_predict": WRONG_CLASSIFIER_CONSTANT,
                              "sigmoid": WRONG_SIGMOID_RAISES_ON_1D},
    "wrong_delegation": {"sigmoid": DELEGATING_SIGMOID, "softmax": HIDDEN_DELEGATION_SOFTMAX},
}


def main() -> None:
    (HERE / "solutions").mkdir(exist_ok=True)
    (HERE / "wrong").mkdir(exist_ok=True)
    nbformat.write(solutions_notebook(), HERE / "solutions" / "01_demo.ipynb")
    for name, bodies in WRONG.items():
        nbformat.write(solutions_notebook(bodies), HERE / "wrong" / f"{name}.ipynb")


if __name__ == "__main__":
    main()
