"""Conv1D/2D/3D, Conv2DTranspose, DepthwiseConv2D, SeparableConv2D against NumPy
references written from Keras's definitions (Keras layouts from get_weights())."""

import itertools
import math

import numpy as np
import pytest
import torch

import torch_keraslike as tkl
from layer_testing import run_layer_test
from torch_keraslike.layers.conv import (
    Conv1D, Conv2D, Conv2DTranspose, Conv3D, DepthwiseConv2D, SeparableConv2D)


# ----------------------------------------------------------- NumPy references
def _keras_same_pads(size, k, s, d):
    out = math.ceil(size / s)
    total = max((out - 1) * s + (k - 1) * d + 1 - size, 0)
    return total // 2, total - total // 2


def np_conv(x, kernel, bias, strides, padding, dilation, groups=1):
    """Cross-correlation of channels_last ``x`` with a Keras kernel (*k, in/groups, out)."""
    rank = x.ndim - 2
    ks = kernel.shape[:rank]
    if padding == "same":
        pads = [_keras_same_pads(x.shape[1 + i], ks[i], strides[i], dilation[i]) for i in range(rank)]
        x = np.pad(x, [(0, 0)] + pads + [(0, 0)])
    elif padding == "causal":
        x = np.pad(x, [(0, 0), ((ks[0] - 1) * dilation[0], 0), (0, 0)])
    outs = [(x.shape[1 + i] - (ks[i] - 1) * dilation[i] - 1) // strides[i] + 1 for i in range(rank)]
    cin, fout = kernel.shape[-2], kernel.shape[-1] // groups
    out = np.zeros((x.shape[0], *outs, kernel.shape[-1]))
    for offset in np.ndindex(*ks):
        index = (slice(None),) + tuple(
            slice(o * d, o * d + (n - 1) * s + 1, s) for o, d, n, s in zip(offset, dilation, outs, strides))
        patch = x[index]
        for g in range(groups):
            out[..., g * fout:(g + 1) * fout] += (
                patch[..., g * cin:(g + 1) * cin] @ kernel[offset][:, g * fout:(g + 1) * fout])
    return out if bias is None else out + bias


def np_depthwise(x, kernel, bias, strides, padding, dilation):
    """Depthwise conv, Keras kernel (kh, kw, c, m): output channel c * m_total + m."""
    out = np.concatenate([
        np_conv(x[..., i:i + 1], kernel[:, :, i:i + 1, :], None, strides, padding, dilation)
        for i in range(kernel.shape[2])], axis=-1)
    return out if bias is None else out + bias


def np_conv_transpose(x, kernel, bias, strides, padding, output_padding, dilation):
    """TF's definition: the gradient of a forward conv (output size ``O`` from Keras's
    formula, Keras padding) with respect to its input. Kernel (kh, kw, out, in)."""
    n, h, w, _ = x.shape
    ks = kernel.shape[:2]
    eff = [(k - 1) * d + 1 for k, d in zip(ks, dilation)]
    sizes = []
    for size, k, s, op in zip((h, w), eff, strides, output_padding or (None, None)):
        if padding == "valid":
            sizes.append((size - 1) * s + k + (max(k, s) - k if op is None else op))
        else:
            sizes.append(size * s if op is None else (size - 1) * s + k % 2 + op)
    full = np.zeros((n, (h - 1) * strides[0] + eff[0], (w - 1) * strides[1] + eff[1], kernel.shape[2]))
    for i, j, a, b in itertools.product(range(h), range(w), range(ks[0]), range(ks[1])):
        row, col = i * strides[0] + a * dilation[0], j * strides[1] + b * dilation[1]
        full[:, row, col] += x[:, i, j] @ kernel[a, b].T
    out = np.zeros((n, *sizes, kernel.shape[2]))
    index = []
    for axis, (size, k, s) in enumerate(zip(sizes, eff, strides)):
        before = _keras_same_pads(size, k, s, 1)[0] if padding == "same" else 0
        stop = min(before + size, full.shape[1 + axis])
        index.append((before, stop))
    (b0, e0), (b1, e1) = index
    out[:, :e0 - b0, :e1 - b1] = full[:, b0:e0, b1:e1]
    return out if bias is None else out + bias


def _forward_conv_matches(size_in, size_out, k, s, padding):
    """Whether TF's forward conv maps size_out back to size_in (TF's validity rule)."""
    if padding == "same":
        return math.ceil(size_out / s) == size_in
    return size_out >= k and (size_out - k) // s + 1 == size_in


def _random_weights(layer, seed=1):
    rng = np.random.default_rng(seed)
    layer.set_weights([rng.standard_normal(w.shape).astype(np.float32) for w in layer.get_weights()])
    return layer.get_weights()


def _nchw(x):
    return np.moveaxis(x, -1, 1)


# ------------------------------------------------------------ run_layer_test
@pytest.mark.parametrize("cls, kwargs, last_in, last_out, first_in, first_out, trainable", [
    (Conv1D, {"filters": 4, "kernel_size": 3}, (2, 8, 3), (2, 6, 4), (2, 3, 8), (2, 4, 6), 2),
    (Conv1D, {"filters": 4, "kernel_size": 3, "padding": "causal", "use_bias": False},
     (2, 8, 3), (2, 8, 4), (2, 3, 8), (2, 4, 8), 1),
    (Conv2D, {"filters": 4, "kernel_size": 3, "padding": "same"}, (2, 5, 6, 3), (2, 5, 6, 4),
     (2, 3, 5, 6), (2, 4, 5, 6), 2),
    (Conv2D, {"filters": 4, "kernel_size": 2, "strides": 2, "padding": "same", "groups": 2},
     (2, 5, 6, 2), (2, 3, 3, 4), (2, 2, 5, 6), (2, 4, 3, 3), 2),
    (Conv3D, {"filters": 2, "kernel_size": (2, 3, 1)}, (1, 4, 4, 3, 3), (1, 3, 2, 3, 2),
     (1, 3, 4, 4, 3), (1, 2, 3, 2, 3), 2),
    (Conv2DTranspose, {"filters": 3, "kernel_size": 3, "strides": 2, "padding": "same"},
     (2, 4, 5, 2), (2, 8, 10, 3), (2, 2, 4, 5), (2, 3, 8, 10), 2),
    (Conv2DTranspose, {"filters": 3, "kernel_size": 2, "strides": 2}, (2, 4, 5, 2), (2, 8, 10, 3),
     (2, 2, 4, 5), (2, 3, 8, 10), 2),
    (DepthwiseConv2D, {"kernel_size": 3, "depth_multiplier": 2}, (2, 5, 6, 3), (2, 3, 4, 6),
     (2, 3, 5, 6), (2, 6, 3, 4), 2),
    (SeparableConv2D, {"filters": 5, "kernel_size": 2, "padding": "same", "depth_multiplier": 2},
     (2, 5, 6, 3), (2, 5, 6, 5), (2, 3, 5, 6), (2, 5, 5, 6), 3),
])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_common(cls, kwargs, last_in, last_out, first_in, first_out, trainable, data_format):
    shapes = (last_in, last_out) if data_format == "channels_last" else (first_in, first_out)
    layer, out = run_layer_test(cls, {**kwargs, "data_format": data_format}, *shapes, trainable)
    assert layer.compute_output_shape(shapes[0]) == shapes[1]


# ------------------------------------------------------------ numerics: conv
@pytest.mark.parametrize("rank, kwargs", [
    (1, {"kernel_size": 3}),
    (1, {"kernel_size": 3, "padding": "causal", "dilation_rate": 2}),
    (1, {"kernel_size": 4, "padding": "same", "strides": 3}),
    (2, {"kernel_size": 3, "padding": "same"}),
    (2, {"kernel_size": (2, 4), "padding": "same"}),  # asymmetric "same" padding
    (2, {"kernel_size": 3, "padding": "same", "strides": 2}),
    (2, {"kernel_size": (3, 2), "strides": (2, 1)}),
    (2, {"kernel_size": 2, "padding": "same", "dilation_rate": (2, 3)}),
    (2, {"kernel_size": 3, "groups": 2, "padding": "same"}),
    (3, {"kernel_size": 2, "padding": "same", "strides": 2}),
])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_conv_matches_numpy(rank, kwargs, data_format):
    cls = {1: Conv1D, 2: Conv2D, 3: Conv3D}[rank]
    spatial = {1: (9,), 2: (7, 6), 3: (5, 4, 5)}[rank]
    x = np.random.default_rng(0).standard_normal((2, *spatial, 4)).astype(np.float32)
    layer = cls(6, data_format=data_format, **kwargs)
    x_in = x if data_format == "channels_last" else _nchw(x)
    layer(x_in)
    kernel, bias = _random_weights(layer)
    expected = np_conv(x, kernel, bias, layer.strides, layer.padding, layer.dilation_rate, layer.groups)
    out = layer(x_in).detach().numpy()
    out = out if data_format == "channels_last" else np.moveaxis(out, 1, -1)
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-4)


