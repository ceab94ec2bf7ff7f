import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes

from course_lib import activations as A
from course_lib.gradcheck import check_gradients, numerical_gradient, relative_error
from course_lib.layers import (
    BatchNorm1d,
    Dropout,
    Identity,
    LayerNorm,
    LeakyReLU,
    Linear,
    Module,
    Parameter,
    ReLU,
    Residual,
    Sequential,
    Sigmoid,
    Softmax,
    Tanh,
    mlp,
)
from course_lib.losses import CrossEntropyLoss, MSELoss

TOL = 1e-7


class SeededDropout(Dropout):
    """Dropout that draws the same mask on every forward, so it is a fixed function of x."""

    def __init__(self, p: float, seed: int) -> None:
        super().__init__(p, rng=seed)
        self.seed = seed

    def forward(self, x):
        self.rng = np.random.default_rng(self.seed)
        return super().forward(x)


def away_from_zero(rng, shape, margin=0.05):
    """Normal samples with |x| >= margin, so relu's kink is never within eps of a point."""
    x = rng.normal(size=shape)
    return np.where(np.abs(x) < margin, np.sign(x + 1e-300) * margin + x, x)


def assert_gradcheck(model, x, target, loss=None):
    report = check_gradients(model, x, target, loss or MSELoss())
    assert report.passed, str(report)
    return report


def randomise_affine(bn: BatchNorm1d, rng) -> BatchNorm1d:
    bn.weight.data = rng.uniform(0.5, 2.0, size=bn.num_features)
    bn.bias.data = rng.normal(size=bn.num_features)
    return bn


def randomise_layernorm(ln: LayerNorm, rng) -> LayerNorm:
    ln.weight.data = rng.uniform(0.5, 2.0, size=ln.normalized_shape)
    ln.bias.data = rng.normal(size=ln.normalized_shape)
    return ln


def all_layer_types(rng, n_features=4):
    """One instance of every layer type, each with a valid (n, n_features) input."""
    return [
        Linear(n_features, n_features, rng=rng),
        Identity(),
        ReLU(),
        LeakyReLU(0.1),
        Sigmoid(),
        Tanh(),
        Softmax(),
        SeededDropout(0.3, seed=1),
        randomise_affine(BatchNorm1d(n_features), rng),
        randomise_layernorm(LayerNorm(n_features), rng),
    ]


LAYER_IDS = ["Linear", "Identity", "ReLU", "LeakyReLU", "Sigmoid", "Tanh", "Softmax",
             "Dropout", "BatchNorm1d", "LayerNorm"]


# --- Parameter and Module ----------------------------------------------------


def test_parameter_protocol():
    src = np.arange(6).reshape(2, 3)
    p = Parameter(src)
    assert p.data.dtype == np.float64 and p.shape == (2, 3) and p.grad is None
    p.data[0, 0] = 99.0
    assert src[0, 0] == 0  # Parameter owns a copy
    assert "shape=(2, 3)" in repr(p) and "grad=None" in repr(p)


def test_custom_module_finds_parameters_and_submodules(rng):
    class Block(Module):
        def __init__(self):
            super().__init__()
            self.scale = Parameter(np.ones(3))
            self.inner = Linear(3, 3, rng=rng)

    block = Block()
    names = [name for name, _ in block.named_parameters()]
    assert names == ["scale", "inner.weight", "inner.bias"]
    assert block.eval() is block and not block.inner.training
    assert block.train() is block and block.inner.training


def test_shared_parameter_listed_once(rng):
    lin = Linear(3, 3, rng=rng)
    net = Sequential(lin, ReLU(), lin)
    assert len(net.parameters()) == 2


@pytest.mark.parametrize("layer", all_layer_types(np.random.default_rng(0)), ids=LAYER_IDS)
def test_backward_before_forward_raises(layer):
    with pytest.raises(RuntimeError, match="before forward"):
        layer.backward(np.ones((5, 4)))


@pytest.mark.parametrize("layer", all_layer_types(np.random.default_rng(0)), ids=LAYER_IDS)
def test_backward_rejects_grad_of_wrong_shape(layer, rng):
    layer.forward(rng.normal(size=(5, 4)))
    with pytest.raises(ValueError, match=r"\(5, 4\).*\(5, 1\)"):
        layer.backward(np.ones((5, 1)))


