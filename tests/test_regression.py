"""Tests for course_lib.regression: closed form, gradient descent, estimators."""

import re
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sklearn.linear_model import LogisticRegression as SkLogisticRegression
from sklearn.linear_model import Ridge as SkRidge
from sklearn.metrics import r2_score

from course_lib import data
from course_lib.gradcheck import numerical_gradient, relative_error
from course_lib.regression import (
    DIVERGENCE_FACTOR,
    LinearRegression,
    LogisticRegression,
    linear_regression_gd,
    logistic_regression_gd,
    normal_equation,
    polynomial_features,
    with_intercept,
)
from course_lib.training import DivergenceWarning

# Three weakly correlated features of the breast cancer data whose classes are NOT
# linearly separable, so unregularized logistic regression has a unique, finite
# minimiser. (With all 30 standardized features the classes are separable and the
# unregularized "solution" is at infinity; see test_unregularized_all_features_...)
BC_FEATURES = ("mean texture", "worst area", "worst concave points")


def with_ones(X):
    return np.hstack([np.ones((X.shape[0], 1)), X])


@pytest.fixture(scope="module")
def diabetes():
    X, y = data.load_diabetes()
    return X, y


@pytest.fixture(scope="module")
def diabetes_std(diabetes):
    X, y = diabetes
    (Xs,) = data.standardize(X)
    return with_ones(Xs), y


@pytest.fixture(scope="module")
def cancer_subset():
    d = data.load_breast_cancer()
    cols = [d.feature_names.index(name) for name in BC_FEATURES]
    return d.X[:, cols], d.y


def mse_objective(theta, X, y, l2=0.0):
    """Independent re-implementation of J for linear_regression_gd."""
    r = X @ theta - y
    return np.mean(r**2) + l2 * np.sum(theta**2) / len(y)


def bce_objective(theta, X, y, l2=0.0):
    """Independent re-implementation of J for logistic_regression_gd."""
    z = X @ theta
    return np.mean(np.logaddexp(0.0, z) - y * z) + 0.5 * l2 * np.sum(theta**2) / len(y)


# --- normal equation -------------------------------------------------------------------


def test_normal_equation_matches_lstsq_on_diabetes(diabetes):
    X, y = diabetes
    A = with_ones(X)  # raw units: cond(A) ~ 7e3, so cond(A^T A) ~ 5e7
    expected = np.linalg.lstsq(A, y, rcond=None)[0]
    np.testing.assert_allclose(normal_equation(A, y), expected, rtol=1e-8, atol=1e-8)


@pytest.mark.parametrize("l2", [0.1, 10.0, 1000.0])
def test_ridge_matches_augmented_lstsq(diabetes_std, l2):
    # min |A t - y|^2 + l2 |t|^2  ==  min |[A; sqrt(l2) I] t - [y; 0]|^2
    A, y = diabetes_std
    d = A.shape[1]
    A_aug = np.vstack([A, np.sqrt(l2) * np.eye(d)])
    y_aug = np.r_[y, np.zeros(d)]
    expected = np.linalg.lstsq(A_aug, y_aug, rcond=None)[0]
    np.testing.assert_allclose(normal_equation(A, y, l2=l2), expected, rtol=1e-10, atol=1e-10)


def test_ridge_matches_sklearn_ridge_without_intercept(diabetes_std):
    A, y = diabetes_std
    sk = SkRidge(alpha=3.0, fit_intercept=False, solver="cholesky").fit(A, y)
    np.testing.assert_allclose(normal_equation(A, y, l2=3.0), sk.coef_, rtol=1e-10)


def test_normal_equation_multiple_targets(diabetes_std, rng):
    A, y = diabetes_std
    Y = np.stack([y, rng.standard_normal(len(y))], axis=1)
    theta = normal_equation(A, Y, l2=1.0)
    assert theta.shape == (A.shape[1], 2)
    for k in range(2):
        np.testing.assert_allclose(theta[:, k], normal_equation(A, Y[:, k], l2=1.0), rtol=1e-12)


