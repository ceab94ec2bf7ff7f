"""Tests for course_lib.data: loaders, generators, loss surfaces, splitting, scaling."""

import re

import numpy as np
import pytest
import sklearn.datasets
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from course_lib import data
from course_lib.gradcheck import numerical_gradient, relative_error

# --- real data sets ------------------------------------------------------------------

LOADERS = [
    (data.load_digits, sklearn.datasets.load_digits, (1797, 64), np.int64, 10),
    (data.load_breast_cancer, sklearn.datasets.load_breast_cancer, (569, 30), np.int64, 2),
    (data.load_diabetes, None, (442, 10), np.float64, 1),
    (data.load_iris, sklearn.datasets.load_iris, (150, 4), np.int64, 3),
]


@pytest.mark.parametrize("ours, theirs, shape, y_dtype, n_targets", LOADERS)
def test_loaders_return_plain_arrays(ours, theirs, shape, y_dtype, n_targets):
    ds = ours()
    X, y = ds  # unpacks like a pair
    assert X is ds.X and y is ds.y
    assert X.shape == shape and X.dtype == np.float64
    assert y.shape == (shape[0],) and y.dtype == y_dtype
    assert len(ds.feature_names) == shape[1] and len(ds.target_names) == n_targets
    assert ds.description
    if theirs is not None:
        bunch = theirs()
        np.testing.assert_array_equal(X, bunch.data)
        np.testing.assert_array_equal(y, bunch.target)
    if y_dtype == np.int64:
        np.testing.assert_array_equal(np.unique(y), np.arange(n_targets))


def test_diabetes_units():
    raw = data.load_diabetes()
    np.testing.assert_array_equal(raw.X, sklearn.datasets.load_diabetes(scaled=False).data)
    scaled = data.load_diabetes(scaled=True)
    np.testing.assert_array_equal(scaled.X, sklearn.datasets.load_diabetes().data)
    np.testing.assert_array_equal(raw.y, scaled.y)


# --- regression generators ------------------------------------------------------------------


def test_noisy_line_shapes_and_determinism():
    X, y = data.noisy_line(40, rng=3)
    assert X.shape == (40, 1) and y.shape == (40,)
    X2, y2 = data.noisy_line(40, rng=np.random.default_rng(3))
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    X3, _ = data.noisy_line(40, rng=4)
    assert not np.array_equal(X, X3)


def test_noisy_line_without_noise_is_the_line():
    X, y = data.noisy_line(25, slope=-1.5, intercept=0.5, noise=0.0, x_range=(2.0, 3.0), rng=0)
    np.testing.assert_allclose(y, -1.5 * X[:, 0] + 0.5, rtol=1e-14)
    assert np.all((X >= 2.0) & (X < 3.0))


def test_noisy_line_least_squares_recovers_the_line():
    X, y = data.noisy_line(20000, slope=2.0, intercept=1.0, noise=0.5, rng=0)
    A = np.hstack([np.ones_like(X), X])
    intercept, slope = np.linalg.lstsq(A, y, rcond=None)[0]
    # Standard errors for 20000 points are ~0.01 or less; allow five of them.
    assert slope == pytest.approx(2.0, abs=0.05) and intercept == pytest.approx(1.0, abs=0.05)
    residual_std = np.std(y - A @ [intercept, slope])
    assert residual_std == pytest.approx(0.5, rel=0.05)


def test_noisy_polynomial_coefficients_are_in_increasing_powers():
    coefs = [0.5, -1.0, 2.0, 0.25]
    X, y = data.noisy_polynomial(30, coefs=coefs, noise=0.0, rng=1)
    np.testing.assert_allclose(y, np.polyval(coefs[::-1], X[:, 0]), rtol=1e-12)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"n_samples": 0}, "Invalid n_samples"),
        ({"noise": -1.0}, "Invalid noise"),
        ({"x_range": (1.0, 1.0)}, "low < high"),
        ({"coefs": []}, "coefs is empty"),
        ({"coefs": [[1.0, 2.0]]}, r"coefs must be 1-D; got shape \(1, 2\)"),
    ],
)
def test_noisy_polynomial_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        data.noisy_polynomial(**kwargs)


