"""RandomContrast and RandomBrightness."""

import numpy as np
import pytest
import torch

from image_reference import assert_same_transform, images
from keras_reference import import_keras
from layer_testing import run_layer_test
from torch_keraslike.layers.preprocessing.random_color import RandomBrightness, RandomContrast


@pytest.mark.parametrize("cls, kwargs", [
    (RandomContrast, {"factor": 0.75, "value_range": (0, 255)}),
    (RandomContrast, {"factor": 0.75, "data_format": "channels_first"}),
    (RandomBrightness, {"factor": 0.2, "value_range": (0, 1)}),
])
@pytest.mark.parametrize("training", [False, True])
def test_random_color_common(cls, kwargs, training):
    run_layer_test(cls, dict(kwargs, seed=1), (8, 3, 4, 3), (8, 3, 4, 3), training=training)


# ---------------------------------------------------------------- contrast
def np_contrast(x, factor, value_range, height_axis=-3, width_axis=-2):
    mean = x.mean(height_axis, keepdims=True).mean(width_axis, keepdims=True)
    return np.clip((x - mean) * factor + mean, *value_range)


@pytest.mark.parametrize("value_range", [(0, 255), (0, 1)])
def test_contrast_formula_on_its_sampled_factor(value_range):
    x = images((12, 8, 16, 3), scale=value_range[1])
    layer = RandomContrast(0.5, value_range=value_range, seed=9809)
    transformation = layer.get_random_transformation(torch.from_numpy(x), training=True)
    out = layer.transform_images(torch.from_numpy(x), transformation).numpy()
    factor = transformation["contrast_factor"].numpy()
    np.testing.assert_allclose(out, np_contrast(x, factor, value_range), rtol=1e-5, atol=1e-5)
    # Keras 3: a single number f samples factors in [1, 1 + f].
    assert factor.shape == (12, 1, 1, 1) and factor.min() >= 1.0 and factor.max() <= 1.5


def test_contrast_factor_pairs_and_range():
    x = torch.rand(400, 2, 2, 1)
    factor = RandomContrast((0.3, 0.3), seed=0).get_random_transformation(x)["contrast_factor"]
    assert 0.7 <= float(factor.min()) < 0.8 and 1.2 < float(factor.max()) <= 1.3
    assert RandomContrast(0.3).factor == (0, 0.3) and RandomContrast((0.1, 0.4)).factor == (0.1, 0.4)


@pytest.mark.parametrize("factor", [0.5, (0.2, 0.8)])
@pytest.mark.parametrize("shape", [(4, 6, 7, 3), (6, 7, 3)])
def test_contrast_same_transform_as_keras(factor, shape):
    keras = import_keras()
    x = images(shape, scale=255)
    assert_same_transform(RandomContrast(factor), keras.layers.RandomContrast(factor), x, atol=1e-4)


# -------------------------------------------------------------- brightness
def test_brightness_adds_the_scaled_delta_and_clips():
    x = torch.tensor([[10.0, 100.0, 250.0]]).reshape(1, 1, 3, 1)
    out = RandomBrightness((0.1, 0.1))(x, training=True)  # delta = 0.1 * 255
    torch.testing.assert_close(out.flatten(), torch.tensor([35.5, 125.5, 255.0]))
    dark = RandomBrightness((-1.0, -1.0), value_range=(0, 1))(torch.rand(2, 3, 3, 3), training=True)
    assert torch.equal(dark, torch.zeros(2, 3, 3, 3))


def test_brightness_delta_range_and_value_range_sorting():
    x = torch.zeros(500, 1, 1, 1)
    layer = RandomBrightness((-0.2, 0.5), value_range=(255, 0), seed=0)
    delta = layer.get_random_transformation(x)["rgb_delta"]
    assert -51.0 <= float(delta.min()) and float(delta.max()) <= 127.5 and delta.shape == (500, 1, 1, 1)
    assert RandomBrightness(0.2, value_range=(255, 0)).value_range == [0, 255]


@pytest.mark.parametrize("dtype", [torch.uint8, torch.int32, torch.int64])
def test_brightness_integer_images_keep_dtype_truncated_delta_and_no_wraparound(dtype):
    x = torch.tensor([[5, 100, 250]], dtype=dtype).reshape(1, 1, 3, 1)
    layer = RandomBrightness((-0.1, -0.1))  # delta -25.5 -> -25
    out = layer(x, training=True)
    assert out.dtype == dtype
    assert out.flatten().tolist() == [0, 75, 225]
    assert layer(x, training=False).dtype == dtype


@pytest.mark.parametrize("shape", [(4, 6, 7, 3), (6, 7, 3)])
def test_brightness_same_transform_as_keras(shape):
    keras = import_keras()
    x = images(shape, scale=255)
    assert_same_transform(RandomBrightness(0.3), keras.layers.RandomBrightness(0.3), x)


def test_brightness_integers_match_keras_where_keras_does_not_wrap():
    keras = import_keras()
    x = (images((4, 3, 3, 2)) * 255).astype(np.int64)
    theirs = keras.layers.RandomBrightness(0.4)
    transformation = theirs.get_random_transformation(torch.from_numpy(x), training=True)
    ours = RandomBrightness(0.4).transform_images(torch.from_numpy(x), transformation)
    expected = theirs.transform_images(torch.from_numpy(x.copy()), transformation)
    assert torch.equal(ours, expected.cpu())


# ---------------------------------------------------------- shared checks
@pytest.mark.parametrize("make", [lambda s: RandomContrast(0.5, seed=s),
                                  lambda s: RandomBrightness(0.5, seed=s)])
def test_seeds_inference_and_masks(make):
    x = torch.rand(4, 5, 5, 3) * 255
    torch.testing.assert_close(make(3)(x, training=True), make(3)(x, training=True))
    assert not torch.equal(make(3)(x, training=True), make(4)(x, training=True))
    torch.testing.assert_close(make(3)(x, training=False), x)
    out = make(3)(x, training=True)
    assert float(out.min()) >= 0 and float(out.max()) <= 255
    masks = torch.randint(0, 3, (4, 5, 5, 1))
    assert make(1)({"images": x, "segmentation_masks": masks}, training=True)["segmentation_masks"] is masks


@pytest.mark.parametrize("make, message", [
    (lambda: RandomContrast(1.5), r"in the range \[0, 1\]"),
    (lambda: RandomContrast(-0.1), r"in the range \[0, 1\]"),
    (lambda: RandomContrast(0.1, value_range=5), "`value_range` argument should be a list of two numbers"),
    (lambda: RandomBrightness(1.1), r"in the range \[-1, 1\]"),
    (lambda: RandomBrightness([0.1, 0.2, 0.3]), "in the range"),
    (lambda: RandomBrightness("x"), "in the range"),
    (lambda: RandomBrightness(0.1, value_range=(0,)), "`value_range` argument should be a list of two"),
])
def test_bad_arguments(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_rank_errors_and_configs():
    with pytest.raises(ValueError, match="expected images to have rank 3"):
        RandomBrightness(0.1)(torch.ones(2, 3), training=True)
    config = RandomContrast((0.1, 0.2), value_range=(0, 1), seed=3).get_config()
    assert (config["factor"], config["value_range"], config["seed"]) == ((0.1, 0.2), [0, 1], 3)
    clone = RandomContrast.from_config(config)
    assert clone.factor == (0.1, 0.2) and clone.seed == 3
    assert RandomBrightness(0.2).get_config()["factor"] == (-0.2, 0.2)