def test_normal_equation_singular_raises_and_l2_fixes_it(rng):
    x = rng.standard_normal(20)
    X = np.stack([x, np.zeros(20)], axis=1)  # an all-zero column: X^T X is exactly singular
    y = rng.standard_normal(20)
    with pytest.raises(np.linalg.LinAlgError, match="l2 > 0"):
        normal_equation(X, y)
    theta = normal_equation(X, y, l2=1.0)
    assert np.all(np.isfinite(theta))


def test_normal_equation_float32_stays_float32(diabetes_std):
    A, y = diabetes_std
    theta = normal_equation(A.astype(np.float32), y.astype(np.float32))
    assert theta.dtype == np.float32
    np.testing.assert_allclose(theta, normal_equation(A, y), rtol=1e-3, atol=1e-2)


@given(
    n=st.integers(5, 30),
    d=st.integers(1, 5),
    l2=st.floats(0.01, 100.0),
    seed=st.integers(0, 2**32 - 1),
)
def test_normal_equation_zeroes_the_gradient(n, d, l2, seed):
    gen = np.random.default_rng(seed)
    X, y = gen.standard_normal((n, d)), gen.standard_normal(n)
    theta = normal_equation(X, y, l2=l2)
    gradient = X.T @ (X @ theta - y) + l2 * theta
    scale = np.linalg.norm(X.T @ y) + 1.0
    assert np.linalg.norm(gradient) <= 1e-9 * scale


def test_normal_equation_bad_shapes():
    with pytest.raises(ValueError, match=r"X must be 2-D; got shape \(5,\)"):
        normal_equation(np.ones(5), np.ones(5))
    with pytest.raises(ValueError, match=r"X.shape=\(5, 2\).*y.shape=\(4,\)"):
        normal_equation(np.ones((5, 2)), np.ones(4))
    with pytest.raises(ValueError, match="Invalid l2"):
        normal_equation(np.ones((5, 2)), np.ones(5), l2=-1.0)


# --- polynomial features -------------------------------------------------------------


@pytest.mark.parametrize("degree", [0, 1, 3, 7])
def test_polynomial_features_columns_are_powers(rng, degree):
    x = rng.uniform(-2, 2, size=11)
    P = polynomial_features(x, degree)
    assert P.shape == (11, degree + 1)
    expected = np.stack([x**k for k in range(degree + 1)], axis=1)
    np.testing.assert_allclose(P, expected, rtol=1e-13)
    np.testing.assert_array_equal(polynomial_features(x[:, None], degree), P)
    if degree > 0:
        np.testing.assert_array_equal(polynomial_features(x, degree, include_bias=False), P[:, 1:])


def test_polynomial_features_dtypes():
    assert polynomial_features(np.arange(4), 2).dtype == np.float64
    assert polynomial_features(np.arange(4, dtype=np.float32), 2).dtype == np.float32


def test_with_intercept():
    np.testing.assert_array_equal(with_intercept(np.array([2.0, 3.0])), [[1, 2], [1, 3]])
    assert with_intercept(np.zeros((4, 3))).shape == (4, 4)
    assert with_intercept(np.zeros((4, 3), dtype=np.float32)).dtype == np.float32
    assert with_intercept([1, 2]).dtype == np.float64
    with pytest.raises(ValueError, match=r"F must be 1-D or 2-D; got shape \(2, 2, 2\)"):
        with_intercept(np.zeros((2, 2, 2)))


def test_polynomial_features_bad_degree():
    with pytest.raises(ValueError, match="Invalid degree: -1"):
        polynomial_features(np.ones(3), -1)


@pytest.mark.parametrize("degree", [1.5, True, "2"])
def test_polynomial_features_degree_of_the_wrong_type(degree):
    with pytest.raises(TypeError, match="degree must be an int"):
        polynomial_features(np.ones(3), degree)


def test_polynomial_features_bad_shapes():
    with pytest.raises(ValueError, match=r"got shape \(4, 2\)"):
        polynomial_features(np.ones((4, 2)), 2)
    with pytest.raises(ValueError, match=r"got shape \(2, 2, 1\)"):
        polynomial_features(np.ones((2, 2, 1)), 2)
    with pytest.raises(ValueError, match="no columns"):
        polynomial_features(np.ones(3), 0, include_bias=False)


