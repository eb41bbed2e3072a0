"""RandomColorDegeneration, RandomGrayscale, RandomHue, RandomSaturation and
RandomColorJitter."""

import numpy as np
import pytest
import torch

from image_reference import assert_same_transform, images
from keras_reference import import_keras
from layer_testing import run_layer_test
from torch_keraslike.layers.preprocessing.color import (
    RandomColorDegeneration,
    RandomColorJitter,
    RandomGrayscale,
    RandomHue,
    RandomSaturation,
)
from torch_keraslike.layers.preprocessing.random_color import RandomBrightness


@pytest.mark.parametrize("cls, kwargs", [
    (RandomColorDegeneration, {"factor": 0.5}),
    (RandomColorDegeneration, {"factor": (0.2, 0.9), "data_format": "channels_first"}),
    (RandomGrayscale, {"factor": 0.5}),
    (RandomHue, {"factor": 0.4, "value_range": (0, 1)}),
    (RandomSaturation, {"factor": (0.2, 0.8)}),
    (RandomSaturation, {"factor": 0.5, "data_format": "channels_first"}),
    (RandomColorJitter, {"brightness_factor": 0.2, "contrast_factor": 0.3, "saturation_factor": 0.4,
                         "hue_factor": 0.1}),
])
@pytest.mark.parametrize("training", [False, True])
def test_color_layers_common(cls, kwargs, training):
    shape = (6, 3, 4, 5) if kwargs.get("data_format") == "channels_first" else (6, 4, 5, 3)
    run_layer_test(cls, dict(kwargs, seed=1), shape, shape, training=training)


@pytest.mark.parametrize("shape", [(4, 6, 7, 3), (6, 7, 3)])
@pytest.mark.parametrize("make", [
    lambda k: (RandomColorDegeneration(0.7), k.RandomColorDegeneration(0.7)),
    lambda k: (RandomColorDegeneration((0.1, 0.4), value_range=(0, 255)), k.RandomColorDegeneration((0.1, 0.4))),
    lambda k: (RandomHue(0.7), k.RandomHue(0.7)),
    lambda k: (RandomHue((0.2, 0.9), value_range=(0, 255)), k.RandomHue((0.2, 0.9))),
    lambda k: (RandomSaturation((0.2, 0.8)), k.RandomSaturation((0.2, 0.8))),
    lambda k: (RandomSaturation(0.8), k.RandomSaturation(0.8)),
])
def test_same_transform_as_keras(make, shape):
    ours, theirs = make(import_keras().layers)
    assert_same_transform(ours, theirs, images(shape, scale=255), atol=1e-3)


def test_channels_first_matches_keras():
    keras = import_keras()
    x = images((3, 3, 6, 5), scale=255)
    for ours, theirs in [(RandomHue(0.6, data_format="channels_first"), keras.layers.RandomHue(
            0.6, data_format="channels_first")), (RandomSaturation(0.6, data_format="channels_first"),
                                                  keras.layers.RandomSaturation(0.6, data_format="channels_first"))]:
        assert_same_transform(ours, theirs, x, atol=1e-3)


@pytest.mark.parametrize("dtype", [np.float32, np.uint8])
def test_grayscale_matches_keras_and_keeps_integer_dtype(dtype):
    keras = import_keras()
    x = images((5, 6, 7, 3), scale=255).astype(dtype)
    theirs = keras.layers.RandomGrayscale(0.5)
    transformation = theirs.get_random_transformation(torch.from_numpy(x))  # a boolean tensor
    ours = RandomGrayscale(0.5).transform_images(torch.from_numpy(x), transformation)
    expected = theirs.transform_images(torch.from_numpy(x), transformation).cpu()
    assert ours.dtype == expected.dtype
    np.testing.assert_allclose(ours.numpy(), expected.numpy(), rtol=1e-5, atol=1e-4)


def test_grayscale_probability_and_equal_channels():
    x = torch.rand(400, 2, 2, 3)
    out = RandomGrayscale(0.25, seed=3)(x, training=True)
    gray = torch.isclose(out[..., 0], out[..., 1]).all(-1).all(-1)
    assert 60 < int(gray.sum()) < 140  # about a quarter of the images
    torch.testing.assert_close(out[~gray], x[~gray])
    assert torch.equal(RandomGrayscale(1.0)(x, training=False), x)


def test_degeneration_endpoints_and_clipping():
    x = torch.tensor([[[[255.0, 0.0, 0.0]]]])
    gray = RandomColorDegeneration((1.0, 1.0))(x, training=True)
    torch.testing.assert_close(gray, torch.full((1, 1, 1, 3), 0.2989 * 255))
    away = RandomColorDegeneration((-1.0, -1.0))(x, training=True)  # extrapolates, then clips
    torch.testing.assert_close(away, torch.tensor([[[[255.0, 0.0, 0.0]]]]))
    assert RandomColorDegeneration(0.5).factor == (-0.5, 0.5)  # Keras's symmetric range


def test_hue_keeps_saturation_and_value():
    x = torch.rand(8, 4, 4, 3)
    out = RandomHue(0.9, value_range=(0, 1), seed=0)(x, training=True)
    from torch_keraslike.ops import image as image_ops

    before, after = image_ops.rgb_to_hsv(x), image_ops.rgb_to_hsv(out)
    torch.testing.assert_close(after[..., 1:], before[..., 1:], atol=1e-5, rtol=1e-4)
    factors = RandomHue(0.9, seed=0).get_random_transformation(x)["factor"]
    assert factors.shape == (8,) and float(factors.abs().max()) <= 0.45


