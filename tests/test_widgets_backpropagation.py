"""Tests of the chapter-4 explorers: what the learner should see, over a grid of slider values.

The networks of :func:`gradient_flow` have square hidden layers of width 64, a
batch of 64 standard-normal inputs and random targets; each figure averages 8
random networks (a geometric mean, as on the figure's log scale).
"""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

from course_lib import autodiff, layers
from course_lib.plots import backpropagation as bp_plots
from course_lib.widgets import Explorer
from course_lib.widgets import backpropagation as bp

DEPTHS = (2, 3, 4, 6, 8, 10, 12, 15, 20)  # the depth slider runs from 2 to 20
N_SAMPLES = 64  # gradient_flow's default batch


@pytest.fixture(scope="module")
def flows():
    """gradient_flow at the recommended init for every activation and depth of the grid."""
    return {(act, d): bp.gradient_flow(act, d) for act in bp.ACTIVATIONS for d in DEPTHS}


# --- vanishing gradients through sigmoid layers ---------------------------------------


def test_sigmoid_first_layer_gradient_shrinks_relative_to_last_as_depth_grows(flows):
    ratios = [flows["sigmoid", d].first_to_last for d in DEPTHS]
    assert all(b < a for a, b in zip(ratios, ratios[1:], strict=False)), ratios
    # Going back through one sigmoid layer multiplies the signal by W^T diag(σ'), whose
    # norm is at most ||W||_2 · max σ' ≈ 2 · 1/4 = 1/2 (the largest singular value of a
    # square Xavier matrix, entries of variance 1/width, is ≈ 2). So the first layer's
    # gradient is below the last one's by at least 2^(depth-1), up to O(1) factors.
    for d, r in zip(DEPTHS, ratios, strict=True):
        assert r < 0.5 ** (d - 1), (d, r)


def test_sigmoid_backpropagated_signal_obeys_the_spectral_norm_bound():
    # A theorem, per network: ||δ_{l-1}|| = ||(δ_l W_l) ⊙ σ'(Z_{l-1})|| <= ||W_l||_2/4 · ||δ_l||.
    for d in (2, 5, 10, 20):
        result = bp.gradient_flow("sigmoid", d)
        _, _, nets = bp.gradient_flow_problem("sigmoid", d)
        for k, net in enumerate(nets):
            spectral = [np.linalg.norm(net[2 * i].weight.data, 2) for i in range(1, d)]
            bound = np.prod(np.array(spectral) / 4)
            ratio = result.delta_norms[k, 0] / result.delta_norms[k, -1]
            assert ratio <= bound * (1 + 1e-12), (d, k, ratio, bound)


def test_sigmoid_vanishes_faster_than_tanh_and_relu(flows):
    # max σ' = 1/4 while max tanh' = max relu' = 1.
    for d in DEPTHS[1:]:
        sig = flows["sigmoid", d].first_to_last
        assert sig < flows["tanh", d].first_to_last
        assert sig < flows["relu", d].first_to_last


# --- ReLU with He initialisation keeps the gradient's size -----------------------------


@pytest.mark.parametrize("activation", ["relu", "leaky_relu"])
def test_relu_with_he_init_keeps_the_backpropagated_signal_within_a_factor_2(flows, activation):
    # He et al. (2015): with std sqrt(2/fan_in) a ReLU layer preserves E||δ||² exactly.
    # What is left is finite-width noise: over 8 networks the log-ratio has a
    # standard deviation of about 0.4 at depth 20 (see gradient_flow's delta_norms),
    # so about 0.14 for their geometric mean; log 2 = 0.69 is 5 of those.
    for d in DEPTHS:
        r = flows[activation, d].delta_first_to_last
        assert 0.5 < r < 2.0, (d, r)


@pytest.mark.parametrize("activation", ["relu", "leaky_relu"])
def test_relu_with_he_init_keeps_the_weight_gradient_ratio_bounded(flows, activation):
    # dL/dW_l = Σ_i δ_i a_i^T over the batch. The first layer's inputs are independent
    # Gaussians (nearly orthogonal rows), so its sum is incoherent; deeper ReLU
    # activations are positive and correlated, and their sum can be coherent, which
    # (Cauchy-Schwarz) is at most sqrt(n) times larger. With the δ's size preserved,
    # the ratio stays in [1/sqrt(n), 1] up to the factor-2 noise of the test above,
    # for every depth: no exponential trend.
    low, high = 1 / (2 * np.sqrt(N_SAMPLES)), 2.0
    for d in DEPTHS:
        r = flows[activation, d].first_to_last
        assert low < r < high, (d, r)


