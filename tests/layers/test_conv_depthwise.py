"""DepthwiseConv1D/2D and SeparableConv1D/2D: Keras's test cases, NumPy references
and Keras 3 itself."""

import numpy as np
import pytest
import torch

from conv_reference import nchw, np_depthwise
from keras_parity import check_keras_parity, random_weights
from layer_testing import run_layer_test
from torch_keraslike.layers.conv_depthwise import DepthwiseConv1D, DepthwiseConv2D, SeparableConv1D, SeparableConv2D


# ------------------------------------------------------------ run_layer_test
@pytest.mark.parametrize("cls, kwargs, last_in, last_out, first_in, first_out, trainable", [
    (DepthwiseConv1D, {"kernel_size": 2, "depth_multiplier": 5, "strides": 1}, (3, 5, 4), (3, 4, 20),
     (3, 4, 5), (3, 20, 4), 2),
    (DepthwiseConv1D, {"kernel_size": 2, "depth_multiplier": 6, "strides": 2, "padding": "same",
                       "use_bias": False}, (3, 4, 4), (3, 2, 24), (3, 4, 4), (3, 24, 2), 1),
    (DepthwiseConv2D, {"kernel_size": 3, "depth_multiplier": 2}, (2, 5, 6, 3), (2, 3, 4, 6),
     (2, 3, 5, 6), (2, 6, 3, 4), 2),
    (SeparableConv1D, {"filters": 5, "kernel_size": 2, "depth_multiplier": 2, "dilation_rate": 2},
     (3, 5, 4), (3, 3, 5), (3, 4, 5), (3, 5, 3), 3),
    (SeparableConv1D, {"filters": 6, "kernel_size": 2, "strides": 2, "padding": "same"},
     (3, 5, 4), (3, 3, 6), (3, 4, 5), (3, 6, 3), 3),
    (SeparableConv2D, {"filters": 5, "kernel_size": 2, "padding": "same", "depth_multiplier": 2},
     (2, 5, 6, 3), (2, 5, 6, 5), (2, 3, 5, 6), (2, 5, 5, 6), 3),
])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_common(cls, kwargs, last_in, last_out, first_in, first_out, trainable, data_format):
    shapes = (last_in, last_out) if data_format == "channels_last" else (first_in, first_out)
    layer, _ = run_layer_test(cls, {**kwargs, "data_format": data_format}, *shapes, trainable,
                              run_compiled=data_format == "channels_last")
    assert layer.compute_output_shape(shapes[0]) == shapes[1]


# ---------------------------------------------------------------- numerics
@pytest.mark.parametrize("kwargs", [
    {"kernel_size": 3, "depth_multiplier": 2},
    {"kernel_size": (2, 3), "padding": "same", "strides": 2},
    {"kernel_size": 2, "padding": "same", "dilation_rate": 2, "depth_multiplier": 3},
])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_depthwise_matches_numpy(kwargs, data_format):
    x = np.random.default_rng(0).standard_normal((2, 6, 7, 3)).astype(np.float32)
    layer = DepthwiseConv2D(data_format=data_format, **kwargs)
    x_in = x if data_format == "channels_last" else nchw(x)
    layer(x_in)
    kernel, bias = random_weights(layer)
    expected = np_depthwise(x, kernel, bias, layer.strides, layer.padding, layer.dilation_rate)
    out = layer(x_in).detach().numpy()
    out = out if data_format == "channels_last" else np.moveaxis(out, 1, -1)
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-4)
    assert layer.depthwise_kernel is layer.kernel


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_separable_matches_numpy(data_format):
    x = np.random.default_rng(0).standard_normal((2, 6, 7, 3)).astype(np.float32)
    layer = SeparableConv2D(4, 3, strides=2, padding="same", depth_multiplier=2, data_format=data_format)
    x_in = x if data_format == "channels_last" else nchw(x)
    layer(x_in)
    depthwise, pointwise, bias = random_weights(layer)
    assert depthwise.shape == (3, 3, 3, 2) and pointwise.shape == (1, 1, 6, 4)
    mid = np_depthwise(x, depthwise, None, (2, 2), "same", (1, 1))
    expected = mid @ pointwise[0, 0] + bias
    out = layer(x_in).detach().numpy()
    out = out if data_format == "channels_last" else np.moveaxis(out, 1, -1)
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-4)