def test_conv_same_padding_depends_on_input_size_per_call():
    layer = Conv2D(2, 3, strides=2, padding="same")
    for size in (6, 7, 8):  # even/odd sizes need different (asymmetric) pads
        x = np.random.default_rng(size).standard_normal((1, size, size, 3)).astype(np.float32)
        out = layer(x).detach().numpy()
        kernel, bias = layer.get_weights()
        expected = np_conv(x, kernel, bias, (2, 2), "same", (1, 1))
        np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("layer", [Conv2D(3, 3, strides=2, padding="same"),
                                   Conv2DTranspose(3, 3, strides=2, padding="same")])
def test_compiled_with_dynamic_sizes_recomputes_same_padding(layer):
    sizes = [(2, 7, 7, 2), (3, 8, 9, 2), (4, 10, 11, 2)]
    layer(torch.randn(sizes[0]))
    compiled = torch.compile(layer, backend="eager", fullgraph=True, dynamic=True)
    for size in sizes:
        x = torch.randn(size)
        torch.testing.assert_close(compiled(x), layer(x))
    torch._dynamo.reset()


def test_activation_is_applied_in_the_data_format():
    out = Conv2D(4, 1, activation="softmax")(torch.randn(2, 3, 3, 5))
    torch.testing.assert_close(out.sum(-1), torch.ones(2, 3, 3))


