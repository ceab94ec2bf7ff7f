import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from course_lib.gradcheck import check_gradients, numerical_gradient, relative_error


def test_numerical_gradient_of_quadratic_form(rng):
    A = rng.normal(size=(4, 4))
    x = rng.normal(size=4)
    # f(x) = x^T A x has gradient (A + A^T) x
    g = numerical_gradient(lambda v: v @ A @ v, x)
    np.testing.assert_allclose(g, (A + A.T) @ x, rtol=1e-8)


def test_numerical_gradient_leaves_input_unchanged(rng):
    x = rng.normal(size=(3, 2))
    before = x.copy()
    numerical_gradient(lambda v: np.sum(np.sin(v)), x)
    np.testing.assert_array_equal(x, before)


def test_relative_error_formula():
    a, b = np.array([3.0, 4.0]), np.array([0.0, 0.0])
    assert relative_error(a, b) == 1.0  # ||a|| / (||a|| + 0)
    assert relative_error(b, b) == 0.0  # 0/0 is defined as 0
    assert relative_error(a, a) == 0.0
    c = np.array([3.0, 5.0])
    assert relative_error(a, c) == pytest.approx(1.0 / (5.0 + np.sqrt(34.0)))
    with pytest.raises(ValueError, match=r"\(2,\).*\(3,\)"):
        relative_error(a, np.zeros(3))


@given(arrays(np.float64, 5, elements=st.floats(-10, 10)),
       arrays(np.float64, 5, elements=st.floats(-10, 10)))
def test_relative_error_is_symmetric_and_bounded(a, b):
    e = relative_error(a, b)
    assert 0.0 <= e <= 1.0 + 1e-12
    assert e == pytest.approx(relative_error(b, a))


def test_check_gradients_passes_a_right_and_fails_a_wrong_gradient(rng):
    x = rng.normal(size=(3, 3))
    good = check_gradients(lambda v: np.sum(v**3), x, lambda v: 3 * v**2)
    assert good.passed and good.max_relative_error < 1e-8
    bad = check_gradients(lambda v: np.sum(v**3), x, lambda v: 2 * v**2)  # wrong factor
    assert not bad.passed and bad.max_relative_error > 0.1
    assert "FAIL" in str(bad) and "PASS" in str(good)


def test_check_gradients_names_the_worst_element(rng):
    x = rng.normal(size=(2, 3)) + 3.0
    wrong = 2 * x.copy()
    wrong[1, 2] += 1.0  # a single wrong entry
    report = check_gradients(lambda v: np.sum(v**2), x, wrong)
    assert report.worst_index == (1, 2)


def test_check_gradients_argument_errors():
    with pytest.raises(TypeError, match="analytic gradient"):
        check_gradients(lambda v: float(np.sum(v)), np.zeros(3))
    with pytest.raises(ValueError, match="shape"):
        check_gradients(lambda v: float(np.sum(v)), np.zeros(3), np.zeros(4))
    with pytest.raises(ValueError, match="eps"):
        numerical_gradient(lambda v: 0.0, np.zeros(2), eps=0)