def test_polynomial_regression_recovers_noise_free_coefficients():
    coefs = np.array([1.0, -3.0, 0.0, 1.0])
    X, y = data.noisy_polynomial(40, coefs=coefs, noise=0.0, rng=0)
    theta = normal_equation(polynomial_features(X, 3), y)
    np.testing.assert_allclose(theta, coefs, atol=1e-9)
    model = LinearRegression().fit(polynomial_features(X, 3, include_bias=False), y)
    np.testing.assert_allclose(np.r_[model.intercept_, model.coef_], coefs, atol=1e-9)


# --- gradient descent: gradients -------------------------------------------------------


@pytest.mark.parametrize("l2", [0.0, 2.5])
def test_linear_gd_gradient_and_loss_match_numerical(rng, l2):
    X, y = rng.standard_normal((15, 4)), rng.standard_normal(15)
    theta0 = rng.standard_normal(4)
    # One step with lr = 1 gives theta1 = theta0 - grad J(theta0).
    theta1, history = linear_regression_gd(X, y, lr=1.0, n_iter=1, theta0=theta0, l2=l2)
    analytic = theta0 - theta1
    numeric = numerical_gradient(lambda t: mse_objective(t, X, y, l2), theta0)
    assert relative_error(analytic, numeric) < 1e-7
    assert history[0] == pytest.approx(mse_objective(theta0, X, y, l2), rel=1e-12)
    assert history[1] == pytest.approx(mse_objective(theta1, X, y, l2), rel=1e-12)


@pytest.mark.parametrize("l2", [0.0, 2.5])
def test_logistic_gd_gradient_and_loss_match_numerical(rng, l2):
    X = rng.standard_normal((15, 4))
    y = (rng.random(15) < 0.5).astype(float)
    theta0 = rng.standard_normal(4)
    theta1, history = logistic_regression_gd(X, y, lr=1.0, n_iter=1, theta0=theta0, l2=l2)
    analytic = theta0 - theta1
    numeric = numerical_gradient(lambda t: bce_objective(t, X, y, l2), theta0)
    assert relative_error(analytic, numeric) < 1e-7
    assert history[0] == pytest.approx(bce_objective(theta0, X, y, l2), rel=1e-12)


def test_gd_does_not_modify_theta0(rng):
    X, y = rng.standard_normal((10, 3)), rng.standard_normal(10)
    theta0 = np.ones(3)
    linear_regression_gd(X, y, lr=0.1, n_iter=5, theta0=theta0)
    np.testing.assert_array_equal(theta0, np.ones(3))


# --- gradient descent: convergence -------------------------------------------------------


@pytest.mark.parametrize("l2", [0.0, 10.0])
def test_linear_gd_converges_to_normal_equation(diabetes_std, l2):
    A, y = diabetes_std
    theta, history = linear_regression_gd(A, y, lr=0.2, n_iter=20000, l2=l2)
    np.testing.assert_allclose(theta, normal_equation(A, y, l2=l2), rtol=1e-8, atol=1e-8)
    assert history.shape == (20001,)
    assert history[0] == pytest.approx(np.mean(y**2))  # theta0 = 0
    # Below the stability bound the loss of a quadratic never goes up.
    assert np.all(np.diff(history) <= 1e-9 * history[0])


def test_linear_gd_float32_stays_float32(diabetes_std):
    A, y = diabetes_std
    theta, _ = linear_regression_gd(A.astype(np.float32), y.astype(np.float32), 0.1, 10)
    assert theta.dtype == np.float32


def test_linear_regression_estimators_agree_with_sklearn_ridge(diabetes):
    X, y = diabetes
    (Xs,) = data.standardize(X)
    sk = SkRidge(alpha=5.0).fit(Xs, y)  # sklearn does not penalise the intercept either
    closed = LinearRegression(l2=5.0).fit(Xs, y)
    gd = LinearRegression(l2=5.0, solver="gd", lr=0.2, n_iter=20000).fit(Xs, y)
    for model in (closed, gd):
        np.testing.assert_allclose(model.coef_, sk.coef_, rtol=1e-7, atol=1e-7)
        assert model.intercept_ == pytest.approx(sk.intercept_, rel=1e-9)
    assert closed.loss_history_ is None
    assert gd.loss_history_.shape == (20001,)
    assert closed.score(Xs, y) == pytest.approx(r2_score(y, sk.predict(Xs)), rel=1e-9)


