"""BatchNormalization, LayerNormalization, GroupNormalization against NumPy formulas."""

import numpy as np
import pytest
import torch

import torch_keraslike as tkl
from layer_testing import run_layer_test
from torch_keraslike.layers.normalization import (
    BatchNormalization, GroupNormalization, LayerNormalization)


def _rand(shape, seed=0, loc=1.5, scale=2.0):
    return (np.random.default_rng(seed).standard_normal(shape) * scale + loc).astype(np.float32)


def np_batch_norm(x, mean, var, gamma, beta, axis, epsilon=1e-3):
    shape = [1] * x.ndim
    shape[axis] = -1
    r = lambda v: np.asarray(v, np.float64).reshape(shape)  # noqa: E731
    return (x - r(mean)) / np.sqrt(r(var) + epsilon) * r(gamma) + r(beta)


def _batch_moments(x, axis):
    axes = tuple(d for d in range(x.ndim) if d != axis % x.ndim)
    x = x.astype(np.float64)
    return x.mean(axes), x.var(axes)  # NumPy's var is the biased one (ddof=0)


# ------------------------------------------------------- BatchNormalization
@pytest.mark.parametrize("kwargs, shape, trainable", [
    ({}, (4, 3, 3, 2), 2),
    ({"axis": 1}, (4, 2, 3, 3), 2),
    ({"center": False}, (4, 5), 1),
    ({"scale": False, "center": False, "axis": 1}, (4, 3, 5), 0),
])
@pytest.mark.parametrize("training", [False, True])
def test_batch_norm_common(kwargs, shape, trainable, training):
    run_layer_test(BatchNormalization, kwargs, shape, shape, trainable, 2, training=training)


def _set_stats(layer, channels, seed=3):
    rng = np.random.default_rng(seed)
    weights = [rng.standard_normal(channels).astype(np.float32) for _ in range(3)]
    weights.append(rng.uniform(0.5, 2.0, channels).astype(np.float32))
    layer.set_weights(weights)
    return weights