# --- gradients of every layer -----------------------------------------------


@pytest.mark.parametrize("layer", all_layer_types(np.random.default_rng(0)), ids=LAYER_IDS)
def test_every_layer_gradients_match_central_differences(layer, rng):
    x = away_from_zero(rng, (5, 4))
    target = rng.normal(size=(5, 4))
    report = assert_gradcheck(layer, x, target)
    assert len(report.errors) == len(layer.parameters()) + 1  # every parameter and the input


@pytest.mark.parametrize("init", ["he", "xavier", "normal"])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_gradients(init, bias, rng):
    layer = Linear(4, 3, bias=bias, init=init, rng=rng)
    if bias:
        layer.bias.data = rng.normal(size=3)
    assert_gradcheck(layer, rng.normal(size=(6, 4)), rng.normal(size=(6, 3)))


def test_linear_is_x_times_w_transpose_plus_b(rng):
    layer = Linear(4, 3, rng=rng)
    layer.bias.data = rng.normal(size=3)
    x = rng.normal(size=(5, 4))
    w, b = layer.weight.data, layer.bias.data
    expected = np.array([[w[j] @ x[i] + b[j] for j in range(3)] for i in range(5)])
    np.testing.assert_allclose(layer(x), expected, rtol=1e-12)


def test_relu_and_leaky_relu_backward_at_zero_follow_pytorch():
    x = np.array([[-1.0, 0.0, 2.0]])
    relu, leaky = ReLU(), LeakyReLU(0.1)
    relu(x), leaky(x)
    np.testing.assert_array_equal(relu.backward(np.ones((1, 3))), [[0.0, 0.0, 1.0]])
    np.testing.assert_allclose(leaky.backward(np.ones((1, 3))), [[0.1, 0.1, 1.0]])


def test_softmax_gradients_on_other_axis(rng):
    assert_gradcheck(Softmax(dim=0), rng.normal(size=(4, 3)), rng.normal(size=(4, 3)))


def test_activation_modules_match_activation_functions(rng):
    x = rng.normal(size=(6, 5)) * 3
    np.testing.assert_array_equal(ReLU()(x), A.relu(x))
    np.testing.assert_array_equal(LeakyReLU(0.2)(x), A.leaky_relu(x, 0.2))
    np.testing.assert_array_equal(Sigmoid()(x), A.sigmoid(x))
    np.testing.assert_array_equal(Tanh()(x), A.tanh(x))
    np.testing.assert_array_equal(Softmax()(x), A.softmax(x))
    g = rng.normal(size=x.shape)
    for module, f_grad in [(ReLU(), A.relu_grad), (Sigmoid(), A.sigmoid_grad), (Tanh(), A.tanh_grad)]:
        module.forward(x)
        np.testing.assert_allclose(module.backward(g), g * f_grad(x), rtol=1e-12)


def test_whole_network_gradients(rng):
    net = Sequential(
        Linear(5, 8, rng=rng), ReLU(),
        Linear(8, 8, init="xavier", rng=rng), Tanh(),
        Linear(8, 6, init="xavier", rng=rng), Sigmoid(),
        randomise_affine(BatchNorm1d(6), rng), LeakyReLU(0.1),
        SeededDropout(0.2, seed=3),
        Linear(6, 3, rng=rng),
    )
    x = rng.normal(size=(7, 5))
    assert_gradcheck(net, x, rng.normal(size=(7, 3)))
    labels = rng.integers(0, 3, size=7)
    report = assert_gradcheck(net, x, labels, CrossEntropyLoss())
    assert len(report.errors) == len(net.parameters()) + 1 == 11


# --- accumulation, zero_grad, read-only grad_out ------------------------------


