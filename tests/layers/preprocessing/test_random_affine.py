"""RandomRotation, RandomZoom, RandomTranslation and their affine resampling."""

import math

import numpy as np
import pytest
import torch

from image_reference import assert_same_transform, images
from keras_reference import import_keras, to_numpy
from layer_testing import run_layer_test
from torch_keraslike.layers.preprocessing._affine import affine_transform
from torch_keraslike.layers.preprocessing.random_affine import RandomRotation, RandomTranslation, RandomZoom

FILL_MODES = ["reflect", "wrap", "constant", "nearest"]


@pytest.mark.parametrize("cls, kwargs", [
    (RandomRotation, {"factor": 0.2}),
    (RandomRotation, {"factor": (-0.5, 0.1), "data_format": "channels_first"}),
    (RandomZoom, {"height_factor": 0.2, "width_factor": (-0.3, 0.4)}),
    (RandomZoom, {"height_factor": (-0.5, 0.5)}),
    (RandomTranslation, {"height_factor": 0.2, "width_factor": (-0.3, 0.1), "fill_mode": "constant"}),
])
@pytest.mark.parametrize("training", [False, True])
def test_random_affine_common(cls, kwargs, training):
    run_layer_test(cls, dict(kwargs, seed=1), (2, 5, 6, 3), (2, 5, 6, 3), training=training)


# ---------------------------------------------------------- known transforms
def test_quarter_turn_rotates_counter_clockwise():
    x = torch.arange(9.0).reshape(1, 3, 3, 1)
    out = RandomRotation((0.25, 0.25))(x, training=True)[0, ..., 0]
    torch.testing.assert_close(out, torch.rot90(x[0, ..., 0], 1, (0, 1)), atol=1e-5, rtol=0)


def test_zoom_in_by_two_takes_the_central_pixels():
    x = torch.arange(16.0).reshape(1, 4, 4, 1)
    out = RandomZoom((-0.5, -0.5), interpolation="bilinear")(x, training=True)[0, ..., 0]
    # Output pixel i samples the input at 0.75 + i / 2.
    coords = 0.75 + torch.arange(4.0) / 2
    expected = coords[:, None] * 4 + coords[None, :]
    torch.testing.assert_close(out, expected)


@pytest.mark.parametrize("fill_mode, expected", [
    ("constant", [9.0, 9.0, 1.0, 2.0, 3.0]),
    ("nearest", [1.0, 1.0, 1.0, 2.0, 3.0]),
    ("wrap", [4.0, 5.0, 1.0, 2.0, 3.0]),
    ("reflect", [2.0, 1.0, 1.0, 2.0, 3.0]),
])
def test_translation_fill_modes(fill_mode, expected):
    x = torch.tensor([1.0, 2.0, 3.0, 4.0, 5.0]).reshape(1, 1, 5, 1)
    layer = RandomTranslation(0, (0.4, 0.4), fill_mode=fill_mode, fill_value=9.0)
    torch.testing.assert_close(layer(x, training=True).flatten(), torch.tensor(expected))


def test_identity_transform_and_integer_images_with_nearest():
    x = torch.randint(0, 9, (2, 4, 5, 3))
    identity = torch.tensor([1.0, 0, 0, 0, 1.0, 0, 0, 0])
    for interpolation in ("nearest", "bilinear"):
        out = affine_transform(x, identity, interpolation, "constant", 0.0)
        assert out.dtype == x.dtype and torch.equal(out, x)


# ------------------------------------------------------------ Keras parity
@pytest.mark.parametrize("fill_mode", FILL_MODES)
@pytest.mark.parametrize("interpolation", ["bilinear", "nearest"])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_rotation_same_transform_as_keras(fill_mode, interpolation, data_format):
    keras = import_keras()
    kwargs = dict(factor=0.4, fill_mode=fill_mode, interpolation=interpolation, fill_value=0.3,
                  data_format=data_format)
    shape = (3, 7, 9, 2) if data_format == "channels_last" else (3, 2, 7, 9)
    for x in (images(shape), images(shape[1:])):
        assert_same_transform(RandomRotation(**kwargs), keras.layers.RandomRotation(**kwargs), x)


def test_rotation_matrix_matches_keras():
    keras = import_keras()
    theirs = keras.layers.RandomRotation(0.5)
    x = torch.from_numpy(images((4, 7, 9, 3)))
    transformation = theirs.get_random_transformation(x, training=True)
    ours = RandomRotation(0.5)
    from torch_keraslike.layers.preprocessing._affine import rotation_matrix

    np.testing.assert_allclose(to_numpy(rotation_matrix(transformation["angle"], 7, 9)),
                               to_numpy(transformation["rotation_matrix"]), rtol=1e-6, atol=1e-6)
    sampled = ours.get_random_transformation(x, training=True)
    assert sampled["rotation_matrix"].shape == (4, 8) and sampled["angle"].abs().max() <= 180


@pytest.mark.parametrize("kwargs", [
    {"height_factor": 0.4, "fill_mode": "constant", "fill_value": 0.5},
    {"height_factor": (-0.3, 0.5), "width_factor": 0.2, "fill_mode": "reflect"},
    {"height_factor": 0.3, "width_factor": (-0.6, -0.2), "fill_mode": "wrap", "interpolation": "nearest"},
    {"height_factor": 0.3, "fill_mode": "nearest", "data_format": "channels_first"},
])
def test_zoom_same_transform_as_keras(kwargs):
    keras = import_keras()
    shape = (3, 2, 7, 9) if kwargs.get("data_format") == "channels_first" else (3, 7, 9, 2)
    for x in (images(shape), images(shape[1:])):
        assert_same_transform(RandomZoom(**kwargs), keras.layers.RandomZoom(**kwargs), x)


