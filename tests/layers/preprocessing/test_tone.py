"""AutoContrast, RandomInvert, RandomPosterization and Solarization."""

import numpy as np
import pytest
import torch

from image_reference import assert_same_transform, images
from keras_reference import import_keras
from layer_testing import run_layer_test
from torch_keraslike.layers.preprocessing.tone import AutoContrast, RandomInvert, RandomPosterization, Solarization


@pytest.mark.parametrize("cls, kwargs", [
    (AutoContrast, {}),
    (AutoContrast, {"value_range": (0, 1), "data_format": "channels_first"}),
    (RandomInvert, {"factor": 0.5, "seed": 1}),
    (RandomPosterization, {"factor": (2, 6), "seed": 1}),
    (Solarization, {"addition_factor": 0.2, "threshold_factor": (0.3, 0.7), "seed": 1}),
])
@pytest.mark.parametrize("training", [False, True])
def test_tone_layers_common(cls, kwargs, training):
    shape = (5, 3, 4, 6) if kwargs.get("data_format") == "channels_first" else (5, 4, 6, 3)
    run_layer_test(cls, kwargs, shape, shape, training=training)


@pytest.mark.parametrize("shape", [(4, 6, 7, 3), (6, 7, 3)])
@pytest.mark.parametrize("make", [
    lambda k: (RandomInvert(0.7), k.RandomInvert(0.7)),
    lambda k: (RandomPosterization((2, 7)), k.RandomPosterization((2, 7))),
    lambda k: (RandomPosterization(3), k.RandomPosterization(3)),
    lambda k: (Solarization(0.3, (0.2, 0.8)), k.Solarization(0.3, (0.2, 0.8))),
    lambda k: (AutoContrast(), k.AutoContrast()),
])
def test_same_transform_as_keras(make, shape):
    ours, theirs = make(import_keras().layers)
    assert_same_transform(ours, theirs, images(shape, scale=255), atol=1e-3)


@pytest.mark.parametrize("make", [
    lambda k: (AutoContrast(value_range=(0, 1)), k.AutoContrast(value_range=(0, 1))),
    lambda k: (Solarization(0.3, 0.5, value_range=(0, 1)), k.Solarization(0.3, 0.5, value_range=(0, 1))),
    lambda k: (RandomPosterization(5, value_range=(0, 1)), k.RandomPosterization(5, value_range=(0, 1))),
    lambda k: (RandomInvert(value_range=(0, 1)), k.RandomInvert(value_range=(0, 1))),
])
def test_unit_value_range_matches_keras(make):
    ours, theirs = make(import_keras().layers)
    assert_same_transform(ours, theirs, images((4, 5, 6, 3)), atol=1e-5)


def test_auto_contrast_stretches_each_channel_and_keeps_constant_ones():
    x = torch.stack([torch.linspace(50, 100, 16).reshape(4, 4), torch.full((4, 4), 7.0)], dim=-1)[None]
    out = AutoContrast()(x)  # active in inference too
    assert float(out[..., 0].min()) == 0.0 and float(out[..., 0].max()) == 255.0
    torch.testing.assert_close(out[..., 1], x[..., 1])
    ints = AutoContrast()(x.to(torch.uint8), training=False)
    assert ints.dtype == torch.float32


def test_invert_posterize_solarize_formulas():
    x = torch.tensor([[[[0.0, 37.0, 200.0, 255.0]]]])
    torch.testing.assert_close(RandomInvert((1.0, 1.0))(x, training=True), 255.0 - x)
    assert torch.equal(RandomInvert((0.0, 0.0))(x, training=True), x)
    torch.testing.assert_close(RandomPosterization((2, 2))(x, training=True),
                               torch.tensor([[[[0.0, 0.0, 192.0, 192.0]]]]))
    torch.testing.assert_close(RandomPosterization((8, 8))(x, training=True), x)
    torch.testing.assert_close(Solarization()(x, training=True), 255.0 - x)
    bits = RandomPosterization((2, 6), seed=0).get_random_transformation(torch.zeros(300, 1, 1, 1))["shift_factor"]
    assert set(bits.tolist()) == {3, 4, 5, 6}  # 8 - [2, 6): the upper bound is excluded, as Keras
    draws = Solarization((0.1, 0.2), (0.5, 0.5), seed=0).get_random_transformation(torch.zeros(500, 1, 1, 1))
    assert 0.1 <= float(draws["additions"].min()) and float(draws["additions"].max()) <= 0.2 * 255
    assert 0.5 <= float(draws["thresholds"].min()) and float(draws["thresholds"].max()) <= 127.5


def test_seeds_and_inference():
    x = torch.rand(4, 5, 5, 3) * 255
    for make in (lambda s: RandomInvert(0.5, seed=s), lambda s: RandomPosterization((1, 8), seed=s),
                 lambda s: Solarization(0.5, 0.5, seed=s)):
        torch.testing.assert_close(make(3)(x, training=True), make(3)(x, training=True))
        torch.testing.assert_close(make(3)(x, training=False), x)


@pytest.mark.parametrize("make, message", [
    (lambda: RandomInvert(1.5), r"in the range \[0, 1\]"),
    (lambda: RandomPosterization(0), r"integer \(or a list of two integers\) in the range \[1, 8\]"),
    (lambda: RandomPosterization(2.5), r"in the range \[1, 8\]"),
    (lambda: RandomPosterization((1, 9)), r"in the range \[1, 8\]"),
    (lambda: Solarization(1.5), "`addition_factor` and `threshold_factor` arguments should be"),
    (lambda: Solarization(0.1, (0.1, 0.2, 0.3)), "Received: threshold_factor="),
    (lambda: AutoContrast(value_range=(1,)), "`value_range` argument should be a list of two numbers"),
])
def test_bad_arguments(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_configs_match_keras():
    keras = import_keras()
    for ours, theirs in [(AutoContrast((0, 1)), keras.layers.AutoContrast((0, 1))),
                         (RandomInvert(0.3, seed=1), keras.layers.RandomInvert(0.3, seed=1)),
                         (RandomPosterization((2, 5), seed=1), keras.layers.RandomPosterization((2, 5), seed=1)),
                         (Solarization(0.2, (0.1, 0.6), seed=1), keras.layers.Solarization(0.2, (0.1, 0.6), seed=1))]:
        config, keras_config = ours.get_config(), theirs.get_config()
        for key in set(keras_config) - {"name", "dtype", "trainable"}:
            assert list(np.ravel(config[key])) == list(np.ravel(keras_config[key])), key
        assert type(ours).from_config(config).get_config() == config