def test_normal_init_shrinks_relu_activations_by_the_std_ratio_per_layer():
    # N(0, 0.01²) draws the same standard normals as He, scaled by c = 0.01/sqrt(2/64).
    # ReLU is positively homogeneous (relu(c z) = c relu(z)), so layer l's activations
    # are exactly c^l times He's.
    c = 0.01 / np.sqrt(2 / 64)
    for d in (2, 6, 12):
        he, small = bp.gradient_flow("relu", d, "he"), bp.gradient_flow("relu", d, "normal")
        expected = he.activation_rms * c ** np.arange(1, d + 1)
        np.testing.assert_allclose(small.activation_rms, expected, rtol=1e-9)


def test_normal_init_shrinks_relu_weight_gradients_by_about_c_to_the_depth_minus_one():
    # By the same homogeneity, dL/dW_l scales by c^(l-1) (activations below) times
    # c^(depth-l) (weights above): c^(depth-1) in every layer. The only other change
    # is the output residual, out - y with out ≈ 0 instead of O(1): an O(1) factor,
    # allowed here as one decade either way.
    c = 0.01 / np.sqrt(2 / 64)
    for d in DEPTHS:
        he, small = bp.gradient_flow("relu", d, "he"), bp.gradient_flow("relu", d, "normal")
        offset = np.log10(small.typical_weight_grad_norms / he.typical_weight_grad_norms)
        assert np.all(np.abs(offset - (d - 1) * np.log10(c)) < 1.0), (d, offset)


def test_gradient_flow_shapes_and_settings():
    r = bp.gradient_flow("tanh", 5, n_nets=3)
    assert r.weight_grad_norms.shape == r.delta_norms.shape == r.activation_rms.shape == (3, 5)
    assert (r.activation, r.init, r.depth) == ("tanh", "xavier", 5)
    assert bp.gradient_flow("relu", 3).init == "he"


def test_gradient_flow_is_deterministic():
    a, b = bp.gradient_flow("relu", 6), bp.gradient_flow("relu", 6)
    np.testing.assert_array_equal(a.weight_grad_norms, b.weight_grad_norms)


def test_gradient_flow_matches_sequential_backward():
    # The layer-by-layer loop in gradient_flow is the same computation as Sequential.backward.
    from course_lib import losses

    X, y, nets = bp.gradient_flow_problem("sigmoid", 4, n_nets=1)
    net = nets[0]
    loss = losses.MSELoss()
    loss.forward(net.forward(X), y)
    net.backward(loss.backward())
    expected = [np.linalg.norm(net[2 * i].weight.grad) for i in range(4)]
    np.testing.assert_allclose(bp.gradient_flow("sigmoid", 4, n_nets=1).weight_grad_norms[0],
                               expected, rtol=1e-12)


@pytest.mark.parametrize("bad", [dict(activation="softplus"), dict(init="kaiming"),
                                 dict(depth=0)])
def test_bad_settings_raise(bad):
    with pytest.raises(ValueError, match="Invalid"):
        bp.gradient_flow(**{"activation": "relu", "depth": 3, **bad})


def test_build_mlp_structure():
    net = bp.build_mlp("leaky_relu", 3, width=8, rng=0)
    assert len(net) == 7
    assert isinstance(net[1], layers.LeakyReLU) and isinstance(net[-1], layers.Linear)
    assert net(np.ones((2, 8))).shape == (2, 1)


# --- why central differences -----------------------------------------------------------


def _tanh_derivatives(x):
    t = np.tanh(x)
    return 1 - t**2, -2 * t * (1 - t**2), -2 * (1 - t**2) * (1 - 3 * t**2)


def test_forward_difference_error_is_first_order_central_second_order():
    # Taylor: forward error -> |f''(x)| ε/2, central error -> |f'''(x)| ε²/6, as ε -> 0
    # (before rounding, about 1e-16/ε, takes over).
    x, eps = 0.5, np.array([1e-3, 1e-4])
    _, f2, f3 = _tanh_derivatives(x)
    r = bp.finite_difference_errors(np.tanh, lambda z: _tanh_derivatives(z)[0], x, eps)
    np.testing.assert_allclose(r.forward / eps, abs(f2) / 2, rtol=2e-3)
    np.testing.assert_allclose(r.central / eps**2, abs(f3) / 6, rtol=2e-3)


