"""RandomFlip."""

import numpy as np
import pytest
import torch

from image_reference import assert_same_transform, images
from keras_reference import import_keras
from layer_testing import run_layer_test
from torch_keraslike.layers.preprocessing.random_flip import RandomFlip


@pytest.mark.parametrize("mode", ["horizontal", "vertical", "horizontal_and_vertical"])
@pytest.mark.parametrize("training", [False, True])
def test_random_flip_common(mode, training):
    run_layer_test(RandomFlip, {"mode": mode, "seed": 1}, (2, 3, 4, 2), (2, 3, 4, 2), training=training)


@pytest.mark.parametrize("mode, flip", [
    ("horizontal", lambda x: x.flip(-2)), ("vertical", lambda x: x.flip(-3)),
    ("horizontal_and_vertical", lambda x: x.flip(-2).flip(-3)),
])
def test_flip_formula_when_every_image_flips(mode, flip):
    x = torch.rand(3, 4, 5, 2)
    layer = RandomFlip(mode)
    everything = {"flips": torch.ones(3, 1, 1, 1, dtype=torch.bool)}
    torch.testing.assert_close(layer.transform_images(x, everything), flip(x))
    nothing = {"flips": torch.zeros(3, 1, 1, 1, dtype=torch.bool)}
    torch.testing.assert_close(layer.transform_images(x, nothing), x)
    first = RandomFlip(mode, data_format="channels_first")
    torch.testing.assert_close(first.transform_images(x.permute(0, 3, 1, 2), everything),
                               flip(x).permute(0, 3, 1, 2))


def test_each_image_flips_with_probability_one_half_and_seeds_repeat():
    x = torch.arange(4.0).reshape(1, 1, 4, 1).expand(2000, 1, 4, 1)
    out = RandomFlip("horizontal", seed=3)(x, training=True)
    flipped = (out[:, 0, 0, 0] == 3).float().mean()
    assert 0.45 < float(flipped) < 0.55
    assert torch.equal(out, RandomFlip("horizontal", seed=3)(x, training=True))
    assert not torch.equal(out, RandomFlip("horizontal", seed=4)(x, training=True))


def test_inference_is_the_identity():
    x = torch.rand(4, 3, 3, 1)
    layer = RandomFlip(seed=0)
    torch.testing.assert_close(layer(x, training=False), x)
    layer.eval()
    torch.testing.assert_close(layer(x), x)


@pytest.mark.parametrize("mode", ["horizontal", "vertical", "horizontal_and_vertical"])
@pytest.mark.parametrize("shape", [(6, 5, 7, 3), (5, 7, 3)])
def test_same_transform_as_keras(mode, shape):
    keras = import_keras()
    assert_same_transform(RandomFlip(mode), keras.layers.RandomFlip(mode), images(shape))


def test_masks_flip_with_their_images():
    x = torch.rand(8, 4, 4, 1)
    out = RandomFlip(seed=2)({"images": x, "segmentation_masks": (x > 0.5).to(torch.uint8)}, training=True)
    assert out["segmentation_masks"].dtype == torch.uint8
    assert torch.equal(out["segmentation_masks"], (out["images"] > 0.5).to(torch.uint8))


def test_config_and_bad_mode():
    config = RandomFlip("vertical", seed=5).get_config()
    assert (config["mode"], config["seed"], config["data_format"]) == ("vertical", 5, "channels_last")
    with pytest.raises(ValueError, match="received an unknown mode argument 'diagonal'"):
        RandomFlip("diagonal")
    with pytest.raises(ValueError, match="seed must be an int or None"):
        RandomFlip(seed="x")
    np.testing.assert_equal(RandomFlip.from_config(config).seed, 5)