@pytest.mark.parametrize("axis, shape", [(-1, (4, 3, 3, 2)), (1, (4, 2, 3, 3)), (-1, (6, 3)), (1, (2, 3, 4))])
def test_batch_norm_inference_uses_moving_statistics(axis, shape):
    layer = BatchNormalization(axis=axis)
    x = _rand(shape)
    layer(x)
    gamma, beta, mean, var = _set_stats(layer, shape[axis])
    expected = np_batch_norm(x, mean, var, gamma, beta, axis)
    np.testing.assert_allclose(layer(x, training=False).detach().numpy(), expected, rtol=1e-5, atol=1e-5)
    layer.eval()
    np.testing.assert_allclose(layer(x).detach().numpy(), expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(layer.get_weights()[2], mean)  # inference never updates


@pytest.mark.parametrize("axis, shape, compiled", [
    (-1, (8, 3, 3, 2), False), (1, (8, 2, 3, 3), False), (-1, (5, 3), False), (2, (3, 4, 2), False),
    (-1, (8, 3, 3, 2), True), (1, (8, 2, 3, 3), True),
])
def test_batch_norm_training_uses_batch_stats_and_keras_momentum(axis, shape, compiled):
    layer = BatchNormalization(axis=axis, momentum=0.8)
    layer(_rand(shape), training=False)
    gamma, beta, moving_mean, moving_var = [w.astype(np.float64) for w in _set_stats(layer, shape[axis])]
    run = torch.compile(layer, backend="eager", fullgraph=True) if compiled else layer
    for step in range(3):
        x = _rand(shape, seed=step, loc=step)
        out = run(torch.from_numpy(x), training=True).detach().numpy()
        mean, var = _batch_moments(x, axis)
        np.testing.assert_allclose(out, np_batch_norm(x, mean, var, gamma, beta, axis), rtol=1e-4, atol=1e-4)
        moving_mean = moving_mean * 0.8 + mean * 0.2
        moving_var = moving_var * 0.8 + var * 0.2  # Keras: the biased batch variance
        _, _, got_mean, got_var = layer.get_weights()
        np.testing.assert_allclose(got_mean, moving_mean, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(got_var, moving_var, rtol=1e-5, atol=1e-6)
    torch._dynamo.reset()


def test_compiled_training_with_dynamic_batch_sizes():
    layer = BatchNormalization(momentum=0.5)
    reference = BatchNormalization(momentum=0.5)
    compiled = torch.compile(layer, backend="eager", fullgraph=True, dynamic=True)
    for batch in (4, 6, 9):
        x = torch.from_numpy(_rand((batch, 3, 3, 2), seed=batch))
        torch.testing.assert_close(compiled(x, training=True), reference(x, training=True))
        torch.testing.assert_close(layer.moving_variance, reference.moving_variance)
    torch._dynamo.reset()


def test_batch_norm_gradients_match_the_formula():
    x = torch.from_numpy(_rand((6, 3, 3, 4))).requires_grad_()
    layer = BatchNormalization()
    layer(x.detach())
    _set_stats(layer, 4)
    weights = torch.randn(6, 3, 3, 4)
    (layer(x, training=True) * weights).sum().backward()
    grads = [x.grad.clone(), layer.gamma.grad.clone(), layer.beta.grad.clone()]
    x2 = x.detach().clone().requires_grad_()
    gamma = layer.gamma.detach().clone().requires_grad_()
    beta = layer.beta.detach().clone().requires_grad_()
    mean = x2.mean((0, 1, 2))
    var = (x2 ** 2).mean((0, 1, 2)) - mean ** 2
    ((x2 - mean) / torch.sqrt(var + 1e-3) * gamma + beta).mul(weights).sum().backward()
    for got, want in zip(grads, [x2.grad, gamma.grad, beta.grad]):
        torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-4)


def test_batch_norm_follows_train_and_eval_and_explicit_training():
    layer = BatchNormalization(momentum=0.5)
    x = torch.from_numpy(_rand((8, 3)))
    layer.eval()
    out = layer(x)
    torch.testing.assert_close(out, x / np.sqrt(1 + 1e-3))  # zeros/ones moving stats
    assert torch.equal(layer.moving_mean, torch.zeros(3))
    layer.train()
    layer(x)
    assert not torch.equal(layer.moving_mean, torch.zeros(3))
    before = layer.moving_mean.clone()
    layer.eval()
    layer(x, training=True)  # an explicit argument wins over eval()
    assert not torch.equal(layer.moving_mean, before)
    layer.train()
    before = layer.moving_mean.clone()
    layer(x, training=False)
    assert torch.equal(layer.moving_mean, before)


def test_batch_norm_moving_statistics_are_buffers():
    layer = BatchNormalization()
    layer(torch.randn(4, 3))
    assert [name for name, _ in layer.named_parameters()] == ["gamma", "beta"]
    assert [name for name, _ in layer.named_buffers()] == ["moving_mean", "moving_variance"]
    keys = [k for k in layer.state_dict() if not k.endswith("_extra_state")]
    assert keys == ["gamma", "beta", "moving_mean", "moving_variance"]
    assert layer.moving_mean.requires_grad is False
    assert len(layer.trainable_weights) == 2 and len(layer.non_trainable_weights) == 2


def test_frozen_batch_norm_runs_in_inference_mode():
    layer = BatchNormalization()
    x = _rand((8, 4))
    layer(x)
    gamma, beta, mean, var = _set_stats(layer, 4)
    layer.trainable = False
    assert not layer.gamma.requires_grad and layer.trainable_weights == []
    for out in (layer(x, training=True), layer.train()(x)):
        expected = np_batch_norm(x, mean, var, gamma, beta, -1)
        np.testing.assert_allclose(out.numpy(), expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(layer.get_weights()[2], mean)
    compiled = torch.compile(layer, backend="eager", fullgraph=True)
    np.testing.assert_allclose(compiled(torch.from_numpy(x), training=True).numpy(),
                               np_batch_norm(x, mean, var, gamma, beta, -1), rtol=1e-5, atol=1e-5)
    torch._dynamo.reset()


def test_batch_norm_single_value_per_channel_and_half_inputs():
    layer = BatchNormalization(momentum=0.5)
    out = layer(torch.tensor([[1.0, 2.0]]), training=True)  # n == 1: variance 0
    torch.testing.assert_close(out, torch.zeros(1, 2))
    torch.testing.assert_close(layer.moving_mean, torch.tensor([0.5, 1.0]))
    torch.testing.assert_close(layer.moving_variance, torch.tensor([0.5, 0.5]))
    half = BatchNormalization(momentum=0.5).to(torch.bfloat16)
    x = torch.from_numpy(_rand((16, 3))).to(torch.bfloat16)
    out = half(x, training=True)
    assert out.dtype == torch.bfloat16
    mean, var = _batch_moments(x.float().numpy(), -1)
    expected = np_batch_norm(x.float().numpy(), mean, var, 1, 0, -1)
    np.testing.assert_allclose(out.detach().float().numpy(), expected, rtol=0.05, atol=0.05)


def test_batch_norm_mask_excludes_entries_from_statistics():
    x = _rand((3, 5, 2))
    mask = np.random.default_rng(1).random((3, 5)) > 0.4
    layer = BatchNormalization(momentum=0.0)
    out = layer(x, training=True, mask=torch.from_numpy(mask)).detach().numpy()
    kept = x[mask].astype(np.float64)  # (count, 2)
    mean, var = kept.mean(0), kept.var(0)
    np.testing.assert_allclose(out, np_batch_norm(x, mean, var, 1, 0, -1), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(layer.get_weights()[2:], [mean, var], rtol=1e-4, atol=1e-5)
    with pytest.raises(ValueError, match="mask provided should be one dimension less than the inputs"):
        layer(x, training=True, mask=torch.ones(3, 5, 2))


def test_synchronized_batch_norm_reduces_over_the_process_group(tmp_path):
    dist = torch.distributed
    if not dist.is_available():
        pytest.skip("torch.distributed is not available")
    dist.init_process_group("gloo", init_method=f"file://{tmp_path / 'store'}", rank=0, world_size=1)
    try:
        x = torch.from_numpy(_rand((6, 3, 4)))
        synced, local = BatchNormalization(synchronized=True), BatchNormalization()
        x.requires_grad_()
        out = synced(x, training=True)
        torch.testing.assert_close(out, local(x, training=True), rtol=1e-4, atol=1e-4)
        out.square().sum().backward()
        assert x.grad is not None and torch.isfinite(x.grad).all()
        torch.testing.assert_close(synced.moving_variance, local.moving_variance)
        assert synced.get_config()["synchronized"] is True
    finally:
        dist.destroy_process_group()


def test_batch_norm_config_and_bad_arguments():
    layer = BatchNormalization(axis=1, momentum=0.9, epsilon=1e-5, moving_variance_initializer="zeros",
                               gamma_regularizer="l2")
    config = layer.get_config()
    assert (config["axis"], config["momentum"], config["epsilon"]) == (1, 0.9, 1e-5)
    assert config["moving_variance_initializer"]["class_name"] == "Zeros"
    assert config["gamma_regularizer"]["class_name"] == "L2"
    with pytest.raises(TypeError, match="axis must be an int"):
        BatchNormalization(axis=[1, 2])
    with pytest.raises(ValueError, match=r"momentum must be a number in \[0, 1\]"):
        BatchNormalization(momentum=1.5)
    with pytest.raises(ValueError, match="epsilon must be a non-negative number"):
        BatchNormalization(epsilon="small")


def test_batch_norm_bad_inputs():
    layer = BatchNormalization()
    layer(torch.randn(2, 4, 4, 3))
    with pytest.raises(ValueError, match=r"expected ndim=4, found ndim=3"):
        layer(torch.randn(2, 4, 3))
    with pytest.raises(ValueError, match=r"expected axis -1 of input shape to have value 3"):
        layer(torch.randn(2, 4, 4, 5))
    first = BatchNormalization(axis=1)
    first(torch.randn(2, 3, 4, 4))
    with pytest.raises(ValueError, match=r"expected axis 1 of input shape to have value 3"):
        first(torch.randn(2, 4, 4, 3))
    bad_axis = BatchNormalization(axis=3)
    with pytest.raises(ValueError, match=r"expected min_ndim=4, found ndim=2"):
        bad_axis(torch.randn(2, 3))
    with pytest.raises(ValueError, match="axis 3 is out of bounds for input shape"):
        bad_axis.build((2, 3))
    with pytest.raises(ValueError, match="should have a defined dimension"):
        BatchNormalization().build((None, None))
    assert not bad_axis.built


# ------------------------------------------------------- LayerNormalization
def np_layer_norm(x, axes, gamma=None, beta=None, epsilon=1e-3, rms=False):
    x = x.astype(np.float64)
    axes = tuple(sorted(a % x.ndim for a in axes))
    shape = [x.shape[d] if d in axes else 1 for d in range(x.ndim)]
    mean, var = x.mean(axes, keepdims=True), x.var(axes, keepdims=True)
    out = x / np.sqrt(var + epsilon) if rms else (x - mean) / np.sqrt(var + epsilon)
    if gamma is not None:
        out = out * gamma.reshape(shape)
    if beta is not None:
        out = out + beta.reshape(shape)
    return out


@pytest.mark.parametrize("kwargs, shape, trainable", [
    ({}, (2, 3, 4), 2),
    ({"axis": [1, 2]}, (2, 3, 4, 2), 2),
    ({"axis": (-2, -1), "center": False}, (2, 3, 4), 1),
    ({"rms_scaling": True}, (2, 5), 1),
])
def test_layer_norm_common(kwargs, shape, trainable):
    run_layer_test(LayerNormalization, kwargs, shape, shape, trainable)


@pytest.mark.parametrize("axis, shape", [
    (-1, (2, 3, 6)), ([-2, -1], (2, 3, 4)), ([1, 2], (2, 3, 4, 2)), (1, (2, 5, 3)),
    ([2, 1], (2, 3, 4)),  # unsorted: gamma (4, 3) is *reshaped* to (3, 4), as in Keras
])
def test_layer_norm_matches_numpy(axis, shape):
    x = _rand(shape)
    layer = LayerNormalization(axis=axis)
    layer(x)
    rng = np.random.default_rng(2)
    gamma, beta = (rng.standard_normal(layer.gamma.shape).astype(np.float32) for _ in range(2))
    layer.set_weights([gamma, beta])
    axes = axis if isinstance(axis, list) else [axis]
    expected = np_layer_norm(x, axes, gamma, beta)
    np.testing.assert_allclose(layer(x).detach().numpy(), expected, rtol=1e-4, atol=1e-4)


def test_layer_norm_rms_scaling_is_keras_formula_and_weights_follow_flags():
    x = _rand((3, 6))
    layer = LayerNormalization(rms_scaling=True, center=True)
    layer(x)
    assert layer.beta is None and layer.gamma.shape == (6,)
    gamma = np.linspace(0.5, 2, 6).astype(np.float32)
    layer.set_weights([gamma])
    np.testing.assert_allclose(layer(x).detach().numpy(), np_layer_norm(x, [-1], gamma, rms=True),
                               rtol=1e-4, atol=1e-4)
    plain = LayerNormalization(center=False, scale=False)
    np.testing.assert_allclose(plain(x).numpy(), np_layer_norm(x, [-1]), rtol=1e-4, atol=1e-4)
    assert plain.weights == []


def test_layer_norm_config_and_errors():
    config = LayerNormalization(axis=(1, 2), epsilon=1e-5).get_config()
    assert config["axis"] == [1, 2] and config["epsilon"] == 1e-5 and config["rms_scaling"] is False
    with pytest.raises(TypeError, match="axis must be an int"):
        LayerNormalization(axis="last")
    with pytest.raises(ValueError, match="axis contains duplicates"):
        LayerNormalization(axis=[1, 1])
    with pytest.raises(ValueError, match="names the same axis twice"):
        LayerNormalization(axis=[1, -1]).build((2, 3))
    layer = LayerNormalization(axis=2)
    with pytest.raises(ValueError, match=r"expected min_ndim=3, found ndim=2"):
        layer(torch.randn(2, 3))
    with pytest.raises(ValueError, match="axis 2 is out of bounds"):
        layer.build((2, 3))
    layer(torch.randn(2, 3, 4))
    with pytest.raises(ValueError, match=r"expected axis 2 of input shape to have value 4"):
        layer(torch.randn(2, 3, 5))


# ------------------------------------------------------- GroupNormalization
def np_group_norm(x, groups, axis=-1, gamma=None, beta=None, epsilon=1e-3):
    x = np.moveaxis(x.astype(np.float64), axis, -1)
    channels = x.shape[-1]
    grouped = x.reshape(x.shape[0], -1, groups, channels // groups)
    mean = grouped.mean(axis=(1, 3), keepdims=True)
    var = grouped.var(axis=(1, 3), keepdims=True)
    out = ((grouped - mean) / np.sqrt(var + epsilon)).reshape(x.shape)
    if gamma is not None:
        out = out * gamma
    if beta is not None:
        out = out + beta
    return np.moveaxis(out, -1, axis)


@pytest.mark.parametrize("kwargs, shape, trainable", [
    ({"groups": 2}, (2, 3, 3, 4), 2),
    ({"groups": 3, "axis": 1}, (2, 6, 3, 3), 2),
    ({"groups": -1, "center": False}, (2, 5, 3), 1),
    ({"groups": 1}, (3, 4), 2),
])
def test_group_norm_common(kwargs, shape, trainable):
    run_layer_test(GroupNormalization, kwargs, shape, shape, trainable)


@pytest.mark.parametrize("groups, axis, shape", [
    (2, -1, (2, 3, 3, 4)), (3, 1, (2, 6, 3, 3)), (-1, -1, (2, 5, 3)), (1, -1, (3, 4)), (2, 2, (2, 3, 4, 5)),
])
def test_group_norm_matches_numpy(groups, axis, shape):
    x = _rand(shape)
    layer = GroupNormalization(groups=groups, axis=axis)
    layer(x)
    channels = shape[axis]
    rng = np.random.default_rng(4)
    gamma, beta = (rng.standard_normal(channels).astype(np.float32) for _ in range(2))
    layer.set_weights([gamma, beta])
    expected = np_group_norm(x, channels if groups == -1 else groups, axis, gamma, beta)
    np.testing.assert_allclose(layer(x).detach().numpy(), expected, rtol=1e-4, atol=1e-4)


def test_group_norm_config_and_errors():
    assert GroupNormalization(groups=-1).get_config()["groups"] == -1
    with pytest.raises(ValueError, match="groups must be a positive integer or -1"):
        GroupNormalization(groups=0)
    with pytest.raises(TypeError, match="axis must be an int"):
        GroupNormalization(axis=None)
    layer = GroupNormalization(groups=4)
    with pytest.raises(ValueError, match=r"number of channels \(6.*must be a multiple of groups \(4\)"):
        layer(torch.randn(2, 6))
    with pytest.raises(ValueError, match=r"number of channels \(2.*must be a multiple of groups \(4\)"):
        layer(torch.randn(2, 2))
    assert not layer.built
    with pytest.raises(ValueError, match="is the batch axis"):
        GroupNormalization(groups=1, axis=0)(torch.randn(2, 3))
    layer(torch.randn(2, 3, 8))
    with pytest.raises(ValueError, match=r"expected ndim=3, found ndim=2"):
        layer(torch.randn(2, 8))
    with pytest.raises(ValueError, match=r"expected axis -1 of input shape to have value 8"):
        layer(torch.randn(2, 3, 12))


def test_normalization_layers_are_registered_for_deserialization():
    for cls in (BatchNormalization, LayerNormalization, GroupNormalization):
        assert tkl.saving.get_registered_object(cls.__name__) is cls
