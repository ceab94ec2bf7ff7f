import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

from course_lib import losses as L
from course_lib.activations import sigmoid, softmax
from course_lib.gradcheck import numerical_gradient, relative_error


def _data(rng, kind, shape=(8, 3)):
    if kind == "regression":
        return rng.normal(size=shape), rng.normal(size=shape)
    if kind == "probs":
        return rng.uniform(0.05, 0.95, size=shape), rng.integers(0, 2, size=shape).astype(float)
    if kind == "logits-binary":
        return rng.normal(size=shape) * 3, rng.integers(0, 2, size=shape).astype(float)
    raise ValueError(kind)


PAIRS = [
    (L.mse, L.mse_grad, "regression"),
    (L.mae, L.mae_grad, "regression"),
    (L.binary_cross_entropy, L.binary_cross_entropy_grad, "probs"),
    (L.binary_cross_entropy_with_logits, L.binary_cross_entropy_with_logits_grad, "logits-binary"),
]


@pytest.mark.parametrize("loss, grad, kind", PAIRS)
def test_gradient_matches_central_differences(loss, grad, kind, rng):
    pred, target = _data(rng, kind)
    numeric = numerical_gradient(lambda p: loss(p, target), pred)
    assert relative_error(grad(pred, target), numeric) < 1e-7


@pytest.mark.parametrize("target", ["labels", "onehot", "soft"])
def test_cross_entropy_gradient(target, rng):
    z = rng.normal(size=(7, 4)) * 2
    labels = rng.integers(0, 4, size=7)
    y = {"labels": labels, "onehot": np.eye(4)[labels], "soft": softmax(rng.normal(size=(7, 4)))}[
        target
    ]
    numeric = numerical_gradient(lambda v: L.cross_entropy(v, y), z)
    assert relative_error(L.cross_entropy_grad(z, y), numeric) < 1e-7


def test_values_match_long_forms(rng):
    pred, target = _data(rng, "regression")
    assert L.mse(pred, target) == pytest.approx(np.sum((pred - target) ** 2) / pred.size)
    assert L.mae(pred, target) == pytest.approx(np.sum(np.abs(pred - target)) / pred.size)
    p, y = _data(rng, "probs")
    bce = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
    assert L.binary_cross_entropy(p, y) == pytest.approx(bce)
    z, y = _data(rng, "logits-binary")
    assert L.binary_cross_entropy_with_logits(z, y) == pytest.approx(
        L.binary_cross_entropy(sigmoid(z), y)
    )
    logits = rng.normal(size=(5, 3))
    labels = np.array([0, 2, 1, 1, 0])
    ce = -np.mean(np.log(softmax(logits))[np.arange(5), labels])
    assert L.cross_entropy(logits, labels) == pytest.approx(ce)
    assert L.cross_entropy(logits, np.eye(3)[labels]) == pytest.approx(ce)


def test_mse_is_mean_over_all_elements_not_sum(rng):
    pred, target = _data(rng, "regression", shape=(10, 2))
    stacked = L.mse(np.tile(pred, (3, 1)), np.tile(target, (3, 1)))
    assert L.mse(pred, target) == pytest.approx(stacked)


def test_mae_more_robust_to_an_outlier_than_mse():
    target = np.zeros(20)
    pred = np.full(20, 0.1)
    pred_outlier = pred.copy()
    pred_outlier[0] = 10.0
    grow_mse = L.mse(pred_outlier, target) / L.mse(pred, target)
    grow_mae = L.mae(pred_outlier, target) / L.mae(pred, target)
    # one residual of 10 among 0.1s: MSE grows ~500x (quadratic), MAE only ~6x (linear)
    assert grow_mse > 50 * grow_mae


def test_binary_cross_entropy_clamps_log_like_pytorch():
    # p = 0 for a positive example: log clamped at -100 gives a loss of 100, not inf
    assert L.binary_cross_entropy(np.array([0.0]), np.array([1.0])) == 100.0
    assert L.binary_cross_entropy(np.array([1.0]), np.array([1.0])) == 0.0
    grad = L.binary_cross_entropy_grad(np.array([0.0, 1.0]), np.array([1.0, 0.0]))
    assert np.all(np.isfinite(grad))


def test_logit_losses_stable_at_extremes():
    z = np.array([-1e3, -50.0, 0.0, 50.0, 1e3])
    y = np.array([1.0, 1.0, 0.0, 0.0, 0.0])
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        value = L.binary_cross_entropy_with_logits(z, y)
        grad = L.binary_cross_entropy_with_logits_grad(z, y)
        ce = L.cross_entropy(np.array([[1e3, -1e3, 0.0]]), np.array([1]))
        ce_grad = L.cross_entropy_grad(np.array([[1e3, -1e3, 0.0]]), np.array([1]))
    assert np.isfinite(value) and np.all(np.isfinite(grad))
    # the confident mistakes dominate: the loss is about (1e3 + 50 + 1e3)/5 + log 2 / 5
    assert value == pytest.approx((1e3 + 50 + np.log(2) + 50 + 1e3) / 5, rel=1e-12)
    assert ce == pytest.approx(2e3)
    assert np.all(np.isfinite(ce_grad))