def test_counts_of_the_wrong_type_are_a_type_error():
    with pytest.raises(TypeError, match="n_samples must be an int; got float: 2.5"):
        data.noisy_polynomial(n_samples=2.5)


# --- classification generators -----------------------------------------------------------------


@pytest.mark.parametrize("n", [2, 7, 200])
def test_two_moons_shapes_and_counts(n):
    X, y = data.two_moons(n, rng=0)
    assert X.shape == (n, 2) and y.shape == (n,) and y.dtype == np.int64
    assert np.sum(y == 0) == (n + 1) // 2 and np.sum(y == 1) == n // 2


def test_two_moons_without_noise_lie_on_the_arcs():
    X, y = data.two_moons(300, noise=0.0, rng=1)
    upper, lower = X[y == 0], X[y == 1]
    np.testing.assert_allclose(np.hypot(upper[:, 0], upper[:, 1]), 1.0)
    assert np.all(upper[:, 1] >= 0)
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1.0, lower[:, 1] - 0.5), 1.0)
    assert np.all(lower[:, 1] <= 0.5)


def test_two_moons_rows_are_shuffled_and_deterministic():
    X, y = data.two_moons(100, rng=5)
    assert np.any(np.diff(y) < 0)  # not sorted by class
    X2, y2 = data.two_moons(100, rng=5)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)


@pytest.mark.parametrize("n, c", [(300, 3), (10, 3), (7, 2), (5, 5)])
def test_spirals_shapes_and_counts(n, c):
    X, y = data.spirals(n, n_classes=c, rng=0)
    assert X.shape == (n, 2) and y.dtype == np.int64
    counts = np.bincount(y, minlength=c)
    assert counts.sum() == n and counts.max() - counts.min() <= 1


def test_spirals_without_noise_follow_the_formula():
    X, y = data.spirals(90, n_classes=3, noise=0.0, rng=0)
    r = np.hypot(X[:, 0], X[:, 1])
    assert np.all(r <= 1.0 + 1e-12)
    keep = r > 1e-9  # the angle of the centre point is undefined
    phi = np.arctan2(X[keep, 1], X[keep, 0])
    expected = 2 * np.pi * y[keep] / 3 + 4.0 * r[keep]
    diff = np.angle(np.exp(1j * (phi - expected)))  # wrap to (-pi, pi]
    np.testing.assert_allclose(diff, 0.0, atol=1e-9)


def test_spirals_bad_arguments():
    with pytest.raises(ValueError, match="n_samples=2 must be >= n_classes=3"):
        data.spirals(2, n_classes=3)
    with pytest.raises(ValueError, match="Invalid n_classes"):
        data.spirals(10, n_classes=1)


# --- loss surfaces ------------------------------------------------------------------------------

SURFACES = [
    data.elongated_quadratic(),
    data.elongated_quadratic(a=2.0, b=3.0),
    data.rotated_quadratic(),
    data.rotated_quadratic(a=2.0, b=3.0, angle=30.0),
    data.rosenbrock(),
    data.rosenbrock(a=2.0, b=10.0),
    data.bumpy_quadratic(),
]


@pytest.mark.parametrize("surface", SURFACES, ids=lambda s: s.name)
def test_surface_gradient_matches_numerical(surface, rng):
    (a0, b0), (a1, b1) = surface.bounds
    for _ in range(5):
        w = np.array([rng.uniform(a0, b0), rng.uniform(a1, b1)])
        numeric = numerical_gradient(surface.value, w)
        assert relative_error(surface.grad(w), numeric) < 1e-7


