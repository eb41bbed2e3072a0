"""RMSNormalization."""

import numpy as np
import pytest
import torch

import torch_keraslike as tkl
from keras_reference import assert_layer_matches_keras, import_keras
from layer_testing import run_layer_test
from torch_keraslike.layers.rms_normalization import RMSNormalization


def np_rms_norm(x, axes, scale, epsilon=1e-6):
    x = x.astype(np.float64)
    axes = tuple(sorted(a % x.ndim for a in axes))
    shape = [x.shape[d] if d in axes else 1 for d in range(x.ndim)]
    return x / np.sqrt((x ** 2).mean(axes, keepdims=True) + epsilon) * scale.reshape(shape)


@pytest.mark.parametrize("kwargs, shape, scale_shape", [
    ({}, (4, 2), (2,)), ({"axis": -1}, (4, 2), (2,)), ({"axis": [1, 2]}, (2, 3, 4), (3, 4)),
    ({"axis": [1]}, (2, 3, 4), (3,)), ({"axis": [-1, 1]}, (2, 3, 4), (3, 4)),
])
def test_rms_norm_common(kwargs, shape, scale_shape):
    layer, _ = run_layer_test(RMSNormalization, kwargs, shape, shape, 1)
    assert layer.scale.shape == scale_shape


@pytest.mark.parametrize("axis", [-1, [-2, -1], [1], [1, 3], [-1, -2]])
def test_rms_norm_matches_numpy(axis):
    x = np.random.default_rng(0).normal(5, 10, (6, 3, 4, 2)).astype(np.float32)
    layer = RMSNormalization(axis=axis)
    layer(x)
    scale = np.random.default_rng(1).uniform(0.5, 2, layer.scale.shape).astype(np.float32)
    layer.set_weights([scale])
    axes = axis if isinstance(axis, list) else [axis]
    np.testing.assert_allclose(layer(x).detach().numpy(), np_rms_norm(x, axes, scale), rtol=1e-5, atol=1e-5)


def test_keras_documented_output_and_half_inputs():
    out = RMSNormalization()(np.arange(10, dtype=np.float32)[None, :])
    np.testing.assert_allclose(out.detach().numpy()[0, :3], [0.0, 0.18731716, 0.37463433], rtol=1e-6)
    half = RMSNormalization().to(torch.bfloat16)
    x = torch.randn(4, 8).to(torch.bfloat16)
    out = half(x)
    assert out.dtype == torch.bfloat16
    np.testing.assert_allclose(out.float().detach().numpy(), np_rms_norm(x.float().numpy(), [-1], np.ones(8)),
                               rtol=2e-2, atol=2e-2)


@pytest.mark.parametrize("axis", [-1, [-2, -1]])
def test_rms_norm_matches_keras(axis):
    keras = import_keras()
    x = np.random.default_rng(0).standard_normal((3, 4, 5)).astype(np.float32)
    ours = RMSNormalization(axis=axis, epsilon=1e-4)
    ours(x)
    ours.set_weights([np.random.default_rng(2).uniform(0.5, 2, ours.scale.shape).astype(np.float32)])
    assert_layer_matches_keras(ours, keras.layers.RMSNormalization(axis=axis, epsilon=1e-4), x)


def test_config_and_errors():
    config = RMSNormalization(axis=[1, 2], epsilon=1e-5).get_config()
    assert config["axis"] == [1, 2] and config["epsilon"] == 1e-5
    with pytest.raises(ValueError, match="epsilon must be a non-negative number"):
        RMSNormalization(epsilon=-1)
    with pytest.raises(TypeError, match="invalid value for `axis`"):
        RMSNormalization(axis="last")
    layer = RMSNormalization(axis=2)
    with pytest.raises(ValueError, match="expected min_ndim=3, found ndim=2"):
        layer(torch.ones(2, 3))
    with pytest.raises(ValueError, match="must have known sizes"):
        RMSNormalization().build((None, None))
    layer(torch.ones(2, 3, 4))
    with pytest.raises(ValueError, match="expected axis 2 of input shape to have value 4"):
        layer(torch.ones(2, 3, 5))
    assert tkl.saving.get_registered_object("RMSNormalization") is RMSNormalization
