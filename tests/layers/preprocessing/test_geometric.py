"""RandomShear, RandomPerspective and RandomElasticTransform."""

import numpy as np
import pytest
import torch

from image_reference import assert_same_transform, clone_structure, images
from keras_reference import import_keras
from layer_testing import run_layer_test
from torch_keraslike.layers.preprocessing.geometric import RandomElasticTransform, RandomPerspective, RandomShear


@pytest.mark.parametrize("cls, kwargs", [
    (RandomShear, {"x_factor": 0.3, "y_factor": (0.1, 0.4)}),
    (RandomShear, {"x_factor": 0.2, "fill_mode": "constant", "data_format": "channels_first"}),
    (RandomPerspective, {"scale": 0.5}),
    (RandomPerspective, {"interpolation": "nearest", "data_format": "channels_first"}),
    (RandomElasticTransform, {"factor": 0.8, "scale": (0.3, 1.0)}),
    (RandomElasticTransform, {"fill_mode": "mirror", "data_format": "channels_first"}),
])
@pytest.mark.parametrize("training", [False, True])
def test_geometric_layers_common(cls, kwargs, training):
    shape = (3, 2, 9, 8) if kwargs.get("data_format") == "channels_first" else (3, 9, 8, 2)
    run_layer_test(cls, dict(kwargs, seed=5), shape, shape, training=training)


@pytest.mark.parametrize("shape", [(4, 9, 7, 3), (9, 7, 3)])
@pytest.mark.parametrize("make", [
    lambda k: (RandomShear(0.3, 0.5), k.RandomShear(0.3, 0.5)),
    lambda k: (RandomShear((0.1, 0.4), 0.2, fill_mode="constant", fill_value=7.0, interpolation="nearest"),
               k.RandomShear((0.1, 0.4), 0.2, fill_mode="constant", fill_value=7.0, interpolation="nearest")),
    lambda k: (RandomPerspective(0.8, 0.6), k.RandomPerspective(0.8, 0.6)),
    lambda k: (RandomPerspective(1.0, 0.9, interpolation="nearest", fill_value=3.0),
               k.RandomPerspective(1.0, 0.9, interpolation="nearest", fill_value=3.0)),
])
def test_same_transform_as_keras(make, shape):
    ours, theirs = make(import_keras().layers)
    assert_same_transform(ours, theirs, images(shape, scale=255), atol=1e-3)


@pytest.mark.parametrize("fill_mode", ["reflect", "mirror", "constant", "wrap", "nearest"])
@pytest.mark.parametrize("interpolation", ["bilinear", "nearest"])
def test_elastic_matches_keras_on_the_same_noise(fill_mode, interpolation):
    # Keras draws the displacement noise from torch's global generator inside the
    # transform: a transformation sampled by Keras (without "noise") makes ours draw
    # it the same way, so one manual seed gives both the same field.
    keras = import_keras()
    x = images((3, 20, 16, 3), scale=255)
    kwargs = dict(factor=0.9, scale=(0.5, 1.0), fill_mode=fill_mode, interpolation=interpolation, fill_value=5.0)
    theirs, ours = keras.layers.RandomElasticTransform(**kwargs), RandomElasticTransform(**kwargs)
    transformation = theirs.get_random_transformation(torch.from_numpy(x))
    torch.manual_seed(5)
    expected = theirs.transform_images(torch.from_numpy(x), transformation).cpu().numpy()
    torch.manual_seed(5)
    got = ours.transform_images(torch.from_numpy(x), clone_structure(transformation)).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-3)


def test_shear_matrix_and_sign():
    x = torch.ones(1, 3, 3, 1)
    out = RandomShear(x_factor=(1.0, 1.0), fill_mode="constant", seed=2)(x, training=True)
    shear = RandomShear(x_factor=(1.0, 1.0), seed=2).get_random_transformation(x)["shear_factor"]
    assert abs(float(shear[0, 0])) == 1.0 and float(shear[0, 1]) == 0.0
    # A shear of s samples x + s * y: rows below the first move by one pixel per row.
    assert out[0, 0, :, 0].tolist() == [1.0, 1.0, 1.0] and float(out.sum()) == 6.0