def test_unpenalised_intercept_matches_augmented_lstsq(diabetes):
    # min |y - b - Xw|^2 + l2 |w|^2: augment with sqrt(l2) I under w only.
    X, y = diabetes
    (Xs,) = data.standardize(X)
    l2, d = 50.0, Xs.shape[1]
    A_aug = np.vstack([with_ones(Xs), np.hstack([np.zeros((d, 1)), np.sqrt(l2) * np.eye(d)])])
    expected = np.linalg.lstsq(A_aug, np.r_[y, np.zeros(d)], rcond=None)[0]
    model = LinearRegression(l2=l2).fit(Xs, y)
    np.testing.assert_allclose(np.r_[model.intercept_, model.coef_], expected, rtol=1e-9)


def test_linear_regression_without_intercept(diabetes_std):
    A, y = diabetes_std
    model = LinearRegression(fit_intercept=False, l2=2.0).fit(A, y)
    assert model.intercept_ == 0.0
    np.testing.assert_allclose(model.coef_, normal_equation(A, y, l2=2.0))
    np.testing.assert_allclose(model.predict(A), A @ model.coef_)


# --- divergence ----------------------------------------------------------------------------


def stability_bound(A, l2=0.0):
    """GD on (1/n)|A t - y|^2 + (l2/n)|t|^2 converges iff lr < n / lambda_max(A^T A + l2 I)."""
    return A.shape[0] / np.linalg.eigvalsh(A.T @ A + l2 * np.eye(A.shape[1]))[-1]


def test_too_large_lr_warns_and_returns_finite_history(diabetes_std):
    A, y = diabetes_std
    lr = 2.0 * stability_bound(A)
    with pytest.warns(DivergenceWarning, match=f"lr={lr}"):
        theta, history = linear_regression_gd(A, y, lr=lr, n_iter=1000)
    assert np.all(np.isfinite(theta)) and np.all(np.isfinite(history))
    assert 2 <= len(history) < 1001
    assert history[-1] > history[0]  # it went the wrong way...
    assert history[-1] <= DIVERGENCE_FACTOR * history[0]  # ...and stopped at the threshold
    # The returned theta is the one whose loss was recorded last.
    assert mse_objective(theta, A, y) == pytest.approx(history[-1], rel=1e-9)


def test_overflow_to_inf_is_caught_without_runtime_warning(diabetes):
    X, y = diabetes  # raw units and an absurd step: X @ theta overflows
    with pytest.warns(DivergenceWarning, match=re.escape("lr=1e+200")):
        theta, history = linear_regression_gd(with_ones(X), y, lr=1e200, n_iter=50)
    assert len(history) == 1 and np.all(np.isfinite(theta))


def test_stability_bound_is_sharp(diabetes_std):
    A, y = diabetes_std
    bound = stability_bound(A)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DivergenceWarning)
        linear_regression_gd(A, y, lr=0.99 * bound, n_iter=3000)
    with pytest.warns(DivergenceWarning, match=f"lr < {bound:.3g}"):
        linear_regression_gd(A, y, lr=1.01 * bound, n_iter=3000)


def test_estimator_divergence_warns(diabetes):
    X, y = diabetes
    with pytest.warns(DivergenceWarning):
        model = LinearRegression(solver="gd", lr=1.0, n_iter=100).fit(X, y)
    assert np.all(np.isfinite(model.coef_))


# --- logistic regression against scikit-learn ------------------------------------------------


def sklearn_unregularized(X, y):
    # scikit-learn 1.8+ deprecates penalty=None; C=np.inf is the unpenalised fit.
    return SkLogisticRegression(C=np.inf, max_iter=10_000, tol=1e-12).fit(X, y)