def test_central_difference_reaches_a_smaller_error():
    eps = np.logspace(-12, -1, 45)
    r = bp.finite_difference_errors(np.tanh, lambda z: _tanh_derivatives(z)[0], 0.5, eps)
    # Best achievable: forward ~ sqrt(u) ≈ 1e-8, central ~ u^(2/3) ≈ 1e-11 (u = 2.2e-16).
    assert r.central.min() < 1e-10 < r.forward.min()
    assert eps[np.argmin(r.forward)] < eps[np.argmin(r.central)]


def test_finite_difference_errors_rejects_bad_eps():
    with pytest.raises(ValueError, match="eps"):
        bp.finite_difference_errors(np.tanh, np.cos, 0.0, [1e-3, -1e-3])


# --- the computational graph figure ----------------------------------------------------


def _small_graph():
    w = autodiff.Tensor(0.5, requires_grad=True, name="w")
    b = autodiff.Tensor(-0.2, requires_grad=True, name="b")
    x, y = autodiff.Tensor(1.5, name="x"), autodiff.Tensor(1.0, name="y")
    loss = ((w * x + b).sigmoid() - y) ** 2
    loss.backward()
    return autodiff.trace(loss)


def test_graph_layout_flows_left_to_right():
    nodes, edges = _small_graph()
    pos = bp_plots.graph_layout(nodes, edges)
    assert all(pos[a][0] < pos[b][0] for a, b in edges)
    assert pos[nodes[-1].id][0] == max(p[0] for p in pos.values())  # the loss is rightmost
    assert len(set(pos.values())) == len(nodes)  # no two boxes on top of each other
    # each input sits right before the operation that uses it
    for a, b in edges:
        if nodes[a].label == "leaf":
            assert pos[b][0] - pos[a][0] == 1


def test_draw_computational_graph_labels_every_node():
    nodes, edges = _small_graph()
    fig, ax = plt.subplots()
    bp_plots.draw_computational_graph(ax, nodes, edges)
    texts = [t.get_text() for t in ax.texts if t.get_text()]  # arrows are empty annotations
    assert len(texts) == len(nodes)
    assert any(t.startswith("w\n") and "grad" in t for t in texts)
    plt.close(fig)


# --- the explorer ----------------------------------------------------------------------


def test_explorer_draws_at_defaults_and_as_small_multiples():
    explorer = bp.gradient_flow_explorer()
    assert isinstance(explorer, Explorer)
    fig = explorer.figure()
    ax = fig.axes[0]
    assert ax.get_yscale() == "log"
    # fixed axes: the deepest network the slider allows, every setting's gradients
    assert ax.get_xlim() == (0.5, 20.5) and ax.get_ylim() == bp_plots.GRADIENT_RANGE
    assert len(ax.collections[0].get_paths()) == 8  # one grey line per network
    plt.close(fig)
    fig = explorer.small_multiples("activation", list(bp.ACTIVATIONS), sharey=True)
    assert len([a for a in fig.axes if a.get_visible()]) == 4
    plt.close(fig)
    fig = explorer.small_multiples("depth", [2, 5, 10, 20])
    plt.close(fig)


def test_scale_and_finite_difference_figures_draw():
    flows = {init: bp.gradient_flow("relu", 4, init, n_nets=2) for init in ("he", "normal")}
    fig, (ax1, ax2) = plt.subplots(1, 2)
    bp_plots.plot_scale_through_depth(ax1, flows, "activation_rms")
    assert len(ax1.lines) == 2 and ax1.get_yscale() == "log"
    np.testing.assert_allclose(ax1.lines[0].get_ydata(), flows["he"].typical("activation_rms"))
    with pytest.raises(ValueError, match="quantity"):
        bp_plots.plot_scale_through_depth(ax1, flows, "grad")
    errors = bp.finite_difference_errors(np.tanh, lambda z: 1 - np.tanh(z) ** 2, 0.5,
                                         np.logspace(-8, -1, 8))
    bp_plots.plot_finite_difference_errors(errors, ax2)
    assert len(ax2.lines) == 4
    plt.close(fig)
