"""RandomSharpness, RandomGaussianBlur and RandomErasing."""

import numpy as np
import pytest
import torch

from image_reference import assert_same_transform, images
from keras_reference import import_keras
from layer_testing import run_layer_test
from torch_keraslike.layers.preprocessing.filters import RandomErasing, RandomGaussianBlur, RandomSharpness


@pytest.mark.parametrize("cls, kwargs", [
    (RandomSharpness, {"factor": 0.5}),
    (RandomSharpness, {"factor": (0.1, 0.9), "data_format": "channels_first"}),
    (RandomGaussianBlur, {"factor": 0.8, "kernel_size": 5, "sigma": (0.3, 0.9)}),
    (RandomGaussianBlur, {"data_format": "channels_first"}),
    (RandomErasing, {"scale": (0.1, 0.4), "fill_value": 0}),
    (RandomErasing, {"fill_value": [1.0, 2.0, 3.0], "data_format": "channels_first"}),
])
@pytest.mark.parametrize("training", [False, True])
def test_filter_layers_common(cls, kwargs, training):
    shape = (4, 3, 6, 7) if kwargs.get("data_format") == "channels_first" else (4, 6, 7, 3)
    run_layer_test(cls, dict(kwargs, seed=2), shape, shape, training=training)


@pytest.mark.parametrize("shape", [(4, 6, 7, 3), (6, 7, 3)])
@pytest.mark.parametrize("make", [
    lambda k: (RandomSharpness(0.8), k.RandomSharpness(0.8)),
    lambda k: (RandomGaussianBlur(0.8, kernel_size=5, sigma=(0.3, 0.9)),
               k.RandomGaussianBlur(0.8, kernel_size=5, sigma=(0.3, 0.9))),
    lambda k: (RandomErasing(), k.RandomErasing()),
    lambda k: (RandomErasing(fill_value=3.0), k.RandomErasing(fill_value=3.0)),
    lambda k: (RandomErasing(fill_value=[1.0, 2.0, 300.0]), k.RandomErasing(fill_value=[1.0, 2.0, 300.0])),
])
def test_same_transform_as_keras(make, shape):
    ours, theirs = make(import_keras().layers)
    assert_same_transform(ours, theirs, images(shape, scale=255), atol=1e-3)


def test_channels_first_sharpness_and_blur_match_keras():
    keras = import_keras()
    x = images((3, 3, 6, 5), scale=255)
    assert_same_transform(RandomSharpness(0.8, data_format="channels_first"),
                          keras.layers.RandomSharpness(0.8, data_format="channels_first"), x, atol=1e-3)
    assert_same_transform(RandomGaussianBlur(data_format="channels_first"),
                          keras.layers.RandomGaussianBlur(data_format="channels_first"), x, atol=1e-3)


def test_sharpness_endpoints():
    x = torch.rand(2, 6, 6, 3) * 255
    torch.testing.assert_close(RandomSharpness((0.5, 0.5))(x, training=True), x)  # 1 - 2 * 0.5 = 0
    smoothed = RandomSharpness((0.0, 0.0))(x, training=True)
    kernel = torch.ones(3, 3) / 13.0
    kernel[1, 1] = 5.0 / 13.0
    expected = torch.nn.functional.conv2d(x.permute(0, 3, 1, 2), kernel.expand(3, 1, 3, 3), padding=1, groups=3)
    torch.testing.assert_close(smoothed, expected.permute(0, 2, 3, 1).clamp(0, 255))


def test_blur_probability_and_one_sigma_pair_per_call():
    x = torch.rand(400, 5, 5, 1) * 255
    layer = RandomGaussianBlur(factor=(0.5, 0.5), seed=0)
    transformation = layer.get_random_transformation(x)
    assert transformation["blur_factor"].shape == (2,)
    assert 150 < int(transformation["should_apply_blur"].sum()) < 250
    out = layer.transform_images(x, transformation)
    kept = ~transformation["should_apply_blur"]
    torch.testing.assert_close(out[kept], x[kept])


def test_erasing_rectangles_and_fill():
    x = torch.full((300, 10, 10, 1), 100.0)
    out = RandomErasing(factor=(1.0, 1.0), scale=(0.04, 0.04), fill_value=0, seed=1)(x, training=True)
    erased = (out == 0).sum(dim=(1, 2, 3))
    # sqrt(0.04) of each side: 2 x 2 pixels on the grid (or a shifted 2 x 2 / 3 x 3 cover).
    assert int(erased.min()) >= 1 and int(erased.max()) <= 9
    noise = RandomErasing(factor=(1.0, 1.0), value_range=(0, 255), seed=1)(x, training=True)
    assert float(noise.min()) >= 0 and float(noise.max()) <= 255
    assert torch.equal(RandomErasing(factor=(0.0, 0.0))(x, training=True), x)


@pytest.mark.parametrize("make, message", [
    (lambda: RandomSharpness(1.5), r"in the range \[0, 1\]"),
    (lambda: RandomGaussianBlur(kernel_size=4), "kernel_size must be an odd positive number"),
    (lambda: RandomGaussianBlur(kernel_size=(3, 5, 7)), "kernel_size must be an odd positive number"),
    (lambda: RandomGaussianBlur(sigma=2.0), r"`sigma` argument should be a number .* in the range \[0, 1\]"),
    (lambda: RandomErasing(scale=(0.1, 0.2, 0.3)), "`scale` argument should be a number"),
    (lambda: RandomErasing(fill_value=[1, 2]), "`fill_value` argument should be a number"),
    (lambda: RandomErasing(fill_value="red"), "`fill_value` argument should be a number"),
])
def test_bad_arguments(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_per_channel_fill_needs_three_channels():
    layer = RandomErasing(fill_value=[1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="expected images with 3 channels"):
        layer(torch.rand(2, 4, 4, 1), training=True)
    assert not layer.built


def test_configs_match_keras():
    keras = import_keras()
    for ours, theirs in [(RandomSharpness(0.3, seed=1), keras.layers.RandomSharpness(0.3, seed=1)),
                         (RandomGaussianBlur(0.5, 5, (0.2, 0.4)), keras.layers.RandomGaussianBlur(0.5, 5, (0.2, 0.4))),
                         (RandomErasing(0.5, 0.3, 7.0), keras.layers.RandomErasing(0.5, 0.3, 7.0))]:
        config, keras_config = ours.get_config(), theirs.get_config()
        for key in set(keras_config) - {"name", "dtype", "trainable"}:
            assert np.ravel(config[key]).tolist() == np.ravel(keras_config[key]).tolist(), key
        assert type(ours).from_config(config).get_config() == config