def test_two_backward_calls_double_the_gradients(rng):
    net = Sequential(Linear(4, 6, rng=rng), ReLU(), randomise_affine(BatchNorm1d(6), rng),
                     Tanh(), Linear(6, 2, rng=rng))
    x, g = rng.normal(size=(5, 4)), rng.normal(size=(5, 2))
    net.forward(x)
    grad_in_1 = net.backward(g)
    first = [p.grad.copy() for p in net.parameters()]
    grad_in_2 = net.backward(g)
    for p, g1 in zip(net.parameters(), first, strict=True):
        np.testing.assert_allclose(p.grad, 2 * g1, rtol=1e-14)
    np.testing.assert_array_equal(grad_in_1, grad_in_2)  # the input gradient is not accumulated
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())


@pytest.mark.parametrize("layer", all_layer_types(np.random.default_rng(0)), ids=LAYER_IDS)
@pytest.mark.parametrize("mode", ["train", "eval"])
def test_backward_never_writes_to_grad_out(layer, mode, rng):
    getattr(layer, mode)()
    layer.forward(rng.normal(size=(5, 4)))
    grad_out = rng.normal(size=(5, 4))
    expected = grad_out.copy()
    grad_out.setflags(write=False)  # any in-place write would raise
    layer.backward(grad_out)
    layer.backward(grad_out)
    np.testing.assert_array_equal(grad_out, expected)


# --- Linear: initialisation and validation -------------------------------------


@pytest.mark.parametrize(
    "init, expected_std",
    [("he", np.sqrt(2 / 500)), ("xavier", np.sqrt(2 / (500 + 300))), ("normal", 0.01)],
)
def test_init_standard_deviation(init, expected_std):
    layer = Linear(500, 300, init=init, rng=0)
    w = layer.weight.data
    # 150,000 draws: the sample std has relative standard error 1/sqrt(2N) ~ 0.2%,
    # and the sample mean standard error std/sqrt(N) ~ 0.26% of std; 2% is ~10 SE.
    assert abs(w.std() / expected_std - 1) < 0.02
    assert abs(w.mean()) < 0.02 * expected_std
    np.testing.assert_array_equal(layer.bias.data, np.zeros(300))
    assert w.shape == (300, 500) and w.dtype == np.float64


def test_init_is_reproducible_from_seed():
    a, b = Linear(4, 3, rng=7), Linear(4, 3, rng=7)
    np.testing.assert_array_equal(a.weight.data, b.weight.data)


def test_invalid_init_lists_valid_names():
    with pytest.raises(ValueError, match="he, xavier, normal"):
        Linear(3, 2, init="kaiming")


@pytest.mark.parametrize("bad, err", [(0, ValueError), (-3, ValueError), (2.5, TypeError)])
def test_invalid_feature_counts(bad, err):
    with pytest.raises(err, match="in_features"):
        Linear(bad, 2)


@pytest.mark.parametrize("shape", [(5, 3), (4,), (2, 4, 4)])
def test_linear_rejects_wrong_input_shape(shape, rng):
    with pytest.raises(ValueError, match=r"\(n_samples, 4\).*" + re_shape(shape)):
        Linear(4, 2, rng=rng)(rng.normal(size=shape))


def re_shape(shape):
    return str(tuple(shape)).replace("(", r"\(").replace(")", r"\)")


def test_linear_repr():
    assert repr(Linear(3, 2, bias=False)) == "Linear(in_features=3, out_features=2, bias=False)"


# --- Dropout -----------------------------------------------------------------


def test_dropout_preserves_expected_value():
    p, n_draws = 0.3, 4000
    x = np.linspace(0.5, 3.0, 20)[None, :]
    layer = Dropout(p, rng=0)
    mean = np.mean([layer(x)[0] for _ in range(n_draws)], axis=0)
    # each draw is x * Bernoulli(1-p)/(1-p): std x*sqrt(p/(1-p)); the mean of n_draws
    # has standard error x*sqrt(p/(1-p)/n_draws). Allow 5 standard errors.
    se = x[0] * np.sqrt(p / (1 - p) / n_draws)
    assert np.all(np.abs(mean - x[0]) < 5 * se)


def test_dropout_mask_values_and_drop_rate():
    p = 0.25
    x = np.ones((400, 250))
    out = Dropout(p, rng=1)(x)
    assert set(np.unique(out)) == {0.0, 1 / (1 - p)}
    dropped = np.mean(out == 0)
    assert abs(dropped - p) < 5 * np.sqrt(p * (1 - p) / x.size)