@pytest.mark.parametrize("surface", SURFACES, ids=lambda s: s.name)
def test_surface_minimum_start_and_bounds(surface, rng):
    assert surface.value(surface.minimum) == 0.0
    np.testing.assert_allclose(surface.grad(surface.minimum), 0.0, atol=1e-12)
    (a0, b0), (a1, b1) = surface.bounds
    for point in (surface.minimum, surface.start):
        assert a0 <= point[0] <= b0 and a1 <= point[1] <= b1
    assert surface.value(surface.start) > 0
    # The minimum is lower than every other point of a grid over the box.
    _, _, Z = surface.grid(51)
    assert Z.min() >= 0.0
    with pytest.raises(ValueError):
        surface.minimum[0] = 1.0  # read-only


@pytest.mark.parametrize("surface", SURFACES, ids=lambda s: s.name)
def test_surface_accepts_grids_of_points(surface, rng):
    W = rng.standard_normal((4, 3, 2))
    values = surface.value(W)
    grads = surface.grad(W)
    assert values.shape == (4, 3) and grads.shape == (4, 3, 2)
    for i in range(4):
        for j in range(3):
            assert values[i, j] == pytest.approx(surface.value(W[i, j]), rel=1e-14)
            np.testing.assert_allclose(grads[i, j], surface.grad(W[i, j]), rtol=1e-14)
    assert isinstance(surface.value(W[0, 0]), float)
    assert surface(W[0, 0]) == surface.value(W[0, 0])


def test_surface_grid_for_contour_plots():
    surface = data.rosenbrock()
    W0, W1, Z = surface.grid(n=7)
    assert W0.shape == W1.shape == Z.shape == (7, 7)
    np.testing.assert_allclose(Z, surface.value(np.stack([W0, W1], axis=-1)))
    assert (W0.min(), W0.max()) == surface.bounds[0]


@pytest.mark.parametrize("shape", [(), (3,), (2, 3)])
def test_surface_rejects_wrong_shapes(shape):
    with pytest.raises(ValueError, match=re.escape(f"got shape {shape}")):
        data.rosenbrock().value(np.zeros(shape))
    with pytest.raises(ValueError, match=re.escape(f"got shape {shape}")):
        data.rosenbrock().grad(np.zeros(shape))


def test_surface_float32_stays_float32():
    w = np.ones((5, 2), dtype=np.float32)
    assert data.elongated_quadratic().grad(w).dtype == np.float32


def test_elongated_quadratic_hessian_and_condition_number():
    surface = data.elongated_quadratic(a=1.0, b=25.0)
    w = np.array([0.3, -0.7])
    H = np.stack([numerical_gradient(lambda v, i=i: surface.grad(v)[i], w) for i in range(2)])
    np.testing.assert_allclose(H, np.diag([1.0, 25.0]), atol=1e-6)
    eig = np.linalg.eigvalsh(H)
    assert eig[-1] / eig[0] == pytest.approx(25.0, rel=1e-6)


def test_rotated_quadratic_is_the_bowl_turned_about_its_minimum():
    bowl, turned = data.elongated_quadratic(a=1.0, b=25.0), data.rotated_quadratic(a=1.0, b=25.0, angle=45.0)
    c, s = np.cos(np.radians(45)), np.sin(np.radians(45))
    rotation = np.array([[c, -s], [s, c]])
    w = np.array([0.3, -0.7])
    assert turned.value(rotation @ w) == pytest.approx(bowl.value(w), rel=1e-12)
    H = np.stack([numerical_gradient(lambda v, i=i: turned.grad(v)[i], w) for i in range(2)])
    np.testing.assert_allclose(np.linalg.eigvalsh(H), [1.0, 25.0], atol=1e-6)  # same curvatures
    assert abs(H[0, 1]) > 1  # but not along the coordinate axes
    with pytest.raises(ValueError, match="Invalid angle"):
        data.rotated_quadratic(angle=float("nan"))


def descend(surface, lr, beta, steps=3000):
    """Heavy-ball gradient descent (beta = 0 is plain GD), written independently here."""
    w, v = np.array(surface.start), np.zeros(2)
    for _ in range(steps):
        v = beta * v + surface.grad(w)
        w = w - lr * v
    return w


