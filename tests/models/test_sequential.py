"""Sequential: eager and lazy builds, add(), configs, plain torch modules inside."""

import json

import pytest
import torch
from torch import nn

import torch_keraslike as tkl
from torch_keraslike import layers


def test_leading_input_builds_immediately():
    model = tkl.Sequential([tkl.Input((4,)), layers.Dense(8, activation="relu"), layers.Dense(1)])
    assert model.built and all(layer.built for layer in model.layers)
    assert len(model.layers) == 2  # the InputLayer is not listed
    assert model(torch.ones(3, 4)).shape == (3, 1)
    assert [k for k in model.state_dict() if "_extra" not in k] == [
        "layers.0.kernel", "layers.0.bias", "layers.1.kernel", "layers.1.bias"]


def test_lazy_build_on_first_call_and_add():
    model = tkl.Sequential()
    model.add(layers.Dense(8))
    model.add(layers.Dense(2))
    assert not model.built
    with pytest.warns(tkl.UnbuiltLayerWarning):
        assert list(model.parameters()) == []
    assert model(torch.ones(5, 3)).shape == (5, 2)
    assert model.built and model.get_build_config() == {"input_shape": [None, 3]}
    lines = []
    model.summary(print_fn=lines.append)
    assert any("(None, 2)" in line for line in lines)


def test_first_layer_input_shape_builds_model():
    model = tkl.Sequential([layers.Dense(4, input_shape=(3,)), layers.Dense(1)])
    assert model.built and model.layers[1].built


def test_plain_torch_modules_inside():
    model = tkl.Sequential([tkl.Input((4,)), layers.Dense(8), nn.ReLU(), nn.Linear(8, 2)])
    x = torch.randn(2, 4)
    expected = model.layers[2](torch.relu(model.layers[0](x)))
    torch.testing.assert_close(model(x), expected)


def test_config_round_trip_and_unbuilt_checkpoint_load():
    model = tkl.Sequential([layers.Dense(6, activation="tanh"), layers.Dense(2)])
    x = torch.randn(3, 5)
    expected = model(x)
    clone = tkl.Sequential.from_config(json.loads(json.dumps(model.get_config())))
    clone.load_state_dict(model.state_dict())
    torch.testing.assert_close(clone(x), expected)
    fresh = tkl.Sequential([layers.Dense(6, activation="tanh"), layers.Dense(2)])
    fresh.load_state_dict(model.state_dict())  # builds from the stored input shape
    torch.testing.assert_close(fresh(x), expected)


def test_bad_additions():
    model = tkl.Sequential([layers.Dense(2)])
    with pytest.raises(TypeError, match="can only add layers"):
        model.add("dense")
    with pytest.raises(ValueError, match="only a tkl.Input tensor may be added, and only first"):
        model.add(tkl.Input((3,)))


def test_wrong_input_gets_first_layer_message():
    model = tkl.Sequential([tkl.Input((4,)), layers.Dense(2)])
    with pytest.raises(ValueError, match='Input 0 of layer "dense" is incompatible'):
        model(torch.ones(2, 5))


def test_failed_add_leaves_the_model_unchanged():
    model = tkl.Sequential([tkl.Input((3,)), layers.Dense(4)])
    x = torch.ones(2, 3)
    expected = model(x)
    with pytest.raises(ValueError, match="expected min_ndim=4"):
        model.add(layers.Conv2D(2, 3))
    assert len(model.layers) == 1
    torch.testing.assert_close(model(x), expected)


def test_summary_shapes_survive_deepcopy():
    import copy

    model = tkl.Sequential([tkl.Input((3,)), layers.Dense(4), layers.Dense(2)])
    lines = []
    copy.deepcopy(model).summary(print_fn=lines.append)
    assert any("(None, 4)" in line for line in lines) and any("(None, 2)" in line for line in lines)
