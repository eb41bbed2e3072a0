"""Conv1D/2D/3D against NumPy references written from Keras's definitions and against
Keras 3 itself; the layouts, initializers and constraints shared by the whole
convolution family (``_conv_base``)."""

import math

import numpy as np
import pytest
import torch

import torch_keraslike as tkl
from conv_reference import nchw, np_conv
from keras_parity import check_keras_parity, random_weights
from layer_testing import run_layer_test
from torch_keraslike.layers.conv import Conv1D, Conv2D, Conv3D
from torch_keraslike.layers.conv_depthwise import DepthwiseConv1D, DepthwiseConv2D, SeparableConv1D, SeparableConv2D
from torch_keraslike.layers.conv_transpose import Conv1DTranspose, Conv2DTranspose, Conv3DTranspose


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
])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_common(cls, kwargs, last_in, last_out, first_in, first_out, trainable, data_format):
    shapes = (last_in, last_out) if data_format == "channels_last" else (first_in, first_out)
    layer, out = run_layer_test(cls, {**kwargs, "data_format": data_format}, *shapes, trainable)
    assert layer.compute_output_shape(shapes[0]) == shapes[1]
    assert not getattr(layer, "supports_masking", False)


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
    # 1x1 kernels: a matrix product over channels on channels_last inputs
    (1, {"kernel_size": 1, "padding": "causal"}),
    (2, {"kernel_size": 1, "strides": 2}),
    (2, {"kernel_size": 1, "padding": "same", "strides": (2, 3)}),
    (3, {"kernel_size": 1, "strides": (1, 2, 2)}),
])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_conv_matches_numpy(rank, kwargs, data_format):
    cls = {1: Conv1D, 2: Conv2D, 3: Conv3D}[rank]
    spatial = {1: (9,), 2: (7, 6), 3: (5, 4, 5)}[rank]
    x = np.random.default_rng(0).standard_normal((2, *spatial, 4)).astype(np.float32)
    layer = cls(6, data_format=data_format, **kwargs)
    x_in = x if data_format == "channels_last" else nchw(x)
    layer(x_in)
    kernel, bias = random_weights(layer)
    expected = np_conv(x, kernel, bias, layer.strides, layer.padding, layer.dilation_rate, layer.groups)
    out = layer(x_in).detach().numpy()
    out = out if data_format == "channels_last" else np.moveaxis(out, 1, -1)
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("cls, kwargs, shape", [
    (Conv1D, {"filters": 3, "kernel_size": 3, "padding": "causal", "dilation_rate": 2}, (2, 9, 4)),
    (Conv2D, {"filters": 3, "kernel_size": (2, 4), "strides": 2, "padding": "same", "activation": "relu"},
     (2, 7, 6, 4)),
    (Conv2D, {"filters": 4, "kernel_size": 3, "groups": 2, "data_format": "channels_first"}, (2, 4, 6, 5)),
    (Conv3D, {"filters": 2, "kernel_size": 2, "padding": "same", "strides": (1, 2, 2)}, (2, 5, 4, 5, 3)),
    (Conv2D, {"filters": 5, "kernel_size": 1, "strides": 2, "padding": "same"}, (2, 7, 6, 4)),
])
def test_conv_matches_keras(cls, kwargs, shape):
    x = np.random.default_rng(3).standard_normal(shape).astype(np.float32)
    check_keras_parity(cls, kwargs, x)


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


