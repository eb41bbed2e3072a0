"""Conv1DTranspose, Conv2DTranspose and Conv3DTranspose: Keras's test cases, the
TensorFlow definition in NumPy, and Keras 3 itself."""

import itertools
import json

import numpy as np
import pytest
import torch

import torch_keraslike as tkl
from conv_reference import forward_conv_matches, np_conv_transpose
from keras_parity import check_keras_parity, random_weights
from layer_testing import run_layer_test
from torch_keraslike.layers.conv_transpose import Conv1DTranspose, Conv2DTranspose, Conv3DTranspose


# ------------------------------------------------------------ run_layer_test
@pytest.mark.parametrize("cls, kwargs, in_shape, out_shape", [
    # Keras's own basic cases (conv_transpose_test.py).
    (Conv1DTranspose, {"filters": 5, "kernel_size": 2, "strides": 2}, (2, 8, 4), (2, 16, 5)),
    (Conv1DTranspose, {"filters": 6, "kernel_size": 2, "strides": 3, "padding": "same",
                       "output_padding": 2, "dilation_rate": (1,)}, (2, 8, 4), (2, 23, 6)),
    (Conv2DTranspose, {"filters": 5, "kernel_size": 2, "strides": 2}, (2, 8, 8, 4), (2, 16, 16, 5)),
    (Conv2DTranspose, {"filters": 6, "kernel_size": 2, "strides": 3, "padding": "same",
                       "output_padding": 2}, (2, 8, 8, 4), (2, 23, 23, 6)),
    (Conv2DTranspose, {"filters": 6, "kernel_size": (2, 3), "strides": (2, 1),
                       "data_format": "channels_first"}, (2, 4, 8, 8), (2, 6, 16, 10)),
    (Conv2DTranspose, {"filters": 2, "kernel_size": 7, "strides": 16}, (1, 14, 14, 2), (1, 224, 224, 2)),
    (Conv3DTranspose, {"filters": 5, "kernel_size": 2, "strides": 2}, (2, 4, 4, 4, 3), (2, 8, 8, 8, 5)),
    (Conv3DTranspose, {"filters": 6, "kernel_size": 2, "strides": 3, "padding": "same",
                       "output_padding": 2}, (2, 3, 3, 3, 4), (2, 8, 8, 8, 6)),
    (Conv3DTranspose, {"filters": 6, "kernel_size": (2, 2, 3), "strides": (2, 1, 2),
                       "data_format": "channels_first"}, (2, 4, 3, 3, 3), (2, 6, 6, 4, 7)),
])
def test_common(cls, kwargs, in_shape, out_shape):
    layer, _ = run_layer_test(cls, kwargs, in_shape, out_shape, 2,
                              run_compiled=kwargs.get("padding") == "same")
    assert layer.compute_output_shape(in_shape) == out_shape


@pytest.mark.parametrize("cls, shape", [(Conv1DTranspose, (1, 8, 3)), (Conv2DTranspose, (1, 5, 5, 3)),
                                        (Conv3DTranspose, (1, 5, 5, 5, 3))])
def test_output_padding_round_trips_through_the_config(cls, shape):
    layer = cls(2, 3, strides=2, output_padding=1)
    config = json.loads(json.dumps(layer.get_config()))
    revived = cls.from_config(config)
    assert revived.output_padding == layer.output_padding == (1,) * (len(shape) - 2)
    assert revived.compute_output_shape(shape) == layer.compute_output_shape(shape)
    assert revived(torch.ones(shape)).shape == layer.compute_output_shape(shape)


@pytest.mark.parametrize("k, s, padding, op", [
    (k, s, padding, op) for k, s, padding, op in itertools.product(
        range(1, 5), range(1, 5), ("same", "valid"), (None, 1, 2, 3)) if op is None or op < s])
def test_unknown_sizes_stay_unknown(k, s, padding, op):
    x = tkl.Input(shape=(None, None, 3))
    y = Conv2DTranspose(2, k, strides=s, padding=padding, output_padding=op)(x)
    assert y.shape == (None, None, None, 2)


