import numpy as np
import pytest

from course_lib import layers, losses, optim, regression, training
from course_lib.data import load_digits, standardize, train_val_test_split
from course_lib.optim import ReduceLROnPlateau, grad_norms
from course_lib.regularization import EarlyStopping
from course_lib.training import (
    ClipGradNorm,
    DivergenceWarning,
    GradientMonitor,
    History,
    StepInfo,
    accuracy,
    evaluate,
    fit,
    lr_range_test,
    make_batches,
)


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


def test_finite_explosion_counts_as_divergence_as_in_regression():
    # lr = 1e3 on the digits MLP: the loss grows past 1e8 times its first value while
    # still finite. fit must stop, warn and flag it, by the rule regression GD uses.
    X, y = load_digits()
    X = X / 16.0
    model = layers.mlp((64, 32, 10), rng=0)
    opt = optim.SGD(model.parameters(), lr=1e3)
    with pytest.warns(DivergenceWarning, match="over 1e\\+08 times its initial") as caught:
        hist = fit(model, losses.CrossEntropyLoss(), opt, X, y, epochs=3, progress=False, rng=0)
    assert hist.diverged and hist.message == str(caught[0].message)
    assert all(np.isfinite(p.data).all() for p in model.parameters())


@pytest.mark.parametrize("loss, initial, diverged", [
    (1e8 * 2.0, 2.0, False), (1.01e8 * 2.0, 2.0, True), (np.inf, 2.0, True), (np.nan, 2.0, True),
    (1e300, 0.0, False), (np.inf, 0.0, True),
])  # fmt: skip
def test_divergence_rule(loss, initial, diverged):
    assert (training.divergence_reason(loss, initial) is not None) == diverged
    assert training.DIVERGENCE_FACTOR == regression.DIVERGENCE_FACTOR


@pytest.mark.parametrize("cls", [optim.SGD, optim.Adam, optim.AdamW, optim.Adagrad, optim.RMSprop])
def test_every_optimizer_takes_lr_zero_and_rejects_negative_lr(cls):
    p = layers.Linear(3, 2, rng=0)
    before = [q.data.copy() for q in p.parameters()]
    opt = cls(p.parameters(), lr=0.0)
    for q in p.parameters():
        q.grad = np.ones_like(q.data)
    opt.step()
    for q, b in zip(p.parameters(), before, strict=True):
        np.testing.assert_array_equal(q.data, b)
    with pytest.raises(ValueError, match="Invalid learning rate: -0.1"):
        cls(p.parameters(), lr=-0.1)


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


# --- per-step hooks, monitoring and clipping (chapter 7) -------------------------


def _blobs(n=60, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    return X, y


def test_fit_without_callbacks_is_the_plain_four_step_loop():
    # The default loop must stay what the chapters ran: the same updates as writing it by hand.
    X, y = _blobs()
    model, by_hand = _mlp([4, 8, 2], seed=1), _mlp([4, 8, 2], seed=1)
    loss = losses.CrossEntropyLoss()
    hist = fit(model, loss, optim.SGD(model.parameters(), lr=0.1, momentum=0.9), X, y, epochs=3,
               batch_size=16, progress=False, rng=5)  # fmt: skip
    opt = optim.SGD(by_hand.parameters(), lr=0.1, momentum=0.9)
    gen, epoch_losses = np.random.default_rng(5), []
    for _ in range(3):
        total = 0.0
        for xb, yb in make_batches(X, y, 16, rng=gen):
            opt.zero_grad()
            total += loss.forward(by_hand.forward(xb), yb) * len(xb)
            by_hand.backward(loss.backward())
            opt.step()
        epoch_losses.append(total / len(X))
    assert hist.loss == epoch_losses
    for p, q in zip(model.parameters(), by_hand.parameters(), strict=True):
        np.testing.assert_array_equal(p.data, q.data)


class Recorder:
    def __init__(self):
        self.calls = []

    def on_before_step(self, info):
        assert all(p.grad is not None for p in info.model.parameters())
        self.calls.append(("before", info, [p.data.copy() for p in info.model.parameters()]))

    def on_after_step(self, info):
        self.calls.append(("after", info, [p.data.copy() for p in info.model.parameters()]))


def test_step_hooks_run_around_every_optimizer_step_in_order():
    X, y = _blobs(n=50)
    model = _mlp([4, 6, 2])
    rec = Recorder()
    fit(model, losses.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), X, y, epochs=2,
        batch_size=20, callbacks=[rec], progress=False, rng=0)  # fmt: skip
    kinds = [c[0] for c in rec.calls]
    assert kinds == ["before", "after"] * 6  # 3 batches (20, 20, 10) per epoch, 2 epochs
    infos = [c[1] for c in rec.calls[::2]]
    assert [(i.epoch, i.batch, i.step, i.batch_size) for i in infos] == [
        (1, 0, 1, 20), (1, 1, 2, 20), (1, 2, 3, 10), (2, 0, 4, 20), (2, 1, 5, 20), (2, 2, 6, 10)]
    assert all(isinstance(i, StepInfo) and i.loss > 0 for i in infos)
    before, after = rec.calls[0][2], rec.calls[1][2]
    assert not np.array_equal(before[0], after[0])  # the step happened between the two hooks
    np.testing.assert_array_equal(after[0], rec.calls[2][2][0])  # and nothing else moved them


