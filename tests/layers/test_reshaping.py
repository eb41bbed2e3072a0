"""Reshape, Permute, UpSampling2D and ZeroPadding2D (Flatten's tests are in test_core.py)."""

import numpy as np
import pytest
import torch

import torch_keraslike as tkl
from layer_testing import run_layer_test
from torch_keraslike.layers.reshaping import Permute, Reshape, UpSampling2D, ZeroPadding2D


def to_layout(x, data_format):
    """A channels_last array in ``data_format``'s layout."""
    return x if data_format == "channels_last" else np.moveaxis(x, -1, 1)


def random_images(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


# ------------------------------------------------------------------- Reshape
@pytest.mark.parametrize("target, in_shape, out_shape", [
    ((3, 4), (2, 12), (2, 3, 4)),
    ((-1, 2), (2, 3, 4), (2, 6, 2)),
    ((12,), (2, 3, 4), (2, 12)),
    ((2, -1, 3), (2, 12), (2, 2, 2, 3)),
])
def test_reshape_matches_numpy(target, in_shape, out_shape):
    layer, out = run_layer_test(Reshape, {"target_shape": target}, in_shape, out_shape, run_compiled=-1 in target)
    x = random_images(in_shape)
    np.testing.assert_array_equal(layer(x).numpy(), x.reshape(out_shape))
    assert layer.get_config()["target_shape"] == target


def test_reshape_output_shape_with_unknown_sizes():
    assert Reshape((-1, 4)).compute_output_shape((None, None, 8)) == (None, None, 4)
    assert Reshape((2, 4)).compute_output_shape((None, None, 8)) == (None, 2, 4)
    assert Reshape((-1, 4)).compute_output_shape((None, 3, 8)) == (None, 6, 4)
    assert Reshape(6).compute_output_shape((5, 2, 3)) == (5, 6)


def test_reshape_errors():
    with pytest.raises(ValueError, match=r"at most one unknown dimension \(-1\) in target_shape"):
        Reshape((-1, -1))
    for bad in [(0, 3), (2, "a"), None, (2.0,), (-2, 3)]:
        with pytest.raises(ValueError, match="target_shape must be a tuple of positive ints"):
            Reshape(bad)
    message = r"The total size of the tensor must be unchanged. Received: input_shape=\(12,\), target_shape=\(5, 2\)"
    with pytest.raises(ValueError, match=message):
        Reshape((5, 2))(torch.ones(2, 12))
    layer = Reshape((-1, 5))
    assert layer(torch.ones(2, 10)).shape == (2, 2, 5)
    with pytest.raises(ValueError, match="The total size of the tensor must be unchanged"):
        layer(torch.ones(2, 12))
    with pytest.raises(ValueError, match="The total size of the tensor must be unchanged"):
        Reshape((5, 2)).compute_output_shape((None, 3, 4))
    with pytest.raises(ValueError, match="expected min_ndim=1, found ndim=0"):
        Reshape((1,))(torch.tensor(1.0))


# ------------------------------------------------------------------- Permute
@pytest.mark.parametrize("dims, in_shape, out_shape", [
    ((2, 1), (2, 3, 4), (2, 4, 3)),
    ((3, 1, 2), (2, 3, 4, 5), (2, 5, 3, 4)),
    ((1,), (2, 3), (2, 3)),
])
def test_permute_matches_numpy(dims, in_shape, out_shape):
    layer, out = run_layer_test(Permute, {"dims": dims}, in_shape, out_shape, run_compiled=len(dims) == 3)
    x = random_images(in_shape)
    np.testing.assert_array_equal(layer(x).numpy(), np.transpose(x, (0,) + dims))
    assert layer.compute_output_shape((None,) + in_shape[1:]) == (None,) + out_shape[1:]
    assert layer.get_config()["dims"] == dims


def test_permute_errors():
    for bad in [(1, 3), (0, 1), (2, 2), (), "ab", 2, (1.0, 2.0)]:
        with pytest.raises(ValueError, match="Invalid permutation argument `dims` for Permute Layer"):
            Permute(bad)
    with pytest.raises(ValueError, match="expected ndim=3, found ndim=4"):
        Permute((2, 1))(torch.ones(2, 3, 4, 5))


# -------------------------------------------------------------- UpSampling2D
def numpy_bilinear(x, rows, cols):
    """Keras's bilinear resize (half-pixel centers) of a channels_last batch."""
    def weights(n_in, factor):
        n_out = n_in * factor
        src = np.clip((np.arange(n_out) + 0.5) / factor - 0.5, 0, None)
        low = np.minimum(np.floor(src).astype(int), n_in - 1)
        high = np.minimum(low + 1, n_in - 1)
        frac = src - low
        matrix = np.zeros((n_out, n_in))
        np.add.at(matrix, (np.arange(n_out), low), 1 - frac)
        np.add.at(matrix, (np.arange(n_out), high), frac)
        return matrix

    h, w = x.shape[1:3]
    return np.einsum("ph,qw,nhwc->npqc", weights(h, rows), weights(w, cols), x)


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("size, interpolation", [
    ((2, 3), "nearest"),
    ((25, 2), "nearest"),  # torch's float index arithmetic is inexact for 25: the exact path
    (2, "bilinear"),
    ((3, 2), "bilinear"),
])
def test_upsampling2d_matches_numpy(size, interpolation, data_format):
    rows, cols = (size, size) if isinstance(size, int) else size
    x = random_images((2, 3, 4, 2))
    if interpolation == "nearest":
        expected = x.repeat(rows, axis=1).repeat(cols, axis=2)
    else:
        expected = numpy_bilinear(x, rows, cols)
    expected = to_layout(expected, data_format)
    inputs = torch.from_numpy(to_layout(x, data_format).copy())
    layer, out = run_layer_test(
        UpSampling2D, {"size": size, "data_format": data_format, "interpolation": interpolation},
        None, expected.shape, input_data=inputs, run_compiled=size in ((2, 3), (25, 2)),
    )
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-5, atol=1e-6)
    assert layer.compute_output_shape(tuple(inputs.shape)) == expected.shape