# -------------------------------------------------- numerics: TF definition
def _tf_accepts(k, s, padding, op, d, sizes=(4, 3)):
    """TensorFlow defines the transposed conv only where its forward conv maps the
    output size back to the input size."""
    layer = Conv2DTranspose(1, k, strides=s, padding=padding, dilation_rate=d,
                            output_padding=None if op is None else op)
    out = layer.compute_output_shape((1, *sizes, 1))[1:3]
    eff = (k - 1) * d + 1
    return all(forward_conv_matches(i, o, eff, s, padding) for i, o in zip(sizes, out))


_TRANSPOSE_CASES = [
    (k, s, padding, op, 1)
    for k in (1, 2, 3, 4) for s in (1, 2, 3) for padding in ("valid", "same") for op in (None, 0, 1)
    if op is None or op < s
] + [(3, 1, "same", None, 2), (2, 1, "valid", None, 3), (3, 1, "valid", 0, 2)]


@pytest.mark.parametrize("k, s, padding, op, d", [c for c in _TRANSPOSE_CASES if _tf_accepts(*c)])
def test_conv2d_transpose_matches_tf_definition(k, s, padding, op, d):
    h, w = 4, 3
    x = np.random.default_rng(0).standard_normal((2, h, w, 3)).astype(np.float32)
    layer = Conv2DTranspose(2, k, strides=s, padding=padding, dilation_rate=d,
                            output_padding=None if op is None else (op, op))
    out_shape = layer.compute_output_shape((2, h, w, 3))
    layer(x)
    kernel, bias = random_weights(layer)
    out = layer(x).detach().numpy()
    assert out.shape == out_shape
    expected = np_conv_transpose(x, kernel, bias, layer.strides, padding, layer.output_padding,
                                 layer.dilation_rate)
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-4)


def test_output_sizes_follow_keras_formula():
    assert Conv2DTranspose(1, 3, strides=2).compute_output_shape((None, 5, 5, 2)) == (None, 11, 11, 1)
    assert Conv2DTranspose(1, 1, strides=3).compute_output_shape((None, 5, 5, 2)) == (None, 15, 15, 1)
    same = Conv2DTranspose(1, 4, strides=2, padding="same")
    assert same.compute_output_shape((1, 5, 6, 2)) == (1, 10, 12, 1)
    layer = Conv2DTranspose(1, 3, strides=2, padding="same", output_padding=0, data_format="channels_first")
    assert layer.compute_output_shape((1, 2, 5, None)) == (1, 1, 9, None)
    assert Conv1DTranspose(2, 3, strides=2, padding="same", output_padding=1).compute_output_shape(
        (None, 5, 3)) == (None, 10, 2)


# ------------------------------------------------------- parity with Keras 3
@pytest.mark.parametrize("k, s, padding, op", [
    (k, s, padding, op) for k, s, padding, op in itertools.product(
        range(1, 5), range(1, 5), ("same", "valid"), (None, 1, 2, 3)) if op is None or op < s])
def test_conv1d_transpose_matches_keras(k, s, padding, op):
    # Keras's consistency grid (kernel, stride, padding, output_padding).
    x = np.random.default_rng(k * 16 + s).standard_normal((2, 5, 3)).astype(np.float32)
    check_keras_parity(Conv1DTranspose, {"filters": 2, "kernel_size": k, "strides": s,
                                         "padding": padding, "output_padding": op}, x)


