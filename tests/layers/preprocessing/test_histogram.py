"""Equalization and ContrastLimitedAdaptiveHistogramEqualization."""

import numpy as np
import pytest
import torch

from image_reference import assert_same_transform, images
from keras_reference import import_keras
from layer_testing import run_layer_test
from torch_keraslike.layers.preprocessing.histogram import ContrastLimitedAdaptiveHistogramEqualization as CLAHE
from torch_keraslike.layers.preprocessing.histogram import Equalization


@pytest.mark.parametrize("cls, kwargs", [
    (Equalization, {}),
    (Equalization, {"bins": 16, "value_range": (0, 1), "data_format": "channels_first"}),
    (CLAHE, {"tile_grid_size": (2, 3)}),
    (CLAHE, {"clip_limit": 0.0, "data_format": "channels_first"}),
])
@pytest.mark.parametrize("training", [False, True])
def test_histogram_layers_common(cls, kwargs, training):
    shape = (3, 2, 9, 8) if kwargs.get("data_format") == "channels_first" else (3, 9, 8, 2)
    run_layer_test(cls, kwargs, shape, shape, training=training)


# Keras's Equalization (its count_nonzero) triggers a torch deprecation warning.
KERAS_WARNING = pytest.mark.filterwarnings("ignore:Tensor.T is deprecated on 0-D tensors:UserWarning")


@KERAS_WARNING
@pytest.mark.parametrize("shape", [(4, 9, 7, 3), (9, 7, 3)])
@pytest.mark.parametrize("make", [
    lambda k: (Equalization(), k.Equalization()),
    lambda k: (Equalization(bins=16), k.Equalization(bins=16)),
    lambda k: (CLAHE(tile_grid_size=(2, 2)), k.ContrastLimitedAdaptiveHistogramEqualization(tile_grid_size=(2, 2))),
    lambda k: (CLAHE(tile_grid_size=(3, 2), clip_limit=0.0),
               k.ContrastLimitedAdaptiveHistogramEqualization(tile_grid_size=(3, 2), clip_limit=0.0)),
    lambda k: (CLAHE(), k.ContrastLimitedAdaptiveHistogramEqualization()),
])
def test_same_transform_as_keras(make, shape):
    ours, theirs = make(import_keras().layers)
    assert_same_transform(ours, theirs, images(shape, scale=255), atol=1e-3)


@KERAS_WARNING
def test_larger_tiles_clip_limit_and_channels_first_match_keras():
    keras = import_keras()
    x = images((2, 3, 40, 36), scale=255)
    kwargs = dict(tile_grid_size=(2, 3), clip_limit=2.0, data_format="channels_first")
    ours, theirs = CLAHE(**kwargs), keras.layers.ContrastLimitedAdaptiveHistogramEqualization(**kwargs)
    np.testing.assert_allclose(ours(torch.from_numpy(x)).numpy(), theirs(x).cpu().numpy(), rtol=1e-5, atol=1e-3)
    eq = Equalization(value_range=(0, 1), data_format="channels_first")
    theirs = keras.layers.Equalization(value_range=(0, 1), data_format="channels_first")
    np.testing.assert_allclose(eq(torch.from_numpy(x / 255), training=True).numpy(),
                               theirs(x / 255, training=True).cpu().numpy(), rtol=1e-5, atol=1e-5)


def test_clahe_keeps_integer_dtype_as_keras():
    keras = import_keras()
    x = (images((2, 10, 12, 3)) * 255).astype("uint8")
    ours = CLAHE(tile_grid_size=(3, 3))(torch.from_numpy(x))
    expected = keras.layers.ContrastLimitedAdaptiveHistogramEqualization(tile_grid_size=(3, 3))(x)
    assert ours.dtype == torch.uint8
    assert torch.equal(ours, expected.cpu())


def test_equalization_spreads_values_and_leaves_flat_channels():
    x = torch.tensor([10.0, 10.0, 20.0, 30.0]).reshape(1, 1, 4, 1)
    torch.testing.assert_close(Equalization()(x, training=True).flatten(), torch.tensor([0.0, 0.0, 128.0, 255.0]))
    flat = torch.full((2, 3, 3, 1), 42.0)
    torch.testing.assert_close(Equalization()(flat, training=True), flat)
    assert torch.equal(Equalization()(x, training=False), x)  # training only, as Keras


def test_clahe_is_always_active_and_degenerate_tiles_stay():
    x = torch.rand(1, 4, 4, 1) * 255
    # 2 x 2 tiles of 4 pixels: the limit int(4 * 4 / 256) is 0, every bin is equal,
    # and each pixel maps to its own (truncated) value, as in Keras.
    torch.testing.assert_close(CLAHE(tile_grid_size=(2, 2))(x, training=False), x.floor())


def test_compiles_to_one_graph():
    for layer in (Equalization(), CLAHE(tile_grid_size=(2, 2))):
        compiled = torch.compile(layer, backend="eager", fullgraph=True)
        x = torch.rand(2, 8, 8, 3) * 255
        torch.testing.assert_close(compiled(x, training=True), layer(x, training=True))
        torch._dynamo.reset()


@pytest.mark.parametrize("make, message", [
    (lambda: Equalization(bins=1), "`bins` must be an integer >= 2"),
    (lambda: Equalization(value_range=5), "`value_range` argument should be a list of two numbers"),
    (lambda: CLAHE(tile_grid_size=(0, 2)), "tile_grid_size must be two positive integers"),
    (lambda: CLAHE(tile_grid_size=8), "tile_grid_size must be two positive integers"),
    (lambda: CLAHE(clip_limit="high"), "clip_limit must be a number"),
])
def test_bad_arguments(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_configs_match_keras():
    keras = import_keras()
    for ours, theirs in [(Equalization((0, 1), 64), keras.layers.Equalization((0, 1), 64)),
                         (CLAHE((0, 1), 2.0, (4, 4)), keras.layers.ContrastLimitedAdaptiveHistogramEqualization(
                             (0, 1), 2.0, (4, 4)))]:
        config, keras_config = ours.get_config(), theirs.get_config()
        for key in set(keras_config) - {"name", "dtype", "trainable"}:
            assert np.ravel(config[key]).tolist() == np.ravel(keras_config[key]).tolist(), key
        assert type(ours).from_config(config).get_config() == config