def test_upsampling2d_config_and_errors():
    config = UpSampling2D(3, interpolation="Bilinear").get_config()
    assert config["size"] == (3, 3) and config["interpolation"] == "bilinear"
    assert config["data_format"] == "channels_last"
    for bad in [0, (2,), (2, 0), "2", (1.5, 2)]:
        with pytest.raises(ValueError, match="size must be a positive int or a tuple of 2 positive ints"):
            UpSampling2D(bad)
    with pytest.raises(ValueError, match=r"`interpolation` argument should be one of \['nearest', 'bilinear'\]"):
        UpSampling2D(interpolation="bicubic")
    with pytest.raises(ValueError, match="Invalid data_format"):
        UpSampling2D(data_format="NHWC")
    with pytest.raises(ValueError, match="expected ndim=4, found ndim=3"):
        UpSampling2D()(torch.ones(2, 3, 4))


# ------------------------------------------------------------- ZeroPadding2D
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("padding, pads", [
    (1, ((1, 1), (1, 1))),
    ((2, 1), ((2, 2), (1, 1))),
    (((1, 0), (2, 3)), ((1, 0), (2, 3))),
    ((0, (0, 2)), ((0, 0), (0, 2))),
])
def test_zero_padding2d_matches_numpy(padding, pads, data_format):
    x = random_images((2, 3, 4, 2))
    expected = to_layout(np.pad(x, ((0, 0),) + pads + ((0, 0),)), data_format)
    inputs = torch.from_numpy(to_layout(x, data_format).copy())
    layer, out = run_layer_test(
        ZeroPadding2D, {"padding": padding, "data_format": data_format}, None, expected.shape,
        input_data=inputs, run_compiled=padding == ((1, 0), (2, 3)),
    )
    np.testing.assert_array_equal(out.numpy(), expected)
    assert layer.padding == pads and layer.get_config()["padding"] == pads
    assert layer.compute_output_shape(tuple(inputs.shape)) == expected.shape


def test_zero_padding2d_defaults_zero_padding_and_errors():
    assert ZeroPadding2D().padding == ((1, 1), (1, 1))
    x = torch.randn(1, 2, 2, 1)
    assert torch.equal(ZeroPadding2D(0)(x), x)
    tkl.config.set_image_data_format("channels_first")
    try:
        assert ZeroPadding2D().data_format == "channels_first"
    finally:
        tkl.config.set_image_data_format("channels_last")
    with pytest.raises(ValueError, match="`padding` should have two elements. Received: padding=\\(1, 2, 3\\)"):
        ZeroPadding2D((1, 2, 3))
    for bad in [-1, (1, -1), ((1, 2), (3,)), "ab", 1.5, ((1, 2), (3, 4.0))]:
        with pytest.raises(ValueError, match="`padding` should be either an int, a tuple of 2 ints"):
            ZeroPadding2D(bad)
    with pytest.raises(ValueError, match="expected ndim=4, found ndim=2"):
        ZeroPadding2D()(torch.ones(2, 3))