# -------------------------------------------------- numerics: transposed conv
def _tf_accepts(k, s, padding, op, d, sizes=(4, 3)):
    """TensorFlow defines the transposed conv only where its forward conv maps the
    output size back to the input size."""
    layer = Conv2DTranspose(1, k, strides=s, padding=padding, dilation_rate=d,
                            output_padding=None if op is None else op)
    out = layer.compute_output_shape((1, *sizes, 1))[1:3]
    eff = (k - 1) * d + 1
    return all(_forward_conv_matches(i, o, eff, s, padding) for i, o in zip(sizes, out))


_TRANSPOSE_CASES = [
    (k, s, padding, op, 1)
    for k in (1, 2, 3, 4) for s in (1, 2, 3) for padding in ("valid", "same") for op in (None, 0, 1)
    if op is None or op < s
] + [(3, 1, "same", None, 2), (2, 1, "valid", None, 3), (3, 1, "valid", 0, 2)]


@pytest.mark.parametrize("k, s, padding, op, d", [c for c in _TRANSPOSE_CASES if _tf_accepts(*c)])
def test_conv_transpose_matches_tf_definition(k, s, padding, op, d):
    h, w = 4, 3
    x = np.random.default_rng(0).standard_normal((2, h, w, 3)).astype(np.float32)
    layer = Conv2DTranspose(2, k, strides=s, padding=padding, dilation_rate=d,
                            output_padding=None if op is None else (op, op))
    out_shape = layer.compute_output_shape((2, h, w, 3))
    layer(x)
    kernel, bias = _random_weights(layer)
    out = layer(x).detach().numpy()
    assert out.shape == out_shape
    expected = np_conv_transpose(x, kernel, bias, layer.strides, padding, layer.output_padding,
                                 layer.dilation_rate)
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-4)