@pytest.mark.parametrize("cls, kwargs, shape", [
    (Conv1DTranspose, {"filters": 3, "kernel_size": 3, "dilation_rate": 2, "padding": "same"}, (2, 7, 4)),
    (Conv2DTranspose, {"filters": 6, "kernel_size": 7, "strides": 16, "padding": "same",
                       "output_padding": 2}, (2, 5, 5, 4)),
    (Conv2DTranspose, {"filters": 6, "kernel_size": (2, 3), "strides": (2, 1), "activation": "tanh"},
     (2, 6, 5, 4)),
    (Conv2DTranspose, {"filters": 3, "kernel_size": 3, "strides": 2, "padding": "same",
                       "data_format": "channels_first"}, (2, 4, 5, 6)),
    (Conv3DTranspose, {"filters": 6, "kernel_size": 2, "strides": 3, "padding": "same",
                       "output_padding": 2}, (2, 3, 4, 3, 4)),
    (Conv3DTranspose, {"filters": 4, "kernel_size": (2, 2, 3), "strides": (2, 1, 2)}, (2, 4, 3, 4, 3)),
    (Conv3DTranspose, {"filters": 2, "kernel_size": 3, "strides": 2, "use_bias": False,
                       "data_format": "channels_first"}, (1, 3, 3, 4, 2)),
])
def test_matches_keras(cls, kwargs, shape):
    x = np.random.default_rng(5).standard_normal(shape).astype(np.float32)
    check_keras_parity(cls, kwargs, x)


# ------------------------------------------------------------------ errors
@pytest.mark.parametrize("make, match", [
    (lambda: Conv1DTranspose(filters=0, kernel_size=1),
     r"Invalid value for argument `filters`. Expected a strictly positive value. Received filters=0"),
    (lambda: Conv2DTranspose(filters=2, kernel_size=(1, 0)),
     r"The `kernel_size` argument must be a tuple of 2 integers. Received kernel_size=\(1, 0\), "
     r"including values \{0\} that do not satisfy `value > 0`"),
    (lambda: Conv2DTranspose(filters=2, kernel_size=(2, 2), strides=(1, 0)),
     r"The `strides` argument must be a tuple of 2 integers. Received strides=\(1, 0\)"),
    (lambda: Conv1DTranspose(filters=2, kernel_size=3, strides=2, output_padding=2),
     r"`output_padding` must be strictly less than `strides`"),
    (lambda: Conv2DTranspose(filters=2, kernel_size=3, strides=(2, 3), output_padding=(1, 3)),
     r"`output_padding` must be strictly less than `strides` for all dimensions. At dimension 1, "
     r"`output_padding` is 3 but `strides` is 3"),
    (lambda: Conv2DTranspose(filters=16, kernel_size=3, strides=[1, 1], output_padding=1),
     r"`output_padding` must be strictly less than `strides`"),
    (lambda: Conv3DTranspose(filters=8, kernel_size=3, strides=1, output_padding=1),
     r"`output_padding` must be strictly less than `strides`"),
    (lambda: Conv2DTranspose(filters=2, kernel_size=3, output_padding=-1),
     r"The `output_padding` argument must be a tuple of 2 integers. Received output_padding=-1, "
     r"including values \{-1\} that do not satisfy `value >= 0`"),
    (lambda: Conv2DTranspose(filters=2, kernel_size=(2, 2), strides=2, dilation_rate=(2, 1)),
     r"`strides > 1` not supported in conjunction with `dilation_rate > 1`. Received: "
     r"strides=\(2, 2\) and dilation_rate=\(2, 1\)"),
    (lambda: Conv3DTranspose(2, 3, padding="causal"), r"padding must be one of \['valid', 'same'\]"),
])
def test_bad_arguments(make, match):
    with pytest.raises(ValueError, match=match) as error:
        make()
    assert "Fix:" in str(error.value)


def test_bad_inputs_leave_the_layer_unbuilt():
    layer = Conv3DTranspose(2, 2)
    with pytest.raises(ValueError, match=r"expected min_ndim=5, found ndim=4"):
        layer(torch.ones(1, 4, 4, 3))
    assert not layer.built and not layer.weights
    layer(torch.ones(1, 2, 2, 2, 3))
    with pytest.raises(ValueError, match=r"expected axis -1 of input shape to have value 3"):
        layer(torch.ones(1, 2, 2, 2, 4))
    assert [w.shape for w in layer.get_weights()] == [(2, 2, 2, 2, 3), (2,)]