# ------------------------------------------ layouts, initializers, constraints
@pytest.mark.parametrize("layer, x_shape, stored, keras", [
    (Conv1D(5, 3), (1, 6, 4), {"kernel": (5, 4, 3)}, [(3, 4, 5), (5,)]),
    (Conv2D(6, (3, 2), groups=2), (1, 6, 6, 4), {"kernel": (6, 2, 3, 2)}, [(3, 2, 2, 6), (6,)]),
    (Conv3D(5, 2), (1, 3, 3, 3, 4), {"kernel": (5, 4, 2, 2, 2)}, [(2, 2, 2, 4, 5), (5,)]),
    (Conv1DTranspose(5, 3), (1, 3, 4), {"kernel": (4, 5, 3)}, [(3, 5, 4), (5,)]),
    (Conv2DTranspose(5, (3, 2)), (1, 3, 3, 4), {"kernel": (4, 5, 3, 2)}, [(3, 2, 5, 4), (5,)]),
    (Conv3DTranspose(5, (3, 2, 1)), (1, 3, 3, 3, 4), {"kernel": (4, 5, 3, 2, 1)}, [(3, 2, 1, 5, 4), (5,)]),
    (DepthwiseConv1D(3, depth_multiplier=2), (1, 5, 4), {"kernel": (4, 2, 3)}, [(3, 4, 2), (8,)]),
    (DepthwiseConv2D(3, depth_multiplier=2), (1, 4, 4, 4), {"kernel": (4, 2, 3, 3)}, [(3, 3, 4, 2), (8,)]),
    (SeparableConv1D(5, 3, depth_multiplier=2), (1, 4, 4),
     {"depthwise_kernel": (4, 2, 3), "pointwise_kernel": (5, 8, 1)}, [(3, 4, 2), (1, 8, 5), (5,)]),
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
    (lambda init: Conv1DTranspose(6, 3, kernel_initializer=init), (1, 5, 4), (3, 6, 4)),
    (lambda init: DepthwiseConv2D(3, depth_multiplier=2, depthwise_initializer=init),
     (1, 5, 5, 4), (3, 3, 4, 2)),
    (lambda init: SeparableConv1D(2, 3, pointwise_initializer=init), (1, 5, 4), (1, 4, 2)),
])
def test_initializers_run_on_the_keras_shape(make, x_shape, keras_shape):
    # A seeded initializer returns the same values on each call, so the kernel must
    # equal it evaluated on Keras's shape: same fans (glorot limit) and same values.
    layer = make(tkl.initializers.GlorotUniform(seed=7))
    layer(torch.zeros(x_shape))
    expected = tkl.initializers.GlorotUniform(seed=7)(keras_shape).numpy()
    weights = {w.shape: w for w in layer.get_weights()}
    np.testing.assert_array_equal(weights[keras_shape], expected)
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
        assert Conv1DTranspose(2, 3).data_format == "channels_first"
        assert SeparableConv1D(2, 3).data_format == "channels_first"
    finally:
        tkl.config.set_image_data_format("channels_last")


def test_pointwise_kernels_match_the_convolution_for_any_input_layout():
    # A 1x1 channels_last Conv2D runs as F.linear on the (strided) input: outputs and
    # gradients equal torch's convolution, also for a non-contiguous NHWC input.
    torch.manual_seed(0)
    layer = Conv2D(5, 1, strides=2, activation="relu")
    base = torch.randn(2, 4, 7, 9).permute(0, 2, 3, 1).requires_grad_()  # NHWC view of NCHW
    out = layer(base)
    reference = torch.relu(torch.nn.functional.conv2d(
        base.permute(0, 3, 1, 2), layer.kernel, layer.bias, stride=2)).permute(0, 2, 3, 1)
    torch.testing.assert_close(out, reference)
    grads = torch.autograd.grad(out.sum(), [base, layer.kernel, layer.bias])
    expected = torch.autograd.grad(reference.sum(), [base, layer.kernel, layer.bias])
    for got, want in zip(grads, expected):
        torch.testing.assert_close(got, want)
    assert out.shape == layer.compute_output_shape((2, 7, 9, 4))


