"""RandomCrop."""

import numpy as np
import pytest
import torch

from image_reference import assert_same_transform, images
from keras_reference import import_keras, to_numpy
from layer_testing import run_layer_test
from torch_keraslike.layers.preprocessing.random_crop import RandomCrop


@pytest.mark.parametrize("kwargs, in_shape, out_shape", [
    ({"height": 2, "width": 2}, (3, 4, 5, 2), (3, 2, 2, 2)),
    ({"height": 2, "width": 3, "data_format": "channels_first"}, (3, 2, 4, 5), (3, 2, 2, 3)),
    ({"height": 6, "width": 8}, (3, 4, 5, 2), (3, 6, 8, 2)),  # larger than the input: resized
])
def test_random_crop_common(kwargs, in_shape, out_shape):
    # Keras 3: the crop happens while training; inference returns the input as it is.
    run_layer_test(RandomCrop, dict(kwargs, seed=1), in_shape, out_shape, training=True)


def test_crop_is_a_window_of_the_input_shared_by_the_batch():
    x = torch.arange(2 * 10 * 12.0).reshape(2, 10, 12, 1)
    out = RandomCrop(4, 5, seed=0)(x, training=True)
    top, left = int(out[0, 0, 0, 0]) // 12, int(out[0, 0, 0, 0]) % 12
    torch.testing.assert_close(out, x[:, top:top + 4, left:left + 5])
    windows = {tuple(RandomCrop(4, 5, seed=s).get_random_transformation(x)) for s in range(40)}
    tops, lefts = {int(t) for t, _ in windows}, {int(w) for _, w in windows}
    assert tops <= set(range(7)) and lefts <= set(range(8)) and len(tops) > 3 and len(lefts) > 3


def test_inference_returns_the_input_and_seeds_repeat():
    x = torch.rand(2, 8, 8, 3)
    torch.testing.assert_close(RandomCrop(4, 4)(x, training=False), x)
    a, b = RandomCrop(4, 4, seed=5), RandomCrop(4, 4, seed=5)
    torch.testing.assert_close(a(x, training=True), b(x, training=True))


def test_axis_not_larger_than_the_window_takes_the_centre():
    x = torch.arange(8 * 16.0).reshape(1, 8, 16, 1)
    out = RandomCrop(8, 8)(x, training=True)
    torch.testing.assert_close(out, x[:, :, 4:12])


@pytest.mark.parametrize("size", [(4, 5), (6, 3), (7, 9), (10, 12)])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_same_transform_as_keras(size, data_format):
    keras = import_keras()
    shape = (3, 6, 8, 2) if data_format == "channels_last" else (3, 2, 6, 8)
    for x in (images(shape), images(shape[1:])):
        assert_same_transform(RandomCrop(*size, data_format=data_format),
                              keras.layers.RandomCrop(*size, data_format=data_format), x)


def test_inference_matches_keras_too():
    keras = import_keras()
    x = images((2, 6, 8, 2))
    np.testing.assert_allclose(to_numpy(RandomCrop(3, 3)(x, training=False)),
                               to_numpy(keras.layers.RandomCrop(3, 3)(x, training=False)))


def test_masks_get_the_same_window():
    x = torch.rand(2, 9, 9, 1)
    masks = (x * 4).to(torch.uint8)
    out = RandomCrop(5, 4, seed=3)({"images": x, "segmentation_masks": masks}, training=True)
    assert out["segmentation_masks"].dtype == torch.uint8
    assert torch.equal(out["segmentation_masks"], (out["images"] * 4).to(torch.uint8))
    big = RandomCrop(12, 12)({"images": x, "segmentation_masks": masks}, training=True)["segmentation_masks"]
    assert big.shape == (2, 12, 12, 1) and set(big.unique().tolist()) <= set(masks.unique().tolist())


def test_compiled_training_traces_the_window_without_breaks():
    layer = RandomCrop(4, 4)
    compiled = torch.compile(layer, backend="eager", fullgraph=True)
    out = compiled(torch.rand(2, 8, 8, 3), training=True)
    assert out.shape == (2, 4, 4, 3)
    torch._dynamo.reset()


def test_bad_arguments_and_config():
    with pytest.raises(ValueError, match="height and width must be positive integers"):
        RandomCrop(2, 0)
    config = RandomCrop(3, 4, seed=7).get_config()
    assert (config["height"], config["width"], config["seed"]) == (3, 4, 7)
    assert RandomCrop(3, 4).compute_output_shape((None, 9, 9, 2)) == (None, 3, 4, 2)