def test_gradient_monitor_records_grad_norms_and_update_ratios():
    X, y = _blobs(n=40)
    model = _mlp([4, 5, 2])
    lr = 0.05
    monitor, rec = GradientMonitor(), Recorder()
    fit(model, losses.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=lr), X, y, epochs=3,
        batch_size=10, callbacks=[monitor, rec], progress=False, rng=0)  # fmt: skip
    assert monitor.names_ == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert monitor.grad_norms_.shape == monitor.update_ratios_.shape == (12, 4)
    np.testing.assert_array_equal(monitor.steps_, np.arange(1, 13))
    np.testing.assert_array_equal(monitor.epochs_, np.repeat([1, 2, 3], 4))
    # plain SGD: the update is lr * g, so the ratio is lr * |g| / |theta before|
    weights_before = [c[2] for c in rec.calls if c[0] == "before"]
    for k in range(12):
        sizes = np.array([np.linalg.norm(w) for w in weights_before[k]])
        expected = np.where(sizes > 0, lr * monitor.grad_norms_[k] / np.where(sizes > 0, sizes, 1), np.nan)
        np.testing.assert_allclose(monitor.update_ratios_[k], expected, rtol=1e-9)
    assert np.isnan(monitor.update_ratios_[0, 1])  # the bias starts at zero
    epochs, means = monitor.per_epoch("grad_norms")
    np.testing.assert_array_equal(epochs, [1, 2, 3])
    np.testing.assert_allclose(means[1], monitor.grad_norms_[4:8].mean(axis=0))
    _, ratio_means = monitor.per_epoch("update_ratios")
    assert np.all(np.isfinite(ratio_means[1:]))
    with pytest.raises(ValueError, match="quantity"):
        monitor.per_epoch("weights")


def test_gradient_monitor_every_n_steps():
    X, y = _blobs(n=40)
    model = _mlp([4, 3, 2])
    monitor = GradientMonitor(every=3)
    fit(model, losses.CrossEntropyLoss(), optim.Adam(model.parameters()), X, y, epochs=2,
        batch_size=10, callbacks=[monitor], progress=False, rng=0)  # fmt: skip
    np.testing.assert_array_equal(monitor.steps_, [1, 4, 7])


def test_clip_grad_norm_callback_caps_every_update():
    X, y = _blobs(n=40)
    X = X * 50  # large inputs, large gradients
    model = _mlp([4, 8, 2])
    lr, max_norm = 0.01, 0.5
    clip, monitor, rec = ClipGradNorm(max_norm), GradientMonitor(), Recorder()
    fit(model, losses.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=lr), X, y, epochs=2,
        batch_size=10, callbacks=[clip, monitor, rec], progress=False, rng=0)  # fmt: skip
    assert len(clip.total_norms_) == 8 and clip.clipped_fraction_ > 0.5
    clipped_totals = np.sqrt((monitor.grad_norms_**2).sum(axis=1))  # the monitor runs after the clip
    assert np.all(clipped_totals <= max_norm * (1 + 1e-9))
    befores = [c[2] for c in rec.calls if c[0] == "before"]
    afters = [c[2] for c in rec.calls if c[0] == "after"]
    for b, a in zip(befores, afters, strict=True):
        step = np.sqrt(sum(np.sum((x - z) ** 2) for x, z in zip(a, b, strict=True)))
        assert step <= lr * max_norm * (1 + 1e-9)


