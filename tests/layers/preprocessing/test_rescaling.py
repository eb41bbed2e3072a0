"""Rescaling."""

import json

import numpy as np
import pytest
import torch

import torch_keraslike as tkl
from keras_reference import assert_layer_matches_keras, import_keras
from layer_testing import run_layer_test
from torch_keraslike.layers.preprocessing.rescaling import Rescaling


@pytest.mark.parametrize("kwargs", [{"scale": 1.0 / 255, "offset": 0.5}, {"scale": [1.0, 2.0, 3.0]}])
def test_rescaling_common(kwargs):
    run_layer_test(Rescaling, kwargs, (2, 4, 3), (2, 4, 3))


@pytest.mark.parametrize("dtype", [torch.uint8, torch.int32, torch.int64, torch.float64])
def test_any_input_dtype_gives_the_layer_dtype(dtype):
    x = torch.tensor([[0, 255]], dtype=dtype)
    out = Rescaling(scale=1 / 255)(x)
    assert out.dtype == torch.float32
    torch.testing.assert_close(out, torch.tensor([[0.0, 1.0]]))
    assert Rescaling(2.0, dtype="float64")(x).dtype == torch.float64
    assert Rescaling(2.0)(tkl.Input((3,), dtype="uint8")).dtype == torch.float32


def test_formula_and_per_channel_scale_in_both_data_formats():
    x = torch.rand(2, 3, 4, 4)
    torch.testing.assert_close(Rescaling(scale=0.004, offset=-1)(x), x * 0.004 - 1)
    vector = Rescaling(scale=[1.0, 2.0, 3.0], offset=[0.0, 1.0, 2.0])
    last = torch.rand(2, 4, 4, 3)
    scale, offset = torch.tensor([1.0, 2.0, 3.0]), torch.tensor([0.0, 1.0, 2.0])
    torch.testing.assert_close(vector(last), last * scale + offset)
    tkl.config.set_image_data_format("channels_first")
    try:
        expected = x * scale.reshape(3, 1, 1) + offset.reshape(3, 1, 1)
        torch.testing.assert_close(vector(x), expected)
    finally:
        tkl.config.set_image_data_format("channels_last")


def test_scale_buffers_follow_the_layer_but_are_not_weights():
    layer = Rescaling([1.0, 2.0]).double()
    assert layer.weights == [] and [k for k in layer.state_dict() if "extra" not in k] == []
    assert layer(torch.ones(1, 2)).dtype == torch.float64


@pytest.mark.parametrize("kwargs", [{"scale": 1 / 127.5, "offset": -1},
                                    {"scale": [0.5, 1.5, 2.5], "offset": 0.1}])
def test_rescaling_matches_keras(kwargs):
    keras = import_keras()
    x = (np.random.default_rng(0).random((2, 4, 4, 3)) * 255).astype(np.float32)
    assert_layer_matches_keras(Rescaling(**kwargs), keras.layers.Rescaling(**kwargs), x, copy_weights=False)
    ints = x.astype(np.uint8)
    assert_layer_matches_keras(Rescaling(**kwargs), keras.layers.Rescaling(**kwargs), ints,
                               copy_weights=False)


def test_config_round_trip_and_keras_numpy_configs():
    layer = Rescaling(np.array([0.5, 1.0]), offset=np.float32(2.0))
    config = json.loads(json.dumps(layer.get_config()))
    assert config["scale"] == [0.5, 1.0] and config["offset"] == 2.0
    assert Rescaling.from_config(config).get_config()["scale"] == [0.5, 1.0]
    keras_style = {"name": "r", "scale": {"class_name": "__numpy__", "config": {"value": [0.5, 1.0],
                                                                                "dtype": "float64"}},
                   "offset": 0.0}
    restored = Rescaling.from_config(keras_style)
    torch.testing.assert_close(restored(torch.ones(1, 2)), torch.tensor([[0.5, 1.0]]))


@pytest.mark.parametrize("bad", ["big", None, [1.0, "x"], float("nan"), True])
def test_bad_scale(bad):
    with pytest.raises(ValueError, match="scale must be a finite number or an array of numbers"):
        Rescaling(bad)


def test_masks_pass_through():
    assert Rescaling.supports_masking is True