@pytest.mark.parametrize("kwargs", [
    {"height_factor": 0.4, "width_factor": 0.3, "fill_mode": "constant", "fill_value": 0.5},
    {"height_factor": (-0.3, 0.5), "width_factor": 0.2, "fill_mode": "reflect"},
    {"height_factor": 0.3, "width_factor": (-0.6, -0.2), "fill_mode": "wrap", "interpolation": "nearest"},
    {"height_factor": 0.3, "width_factor": 0.1, "fill_mode": "nearest", "data_format": "channels_first"},
])
def test_translation_same_transform_as_keras(kwargs):
    keras = import_keras()
    shape = (3, 2, 7, 9) if kwargs.get("data_format") == "channels_first" else (3, 7, 9, 2)
    for x in (images(shape), images(shape[1:])):
        assert_same_transform(RandomTranslation(**kwargs), keras.layers.RandomTranslation(**kwargs), x)


# ---------------------------------------------------- randomness and modes
@pytest.mark.parametrize("make", [
    lambda seed: RandomRotation(0.3, seed=seed),
    lambda seed: RandomZoom(0.3, seed=seed),
    lambda seed: RandomTranslation(0.3, 0.3, seed=seed),
])
def test_seeded_streams_repeat_and_inference_is_identity(make):
    x = torch.rand(4, 6, 6, 3)
    a, b = make(7), make(7)
    first = a(x, training=True)
    torch.testing.assert_close(first, b(x, training=True))
    assert not torch.equal(a(x, training=True), first)  # the stream continues
    assert not torch.equal(make(8)(x, training=True), first)
    torch.testing.assert_close(a(x, training=False), x)
    a.eval()
    torch.testing.assert_close(a(x), x)


def test_sampled_parameters_stay_in_their_ranges():
    x = torch.rand(500, 4, 6, 1)
    rotation = RandomRotation((-0.1, 0.2), seed=0).get_random_transformation(x)
    assert -36.0 <= float(rotation["angle"].min()) and float(rotation["angle"].max()) <= 72.0
    zoom = RandomZoom((0.1, 0.3), (-0.2, 0.0), seed=0).get_random_transformation(x)
    assert 1.1 <= float(zoom["height_zoom"].min()) and float(zoom["height_zoom"].max()) <= 1.3
    assert 0.8 <= float(zoom["width_zoom"].min()) and float(zoom["width_zoom"].max()) <= 1.0
    same = RandomZoom(0.2, seed=0).get_random_transformation(x)
    assert same["width_zoom"] is same["height_zoom"]
    shift = RandomTranslation((0.0, 0.5), -0.25, seed=0).get_random_transformation(x)["translations"]
    assert 0.0 <= float(shift[:, 1].min()) and float(shift[:, 1].max()) <= 2.0   # height 4
    assert -1.5 <= float(shift[:, 0].min()) and float(shift[:, 0].max()) <= 1.5  # width 6


def test_masks_use_nearest_and_keep_their_dtype():
    x = torch.rand(3, 6, 6, 1)
    masks = (x * 3).to(torch.int64)
    out = RandomRotation(0.3, seed=1)({"images": x, "segmentation_masks": masks}, training=True)
    assert out["segmentation_masks"].dtype == torch.int64
    assert set(out["segmentation_masks"].unique().tolist()) <= {0, 1, 2}
    inference = RandomZoom(0.3)({"images": x, "segmentation_masks": masks}, training=False)
    assert inference["segmentation_masks"] is masks


@pytest.mark.parametrize("make, message", [
    (lambda: RandomRotation(1.5), r"should be a number \(or a list of two numbers\) in the range \[-1, 1\]"),
    (lambda: RandomRotation((0.1, 0.2, 0.3)), "in the range"),
    (lambda: RandomRotation("big"), "in the range"),
    (lambda: RandomZoom(-1.0), r"in the range \(-1.0, 1.0\]"),
    (lambda: RandomZoom(0.2, (0.1, 1.5)), r"Received: width_factor=\(0.1, 1.5\)"),
    (lambda: RandomTranslation(1.2, 0.1), r"in the range \[-1.0, 1.0\]. Received: height_factor=1.2"),
    (lambda: RandomTranslation(0.1, [0.1]), "Received: width_factor"),
    (lambda: RandomZoom("x"), "Received: height_factor='x'"),
    (lambda: RandomTranslation(0.1, ("a", 0.2)), "Received: width_factor"),
    (lambda: RandomRotation(0.1, fill_value="x"), "fill_value must be a number"),
])
def test_bad_factors(make, message):
    with pytest.raises(ValueError, match=message):
        make()


@pytest.mark.parametrize("kwargs, message", [
    ({"fill_mode": "mirror"}, "Unknown `fill_mode`"),
    ({"interpolation": "bicubic"}, "Unknown `interpolation`"),
])
def test_unsupported_modes_raise_like_keras(kwargs, message):
    for make in (lambda: RandomRotation(0.1, **kwargs), lambda: RandomZoom(0.1, **kwargs),
                 lambda: RandomTranslation(0.1, 0.1, **kwargs)):
        with pytest.raises(NotImplementedError, match=message):
            make()


def test_configs_round_trip():
    for layer in (RandomRotation((-0.2, 0.3), fill_mode="wrap", seed=2),
                  RandomZoom(0.2, (-0.1, 0.3), interpolation="nearest", fill_value=1.0),
                  RandomTranslation(0.1, (0.0, 0.2), data_format="channels_first")):
        config = layer.get_config()
        clone = type(layer).from_config(config)
        assert clone.get_config() | {"name": None} == config | {"name": None}
    assert RandomRotation(0.2).get_config()["factor"] == (-0.2, 0.2)
    assert math.isclose(RandomZoom(0.2).get_config()["height_factor"], 0.2)