def test_conv_transpose_large_output_padding_extends_with_bias():
    # Beyond TensorFlow's range Keras (JAX semantics) pads the full output with zeros.
    layer = Conv2DTranspose(2, 3, output_padding=2)
    x = torch.randn(1, 4, 4, 3)
    out = layer(x)
    assert out.shape == (1, 8, 8, 2) == layer.compute_output_shape(x.shape)
    layer.set_weights([layer.get_weights()[0], np.array([1.0, -1.0], np.float32)])
    out = layer(x).detach()
    full = Conv2DTranspose(2, 3)
    full(x)
    full.set_weights(layer.get_weights())
    torch.testing.assert_close(out[:, :6, :6], full(x).detach())
    torch.testing.assert_close(out[:, 6:, :, 0], torch.ones(1, 2, 8))
    torch.testing.assert_close(out[:, :, 6:, 1], -torch.ones(1, 8, 2))


def test_conv_transpose_output_sizes_follow_keras_formula():
    assert Conv2DTranspose(1, 3, strides=2).compute_output_shape((None, 5, 5, 2)) == (None, 11, 11, 1)
    assert Conv2DTranspose(1, 1, strides=3).compute_output_shape((None, 5, 5, 2)) == (None, 15, 15, 1)
    same = Conv2DTranspose(1, 4, strides=2, padding="same")
    assert same.compute_output_shape((1, 5, 6, 2)) == (1, 10, 12, 1)
    layer = Conv2DTranspose(1, 3, strides=2, padding="same", output_padding=0, data_format="channels_first")
    assert layer.compute_output_shape((1, 2, 5, None)) == (1, 1, 9, None)


# ------------------------------------------------- depthwise and separable
@pytest.mark.parametrize("kwargs", [
    {"kernel_size": 3, "depth_multiplier": 2},
    {"kernel_size": (2, 3), "padding": "same", "strides": 2},
    {"kernel_size": 2, "padding": "same", "dilation_rate": 2, "depth_multiplier": 3},
])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_depthwise_matches_numpy(kwargs, data_format):
    x = np.random.default_rng(0).standard_normal((2, 6, 7, 3)).astype(np.float32)
    layer = DepthwiseConv2D(data_format=data_format, **kwargs)
    x_in = x if data_format == "channels_last" else _nchw(x)
    layer(x_in)
    kernel, bias = _random_weights(layer)
    expected = np_depthwise(x, kernel, bias, layer.strides, layer.padding, layer.dilation_rate)
    out = layer(x_in).detach().numpy()
    out = out if data_format == "channels_last" else np.moveaxis(out, 1, -1)
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-4)
    assert layer.depthwise_kernel is layer.kernel


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_separable_matches_numpy(data_format):
    x = np.random.default_rng(0).standard_normal((2, 6, 7, 3)).astype(np.float32)
    layer = SeparableConv2D(4, 3, strides=2, padding="same", depth_multiplier=2, data_format=data_format)
    x_in = x if data_format == "channels_last" else _nchw(x)
    layer(x_in)
    depthwise, pointwise, bias = _random_weights(layer)
    assert depthwise.shape == (3, 3, 3, 2) and pointwise.shape == (1, 1, 6, 4)
    mid = np_depthwise(x, depthwise, None, (2, 2), "same", (1, 1))
    expected = mid @ pointwise[0, 0] + bias
    out = layer(x_in).detach().numpy()
    out = out if data_format == "channels_last" else np.moveaxis(out, 1, -1)
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-4)


# ------------------------------------------ layouts, initializers, constraints
@pytest.mark.parametrize("layer, x_shape, stored, keras", [
    (Conv1D(5, 3), (1, 6, 4), {"kernel": (5, 4, 3)}, [(3, 4, 5), (5,)]),
    (Conv2D(6, (3, 2), groups=2), (1, 6, 6, 4), {"kernel": (6, 2, 3, 2)}, [(3, 2, 2, 6), (6,)]),
    (Conv3D(5, 2), (1, 3, 3, 3, 4), {"kernel": (5, 4, 2, 2, 2)}, [(2, 2, 2, 4, 5), (5,)]),
    (Conv2DTranspose(5, (3, 2)), (1, 3, 3, 4), {"kernel": (4, 5, 3, 2)}, [(3, 2, 5, 4), (5,)]),
    (DepthwiseConv2D(3, depth_multiplier=2), (1, 4, 4, 4), {"kernel": (4, 2, 3, 3)}, [(3, 3, 4, 2), (8,)]),
    (SeparableConv2D(5, 3, depth_multiplier=2), (1, 4, 4, 4),
     {"depthwise_kernel": (4, 2, 3, 3), "pointwise_kernel": (5, 8, 1, 1)},
     [(3, 3, 4, 2), (1, 1, 8, 5), (5,)]),
])
def test_storage_is_torch_layout_and_weights_are_keras_layout(layer, x_shape, stored, keras):
    layer(torch.zeros(x_shape))
    state = layer.state_dict()
    for key, shape in stored.items():
        assert tuple(state[key].shape) == shape
    assert [w.shape for w in layer.get_weights()] == keras