def test_per_step_scheduler_and_plateau_scheduler_in_fit():
    X, y = _blobs(n=40)
    model = _mlp([4, 3, 2])
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    sched = optim.OneCycleLR(opt, max_lr=0.5, epochs=3, steps_per_epoch=4)
    seen = []

    class LR:
        def on_before_step(self, info):
            seen.append(info.optimizer.lr)

    fit(model, losses.CrossEntropyLoss(), opt, X, y, epochs=3, batch_size=10, callbacks=[LR()],
        scheduler=sched, scheduler_interval="step", progress=False, rng=0)  # fmt: skip
    replay = optim.OneCycleLR(optim.SGD([layers.Parameter(np.zeros(1))], momentum=0.9), max_lr=0.5,
                              total_steps=12)  # fmt: skip
    want = []
    for _ in range(12):
        want.append(replay.get_last_lr()[0])
        replay.step()
    np.testing.assert_allclose(seen, want, rtol=1e-15)

    model = _mlp([4, 3, 2])
    opt = optim.SGD(model.parameters(), lr=0.1)
    plateau = ReduceLROnPlateau(opt, patience=0, factor=0.5)
    hist = fit(model, losses.CrossEntropyLoss(), opt, X, y, epochs=6, batch_size=10,
               validation=(X[:10], y[:10]), scheduler=plateau, progress=False, rng=0)  # fmt: skip
    twin = ReduceLROnPlateau(optim.SGD([layers.Parameter(np.zeros(1))], lr=0.1), patience=0, factor=0.5)
    lrs = [0.1]
    for v in hist.val_loss[:-1]:
        twin.step(v)
        lrs.append(twin.get_last_lr()[0])
    np.testing.assert_allclose(hist.lr, lrs)  # stepped with each epoch's val_loss


def test_fit_rejects_bad_scheduler_settings():
    X, y = _blobs(n=20)
    model = _mlp([4, 2])
    opt = optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="Invalid scheduler_interval: 'batch'"):
        fit(model, losses.CrossEntropyLoss(), opt, X, y, epochs=1, scheduler_interval="batch")
    with pytest.raises(ValueError, match="ReduceLROnPlateau needs the epoch's metric"):
        fit(model, losses.CrossEntropyLoss(), opt, X, y, epochs=1, scheduler=ReduceLROnPlateau(opt),
            scheduler_interval="step")  # fmt: skip
    with pytest.raises(ValueError, match="Invalid every"):
        GradientMonitor(every=0)
    with pytest.raises(ValueError, match="Invalid max_norm"):
        ClipGradNorm(-1.0)


# --- the learning-rate range test --------------------------------------------------


def _state(model, opt):
    params = [(p.data.copy(), None if p.grad is None else p.grad.copy()) for p in model.parameters()]
    bn = [(m.running_mean.copy(), m.running_var.copy(), m.num_batches_tracked)
          for m in model if isinstance(m, layers.BatchNorm1d)]  # fmt: skip
    drop = [m.rng.bit_generator.state for m in model if isinstance(m, layers.Dropout)]
    opt_state = {k: {n: np.array(v, copy=True) if isinstance(v, np.ndarray) else v for n, v in s.items()}
                 for k, s in opt.state.items()}  # fmt: skip
    groups = [{k: v for k, v in g.items() if k != "params"} for g in opt.param_groups]
    return params, bn, drop, opt_state, groups, model.training


def _assert_same_state(a, b):
    for (d1, g1), (d2, g2) in zip(a[0], b[0], strict=True):
        np.testing.assert_array_equal(d1, d2)
        assert (g1 is None and g2 is None) or np.array_equal(g1, g2)
    for s1, s2 in zip(a[1], b[1], strict=True):
        np.testing.assert_array_equal(s1[0], s2[0])
        np.testing.assert_array_equal(s1[1], s2[1])
        assert s1[2] == s2[2]
    assert a[2] == b[2] and a[4] == b[4] and a[5] == b[5]
    assert a[3].keys() == b[3].keys()
    for k in a[3]:
        for name in a[3][k]:
            np.testing.assert_array_equal(a[3][k][name], b[3][k][name])


