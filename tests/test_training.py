import numpy as np
import pytest

from course_lib import layers, losses, optim
from course_lib.data import load_digits, standardize, train_val_test_split
from course_lib.regularization import EarlyStopping
from course_lib.training import DivergenceWarning, History, accuracy, evaluate, fit, make_batches


def _toy(n=10, d=3, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)), np.arange(n)


@pytest.mark.parametrize("batch_size, n_batches", [(None, 1), (10, 1), (1, 10), (3, 4), (4, 3)])
def test_make_batches_covers_every_sample_once(batch_size, n_batches):
    X, y = _toy()
    batches = list(make_batches(X, y, batch_size, rng=0))
    assert len(batches) == n_batches
    seen = np.concatenate([yb for _, yb in batches])
    assert sorted(seen.tolist()) == list(range(10))
    for xb, yb in batches:  # rows stay paired with their labels
        np.testing.assert_array_equal(xb, X[yb])


def test_make_batches_shuffles_deterministically_and_differently_per_epoch():
    X, y = _toy(n=50)
    first = [yb.tolist() for _, yb in make_batches(X, y, 8, rng=1)]
    again = [yb.tolist() for _, yb in make_batches(X, y, 8, rng=1)]
    assert first == again
    gen = np.random.default_rng(1)
    epoch1 = [yb.tolist() for _, yb in make_batches(X, y, 8, rng=gen)]
    epoch2 = [yb.tolist() for _, yb in make_batches(X, y, 8, rng=gen)]
    assert epoch1 != epoch2
    ordered = np.concatenate([yb for _, yb in make_batches(X, y, 8, shuffle=False)])
    np.testing.assert_array_equal(ordered, y)


def test_make_batches_rejects_bad_input():
    X, y = _toy()
    with pytest.raises(ValueError, match="10 and 9"):
        list(make_batches(X, y[:9], 2))
    with pytest.raises(ValueError, match="batch_size: 0"):
        list(make_batches(X, y, 0))
    with pytest.raises(TypeError, match="batch_size"):
        list(make_batches(X, y, 2.5))


def test_accuracy_multiclass_binary_and_onehot():
    logits = np.array([[2.0, 1.0], [0.0, 3.0], [5.0, 1.0]])
    assert accuracy(logits, np.array([0, 1, 1])) == pytest.approx(2 / 3)
    assert accuracy(logits, np.eye(2)[[0, 1, 1]]) == pytest.approx(2 / 3)
    assert accuracy(np.array([-1.0, 2.0, 0.5]), np.array([0, 1, 0])) == pytest.approx(2 / 3)
    probs = np.array([0.2, 0.7, 0.6])
    assert accuracy(probs, np.array([0, 1, 0]), losses.BCELoss()) == pytest.approx(2 / 3)


def _mlp(sizes, seed=0):
    rng = np.random.default_rng(seed)
    mods = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=False)):
        mods.append(layers.Linear(a, b, rng=rng))
        if i < len(sizes) - 2:
            mods.append(layers.ReLU())
    return layers.Sequential(*mods)


@pytest.mark.slow
def test_mlp_with_adam_reaches_95_percent_on_digits():
    X, y = load_digits()
    X_tr, X_val, X_te, y_tr, y_val, y_te = train_val_test_split(X, y, rng=0)
    X_tr, X_val, X_te = standardize(X_tr, X_val, X_te)
    model = _mlp([64, 128, 10])
    opt = optim.Adam(model.parameters(), lr=1e-3)
    hist = fit(model, losses.CrossEntropyLoss(), opt, X_tr, y_tr, epochs=20, batch_size=32,
               validation=(X_val, y_val), progress=False, rng=0)
    assert isinstance(hist, History) and len(hist.epoch) == 20
    assert hist.val_accuracy[-1] >= 0.95
    assert hist.loss[-1] < hist.loss[0]
    test = evaluate(model, losses.CrossEntropyLoss(), X_te, y_te)
    assert test["accuracy"] >= 0.93


def test_divergence_stops_with_a_message_and_finite_parameters():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 4)) * 10
    y = X @ rng.normal(size=(4, 1))
    model = layers.Sequential(layers.Linear(4, 1, rng=0))
    opt = optim.SGD(model.parameters(), lr=10.0)
    with pytest.warns(DivergenceWarning, match="smaller learning rate"):
        hist = fit(model, losses.MSELoss(), opt, X, y, epochs=50, batch_size=16, progress=False)
    assert hist.diverged and "diverged" in hist.message
    assert len(hist.epoch) < 50
    assert all(np.isfinite(p.data).all() for p in model.parameters())


def test_callbacks_can_stop_training_and_scheduler_is_stepped():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    y = rng.integers(0, 2, size=40)
    model = _mlp([3, 8, 2])
    opt = optim.SGD(model.parameters(), lr=0.1)
    sched = optim.StepLR(opt, step_size=1, gamma=0.5)
    stopper = EarlyStopping(patience=1, min_delta=1e9)  # nothing counts as an improvement
    hist = fit(model, losses.CrossEntropyLoss(), opt, X, y, epochs=10, batch_size=8,
               validation=(X, y), callbacks=[stopper], scheduler=sched, progress=False, rng=0)
    assert hist.stopped_early and len(hist.epoch) == 2
    np.testing.assert_allclose(hist.lr, [0.1, 0.05])
    assert len(hist.val_loss) == len(hist.val_accuracy) == 2


def test_fit_is_deterministic_given_rng():
    X, y = load_digits()
    X = X[:200] / 16.0
    y = y[:200]
    runs = []
    for _ in range(2):
        model = _mlp([64, 16, 10], seed=3)
        opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        runs.append(fit(model, losses.CrossEntropyLoss(), opt, X, y, epochs=3, progress=False,
                        rng=7).loss)
    assert runs[0] == runs[1]


def test_fit_validates_arguments():
    X, y = _toy()
    model = _mlp([3, 2])
    opt = optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="10 and 9"):
        fit(model, losses.CrossEntropyLoss(), opt, X, y[:9], epochs=1)
    with pytest.raises(ValueError, match="epochs"):
        fit(model, losses.CrossEntropyLoss(), opt, X, y, epochs=-1)
    with pytest.raises(TypeError, match="on_epoch_end"):
        fit(model, losses.CrossEntropyLoss(), opt, X, y % 2, epochs=1, callbacks=[object()],
            progress=False)