@pytest.mark.parametrize("make, x_shape, keras_shape", [
    (lambda init: Conv2D(6, (3, 2), kernel_initializer=init), (1, 5, 5, 4), (3, 2, 4, 6)),
    (lambda init: Conv1D(3, 5, kernel_initializer=init), (1, 9, 2), (5, 2, 3)),
    (lambda init: Conv2DTranspose(6, 3, kernel_initializer=init), (1, 5, 5, 4), (3, 3, 6, 4)),
    (lambda init: DepthwiseConv2D(3, depth_multiplier=2, depthwise_initializer=init),
     (1, 5, 5, 4), (3, 3, 4, 2)),
])
def test_initializers_run_on_the_keras_shape(make, x_shape, keras_shape):
    # A seeded initializer returns the same values on each call, so the kernel must
    # equal it evaluated on Keras's shape: same fans (glorot limit) and same values.
    layer = make(tkl.initializers.GlorotUniform(seed=7))
    layer(torch.zeros(x_shape))
    expected = tkl.initializers.GlorotUniform(seed=7)(keras_shape).numpy()
    np.testing.assert_array_equal(layer.get_weights()[0], expected)
    seen = []
    layer = make(lambda shape, dtype=None: seen.append(tuple(shape)) or torch.zeros(shape))
    layer(torch.zeros(x_shape))
    assert seen == [keras_shape]


def test_glorot_limit_uses_keras_fans():
    layer = Conv2D(64, 3)
    layer(torch.zeros(1, 4, 4, 32))
    limit = math.sqrt(6 / (3 * 3 * 32 + 3 * 3 * 64))
    kernel = layer.get_weights()[0]
    assert np.abs(kernel).max() <= limit and np.abs(kernel).max() > 0.99 * limit


def test_constraint_axes_and_regularizer_use_keras_layout():
    layer = Conv2D(3, 2, kernel_constraint=tkl.constraints.MaxNorm(1.0, axis=[0, 1, 2]),
                   kernel_regularizer=tkl.regularizers.L2(0.1))
    layer(torch.zeros(1, 4, 4, 2))
    kernel = np.full((2, 2, 2, 3), 2.0, dtype=np.float32)
    layer.set_weights([kernel, np.zeros(3, np.float32)])
    torch.testing.assert_close(layer.losses[0], torch.tensor(0.1 * (kernel ** 2).sum()))
    optimizer = torch.optim.SGD(layer.parameters(), lr=0.0)
    layer(torch.zeros(1, 4, 4, 2)).sum().backward()
    optimizer.step()
    norms = np.sqrt((layer.get_weights()[0] ** 2).sum(axis=(0, 1, 2)))
    np.testing.assert_allclose(norms, np.ones(3), rtol=1e-5)


def test_channels_last_runs_on_views_and_follows_global_format():
    x = torch.randn(2, 6, 6, 3, requires_grad=True)
    layer = Conv2D(4, 3, padding="same")
    out = layer(x)
    assert out.is_contiguous()
    out.sum().backward()
    assert x.grad.shape == x.shape and layer.kernel.grad.shape == (4, 3, 3, 3)
    tkl.config.set_image_data_format("channels_first")
    try:
        assert Conv2D(2, 3).data_format == "channels_first"
    finally:
        tkl.config.set_image_data_format("channels_last")