def test_perspective_probability_and_identity_without_scale():
    x = torch.rand(100, 6, 6, 1)
    layer = RandomPerspective(factor=(0.5, 0.5), seed=1)
    transformation = layer.get_random_transformation(x)
    assert 25 < int(transformation["apply_perspective"].sum()) < 75
    corners = transformation["start_points"][0].tolist()
    assert corners == [[0.0, 0.0], [5.0, 0.0], [0.0, 5.0], [5.0, 5.0]]
    torch.testing.assert_close(RandomPerspective(scale=0.0)(x, training=True), x, atol=1e-4, rtol=1e-4)


def test_elastic_masks_follow_the_images_and_identity_cases():
    x = torch.rand(2, 12, 12, 1)
    data = {"images": x, "segmentation_masks": (x > 0.5).long()}
    layer = RandomElasticTransform(factor=(1.0, 1.0), interpolation="nearest", seed=3)
    out = layer(data, training=True)
    assert out["segmentation_masks"].dtype == torch.int64
    assert torch.equal(out["segmentation_masks"], (out["images"] > 0.5).long())
    assert torch.equal(RandomElasticTransform(scale=0.0)(x, training=True), x)
    assert RandomElasticTransform(factor=0.0).get_random_transformation(x) is None


def test_elastic_compiles_to_one_graph():
    layer = RandomElasticTransform(scale=(0.5, 1.0))
    compiled = torch.compile(layer, backend="eager", fullgraph=True)
    x = torch.rand(2, 16, 16, 3) * 255
    torch.manual_seed(0)
    out = compiled(x, training=True)
    torch.manual_seed(0)
    torch.testing.assert_close(out, layer(x, training=True))
    torch._dynamo.reset()


@pytest.mark.parametrize("make, error, message", [
    (lambda: RandomShear(1.5), ValueError, r"in the range \[0, 1.0\]"),
    (lambda: RandomShear(-0.5), ValueError, r"in the range \[0, 1.0\]"),
    (lambda: RandomShear(0.1, (0.2, 1.5)), ValueError, r"Received: y_factor=\(0.2, 1.5\)"),
    (lambda: RandomShear(0.2, fill_mode="mirror"), NotImplementedError, "Unknown `fill_mode`"),
    (lambda: RandomPerspective(scale=1.5), ValueError, r"`scale` argument should be a number in the range \[0,1\]"),
    (lambda: RandomPerspective(interpolation="bicubic"), NotImplementedError, "Unknown `interpolation`"),
    (lambda: RandomElasticTransform(fill_mode="edge"), NotImplementedError, "Unknown `fill_mode`"),
    (lambda: RandomElasticTransform(scale=2.0), ValueError, "`scale` argument should be a number"),
    (lambda: RandomElasticTransform(fill_value="x"), ValueError, "fill_value must be a number"),
])
def test_bad_arguments(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_configs_match_keras():
    keras = import_keras()
    for ours, theirs in [(RandomShear(0.3, 0.2, seed=1), keras.layers.RandomShear(0.3, 0.2, seed=1)),
                         (RandomPerspective(0.5, 0.4), keras.layers.RandomPerspective(0.5, 0.4)),
                         (RandomElasticTransform(0.5, 0.3), keras.layers.RandomElasticTransform(0.5, 0.3))]:
        config, keras_config = ours.get_config(), theirs.get_config()
        for key in set(keras_config) - {"name", "dtype", "trainable"}:
            assert np.ravel(config[key]).tolist() == np.ravel(keras_config[key]).tolist(), key
        assert type(ours).from_config(config).get_config() == config


@pytest.mark.parametrize("make", [
    lambda fmt: RandomShear(0.4, 0.4, interpolation="nearest", fill_mode="nearest", data_format=fmt, seed=1),
    lambda fmt: RandomPerspective(interpolation="nearest", data_format=fmt, seed=1),
])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_masks_follow_the_images(make, data_format):
    shape = (2, 8, 8, 1) if data_format == "channels_last" else (2, 1, 8, 8)
    x = torch.rand(shape)
    out = make(data_format)({"images": x, "segmentation_masks": (x > 0.5).long()}, training=True)
    assert out["segmentation_masks"].dtype == torch.int64
    assert torch.equal(out["segmentation_masks"], (out["images"] > 0.5).long())
