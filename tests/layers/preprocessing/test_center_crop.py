"""CenterCrop."""

import numpy as np
import pytest
import torch

from image_reference import images
from keras_reference import import_keras, to_numpy
from layer_testing import run_layer_test
from torch_keraslike.layers.preprocessing.center_crop import CenterCrop


@pytest.mark.parametrize("kwargs, in_shape, out_shape", [
    ({"height": 2, "width": 2}, (3, 5, 4, 2), (3, 2, 2, 2)),
    ({"height": 2, "width": 3, "data_format": "channels_first"}, (3, 2, 5, 4), (3, 2, 2, 3)),
    ({"height": 7, "width": 3}, (3, 5, 4, 2), (3, 7, 3, 2)),  # taller than the input: resized
])
def test_center_crop_common(kwargs, in_shape, out_shape):
    run_layer_test(CenterCrop, kwargs, in_shape, out_shape)


def test_crops_the_centre():
    x = torch.arange(30.0).reshape(1, 5, 6, 1)
    torch.testing.assert_close(CenterCrop(3, 2)(x)[0, ..., 0], x[0, 1:4, 2:4, 0])
    torch.testing.assert_close(CenterCrop(2, 3, data_format="channels_first")(x.permute(0, 3, 1, 2))[0, 0],
                               x[0, 1:3, 1:4, 0])


@pytest.mark.parametrize("size", [(3, 4), (6, 10), (12, 2), (8, 8)])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_center_crop_matches_keras(size, data_format):
    keras = import_keras()
    shape = (2, 8, 7, 3) if data_format == "channels_last" else (2, 3, 8, 7)
    x = images(shape)
    ours = CenterCrop(*size, data_format=data_format)
    theirs = keras.layers.CenterCrop(*size, data_format=data_format)
    np.testing.assert_allclose(to_numpy(ours(x)), to_numpy(theirs(x)), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(to_numpy(ours(x[0])), to_numpy(theirs(x[0])), rtol=1e-5, atol=1e-6)


def test_integer_images_give_floats_and_masks_keep_their_dtype():
    x = torch.randint(0, 255, (2, 6, 6, 3), dtype=torch.uint8)
    assert CenterCrop(2, 2)(x).dtype == torch.float32
    masks = torch.randint(0, 3, (2, 6, 6, 1))
    out = CenterCrop(8, 8)({"images": x, "segmentation_masks": masks, "labels": torch.ones(2)})
    assert out["segmentation_masks"].dtype == torch.int64 and out["segmentation_masks"].shape == (2, 8, 8, 1)
    assert torch.equal(out["labels"], torch.ones(2))


def test_bad_arguments():
    with pytest.raises(ValueError, match="height and width must be positive integers"):
        CenterCrop(0, 2)
    with pytest.raises(ValueError, match="expected images to have rank 3"):
        CenterCrop(1, 1)(torch.ones(4))