def test_range_test_restores_model_and_optimizer_exactly():
    X, y = load_digits()
    X = X[:300] / 16.0
    y = y[:300]
    model = layers.mlp((64, 32, 10), batchnorm=True, dropout=0.2, rng=0)
    opt = optim.Adam(model.parameters(), lr=1e-3)
    fit(model, losses.CrossEntropyLoss(), opt, X, y, epochs=1, progress=False, rng=0)  # Adam has state
    model.eval()
    before = _state(model, opt)
    result = lr_range_test(model, losses.CrossEntropyLoss(), opt, X, y, num_steps=60, rng=0)
    _assert_same_state(before, _state(model, opt))
    assert len(result.lrs) == len(result.losses) == len(result.smoothed_losses) <= 60
    # and the model trains on exactly as it would have without the test
    twin_model = layers.mlp((64, 32, 10), batchnorm=True, dropout=0.2, rng=0)
    twin_opt = optim.Adam(twin_model.parameters(), lr=1e-3)
    fit(twin_model, losses.CrossEntropyLoss(), twin_opt, X, y, epochs=1, progress=False, rng=0)
    h1 = fit(model, losses.CrossEntropyLoss(), opt, X, y, epochs=1, progress=False, rng=1)
    h2 = fit(twin_model, losses.CrossEntropyLoss(), twin_opt, X, y, epochs=1, progress=False, rng=1)
    assert h1.loss == h2.loss


def test_range_test_schedule_smoothing_and_suggestion():
    X, y = load_digits()
    X = X / 16.0
    model = _mlp([64, 32, 10])
    opt = optim.SGD(model.parameters(), lr=0.1)
    r = lr_range_test(model, losses.CrossEntropyLoss(), opt, X, y, start_lr=1e-5, end_lr=100.0,
                      num_steps=120, smooth=0.9, rng=0)  # fmt: skip
    n = len(r.lrs)
    np.testing.assert_allclose(r.lrs, 1e-5 * (1e7) ** (np.arange(n) / 119), rtol=1e-12)
    avg, smoothed = 0.0, []
    for i, v in enumerate(r.losses):
        avg = 0.9 * avg + 0.1 * v
        smoothed.append(avg / (1 - 0.9 ** (i + 1)))
    np.testing.assert_allclose(r.smoothed_losses, smoothed, rtol=1e-12)
    assert r.diverged and n < 120  # lr = 100 blows up a softmax classifier
    assert r.smoothed_losses[-1] > 4 * r.smoothed_losses.min() or not np.isfinite(r.losses).all()
    i_min = int(np.argmin(r.smoothed_losses))
    assert r.lr_min_loss == r.lrs[i_min] and r.suggested_lr == r.lr_min_loss / 10
    assert r.lrs[0] < r.lr_steepest < r.lr_min_loss
    assert "suggested_lr" in repr(r)


def test_range_test_without_restore_leaves_the_trained_weights():
    X, y = _blobs()
    model = _mlp([4, 3, 2])
    w0 = model.parameters()[0].data.copy()
    lr_range_test(model, losses.CrossEntropyLoss(), optim.SGD(model.parameters()), X, y,
                  start_lr=1e-3, end_lr=1.0, num_steps=20, restore=False, rng=0)  # fmt: skip
    assert not np.array_equal(model.parameters()[0].data, w0)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [({"start_lr": 0.0}, ValueError, "Invalid start_lr"), ({"end_lr": 1e-8}, ValueError, "larger than"),
     ({"num_steps": 1}, ValueError, "Invalid num_steps"), ({"smooth": 1.0}, ValueError, "Invalid smooth"),
     ({"diverge_threshold": 1.0}, ValueError, "Invalid diverge_threshold")],
)  # fmt: skip
def test_range_test_rejects_bad_arguments(kwargs, error, match):
    X, y = _blobs(n=20)
    model = _mlp([4, 2])
    with pytest.raises(error, match=match):
        lr_range_test(model, losses.CrossEntropyLoss(), optim.SGD(model.parameters()), X, y, **kwargs)


def test_grad_norms_helper_matches_the_monitor_on_one_step():
    X, y = _blobs(n=10)
    model = _mlp([4, 3, 2])
    loss = losses.CrossEntropyLoss()
    loss.forward(model.forward(X), y)
    model.backward(loss.backward())
    np.testing.assert_allclose(grad_norms(model.parameters()),
                               [np.linalg.norm(p.grad) for p in model.parameters()])  # fmt: skip