def test_dropout_backward_uses_the_forward_mask(rng):
    layer = Dropout(0.5, rng=rng)
    x = rng.uniform(1, 2, size=(6, 7))
    out = layer(x)
    g = rng.normal(size=x.shape)
    np.testing.assert_allclose(layer.backward(g), g * out / x, rtol=1e-14)


def test_dropout_draws_a_new_mask_each_forward(rng):
    layer = Dropout(0.5, rng=rng)
    x = np.ones((10, 10))
    assert not np.array_equal(layer(x), layer(x))


def test_dropout_is_identity_in_eval_and_with_p_zero(rng):
    x, g = rng.normal(size=(5, 6)), rng.normal(size=(5, 6))
    for layer in (Dropout(0.5, rng=0).eval(), Dropout(0.0, rng=0)):
        np.testing.assert_array_equal(layer(x), x)
        np.testing.assert_array_equal(layer.backward(g), g)


@pytest.mark.parametrize("p", [1.0, -0.1, 1.5])
def test_dropout_rejects_invalid_p(p):
    with pytest.raises(ValueError, match=r"p.*\[0, 1\)"):
        Dropout(p)


# --- BatchNorm1d ---------------------------------------------------------------


def reference_batchnorm_train(x, gamma, beta, eps):
    mu = x.sum(axis=0) / len(x)
    var = ((x - mu) ** 2).sum(axis=0) / len(x)
    return gamma * (x - mu) / np.sqrt(var + eps) + beta