def test_logistic_matches_sklearn_unregularized_on_all_samples(cancer_subset):
    X, y = cancer_subset
    (Xs,) = data.standardize(X)
    ours = LogisticRegression(lr=2.0, n_iter=5000).fit(Xs, y)
    sk = sklearn_unregularized(Xs, y)
    assert abs(ours.score(Xs, y) - sk.score(Xs, y)) <= 1e-3
    np.testing.assert_array_equal(ours.predict(Xs), sk.predict(Xs))
    np.testing.assert_allclose(ours.predict_proba(Xs), sk.predict_proba(Xs), atol=1e-6)
    np.testing.assert_allclose(ours.coef_, sk.coef_[0], rtol=1e-5)
    assert ours.intercept_ == pytest.approx(sk.intercept_[0], rel=1e-5)


def test_logistic_matches_sklearn_unregularized_on_held_out_data(cancer_subset):
    X, y = cancer_subset
    X_tr, X_val, X_te, y_tr, y_val, y_te = data.train_val_test_split(
        X, y, val_size=0.15, test_size=0.25, rng=0, stratify=True
    )
    X_tr, X_te = data.standardize(X_tr, X_te)
    ours = LogisticRegression(lr=2.0, n_iter=5000).fit(X_tr, y_tr)
    sk = sklearn_unregularized(X_tr, y_tr)
    assert abs(ours.score(X_te, y_te) - sk.score(X_te, y_te)) <= 1e-3
    np.testing.assert_array_equal(ours.predict(X_te), sk.predict(X_te))
    np.testing.assert_allclose(ours.predict_proba(X_te), sk.predict_proba(X_te), atol=1e-6)


def test_logistic_matches_sklearn_with_l2_on_all_features():
    X, y = data.load_breast_cancer()
    (Xs,) = data.standardize(X)
    ours = LogisticRegression(l2=1.0, lr=2.0, n_iter=5000).fit(Xs, y)
    sk = SkLogisticRegression(C=1.0, max_iter=10_000, tol=1e-12).fit(Xs, y)
    np.testing.assert_allclose(ours.coef_, sk.coef_[0], atol=1e-4)
    np.testing.assert_allclose(ours.predict_proba(Xs), sk.predict_proba(Xs), atol=1e-5)
    assert ours.score(Xs, y) == sk.score(Xs, y)


def test_unregularized_all_features_has_no_finite_minimiser():
    # The 30 standardized features separate the classes, so the loss keeps falling
    # while |theta| grows: there is nothing finite for two solvers to agree on.
    X, y = data.load_breast_cancer()
    (Xs,) = data.standardize(X)
    short = LogisticRegression(lr=1.0, n_iter=500).fit(Xs, y)
    long = LogisticRegression(lr=1.0, n_iter=5000).fit(Xs, y)
    assert np.all(np.diff(long.loss_history_) < 0)
    assert np.linalg.norm(long.coef_) > 1.5 * np.linalg.norm(short.coef_)
    assert long.score(Xs, y) >= 0.99


def test_logistic_gd_function_equals_estimator_with_ones_column(cancer_subset):
    X, y = cancer_subset
    (Xs,) = data.standardize(X)
    theta, history = logistic_regression_gd(with_ones(Xs), y, lr=1.0, n_iter=200)
    model = LogisticRegression(lr=1.0, n_iter=200).fit(Xs, y)
    np.testing.assert_allclose(np.r_[model.intercept_, model.coef_], theta, rtol=1e-12)
    np.testing.assert_allclose(model.loss_history_, history, rtol=1e-12)
    assert history[0] == pytest.approx(np.log(2.0))


# --- estimator API -------------------------------------------------------------------------