def test_bumpy_quadratic_traps_gd_but_not_momentum():
    surface = data.bumpy_quadratic()
    stuck = descend(surface, lr=0.02, beta=0.0)
    assert np.linalg.norm(surface.grad(stuck)) < 1e-8  # a stationary point...
    assert surface.value(stuck) > 0.1  # ...that is not the global minimum
    escaped = descend(surface, lr=0.02, beta=0.9)
    np.testing.assert_allclose(escaped, surface.minimum, atol=1e-6)


def test_surface_bad_parameters():
    with pytest.raises(ValueError, match="Invalid b"):
        data.elongated_quadratic(b=0.0)
    with pytest.raises(ValueError, match="Invalid a"):
        data.rosenbrock(a=-1.0)
    with pytest.raises(ValueError, match="Invalid amplitude"):
        data.bumpy_quadratic(amplitude=-0.1)


# --- train/validation/test split ---------------------------------------------------------------


def test_split_sizes_disjoint_and_aligned():
    n = 101
    X = np.arange(n * 2).reshape(n, 2)
    y = np.arange(n) * 10
    X_tr, X_val, X_te, y_tr, y_val, y_te = data.train_val_test_split(
        X, y, val_size=0.2, test_size=0.1, rng=0
    )
    assert (len(X_val), len(X_te)) == (int(np.ceil(0.2 * n)), int(np.ceil(0.1 * n)))
    assert len(X_tr) + len(X_val) + len(X_te) == n
    rows = np.concatenate([X_tr[:, 0], X_val[:, 0], X_te[:, 0]]) // 2
    np.testing.assert_array_equal(np.sort(rows), np.arange(n))  # a partition of the rows
    for Xp, yp in ((X_tr, y_tr), (X_val, y_val), (X_te, y_te)):
        np.testing.assert_array_equal(Xp[:, 0] // 2 * 10, yp)  # rows stay paired
    assert X_tr.dtype == X.dtype and y_tr.dtype == y.dtype


def test_split_is_deterministic_and_shuffled():
    X, y = np.arange(50.0)[:, None], np.arange(50)
    first = data.train_val_test_split(X, y, rng=7)
    second = data.train_val_test_split(X, y, rng=np.random.default_rng(7))
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a, b)
    assert not np.all(np.diff(first[3]) > 0)


def test_stratified_split_keeps_class_proportions():
    X, y = data.load_breast_cancer()  # 212 malignant, 357 benign
    parts = data.train_val_test_split(X, y, val_size=0.15, test_size=0.2, rng=0, stratify=True)
    overall = np.bincount(y) / len(y)
    for y_part in parts[3:]:
        counts = np.bincount(y_part, minlength=2)
        assert np.all(np.abs(counts - overall * len(y_part)) <= 1.0 + 1e-9)


@given(
    labels=hnp.arrays(np.int64, st.integers(20, 80), elements=st.integers(0, 3)),
    seed=st.integers(0, 1000),
)
def test_stratified_split_partitions_every_class(labels, seed):
    X = np.arange(len(labels))
    parts = data.train_val_test_split(X, labels, rng=seed, stratify=True)
    np.testing.assert_array_equal(np.sort(np.concatenate(parts[:3])), X)
    for X_part, y_part in zip(parts[:3], parts[3:], strict=True):
        np.testing.assert_array_equal(labels[X_part], y_part)


def test_split_length_mismatch_names_both_lengths():
    with pytest.raises(ValueError, match=r"len\(X\)=10 and len\(y\)=9"):
        data.train_val_test_split(np.zeros((10, 2)), np.zeros(9))


@pytest.mark.parametrize(
    "val_size, test_size, match",
    [
        (0.0, 0.2, "Invalid val_size"),
        (0.2, 1.0, "Invalid test_size"),
        (0.6, 0.5, "must be < 1"),
    ],
)
def test_split_bad_sizes(val_size, test_size, match):
    with pytest.raises(ValueError, match=match):
        data.train_val_test_split(np.zeros((10, 2)), np.zeros(10), val_size, test_size)