def test_batchnorm_training_output(rng):
    bn = randomise_affine(BatchNorm1d(4), rng)
    x = rng.normal(2.0, 3.0, size=(10, 4))
    np.testing.assert_allclose(
        bn(x), reference_batchnorm_train(x, bn.weight.data, bn.bias.data, 1e-5), rtol=1e-12
    )
    plain = BatchNorm1d(4)(x)
    np.testing.assert_allclose(plain.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(plain.var(axis=0), np.var(x, axis=0) / (np.var(x, axis=0) + 1e-5))


def test_batchnorm_running_stats_follow_pytorch_formula(rng):
    momentum = 0.2
    bn = BatchNorm1d(3, momentum=momentum)
    mean, var = np.zeros(3), np.ones(3)
    for _ in range(4):
        x = rng.normal(1.0, 2.0, size=(8, 3))
        bn(x)
        mean = (1 - momentum) * mean + momentum * np.mean(x, axis=0)
        var = (1 - momentum) * var + momentum * np.var(x, axis=0, ddof=1)  # unbiased
    np.testing.assert_allclose(bn.running_mean, mean, rtol=1e-14)
    np.testing.assert_allclose(bn.running_var, var, rtol=1e-14)
    assert bn.num_batches_tracked == 4


def test_batchnorm_momentum_none_is_cumulative_average(rng):
    bn = BatchNorm1d(3, momentum=None)
    batches = [rng.normal(size=(5, 3)) for _ in range(3)]
    for x in batches:
        bn(x)
    np.testing.assert_allclose(bn.running_mean, np.mean([b.mean(0) for b in batches], 0))
    # the initial running_var of 1 is replaced entirely on the first batch (factor 1/1)
    np.testing.assert_allclose(bn.running_var, np.mean([b.var(0, ddof=1) for b in batches], 0))


def test_batchnorm_eval_uses_running_stats(rng):
    bn = randomise_affine(BatchNorm1d(4), rng)
    for _ in range(3):
        bn(rng.normal(size=(6, 4)))
    rm, rv = bn.running_mean.copy(), bn.running_var.copy()
    x = rng.normal(size=(5, 4))
    out = bn.eval()(x)
    expected = bn.weight.data * (x - rm) / np.sqrt(rv + bn.eps) + bn.bias.data
    np.testing.assert_allclose(out, expected, rtol=1e-12)
    np.testing.assert_array_equal(bn.running_mean, rm)  # eval does not update them
    single = bn(x[:1])  # one sample is fine in eval mode
    np.testing.assert_allclose(single, expected[:1], rtol=1e-12)


@pytest.mark.parametrize("affine", [True, False])
def test_batchnorm_gradients_train_and_eval(affine, rng):
    bn = BatchNorm1d(4, affine=affine)
    if affine:
        randomise_affine(bn, rng)
    x, target = rng.normal(size=(6, 4)), rng.normal(size=(6, 4))
    assert_gradcheck(bn, x, target)
    bn.eval()  # running stats are now far from the batch stats of x
    assert_gradcheck(bn, x * 2 + 1, target)


def test_batchnorm_needs_two_samples_when_training(rng):
    with pytest.raises(ValueError, match=r"Expected more than 1 value per channel.*\(1, 3\)"):
        BatchNorm1d(3)(rng.normal(size=(1, 3)))


def test_batchnorm_rejects_wrong_feature_count(rng):
    with pytest.raises(ValueError, match=r"\(n_samples, 3\).*\(4, 2\)"):
        BatchNorm1d(3)(rng.normal(size=(4, 2)))


@pytest.mark.parametrize("kwargs", [{"eps": 0.0}, {"momentum": 1.5}, {"momentum": -0.1}])
def test_batchnorm_rejects_bad_hyperparameters(kwargs):
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        BatchNorm1d(3, **kwargs)


# --- LayerNorm -----------------------------------------------------------------


def reference_layernorm(x, gamma, beta, eps, axes):
    mu = x.sum(axis=axes, keepdims=True) / np.prod([x.shape[a] for a in axes])
    var = ((x - mu) ** 2).mean(axis=axes, keepdims=True)
    return gamma * (x - mu) / np.sqrt(var + eps) + beta


def test_layernorm_output_and_parameters(rng):
    ln = LayerNorm(4)
    np.testing.assert_array_equal(ln.weight.data, np.ones(4))
    np.testing.assert_array_equal(ln.bias.data, np.zeros(4))
    randomise_layernorm(ln, rng)
    x = rng.normal(2.0, 3.0, size=(6, 4))
    np.testing.assert_allclose(ln(x), reference_layernorm(x, ln.weight.data, ln.bias.data, 1e-5, (1,)),
                               rtol=1e-12)  # fmt: skip
    assert [n for n, _ in ln.named_parameters()] == ["weight", "bias"]
    assert repr(ln) == "LayerNorm((4,), eps=1e-05, elementwise_affine=True)"


@pytest.mark.parametrize(
    "kwargs, n_params", [({}, 2), ({"bias": False}, 1), ({"elementwise_affine": False}, 0)]
)
def test_layernorm_gradients_with_and_without_affine(kwargs, n_params, rng):
    ln = LayerNorm(5, **kwargs)
    if ln.weight is not None:
        ln.weight.data = rng.uniform(0.5, 2.0, size=5)
    if ln.bias is not None:
        ln.bias.data = rng.normal(size=5)
    assert len(ln.parameters()) == n_params
    report = assert_gradcheck(ln, rng.normal(size=(4, 5)) * 2, rng.normal(size=(4, 5)))
    assert len(report.errors) == n_params + 1


def test_layernorm_over_two_trailing_axes(rng):
    ln = LayerNorm((3, 4))
    ln.weight.data = rng.uniform(0.5, 2.0, size=(3, 4))
    ln.bias.data = rng.normal(size=(3, 4))
    x = rng.normal(size=(2, 3, 4)) * 3
    np.testing.assert_allclose(ln(x), reference_layernorm(x, ln.weight.data, ln.bias.data, 1e-5, (1, 2)),
                               rtol=1e-12)  # fmt: skip
    assert_gradcheck(ln, x, rng.normal(size=(2, 3, 4)))


def test_layernorm_is_the_same_in_eval_mode_and_for_one_sample(rng):
    ln = randomise_layernorm(LayerNorm(6), rng)
    x = rng.normal(size=(5, 6))
    train_out = ln(x)
    np.testing.assert_array_equal(ln.eval()(x), train_out)  # no batch statistics
    np.testing.assert_allclose(ln(x[2:3]), train_out[2:3], rtol=1e-14)  # each row on its own


@pytest.mark.parametrize("shape", [(5, 3), (4, 1), (2, 4, 3), (3,)])
def test_layernorm_rejects_wrong_input_shape(shape, rng):
    with pytest.raises(ValueError, match=r"shape \(\*, 4\); got x.shape=" + re_shape(shape)):
        LayerNorm(4)(rng.normal(size=shape))
    assert LayerNorm(4)(rng.normal(size=4)).shape == (4,)  # one sample without a batch axis, as in PyTorch


@pytest.mark.parametrize(
    "args, kwargs, error, match",
    [((0,), {}, ValueError, "Invalid normalized_shape: 0"), ((2.5,), {}, TypeError, "normalized_shape"),
     (((),), {}, ValueError, "at least one axis"), ((3,), {"eps": 0.0}, ValueError, "Invalid eps")],
)  # fmt: skip
def test_layernorm_rejects_bad_arguments(args, kwargs, error, match):
    with pytest.raises(error, match=match):
        LayerNorm(*args, **kwargs)


@given(n=st.integers(1, 6), d=st.integers(2, 8), seed=st.integers(0, 10_000),
       scale=st.floats(1e-2, 1e3), shift=st.floats(-1e3, 1e3))
def test_layernorm_rows_have_mean_zero_and_variance_one_before_the_affine_map(n, d, seed, scale, shift):
    x = np.random.default_rng(seed).normal(size=(n, d)) * scale + shift
    out = LayerNorm(d, elementwise_affine=False)(x)
    np.testing.assert_allclose(out.mean(axis=1), 0, atol=1e-9)
    v = x.var(axis=1)
    np.testing.assert_allclose(out.var(axis=1), v / (v + 1e-5), rtol=1e-7)  # 1 up to eps


@given(seed=st.integers(0, 10_000))
def test_layernorm_input_gradient_sums_to_zero_per_sample(seed):
    # y is invariant to adding a constant to a row, so dL/dx sums to 0 over each row
    rng = np.random.default_rng(seed)
    ln = randomise_layernorm(LayerNorm(5), rng)
    ln(rng.normal(size=(4, 5)))
    np.testing.assert_allclose(ln.backward(rng.normal(size=(4, 5))).sum(axis=1), 0, atol=1e-12)


# --- Sequential ----------------------------------------------------------------


def test_sequential_chains_forward_and_backward(rng):
    l1, l2 = Linear(3, 4, rng=rng), Linear(4, 2, rng=rng)
    net = Sequential(l1, Tanh(), l2)
    x, g = rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
    h = np.tanh(x @ l1.weight.data.T + l1.bias.data)
    np.testing.assert_allclose(net(x), h @ l2.weight.data.T + l2.bias.data, rtol=1e-12)
    grad_x = net.backward(g)
    grad_h = (g @ l2.weight.data) * (1 - h**2)
    np.testing.assert_allclose(grad_x, grad_h @ l1.weight.data, rtol=1e-12)
    np.testing.assert_allclose(l2.weight.grad, g.T @ h, rtol=1e-12)
    np.testing.assert_allclose(l1.weight.grad, grad_h.T @ x, rtol=1e-12)


def test_sequential_container_behaviour(rng):
    layers = [Linear(3, 4, rng=rng), ReLU(), Dropout(0.5), Linear(4, 2, bias=False, rng=rng)]
    net = Sequential(*layers)
    assert len(net) == 4 and list(net) == layers and net[1] is layers[1] and net[-1] is layers[3]
    assert isinstance(net[:2], Sequential) and list(net[:2]) == layers[:2]
    assert net.parameters() == [layers[0].weight, layers[0].bias, layers[3].weight]
    assert [n for n, _ in net.named_parameters()] == ["0.weight", "0.bias", "3.weight"]
    assert "(0): Linear(in_features=3, out_features=4, bias=True)" in repr(net)
    assert "(2): Dropout(p=0.5)" in repr(net)


def test_train_and_eval_propagate_into_nested_sequential(rng):
    inner = Sequential(Linear(3, 3, rng=rng), Dropout(0.5), BatchNorm1d(3))
    net = Sequential(inner, ReLU())
    assert net.eval() is net
    assert not any(m.training for m in [net, inner, *inner])
    net.train()
    assert all(m.training for m in [net, inner, *inner])


def test_sequential_rejects_non_modules():
    with pytest.raises(TypeError, match="layer 1"):
        Sequential(ReLU(), np.tanh)


# --- mlp ----------------------------------------------------------------------


def test_mlp_is_the_explicit_construction_from_one_generator():
    gen = np.random.default_rng(1)
    explicit = Sequential(Linear(64, 32, rng=gen), ReLU(), Linear(32, 10, rng=gen))
    built = mlp((64, 32, 10), rng=1)
    assert [type(m) for m in built] == [Linear, ReLU, Linear]
    for p, q in zip(explicit.parameters(), built.parameters(), strict=True):
        np.testing.assert_array_equal(p.data, q.data)


def test_mlp_hidden_layers_with_batchnorm_and_dropout():
    net = mlp((64, 32, 16, 10), activation="tanh", batchnorm=True, dropout=0.2, rng=0)
    assert [type(m) for m in net] == [Linear, BatchNorm1d, Tanh, Dropout] * 2 + [Linear]
    assert net[0].bias is None and net[-1].bias is not None  # batch norm's beta replaces the bias
    assert net(np.zeros((4, 64))).shape == (4, 10)
    plain = mlp((64, 32, 16, 10), init="xavier", rng=0)
    assert [type(m) for m in plain] == [Linear, ReLU] * 2 + [Linear]
    np.testing.assert_allclose(plain[0].weight.data.std(), np.sqrt(2 / (64 + 32)), rtol=0.05)
    assert [type(m) for m in mlp((3, 1))] == [Linear]  # no hidden layer: a linear model


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"sizes": (4,)}, ValueError, "at least an input and an output size"),
        ({"sizes": (4, 0, 1)}, ValueError, "Invalid layer size: 0"),
        ({"sizes": (4, 2.5, 1)}, TypeError, "layer size must be an int"),
        ({"sizes": (4, 3, 1), "activation": "softplus"}, ValueError, "Invalid activation: 'softplus'"),
        ({"sizes": (4, 3, 1), "dropout": 1.0}, ValueError, "Invalid dropout: 1.0"),
        ({"sizes": (4, 3, 1), "init": "uniform"}, ValueError, "Invalid init: 'uniform'"),
    ],
)
def test_mlp_rejects_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        mlp(**kwargs)