def test_saturation_factor_mapping_and_gray():
    x = torch.tensor([[[[200.0, 100.0, 50.0]]]])
    torch.testing.assert_close(RandomSaturation((0.5, 0.5))(x, training=True), x)  # 0.5 / 0.5 = 1
    torch.testing.assert_close(RandomSaturation((0.0, 0.0))(x, training=True), torch.full((1, 1, 1, 3), 200.0))
    factor = RandomSaturation((0.75, 0.75)).get_random_transformation(x)["factor"]
    torch.testing.assert_close(factor, torch.tensor([0.75 / (0.25 + 1e-7)]))


def test_jitter_applies_its_parts_in_order_from_its_own_stream():
    x = torch.rand(3, 5, 5, 3) * 255
    layer = RandomColorJitter(brightness_factor=0.3, hue_factor=0.2, seed=4)
    transformation = layer.get_random_transformation(x)
    assert sorted(transformation) == ["random_brightness", "random_hue"]
    expected = layer.random_hue.transform_images(
        layer.random_brightness.transform_images(x, transformation["random_brightness"]),
        transformation["random_hue"])
    torch.testing.assert_close(layer.transform_images(x, transformation), expected)
    # The parts draw from the jitter's stream: two seeded jitters agree, parts differ.
    again = RandomColorJitter(brightness_factor=0.3, hue_factor=0.2, seed=4)
    torch.testing.assert_close(again(x, training=True), layer.transform_images(x, transformation))
    assert layer.random_brightness.seed is None
    assert not hasattr(RandomColorJitter(), "random_hue")
    assert torch.equal(RandomColorJitter()(x, training=True), x)  # no factor: nothing to do


def test_jitter_brightness_matches_keras_brightness_on_the_same_draw():
    keras = import_keras()
    x = images((4, 5, 5, 3), scale=255)
    theirs = keras.layers.RandomBrightness(0.3)
    transformation = theirs.get_random_transformation(torch.from_numpy(x))
    jitter = RandomColorJitter(brightness_factor=0.3)
    got = jitter.transform_images(torch.from_numpy(x), {"random_brightness": transformation})
    expected = theirs.transform_images(torch.from_numpy(x), transformation)
    np.testing.assert_allclose(got.numpy(), expected.cpu().numpy(), rtol=1e-5, atol=1e-4)
    assert isinstance(jitter.random_brightness, RandomBrightness)


@pytest.mark.parametrize("make, error, message", [
    (lambda: RandomColorDegeneration(1.5), ValueError, r"in the range \[-1, 1\]"),
    (lambda: RandomHue(-0.2), ValueError, r"in the range \[0, 1\]"),
    (lambda: RandomSaturation("x"), ValueError, "should be a number"),
    (lambda: RandomGrayscale(1.2), ValueError, "`factor` should be between 0 and 1"),
    (lambda: RandomHue(0.2, value_range=3), ValueError, "`value_range` argument should be a list of two"),
    (lambda: RandomColorJitter(hue_factor=2.0), ValueError, "invalid `hue_factor`"),
    (lambda: RandomGrayscale(seed=1.5), ValueError, "seed must be an int or None"),
])
def test_bad_arguments(make, error, message):
    with pytest.raises(error, match=message):
        make()


@pytest.mark.parametrize("make", [lambda: RandomHue(0.3), lambda: RandomSaturation(0.3),
                                  lambda: RandomColorDegeneration(0.3), lambda: RandomGrayscale(0.3),
                                  lambda: RandomColorJitter(hue_factor=0.1)])
def test_wrong_channel_count_is_rejected_before_building(make):
    layer = make()
    with pytest.raises(ValueError, match=r"expected images with .*3 channels \(RGB\), received images of shape "
                                         r"\(2, 4, 4, 4\)"):
        layer(torch.rand(2, 4, 4, 4), training=True)
    assert not layer.built
    assert layer(torch.rand(2, 4, 4, 3), training=True).shape == (2, 4, 4, 3)


def test_configs_round_trip_and_match_keras_keys():
    keras = import_keras()
    for ours, theirs in [(RandomColorDegeneration(0.3, seed=2), keras.layers.RandomColorDegeneration(0.3, seed=2)),
                         (RandomHue(0.3, seed=2), keras.layers.RandomHue(0.3, seed=2)),
                         (RandomSaturation(0.3), keras.layers.RandomSaturation(0.3)),
                         (RandomGrayscale(0.2), keras.layers.RandomGrayscale(0.2)),
                         (RandomColorJitter(hue_factor=0.1, seed=3), keras.layers.RandomColorJitter(hue_factor=0.1, seed=3))]:
        config, keras_config = ours.get_config(), theirs.get_config()
        assert set(keras_config) <= set(config)  # ours is complete (Keras's RandomGrayscale drops seed)
        for key in ("factor", "value_range", "seed", "hue_factor"):
            if key in keras_config:
                assert list(np.ravel(config[key])) == list(np.ravel(keras_config[key])), key
        assert type(ours).from_config(config).get_config() == config
