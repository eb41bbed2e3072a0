"""UpSampling1D/2D/3D: NumPy references, integer inputs, Keras 3 itself."""

import numpy as np
import pytest
import torch

import torch_keraslike as tkl
from keras_parity import check_keras_parity
from layer_testing import run_layer_test
from torch_keraslike.layers.upsampling import UpSampling1D, UpSampling2D, UpSampling3D


def to_layout(x, data_format):
    """A channels_last array in ``data_format``'s layout."""
    return x if data_format == "channels_last" else np.moveaxis(x, -1, 1)


def random_images(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


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


# ------------------------------------------------------------- UpSampling1D
def test_upsampling1d():
    layer, out = run_layer_test(UpSampling1D, {"size": 3}, (2, 4, 5), (2, 12, 5))
    x = random_images((2, 4, 5))
    np.testing.assert_array_equal(layer(x).numpy(), x.repeat(3, axis=1))
    assert layer.compute_output_shape((None, None, 5)) == (None, None, 5)
    assert layer.get_config()["size"] == 3 and "data_format" not in layer.get_config()
    assert UpSampling1D().size == 2


def test_upsampling1d_errors():
    for bad in [0, -2]:
        with pytest.raises(ValueError, match="Argument `size` should be a positive integer"):
            UpSampling1D(size=bad)
    for bad in [2.5, "2", (2,), None]:
        with pytest.raises(TypeError, match="Expected an integer value for `size`"):
            UpSampling1D(size=bad)
    layer = UpSampling1D()
    with pytest.raises(ValueError, match="expected ndim=3, found ndim=4"):
        layer(torch.ones(1, 2, 3, 4))
    assert not layer.built


# ------------------------------------------------------------- UpSampling2D
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


@pytest.mark.parametrize("interpolation", ["nearest", "bilinear", "bicubic"])
@pytest.mark.parametrize("dtype", [torch.int64, torch.int32, torch.uint8])
def test_upsampling2d_integer_inputs(interpolation, dtype):
    x = torch.randint(0, 200, (2, 3, 4, 2), generator=torch.Generator().manual_seed(1)).to(dtype)
    layer, out = run_layer_test(UpSampling2D, {"interpolation": interpolation}, None, (2, 6, 8, 2),
                                input_data=x, expected_output_dtype=dtype, run_compiled=dtype == torch.int64)
    assert out.dtype == dtype
    reference = torch.nn.functional.interpolate(
        x.permute(0, 3, 1, 2).float(), size=(6, 8), mode="nearest-exact" if interpolation == "nearest" else
        interpolation, **({} if interpolation == "nearest" else {"align_corners": False}))
    if dtype == torch.uint8:
        reference = reference.clamp(0, 255)
    torch.testing.assert_close(out, torch.round(reference).to(dtype).permute(0, 2, 3, 1))
    if interpolation == "nearest":
        torch.testing.assert_close(out, x.repeat_interleave(2, 1).repeat_interleave(2, 2))


@pytest.mark.parametrize("kwargs, x", [
    ({"size": (2, 3)}, np.arange(24, dtype=np.float32).reshape(1, 2, 3, 4)),
    ({"size": 2, "interpolation": "bilinear"}, random_images((2, 3, 4, 2))),
    ({"size": (3, 2), "interpolation": "bicubic", "data_format": "channels_first"}, random_images((2, 2, 3, 4))),
    ({"size": 2, "interpolation": "bilinear"}, np.arange(24, dtype=np.int64).reshape(1, 2, 3, 4) * 7),
    ({"size": (2, 3), "interpolation": "bicubic"}, np.arange(24, dtype=np.int32).reshape(1, 2, 3, 4) * 5),
])
def test_upsampling2d_matches_keras(kwargs, x):
    _, out = check_keras_parity(UpSampling2D, kwargs, x)
    assert out.dtype == x.dtype


def test_upsampling2d_config_and_errors():
    config = UpSampling2D(3, interpolation="Bilinear").get_config()
    assert config["size"] == (3, 3) and config["interpolation"] == "bilinear"
    assert config["data_format"] == "channels_last"
    for bad in [0, (2,), (2, 0), "2", (1.5, 2)]:
        with pytest.raises(ValueError, match=r'"up_sampling2d.*The `size` argument must be a tuple of 2 integers'):
            UpSampling2D(bad)
    with pytest.raises(ValueError, match=r"`interpolation` argument should be one of "
                                         r"\['nearest', 'bilinear', 'bicubic'\], received interpolation='area'"):
        UpSampling2D(interpolation="area")
    with pytest.raises(ValueError, match=r"interpolation='lanczos3' \(Lanczos resampling\) is not supported on torch"):
        UpSampling2D(interpolation="lanczos3")
    with pytest.raises(ValueError, match="Invalid data_format"):
        UpSampling2D(data_format="NHWC")
    layer = UpSampling2D()
    with pytest.raises(ValueError, match="expected ndim=4, found ndim=3"):
        layer(torch.ones(2, 3, 4))
    assert not layer.built


# ------------------------------------------------------------- UpSampling3D
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("size", [2, (1, 2, 3)])
def test_upsampling3d(size, data_format):
    factors = (size,) * 3 if isinstance(size, int) else size
    x = random_images((2, 2, 3, 2, 4))
    expected = x.repeat(factors[0], 1).repeat(factors[1], 2).repeat(factors[2], 3)
    inputs = torch.from_numpy(to_layout(x, data_format).copy())
    expected = to_layout(expected, data_format)
    layer, out = run_layer_test(UpSampling3D, {"size": size, "data_format": data_format}, None,
                                expected.shape, input_data=inputs, run_compiled=size == 2)
    np.testing.assert_array_equal(out.numpy(), expected)
    assert layer.get_config()["size"] == factors
    unknown = (None,) * 5
    assert layer.compute_output_shape(unknown) == unknown


@pytest.mark.parametrize("cls, kwargs, x", [
    (UpSampling1D, {"size": 3}, random_images((2, 4, 3))),
    (UpSampling3D, {"size": (2, 1, 3)}, random_images((2, 2, 3, 2, 4))),
    (UpSampling3D, {"size": 2, "data_format": "channels_first"}, np.arange(48).reshape(1, 3, 2, 4, 2)),
])
def test_matches_keras(cls, kwargs, x):
    check_keras_parity(cls, kwargs, x)


def test_upsampling3d_errors_and_global_format():
    with pytest.raises(ValueError, match=r"The `size` argument must be a tuple of 3 integers"):
        UpSampling3D((2, 2))
    with pytest.raises(ValueError, match="expected ndim=5, found ndim=4"):
        UpSampling3D()(torch.ones(1, 2, 2, 2))
    tkl.config.set_image_data_format("channels_first")
    try:
        assert UpSampling3D().data_format == "channels_first" == UpSampling2D().data_format
    finally:
        tkl.config.set_image_data_format("channels_last")


def test_moved_classes_still_import_from_reshaping():
    from torch_keraslike.layers import reshaping

    assert reshaping.UpSampling2D is UpSampling2D
