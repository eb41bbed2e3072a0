"""Resizing (and the resize function CenterCrop and RandomCrop share)."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import torch_keraslike as tkl
from image_reference import images
from keras_reference import import_keras, to_numpy
from layer_testing import run_layer_test
from torch_keraslike.layers.preprocessing.resizing import Resizing


@pytest.mark.parametrize("kwargs, in_shape, out_shape", [
    ({"height": 6, "width": 6}, (2, 5, 4, 3), (2, 6, 6, 3)),
    ({"height": 2, "width": 3, "data_format": "channels_first"}, (2, 3, 5, 4), (2, 3, 2, 3)),
    ({"height": 6, "width": 3, "crop_to_aspect_ratio": True}, (2, 5, 4, 3), (2, 6, 3, 3)),
    ({"height": 6, "width": 3, "pad_to_aspect_ratio": True, "interpolation": "nearest"}, (2, 5, 4, 3),
     (2, 6, 3, 3)),
    ({"height": 4, "width": 4, "interpolation": "area"}, (2, 8, 8, 1), (2, 4, 4, 1)),
])
def test_resizing_common(kwargs, in_shape, out_shape):
    run_layer_test(Resizing, kwargs, in_shape, out_shape)


@pytest.mark.parametrize("interpolation", ["bilinear", "nearest", "bicubic"])
@pytest.mark.parametrize("options", [{}, {"antialias": True}, {"crop_to_aspect_ratio": True},
                                     {"pad_to_aspect_ratio": True, "fill_value": 0.5}])
@pytest.mark.parametrize("data_format, size", [("channels_last", (4, 9)), ("channels_first", (11, 5))])
def test_resizing_matches_keras(interpolation, options, data_format, size):
    keras = import_keras()
    shape = (2, 7, 8, 3) if data_format == "channels_last" else (2, 3, 7, 8)
    x = images(shape)
    kwargs = dict(interpolation=interpolation, data_format=data_format, **options)
    ours, theirs = Resizing(*size, **kwargs), keras.layers.Resizing(*size, **kwargs)
    np.testing.assert_allclose(to_numpy(ours(x)), to_numpy(theirs(x)), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(to_numpy(ours(x[0])), to_numpy(theirs(x[0])), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("dtype", ["uint8", "int32"])
@pytest.mark.parametrize("interpolation", ["bilinear", "bicubic", "nearest"])
def test_integer_images_keep_their_dtype_like_keras(dtype, interpolation):
    keras = import_keras()
    x = (images((2, 6, 7, 3)) * 255).astype(dtype)
    ours = Resizing(9, 4, interpolation=interpolation)
    theirs = keras.layers.Resizing(9, 4, interpolation=interpolation)
    out = ours(x)
    assert out.dtype == getattr(torch, dtype)
    np.testing.assert_array_equal(to_numpy(out), to_numpy(theirs(x)))
    assert ours(tkl.Input((6, 7, 3), dtype=dtype)).dtype == getattr(torch, dtype)


def test_known_values_and_area_is_box_averaging():
    x = torch.arange(16.0).reshape(1, 4, 4, 1)
    out = Resizing(2, 2, interpolation="area")(x)[0, ..., 0]
    torch.testing.assert_close(out, torch.tensor([[2.5, 4.5], [10.5, 12.5]]))
    torch.testing.assert_close(Resizing(2, 2, interpolation="nearest")(x)[0, ..., 0],
                               torch.tensor([[5.0, 7.0], [13.0, 15.0]]))
    up = Resizing(8, 8)(x)
    torch.testing.assert_close(up.permute(0, 3, 1, 2),
                               F.interpolate(x.permute(0, 3, 1, 2), size=(8, 8), mode="bilinear"))


def test_half_inputs_and_segmentation_masks():
    layer = Resizing(3, 3).to(torch.bfloat16)
    assert layer(torch.rand(1, 6, 6, 2)).dtype == torch.bfloat16
    masks = torch.randint(0, 4, (2, 6, 6, 1), dtype=torch.uint8)
    out = Resizing(9, 9)({"images": torch.rand(2, 6, 6, 3), "segmentation_masks": masks})
    assert out["segmentation_masks"].dtype == torch.uint8 and out["images"].shape == (2, 9, 9, 3)
    assert set(out["segmentation_masks"].unique().tolist()) <= set(masks.unique().tolist())


def test_compiled_matches_eager():
    layer = Resizing(5, 3, interpolation="bicubic", antialias=True)
    x = torch.rand(2, 8, 8, 3)
    torch.testing.assert_close(torch.compile(layer, backend="eager", fullgraph=True)(x), layer(x))
    torch._dynamo.reset()


@pytest.mark.parametrize("interpolation", ["lanczos3", "lanczos5"])
def test_lanczos_is_a_clear_error(interpolation):
    with pytest.raises(ValueError, match="Lanczos interpolation is not supported on torch"):
        Resizing(2, 2, interpolation=interpolation)


@pytest.mark.parametrize("kwargs, message", [
    ({"interpolation": "cubic"}, "invalid value for argument `interpolation`"),
    ({"crop_to_aspect_ratio": True, "pad_to_aspect_ratio": True}, "only one of `pad_to_aspect_ratio`"),
    ({"fill_mode": "reflect"}, "Only 'constant' is supported"),
    ({"fill_value": "black"}, "fill_value must be a number"),
    ({"data_format": "NHWC"}, "Invalid data_format"),
])
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Resizing(2, 2, **kwargs)


def test_bad_sizes_and_ranks():
    for height, width in ((0, 2), (2, -1), (2.5, 2), (None, 2)):
        with pytest.raises(ValueError, match="height and width must be positive integers"):
            Resizing(height, width)
    layer = Resizing(2, 2)
    with pytest.raises(ValueError, match=r"expected images to have rank 3 \(single image\) or 4"):
        layer(torch.ones(2, 3))
    with pytest.raises(ValueError, match=r"expected images to have rank 3"):
        layer(torch.ones(1, 2, 3, 4, 5))
    assert layer.compute_output_shape((None, 9, 9, 3)) == (None, 2, 2, 3)
    assert Resizing(2, 3, data_format="channels_first").compute_output_shape((3, 9, 9)) == (3, 2, 3)