def test_split_too_few_samples():
    with pytest.raises(ValueError, match="too few"):
        data.train_val_test_split(np.zeros((2, 1)), np.zeros(2))


# --- standardization ------------------------------------------------------------------------------


def test_standardize_uses_training_statistics_only(rng):
    X_tr = rng.normal(5.0, 3.0, size=(40, 3))
    X_te = rng.normal(-2.0, 0.5, size=(10, 3))
    Z_tr, Z_te = data.standardize(X_tr, X_te)
    np.testing.assert_allclose(Z_tr.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(Z_tr.std(axis=0), 1.0, rtol=1e-12)
    expected = (X_te - X_tr.mean(axis=0)) / X_tr.std(axis=0)
    np.testing.assert_allclose(Z_te, expected, rtol=1e-12)


def test_constant_columns_are_only_centred():
    X = np.array([[1.0, 0.1, 7.0], [2.0, 0.1, 7.0], [4.0, 0.1, 7.0]])
    scaler = data.Standardizer().fit(X)  # RuntimeWarnings are errors in this test suite
    Z = scaler.transform(X)
    assert np.all(np.isfinite(Z))
    np.testing.assert_array_equal(Z[:, 1:], 0.0)
    np.testing.assert_array_equal(scaler.scale_[1:], 1.0)
    np.testing.assert_allclose(scaler.transform([[0.0, 1.1, 8.0]])[0, 1:], [1.0, 1.0])


def test_standardizer_round_trip_and_dtypes(rng):
    X = rng.standard_normal((20, 4)).astype(np.float32) * 10 + 3
    scaler = data.Standardizer()
    Z = scaler.fit_transform(X)
    assert Z.dtype == np.float32
    np.testing.assert_allclose(scaler.inverse_transform(Z), X, rtol=1e-5)
    assert data.standardize(np.arange(6).reshape(3, 2))[0].dtype == np.float64


def test_standardizer_errors():
    scaler = data.Standardizer()
    with pytest.raises(RuntimeError, match="not fitted"):
        scaler.transform(np.zeros((2, 2)))
    with pytest.raises(ValueError, match=r"got shape \(5,\).*reshape"):
        scaler.fit(np.zeros(5))
    scaler.fit(np.ones((3, 2)))
    with pytest.raises(ValueError, match=r"X has 3 features \(shape \(4, 3\)\).*fitted on 2"):
        scaler.transform(np.zeros((4, 3)))
    with pytest.raises(ValueError, match="no rows"):
        data.Standardizer().fit(np.zeros((0, 2)))


@given(
    X=hnp.arrays(
        np.float64,
        hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=8),
        elements=st.floats(-1e6, 1e6),
    )
)
def test_standardize_never_produces_nan(X):
    (Z,) = data.standardize(X)
    assert Z.shape == X.shape and np.all(np.isfinite(Z))
    np.testing.assert_allclose(Z.mean(axis=0), 0.0, atol=1e-6)


# --- one-hot ----------------------------------------------------------------------------------------


def test_one_hot_rows_of_the_identity():
    y = np.array([2, 0, 1, 2])
    Y = data.one_hot(y)
    assert Y.dtype == np.float64
    np.testing.assert_array_equal(Y, np.eye(3)[y])
    np.testing.assert_array_equal(data.one_hot(y, n_classes=5), np.eye(5)[y])
    assert data.one_hot([], n_classes=3).shape == (0, 3)


@pytest.mark.parametrize(
    "y, n_classes, exc, match",
    [
        ([0, 3], 3, ValueError, r"outside \[0, 3\)"),
        ([0, -1], None, ValueError, "outside"),
        ([0.5, 1.0], None, TypeError, "integer class labels"),
        ([[0, 1]], None, ValueError, r"y must be 1-D; got shape \(1, 2\)"),
        ([0, 1], 0, ValueError, "Invalid n_classes"),
        ([], None, ValueError, "pass n_classes"),
    ],
)
def test_one_hot_validates_labels(y, n_classes, exc, match):
    with pytest.raises(exc, match=match):
        data.one_hot(y, n_classes)