# --- dtypes --------------------------------------------------------------------


def test_float32_stays_float32_and_parameters_stay_float64(rng):
    net = Sequential(
        Linear(4, 6, rng=rng), ReLU(), BatchNorm1d(6), Tanh(), Dropout(0.2, rng=0),
        Linear(6, 5, rng=rng), LeakyReLU(), LayerNorm(5), Sigmoid(), Softmax(), Identity(),
    )
    x64 = rng.normal(size=(8, 4))
    out32 = net(x64.astype(np.float32))
    assert out32.dtype == np.float32
    grad32 = net.backward(np.ones_like(out32))
    assert grad32.dtype == np.float32
    for p in net.parameters():
        assert p.data.dtype == np.float64 and p.grad.dtype == np.float64
    net.eval()
    assert net(x64.astype(np.float32)).dtype == np.float32  # eval: running stats cast too
    np.testing.assert_allclose(net(x64.astype(np.float32)), net(x64), rtol=1e-4, atol=1e-6)


def test_int_input_is_promoted_to_float64(rng):
    out = Sequential(Linear(3, 2, rng=rng), ReLU())(np.arange(6).reshape(2, 3))
    assert out.dtype == np.float64


# --- hypothesis: shapes and identities -------------------------------------------


@given(
    n=st.integers(1, 6), n_in=st.integers(1, 6), n_out=st.integers(1, 6), seed=st.integers(0, 99)
)
def test_linear_shapes(n, n_in, n_out, seed):
    rng = np.random.default_rng(seed)
    layer = Linear(n_in, n_out, rng=rng)
    out = layer(rng.normal(size=(n, n_in)))
    assert out.shape == (n, n_out)
    grad_in = layer.backward(np.ones((n, n_out)))
    assert grad_in.shape == (n, n_in)
    assert layer.weight.grad.shape == (n_out, n_in) and layer.bias.grad.shape == (n_out,)


