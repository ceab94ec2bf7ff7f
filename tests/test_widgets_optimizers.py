"""Tests for course_lib.widgets.optimizers: what the optimizers chapter shows its reader.

Each test states what the learner should see at a grid of slider values, with
thresholds derived from the update rules (the elongated quadratic is solved in
closed form) or from an independent reference computation.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from course_lib import data, layers, losses, optim  # noqa: E402
from course_lib.widgets import Explorer  # noqa: E402
from course_lib.widgets import optimizers as wo  # noqa: E402

QUAD = data.elongated_quadratic()  # f = (a w0^2 + b w1^2) / 2 with a = 1, b = 25


def curvatures(surface) -> np.ndarray:
    """Diagonal of the Hessian at the origin, by a difference of gradients (exact for a quadratic)."""
    return np.array([surface.grad(np.eye(2)[i])[i] - surface.grad(np.zeros(2))[i] for i in range(2)])


A, B = curvatures(QUAD)  # 1 and 25
L = max(A, B)  # the largest curvature: GD is stable iff lr < 2 / L


# ------------------------------------------------------------------ gradient descent


@pytest.mark.parametrize("factor", [0.25, 0.5, 0.9, 0.98])
def test_gd_converges_below_two_over_L(factor):
    lr = factor * 2 / L
    t = wo.optimizer_trajectory("GD", "quadratic", lr=lr, n_steps=150)
    k = np.arange(151)[:, None]
    # each coordinate is multiplied by (1 - lr * h) per step
    expected = QUAD.start * (1 - lr * np.array([A, B])) ** k
    np.testing.assert_allclose(t.path, expected, rtol=1e-9, atol=1e-300)
    assert not t.diverged
    assert t.loss[-1] < t.loss[0]


@pytest.mark.parametrize("factor", [1.02, 1.1, 1.5, 3.0])
def test_gd_diverges_above_two_over_L(factor):
    lr = factor * 2 / L
    t = wo.optimizer_trajectory("GD", "quadratic", lr=lr, n_steps=150)
    # |1 - lr * b| > 1: the steep coordinate grows by that factor every step
    assert t.diverged or t.loss[-1] > t.loss[0]
    growth = abs(1 - lr * B)
    assert abs(t.path[-1, 1]) == pytest.approx(abs(QUAD.start[1]) * growth ** (len(t.path) - 1))


@pytest.mark.parametrize("lr", [0.2 / L, 0.5 / L, 0.9 / L])
def test_no_zigzag_below_one_over_L(lr):
    t = wo.optimizer_trajectory("GD", "quadratic", lr=lr, n_steps=30)
    assert np.all(np.sign(t.path[:, 1]) == np.sign(QUAD.start[1]))  # 1 - lr*b > 0


@pytest.mark.parametrize("lr", [1.1 / L, 1.5 / L, 1.9 / L])
def test_zigzag_between_one_and_two_over_L(lr):
    t = wo.optimizer_trajectory("GD", "quadratic", lr=lr, n_steps=30)
    signs = np.sign(t.path[:, 1])
    assert np.all(signs[1:] == -signs[:-1])  # 1 - lr*b < 0 flips w1 at every step


@pytest.mark.parametrize("noise", [0.5, 2.0])
@pytest.mark.parametrize("lr", [0.01, 0.05])
def test_noisy_gd_settles_at_the_predicted_noise_floor(noise, lr):
    # For w <- (1 - lr h) w - lr * sigma * xi, the stationary variance is
    # lr sigma^2 / (h (2 - lr h)), so E[L] = sum_i lr sigma^2 / (2 (2 - lr h_i)).
    predicted = sum(lr * noise**2 / (2 * (2 - lr * h)) for h in (A, B))
    t = wo.optimizer_trajectory("GD", "quadratic", lr=lr, noise=noise, n_steps=20_000, seed=1)
    measured = t.loss[10_000:].mean()
    # Tolerance: the slow coordinate decorrelates in about 1/(lr a (2 - lr a)) <= 51 steps,
    # so 10,000 steps hold >= 196 independent chi-square(1) draws: relative std of the
    # mean <= sqrt(2/196) = 0.10 for that term; 2.5 standard deviations.
    assert measured == pytest.approx(predicted, rel=0.25)


# ------------------------------------------------------------------ momentum


@pytest.mark.parametrize("lr", [0.005, 0.01, 0.02, 0.03])
def test_momentum_reaches_tolerance_in_fewer_steps_than_gd(lr):
    # GD shrinks the flat coordinate by 1 - lr*a per step; heavy ball with beta = 0.9
    # (underdamped for these lr) by sqrt(beta) = 0.949 in every direction. For
    # lr <= 0.03, log(sqrt(beta)) / log(1 - lr a) >= 1.7: momentum needs far fewer steps.
    gd = wo.optimizer_trajectory("GD", "quadratic", lr=lr, n_steps=3000)
    mom = wo.optimizer_trajectory("Momentum", "quadratic", lr=lr, beta=0.9, n_steps=3000)
    n_gd, n_mom = wo.steps_to_tolerance(gd, 1e-6), wo.steps_to_tolerance(mom, 1e-6)
    assert n_gd is not None and n_mom is not None
    assert n_mom < n_gd
    predicted_ratio = np.log(np.sqrt(0.9)) / np.log(1 - lr * A)
    assert n_gd / n_mom > 0.7 * predicted_ratio  # transients cost momentum a few oscillations


def _local_minimum_of_bumps() -> float:
    """The ripple minimum GD falls into: the root of a w + A k sin(k w) in (1.1, 1.5), by bisection.

    With a = 1, A = 0.3, k = 4: the derivative is -0.04 at 1.1 and +1.16 at 1.5, so it
    crosses zero upwards in between (a local minimum; the local maximum is in (1.0, 1.1)).
    """
    lo, hi = 1.1, 1.5
    g = lambda w: w + 0.3 * 4.0 * np.sin(4.0 * w)  # noqa: E731
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if g(mid) < 0 else (lo, mid)
    return (lo + hi) / 2


@pytest.mark.parametrize("lr", [0.01, 0.02, 0.05])
def test_momentum_rolls_over_the_bumps_and_gd_does_not(lr):
    w_star = _local_minimum_of_bumps()
    bumpy = data.bumpy_quadratic()
    gd = wo.optimizer_trajectory("GD", "bumpy", lr=lr, n_steps=2000)
    mom = wo.optimizer_trajectory("Momentum", "bumpy", lr=lr, beta=0.9, n_steps=2000)
    assert gd.path[-1, 0] == pytest.approx(w_star, abs=1e-3)
    assert mom.final_loss < 1e-3 * bumpy.value(np.array([w_star, 0.0]))


def test_nesterov_in_pytorch_form_tracks_the_look_ahead_point():
    # PyTorch's Nesterov iterates are the course notes' look-ahead points theta + beta v.
    lr, beta = 0.01, 0.9
    seed_form = optim.momentum_trajectory(QUAD.grad, QUAD.start, 100, lr=lr, beta=beta,
                                          convention="velocity", nesterov=True)  # fmt: skip
    ours = wo.optimizer_trajectory("Nesterov", "quadratic", lr=lr, beta=beta, n_steps=100)
    look_ahead = seed_form[1:] + beta * np.diff(seed_form, axis=0)
    np.testing.assert_allclose(ours.path[1:], look_ahead, atol=1e-12)


# ------------------------------------------------------------- adaptive methods


@pytest.mark.parametrize("surface", wo.SURFACE_NAMES)
@pytest.mark.parametrize("lr", [1e-3, 1e-2, 0.1])
@pytest.mark.parametrize("beta", [0.0, 0.5, 0.9])
def test_adam_first_step_is_lr_per_coordinate(surface, lr, beta):
    t = wo.optimizer_trajectory("Adam", surface, lr=lr, beta=beta, n_steps=1)
    g = t.grads[0]
    assert np.all(np.abs(g) >= 1)  # so eps / |g| <= 1e-8 below
    # bias correction makes the first step lr * g / (|g| + eps)
    np.testing.assert_allclose(np.abs(t.path[1] - t.path[0]), lr, rtol=1e-7)


@pytest.mark.parametrize("noise", [0.0, 1.0, 3.0])
def test_adagrad_step_sizes_never_grow(noise):
    t = wo.optimizer_trajectory("Adagrad", "quadratic", lr=0.1, noise=noise, n_steps=60)
    eff = t.effective_lr  # lr / (sqrt(sum g^2) + eps), per coordinate
    assert np.all(eff > 0)
    assert np.all(np.diff(eff, axis=0) <= 1e-12 * eff[1:])


@pytest.mark.parametrize("noise", [1.0, 3.0])
def test_adagrad_step_sizes_fall_like_one_over_sqrt_t_under_noise(noise):
    # E[g^2] >= sigma^2 per step, so sum g^2 ~ t sigma^2 and lr_eff <= lr / (sigma sqrt(t)).
    # With t = 4000 the sum of squared noise has relative std sqrt(2/4000) = 2%.
    lr, n = 0.5, 4000
    t = wo.optimizer_trajectory("Adagrad", "quadratic", lr=lr, noise=noise, n_steps=n, seed=2)
    eff = t.effective_lr[-1]
    assert np.all(eff * noise * np.sqrt(n) / lr <= 1.1)


@pytest.mark.parametrize("name", ["GD", "Momentum", "Nesterov"])
def test_gd_and_momentum_do_not_care_about_the_axes(name):
    # Rotating the bowl and the start rotates the path: the loss sequence is unchanged.
    c, s = np.cos(np.radians(45)), np.sin(np.radians(45))
    R = np.array([[c, -s], [s, c]])
    rot = data.rotated_quadratic(A, B, 45.0)
    make = lambda ps: wo.make_optimizer(name, ps, lr=0.02, beta=0.9)  # noqa: E731
    plain = wo.run_optimizer(QUAD, make, n_steps=100)
    turned = wo.run_optimizer(rot, make, n_steps=100, start=R @ QUAD.start)
    np.testing.assert_allclose(turned.loss, plain.loss, rtol=1e-9, atol=1e-14)


@pytest.mark.parametrize(("name", "lr"), [("Adagrad", 1.0), ("RMSprop", 0.1), ("Adam", 0.3)])
def test_adaptive_methods_do_care_about_the_axes(name, lr):
    # Per-coordinate step sizes act like a diagonal preconditioner: it can equalise the
    # curvatures of the axis-aligned bowl (Hessian diag(a, b)) but not of the turned one.
    # At the learning rates of the chapter's figure the turned bowl is solved worse.
    c, s = np.cos(np.radians(45)), np.sin(np.radians(45))
    R = np.array([[c, -s], [s, c]])
    make = lambda ps: wo.make_optimizer(name, ps, lr=lr)  # noqa: E731
    plain = wo.run_optimizer(QUAD, make, n_steps=100)
    turned = wo.run_optimizer(data.rotated_quadratic(A, B, 45.0), make, n_steps=100,
                              start=R @ QUAD.start)  # fmt: skip
    assert np.max(np.abs(turned.loss / plain.loss - 1)) > 0.01  # not rotation invariant
    assert turned.loss[-1] > plain.loss[-1]


@pytest.mark.parametrize("name", wo.OPTIMIZER_NAMES)
@pytest.mark.parametrize("surface", wo.SURFACE_NAMES)
def test_every_optimizer_decreases_every_surface_at_a_small_lr(name, surface):
    t = wo.optimizer_trajectory(name, surface, lr=1e-3, n_steps=150)
    assert not t.diverged and t.loss[-1] < t.loss[0]


def test_gradient_noise_is_reproducible_from_the_seed():
    a = wo.optimizer_trajectory("Adam", "Rosenbrock", lr=0.01, noise=2.0, seed=3)
    b = wo.optimizer_trajectory("Adam", "Rosenbrock", lr=0.01, noise=2.0, seed=3)
    np.testing.assert_array_equal(a.path, b.path)


@pytest.mark.parametrize("variant", ["adam", "no_correction", "no_m_correction", "notes"])
def test_adam_step_sizes_match_the_recursions(variant):
    # Reference: run the moment recursions on a constant gradient g = 1 (eps = 0).
    b1, b2 = 0.9, 0.999
    beta_v = b1 if variant == "notes" else b2
    m = v = 0.0
    ref = []
    for t in range(1, 31):
        m = b1 * m + (1 - b1)
        v = beta_v * v + (1 - beta_v)
        m_hat = m / (1 - b1**t) if variant == "adam" else m
        v_hat = v / (1 - b2**t) if variant in ("adam", "no_m_correction") else v
        ref.append(m_hat / np.sqrt(v_hat))
    np.testing.assert_allclose(wo.adam_step_sizes(30, variant=variant), ref, rtol=1e-12)


def test_adam_step_sizes_agree_with_optim_adam():
    p = layers.Parameter(np.zeros(3))
    opt = optim.Adam([p], lr=0.1, eps=0.0)
    steps = []
    for _ in range(20):
        before = p.data.copy()
        p.grad = np.array([2.0, -0.5, 7.0])
        opt.step()
        steps.append(np.abs(p.data - before) / 0.1)
    np.testing.assert_allclose(np.array(steps), np.broadcast_to(
        wo.adam_step_sizes(20)[:, None], (20, 3)), rtol=1e-12)  # fmt: skip


# ------------------------------------------------------------------ line search


def test_exact_line_search_minimises_along_the_line_and_turns_at_right_angles():
    t = wo.exact_line_search_quadratic(QUAD, 20)
    for x, x_next, g in zip(t.path[:-1], t.path[1:], t.grads, strict=False):
        alpha = np.linalg.norm(x - x_next) / np.linalg.norm(g)
        for da in (-1e-3, 1e-3):
            assert QUAD.value(x_next) <= QUAD.value(x - alpha * (1 + da) * g)
    g = t.grads
    cos = np.sum(g[1:] * g[:-1], axis=1) / (np.linalg.norm(g[1:], axis=1) * np.linalg.norm(g[:-1], axis=1))
    np.testing.assert_allclose(cos, 0.0, atol=1e-9)  # successive gradients are orthogonal


# ---------------------------------------------------------------- mini-batches


def _small_classification(rng, n=120, d=4, k=3):
    X = rng.normal(size=(n, d))
    y = rng.integers(0, k, size=n)
    return X, y


def test_per_example_gradients_average_to_the_full_batch_gradient(rng):
    X, y = _small_classification(rng)
    model = layers.Linear(4, 3, rng=0)
    loss = losses.CrossEntropyLoss()
    G = wo.per_example_gradients(model, loss, X, y)
    loss.forward(model.forward(X), y)
    model.backward(loss.backward())
    full = np.concatenate([p.grad.ravel() for p in model.parameters()])
    assert G.shape == (120, 15)
    np.testing.assert_allclose(G.mean(axis=0), full, atol=1e-14)


@pytest.mark.parametrize("n_draws", [2000])
def test_batch_gradient_error_matches_the_sampling_formula(rng, n_draws):
    G = rng.normal(size=(200, 5)) * np.array([1.0, 2.0, 0.5, 3.0, 1.0]) + 0.3
    r = wo.batch_gradient_error(G, [1, 4, 16, 64, 150, 200], n_draws, np.random.default_rng(0))
    # The mean of n_draws squared errors has relative std <= sqrt(2 / n_draws) = 0.032
    # (the chi-square bound for one dominant direction); 4 standard deviations.
    np.testing.assert_allclose(r.measured[:-1], r.predicted[:-1], rtol=4 * np.sqrt(2 / n_draws))
    assert r.predicted[-1] == 0.0 and r.measured[-1] == pytest.approx(0.0, abs=1e-25)
    assert np.all(np.diff(r.measured) < 0)  # bigger batch, smaller error


def test_full_batch_run_decreases_monotonically_below_two_over_L(rng):
    # The Hessian of the mean cross-entropy of a linear model is bounded by
    # (1/2) * lambda_max(X1^T X1 / n) (X1 = X with a column of ones, the bias), so
    # every lr < 2/L = 4 / lambda_max gives a monotone decrease (descent lemma).
    X, y = _small_classification(rng)
    X1 = np.c_[X, np.ones(len(X))]
    lam = np.linalg.eigvalsh(X1.T @ X1 / len(X)).max()
    lr = 0.9 * 4 / lam
    full, small = wo.minibatch_runs(X, y, [None, 8], lr=lr, epochs=15, seed=0)
    assert np.all(np.diff(full.loss) < 0)
    assert full.updates[-1] == 15 and small.updates[-1] == 15 * 15  # ceil(120 / 8) = 15
    assert full.examples[-1] == small.examples[-1] == 15 * 120
    np.testing.assert_allclose(full.epochs, np.arange(16))


# ------------------------------------------------------------------ bad input


def test_unknown_names_raise():
    with pytest.raises(ValueError, match="Unknown optimizer"):
        wo.make_optimizer("LBFGS", [layers.Parameter(np.zeros(2))], lr=0.1)
    with pytest.raises(ValueError, match="Unknown surface"):
        wo.make_surface("saddle")
    with pytest.raises(ValueError, match="noise > 0 needs an rng"):
        wo.run_optimizer(QUAD, lambda ps: optim.SGD(ps, lr=0.1), n_steps=3, noise=1.0)


# ------------------------------------------------------------------ the explorer


def test_explorer_draws_at_default_values_and_as_small_multiples():
    explorer = wo.optimizer_explorer()
    assert isinstance(explorer, Explorer)
    fig = explorer.figure()
    assert fig.axes and fig.axes[0].get_title().startswith("GD")
    plt.close(fig)
    fig = explorer.small_multiples("lr", [0.03, 0.07, 0.079, 0.085])
    assert len([ax for ax in fig.axes if ax.get_visible()]) == 4
    plt.close(fig)
    fig = explorer.small_multiples("optimizer", list(wo.OPTIMIZER_NAMES))
    plt.close(fig)
    explorer.widget()  # builds the ipywidgets tree without a kernel


def test_explorer_compute_is_fast_at_defaults():
    import time

    explorer = wo.optimizer_explorer()
    explorer.result()
    start = time.perf_counter()
    explorer.result()
    assert time.perf_counter() - start < 0.1  # ~5 ms on one core: generous for slow CI