@pytest.mark.parametrize("size, channels_last_kernel", [(4, False), (5, True), (None, True)])
def test_small_images_keep_the_kernel_contiguous(size, channels_last_kernel):
    # Up to 16 pixels known at build: torch's contiguous CPU kernels are faster there.
    layer = Conv2D(6, 3, padding="same")
    layer.build((None, size, size, 5))
    kernel = layer.kernel
    assert kernel.is_contiguous(memory_format=torch.channels_last) == channels_last_kernel
    assert kernel.is_contiguous() != channels_last_kernel
    x = np.random.default_rng(1).standard_normal((2, size or 6, size or 6, 5)).astype(np.float32)
    kernel_np, bias = random_weights(layer)
    expected = np_conv(x, kernel_np, bias, layer.strides, layer.padding, layer.dilation_rate, 1)
    np.testing.assert_allclose(layer(x).detach().numpy(), expected, rtol=1e-4, atol=1e-4)


def test_moved_classes_still_import_from_conv():
    from torch_keraslike.layers import conv

    assert conv.Conv2DTranspose is Conv2DTranspose and conv.SeparableConv2D is SeparableConv2D
    assert tkl.layers.Conv3DTranspose is Conv3DTranspose and tkl.layers.DepthwiseConv1D is DepthwiseConv1D


# ------------------------------------------------------------------ errors
@pytest.mark.parametrize("filters", [0, -2, 2.5, "4", True, None])
def test_bad_filters(filters):
    with pytest.raises(ValueError, match=r"Invalid value for argument `filters`. Expected a strictly "
                                         r"positive value. Received filters="):
        Conv2D(filters, 3)


@pytest.mark.parametrize("kwargs, match", [
    ({"kernel_size": (3, 3, 3)}, r"The `kernel_size` argument must be a tuple of 2 integers. "
                                 r"Received kernel_size=\(3, 3, 3\)\. Fix"),
    ({"kernel_size": (1, 0)}, r"The `kernel_size` argument must be a tuple of 2 integers. Received "
                              r"kernel_size=\(1, 0\), including values \{0\} that do not satisfy `value > 0`"),
    ({"kernel_size": "3"}, r"The `kernel_size` argument must be a tuple of 2 integers"),
    ({"kernel_size": 3, "strides": (1, 0)}, r"The `strides` argument must be a tuple of 2 integers. "
                                            r"Received strides=\(1, 0\), including values \{0\}"),
    ({"kernel_size": 3, "dilation_rate": 1.5}, r"The `dilation_rate` argument must be"),
    ({"kernel_size": 3, "padding": "full"}, r"padding must be one of \['valid', 'same'\]"),
    ({"kernel_size": 3, "padding": "causal"}, r"padding must be one of"),
    ({"kernel_size": 3, "strides": 2, "dilation_rate": (2, 1)},
     r"`strides > 1` not supported in conjunction with `dilation_rate > 1`. Received: "
     r"strides=\(2, 2\) and dilation_rate=\(2, 1\)"),
    ({"kernel_size": 3, "groups": 3}, r"The number of filters must be evenly divisible by the number "
                                      r"of groups. Received: groups=3, filters=4"),
    ({"kernel_size": 3, "groups": 0}, r"The number of groups must be a positive integer. Received: groups=0"),
    ({"kernel_size": 3, "data_format": "NHWC"}, r"Invalid data_format"),
])
def test_bad_conv_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match) as error:
        Conv2D(4, **kwargs)
    assert 'Layer "conv2d' in str(error.value) or "data_format" in str(error.value)


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
    assert Conv1D(2, 3, padding="CAUSAL").padding == "causal"
    with pytest.raises(ValueError, match=r"The `kernel_size` argument must be a tuple of 3 integers"):
        Conv3D(2, (2, 2))


def test_groups_must_divide_input_channels_and_outputs_must_be_positive():
    layer = Conv2D(4, 3, groups=2)
    with pytest.raises(ValueError, match="input channels must be evenly divisible by the number of groups"):
        layer(torch.ones(1, 5, 5, 3))
    assert not layer.built and not layer.weights
    layer = Conv2D(2, 5)
    with pytest.raises(ValueError, match="Computed output size would be zero or negative"):
        layer(torch.ones(1, 3, 3, 2))
    assert not layer.built and not layer.weights
    with pytest.raises(ValueError, match="needs the channel axis of its input to be known"):
        Conv2D(2, 3).build((None, 5, 5, None))