def test_depthwise_1d_is_the_2d_layer_on_a_unit_axis():
    x = torch.randn(2, 7, 3)
    one = DepthwiseConv1D(3, strides=2, padding="same", depth_multiplier=2)
    two = DepthwiseConv2D((3, 1), strides=(2, 1), padding="same", depth_multiplier=2)
    one(x), two(x[:, :, None])
    kernel, bias = random_weights(one)
    two.set_weights([kernel[:, None], bias])
    torch.testing.assert_close(one(x), two(x[:, :, None])[:, :, 0])


@pytest.mark.parametrize("cls, kwargs, shape", [
    (DepthwiseConv1D, {"kernel_size": 3, "depth_multiplier": 2, "padding": "same", "strides": 2}, (2, 9, 4)),
    (DepthwiseConv1D, {"kernel_size": 2, "dilation_rate": 2, "data_format": "channels_first"}, (2, 4, 9)),
    (DepthwiseConv2D, {"kernel_size": (2, 3), "depth_multiplier": 3, "padding": "same",
                       "activation": "relu"}, (2, 6, 7, 3)),
    (SeparableConv1D, {"filters": 5, "kernel_size": 3, "depth_multiplier": 2, "padding": "same",
                       "strides": 2}, (2, 9, 4)),
    (SeparableConv1D, {"filters": 3, "kernel_size": 2, "data_format": "channels_first",
                       "use_bias": False}, (2, 4, 9)),
    (SeparableConv2D, {"filters": 4, "kernel_size": 3, "strides": 2, "padding": "same",
                       "depth_multiplier": 2}, (2, 6, 7, 3)),
])
def test_matches_keras(cls, kwargs, shape):
    x = np.random.default_rng(7).standard_normal(shape).astype(np.float32)
    check_keras_parity(cls, kwargs, x)


def test_config_holds_every_argument():
    config = SeparableConv1D(4, 3, depth_multiplier=3, pointwise_regularizer="l2").get_config()
    assert config["depth_multiplier"] == 3 and config["kernel_size"] == (3,)
    assert config["pointwise_initializer"]["class_name"] == "GlorotUniform"
    assert config["pointwise_regularizer"]["class_name"] == "L2"
    config = DepthwiseConv1D(3, depthwise_constraint="non_neg").get_config()
    assert config["depthwise_constraint"]["class_name"] == "NonNeg"
    assert "filters" not in config


# ------------------------------------------------------------------ errors
@pytest.mark.parametrize("make, match", [
    (lambda: DepthwiseConv1D(2, depth_multiplier=0),
     "Invalid value for argument `depth_multiplier`. Expected a strictly positive value. Received "
     "depth_multiplier=0."),
    (lambda: DepthwiseConv2D((1, 0)), r"The `kernel_size` argument must be a tuple of 2 integers. "
                                      r"Received kernel_size=\(1, 0\), including values \{0\}"),
    (lambda: DepthwiseConv2D(2, strides=(1, 0)), r"The `strides` argument must be a tuple of 2 integers"),
    (lambda: SeparableConv1D(0, 3), "Invalid value for argument `filters`. Expected a strictly positive "
                                    "value. Received filters=0."),
    (lambda: SeparableConv2D(2, 3, depth_multiplier=0), "Invalid value for argument `depth_multiplier`"),
    (lambda: SeparableConv1D(2, (3, 3)), r"The `kernel_size` argument must be a tuple of 1 integers"),
    (lambda: DepthwiseConv1D(3, padding="causal"), r"padding must be one of \['valid', 'same'\]"),
])
def test_bad_arguments(make, match):
    with pytest.raises(ValueError, match=match):
        make()


@pytest.mark.parametrize("layer, x", [
    (DepthwiseConv1D(kernel_size=5), torch.ones(1, 4, 3)),
    (SeparableConv1D(2, kernel_size=3, dilation_rate=2), torch.ones(1, 4, 3)),
])
def test_too_small_inputs_leave_the_layer_unbuilt(layer, x):
    with pytest.raises(ValueError, match="Computed output size would be zero or negative"):
        layer(x)
    assert not layer.built and not layer.weights
    assert layer(torch.ones(1, 9, 3)).shape[1] > 0