def test_confident_mistakes_cost_more_than_hesitant_ones():
    y = np.array([1.0])
    costs = [L.binary_cross_entropy(np.array([p]), y) for p in (0.9, 0.5, 0.1, 0.01)]
    assert costs == sorted(costs)


@pytest.mark.parametrize("loss, grad, kind", PAIRS)
def test_shape_mismatch_raises_instead_of_broadcasting(loss, grad, kind, rng):
    pred, target = _data(rng, kind, shape=(6, 1))
    for f in (loss, grad):
        with pytest.raises(ValueError, match=r"\(6, 1\).*\(6,\)"):
            f(pred, target.reshape(6))


def test_probability_and_label_ranges_are_checked():
    with pytest.raises(ValueError, match=r"p \(probabilities\) must lie in \[0.0, 1.0\]"):
        L.binary_cross_entropy(np.array([1.2, 0.5]), np.array([1.0, 0.0]))
    with pytest.raises(ValueError, match="target must lie"):
        L.binary_cross_entropy_with_logits(np.array([0.3]), np.array([2.0]))
    with pytest.raises(ValueError, match=r"outside \[0, 3\)"):
        L.cross_entropy(np.zeros((2, 3)), np.array([0, 3]))
    with pytest.raises(ValueError, match=r"shape \(2,\)"):
        L.cross_entropy(np.zeros((2, 3)), np.array([0, 1, 2]))
    with pytest.raises(ValueError, match="sum to 1"):
        L.cross_entropy(np.zeros((2, 3)), np.ones((2, 3)))
    with pytest.raises(ValueError, match="2-D"):
        L.cross_entropy(np.zeros(3), np.array([0]))
    with pytest.raises(TypeError, match="integer class labels"):
        L.cross_entropy(np.zeros((2, 3)), np.array([0.5, 1.0]))
    with pytest.raises(ValueError, match="empty"):
        L.mse(np.zeros(0), np.zeros(0))


@pytest.mark.parametrize("loss, grad, kind", PAIRS)
def test_float32_preserved(loss, grad, kind, rng):
    pred, target = _data(rng, kind)
    assert grad(pred.astype(np.float32), target.astype(np.float32)).dtype == np.float32
    assert isinstance(loss(pred.astype(np.float32), target), float)


@given(arrays(np.float64, array_shapes(max_dims=2, max_side=6), elements=st.floats(-1e3, 1e3)),
       st.data())
def test_regression_losses_are_nonnegative_and_zero_at_target(pred, data):
    target = data.draw(arrays(np.float64, pred.shape, elements=st.floats(-1e3, 1e3)))
    assert L.mse(pred, target) >= 0 and L.mae(pred, target) >= 0
    assert L.mse(pred, pred) == 0 and L.mae(pred, pred) == 0


@given(arrays(np.float64, (4, 3), elements=st.floats(-1e3, 1e3)),
       arrays(np.int64, 4, elements=st.integers(0, 2)))
def test_cross_entropy_nonnegative_finite_and_grad_rows_sum_to_zero(z, y):
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        value = L.cross_entropy(z, y)
        g = L.cross_entropy_grad(z, y)
    assert value >= 0 and np.isfinite(value)
    np.testing.assert_allclose(g.sum(axis=1), 0.0, atol=1e-12)


def test_loss_modules_wrap_the_functions(rng):
    z = rng.normal(size=(5, 3))
    y = np.array([0, 1, 2, 1, 0])
    module = L.CrossEntropyLoss()
    assert module(z, y) == L.cross_entropy(z, y)
    np.testing.assert_array_equal(module.backward(), L.cross_entropy_grad(z, y))
    with pytest.raises(RuntimeError, match="before forward"):
        L.MSELoss().backward()
    for cls, (loss, grad, kind) in zip(
        (L.MSELoss, L.L1Loss, L.BCELoss, L.BCEWithLogitsLoss), PAIRS, strict=True
    ):
        pred, target = _data(rng, kind)
        m = cls()
        assert m.forward(pred, target) == loss(pred, target)
        np.testing.assert_array_equal(m.backward(), grad(pred, target))


def test_cross_entropy_labels_shaped_n_by_1_say_what_is_wrong(rng):
    logits, labels = rng.standard_normal((5, 3)), np.array([[0], [2], [1], [1], [0]])
    msg = r"target has shape \(5, 1\); class indices must be shape \(5,\) \(use target.ravel\(\)\)"
    for call in (L.cross_entropy, L.cross_entropy_grad, L.CrossEntropyLoss()):
        with pytest.raises(ValueError, match=msg):
            call(logits, labels)
    assert L.cross_entropy(logits, labels.ravel()) == pytest.approx(
        L.cross_entropy(logits, np.eye(3)[labels.ravel()]))