@given(widths=st.lists(st.integers(1, 5), min_size=2, max_size=5), n=st.integers(2, 5))
def test_mlp_shapes(widths, n):
    rng = np.random.default_rng(0)
    layers = []
    for a, b in zip(widths[:-1], widths[1:], strict=False):
        layers += [Linear(a, b, rng=rng), BatchNorm1d(b), ReLU()]
    net = Sequential(*layers)
    out = net(rng.normal(size=(n, widths[0])))
    assert out.shape == (n, widths[-1])
    assert net.backward(np.ones_like(out)).shape == (n, widths[0])
    assert all(p.grad.shape == p.shape for p in net.parameters())


@given(shape=array_shapes(min_dims=1, max_dims=3, max_side=5), seed=st.integers(0, 99))
def test_elementwise_layers_keep_any_shape(shape, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=shape) * 5
    for layer in (Identity(), ReLU(), LeakyReLU(), Sigmoid(), Tanh(), Softmax(), Dropout(0.5, rng)):
        out = layer(x)
        assert out.shape == shape and np.all(np.isfinite(out))
        assert layer.backward(np.ones(shape)).shape == shape


@given(n=st.integers(2, 8), c=st.integers(1, 4), seed=st.integers(0, 99))
def test_batchnorm_training_output_is_standardised(n, c, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(3.0, 4.0, size=(n, c))
    out = BatchNorm1d(c)(x)
    np.testing.assert_allclose(out.mean(axis=0), 0, atol=1e-10)
    # biased variance var/(var + eps): slightly below 1
    np.testing.assert_allclose(out.var(axis=0), x.var(0) / (x.var(0) + 1e-5), rtol=1e-9)


@given(seed=st.integers(0, 10_000))
def test_batchnorm_input_gradient_sums_to_zero_per_feature(seed):
    # y is invariant to adding a constant to a feature column, so dL/dx sums to 0 over the batch
    rng = np.random.default_rng(seed)
    bn = randomise_affine(BatchNorm1d(3), rng)
    bn(rng.normal(size=(5, 3)))
    grad_x = bn.backward(rng.normal(size=(5, 3)))
    np.testing.assert_allclose(grad_x.sum(axis=0), 0, atol=1e-12)


def test_numerical_gradient_directly_for_linear_weight(rng):
    # the same check as check_gradients, written out: L = sum(y * g), dL/dW = g.T @ x
    layer = Linear(3, 2, rng=rng)
    x, g = rng.normal(size=(4, 3)), rng.normal(size=(4, 2))
    layer.forward(x)
    layer.backward(g)

    def loss(w):
        layer.weight.data = w
        return float(np.sum(layer.forward(x) * g))

    numeric = numerical_gradient(loss, layer.weight.data.copy())
    assert relative_error(layer.weight.grad, numeric) < TOL


# --- Residual -------------------------------------------------------------------


def test_residual_gradients_match_central_differences(rng):
    block = Sequential(Linear(4, 6, rng=rng), Tanh(), Linear(6, 4, rng=rng))
    res = Residual(block)
    report = assert_gradcheck(res, rng.normal(size=(5, 4)), rng.normal(size=(5, 4)))
    assert len(report.errors) == len(block.parameters()) + 1
    assert [name for name, _ in res.named_parameters()][0] == "block.0.weight"


def test_residual_is_input_plus_block_and_passes_gradient_through(rng):
    block = Sequential(Linear(3, 3, rng=rng), ReLU())
    res = Residual(block)
    x = rng.normal(size=(4, 3))
    np.testing.assert_allclose(res(x), x + block(x))
    g = rng.normal(size=(4, 3))
    g_copy = g.copy()
    block.forward(x)
    through_block = block.backward(g)
    res.forward(x)
    np.testing.assert_allclose(res.backward(g), g + through_block)
    np.testing.assert_array_equal(g, g_copy)


def test_residual_rejects_shape_changing_block(rng):
    with pytest.raises(ValueError, match=r"\(4, 3\) to \(4, 2\)"):
        Residual(Linear(3, 2, rng=rng))(rng.normal(size=(4, 3)))
    with pytest.raises(TypeError, match="must be a Module"):
        Residual(lambda x: x)
    with pytest.raises(RuntimeError, match="before forward"):
        Residual(ReLU()).backward(np.ones((2, 2)))