def test_config_holds_every_argument():
    layer = Conv2DTranspose(3, (3, 2), strides=2, padding="SAME", output_padding=1, activation="relu",
                            kernel_regularizer="l2")
    config = layer.get_config()
    assert config["padding"] == "same" and config["output_padding"] == (1, 1)
    assert config["strides"] == (2, 2) and config["activation"] == "relu"
    assert config["kernel_regularizer"]["class_name"] == "L2"
    config = SeparableConv2D(4, 3, depth_multiplier=3).get_config()
    assert config["depth_multiplier"] == 3
    assert config["pointwise_initializer"]["class_name"] == "GlorotUniform"


# ------------------------------------------------------------------ errors
@pytest.mark.parametrize("filters", [0, -2, 2.5, "4", True, None])
def test_bad_filters(filters):
    with pytest.raises(ValueError, match="filters must be a positive integer"):
        Conv2D(filters, 3)


@pytest.mark.parametrize("kwargs, match", [
    ({"kernel_size": (3, 3, 3)}, r"kernel_size must be a positive int or a tuple of 2"),
    ({"kernel_size": 0}, r"kernel_size must be a positive int"),
    ({"kernel_size": "3"}, r"kernel_size must be"),
    ({"kernel_size": 3, "strides": (1, 0)}, r"strides must be a positive int"),
    ({"kernel_size": 3, "dilation_rate": 1.5}, r"dilation_rate must be"),
    ({"kernel_size": 3, "padding": "full"}, r"padding must be one of \['valid', 'same'\]"),
    ({"kernel_size": 3, "padding": "causal"}, r"padding must be one of"),
    ({"kernel_size": 3, "strides": 2, "dilation_rate": 2}, r"`strides > 1` not supported"),
    ({"kernel_size": 3, "groups": 3}, r"filters must be evenly divisible by the number of groups"),
    ({"kernel_size": 3, "groups": 0}, r"groups must be a positive integer"),
    ({"kernel_size": 3, "data_format": "NHWC"}, r"Invalid data_format"),
])
def test_bad_conv_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Conv2D(4, **kwargs)


def test_bad_arguments_of_other_layers():
    assert Conv1D(2, 3, padding="CAUSAL").padding == "causal"
    with pytest.raises(ValueError, match="output_padding must be a non-negative int"):
        Conv2DTranspose(2, 3, output_padding=-1)
    with pytest.raises(ValueError, match="depth_multiplier must be a positive integer"):
        DepthwiseConv2D(3, depth_multiplier=0)
    with pytest.raises(ValueError, match="filters must be a positive integer"):
        SeparableConv2D(0, 3)
    with pytest.raises(ValueError, match=r"kernel_size must be a positive int or a tuple of 3"):
        Conv3D(2, (2, 2))


def test_bad_inputs_rejected_before_the_kernel_runs():
    layer = Conv2D(2, 3)
    with pytest.raises(ValueError, match=r"expected min_ndim=4, found ndim=3"):
        layer(torch.ones(5, 4, 4))
    with pytest.raises(ValueError, match=r"expected max_ndim=4, found ndim=5"):
        layer(torch.ones(1, 5, 4, 4, 3))
    assert not layer.built
    layer(torch.ones(1, 5, 5, 3))
    with pytest.raises(ValueError, match=r"expected axis -1 of input shape to have value 3"):
        layer(torch.ones(1, 5, 5, 4))
    first = Conv1D(2, 3, data_format="channels_first")
    first(torch.ones(1, 3, 6))
    with pytest.raises(ValueError, match=r"expected axis 1 of input shape to have value 3"):
        first(torch.ones(1, 4, 6))


def test_groups_must_divide_input_channels_and_outputs_must_be_positive():
    layer = Conv2D(4, 3, groups=2)
    with pytest.raises(ValueError, match="input channels must be evenly divisible by the number of groups"):
        layer(torch.ones(1, 5, 5, 3))
    assert not layer.built
    with pytest.raises(ValueError, match="computed output size would be negative or zero"):
        Conv2D(2, 5)(torch.ones(1, 3, 3, 2))
    with pytest.raises(ValueError, match="needs the channel axis of its input to be known"):
        Conv2D(2, 3).build((None, 5, 5, None))