def test_logistic_predictions_are_consistent(cancer_subset):
    X, y = cancer_subset
    (Xs,) = data.standardize(X)
    model = LogisticRegression(lr=1.0, n_iter=300).fit(Xs, y)
    proba = model.predict_proba(Xs)
    assert proba.shape == (len(y), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(model.predict(Xs), (proba[:, 1] > 0.5).astype(int))
    assert model.predict(Xs).dtype == np.int64
    assert model.score(Xs, y) == np.mean(model.predict(Xs) == y)
    np.testing.assert_array_equal(model.classes_, [0, 1])


def test_fit_returns_self_and_unfitted_raises(rng):
    X, y = rng.standard_normal((8, 2)), rng.standard_normal(8)
    model = LinearRegression()
    with pytest.raises(RuntimeError, match="not fitted"):
        model.predict(X)
    assert model.fit(X, y) is model
    with pytest.raises(ValueError, match=r"3 features \(shape \(8, 3\)\).*fitted on 2"):
        model.predict(np.ones((8, 3)))


def test_logistic_rejects_non_binary_labels(rng):
    X = rng.standard_normal((6, 2))
    with pytest.raises(ValueError, match="binary labels 0 and 1"):
        LogisticRegression().fit(X, np.array([0, 1, 2, 0, 1, 2]))
    with pytest.raises(ValueError, match="binary labels 0 and 1"):
        LogisticRegression().fit(X, np.array([-1, 1, -1, 1, -1, 1]))


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"lr": -1.0}, "Invalid learning rate: -1.0"),
        ({"lr": float("nan")}, "Invalid learning rate: nan"),
        ({"l2": -0.1}, "Invalid l2"),
        ({"n_iter": -1}, "Invalid n_iter"),
        ({"solver": "sgd"}, "Invalid solver"),
    ],
)
def test_linear_regression_bad_hyperparameters(kwargs, match):
    with pytest.raises(ValueError, match=match):
        LinearRegression(**kwargs)


def test_linear_regression_n_iter_of_the_wrong_type():
    with pytest.raises(TypeError, match="n_iter must be an int; got float: 2.5"):
        LinearRegression(n_iter=2.5)


def test_gd_functions_validate_inputs(rng):
    X, y = rng.standard_normal((5, 2)), rng.standard_normal(5)
    with pytest.raises(ValueError, match="Invalid learning rate: -0.1"):
        linear_regression_gd(X, y, lr=-0.1, n_iter=3)
    with pytest.raises(ValueError, match=r"theta0 must have shape \(2,\).*got shape \(3,\)"):
        linear_regression_gd(X, y, lr=0.1, n_iter=3, theta0=np.zeros(3))
    with pytest.raises(ValueError, match=r"y must be 1-D; got shape \(5, 1\)"):
        logistic_regression_gd(X, np.zeros((5, 1)), lr=0.1, n_iter=3)
    with pytest.raises(ValueError, match=r"target must lie in \[0.0, 1.0\]"):
        logistic_regression_gd(X, np.full(5, 2.0), lr=0.1, n_iter=3)


@pytest.mark.parametrize("gd", [linear_regression_gd, logistic_regression_gd])
def test_zero_learning_rate_is_allowed_and_moves_nothing(rng, gd):
    # The package's one rule (as torch.optim's): lr >= 0, and lr = 0 is a step of length 0.
    X, y = rng.standard_normal((6, 2)), (rng.standard_normal(6) > 0).astype(float)
    theta, history = gd(X, y, lr=0.0, n_iter=4, theta0=np.ones(2))
    np.testing.assert_array_equal(theta, np.ones(2))
    assert len(history) == 5 and np.all(history == history[0])
    LinearRegression(lr=0.0)  # accepted as well


@pytest.mark.parametrize("where", ["X", "y"])
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_data_is_rejected_by_every_regression_entry_point(rng, where, bad):
    X, y = rng.standard_normal((6, 2)), rng.standard_normal(6)
    (X if where == "X" else y).flat[4] = bad  # X[2, 0], or y[4]
    match = rf"{where} holds 1 nan or inf value\(s\) \(the first at index \({2 if where == 'X' else 4}"
    for call in (lambda: normal_equation(X, y), lambda: normal_equation(X, y, l2=1.0),
                 lambda: linear_regression_gd(X, y, lr=0.1, n_iter=3),
                 lambda: LinearRegression().fit(X, y)):  # fmt: skip
        with pytest.raises(ValueError, match=match):
            call()


def test_zero_iterations_returns_start(rng):
    X, y = rng.standard_normal((5, 2)), rng.standard_normal(5)
    theta, history = linear_regression_gd(X, y, lr=0.1, n_iter=0, theta0=np.ones(2))
    np.testing.assert_array_equal(theta, np.ones(2))
    assert history.shape == (1,)
