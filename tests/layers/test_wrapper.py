"""Wrapper: the base class of layers wrapping a layer."""

import json

import pytest
import torch

import torch_keraslike as tkl
from layer_testing import run_layer_test
from torch_keraslike.layers.wrapper import Wrapper


@tkl.saving.register_serializable(package="tests")
class CastWrapper(Wrapper):
    """Keras's test wrapper: runs the wrapped layer, output in the compute dtype."""

    def call(self, inputs):
        return self.layer(inputs).to(self._tkl_dtype)


@pytest.mark.parametrize("make, trainable, non_trainable", [
    (lambda: tkl.layers.Dense(2), 2, 0),
    (lambda: tkl.layers.BatchNormalization(), 2, 2),
])
def test_wrapper_common(make, trainable, non_trainable):
    # run_layer_test needs init kwargs: a fresh wrapped layer per construction.
    class Fresh(CastWrapper):
        def __init__(self, layer=None, **kwargs):
            super().__init__(layer if layer is not None else make(), **kwargs)

    shape = (2, 3)
    out_shape = (2, 2) if trainable == 2 and non_trainable == 0 else shape
    layer, _ = run_layer_test(Fresh, {}, shape, out_shape, trainable, non_trainable)
    assert [k for k in layer.state_dict() if "extra" not in k][0].startswith("layer.")


def test_wrapper_config_nests_the_wrapped_layer_and_round_trips():
    layer = CastWrapper(tkl.layers.Dense(3, activation="relu", name="inner"), name="outer")
    layer(torch.ones(2, 4))
    config = json.loads(json.dumps(layer.get_config()))
    assert config["name"] == "outer"
    assert config["layer"]["class_name"] == "Dense"
    assert config["layer"]["config"]["units"] == 3 and config["layer"]["config"]["name"] == "inner"
    clone = CastWrapper.from_config(config)
    assert isinstance(clone.layer, tkl.layers.Dense) and clone.layer.activation is layer.layer.activation
    clone(torch.ones(2, 4))
    clone.set_weights(layer.get_weights())
    torch.testing.assert_close(clone(torch.ones(2, 4)), layer(torch.ones(2, 4)))
    restored = tkl.saving.deserialize(tkl.saving.serialize(layer))
    assert type(restored) is CastWrapper and restored.layer.units == 3


def test_wrapper_builds_the_wrapped_layer_and_tracks_it():
    inner = tkl.layers.Dense(2)
    layer = CastWrapper(inner)
    layer.build((None, 5))
    assert inner.built and inner.kernel.shape == (5, 2)
    assert len(list(layer.parameters())) == 2
    layer.trainable = False
    assert not inner.kernel.requires_grad and layer.trainable_weights == []
    layer.double()
    assert inner.kernel.dtype == torch.float64


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_wrapped_layer_is_built_on_the_device_of_the_input():
    layer = CastWrapper(tkl.layers.Dense(2))
    layer(torch.ones(2, 3, device="cuda"))
    assert layer.layer.kernel.device.type == "cuda"


def test_wrapper_symbolic_call_and_functional_model():
    inputs = tkl.Input((4,))
    outputs = CastWrapper(tkl.layers.Dense(3))(inputs)
    assert outputs.shape == (None, 3)
    model = tkl.Model(inputs, outputs)
    assert model(torch.ones(2, 4)).shape == (2, 3)


@pytest.mark.parametrize("bad", ["This is not a valid Keras layer.", torch.nn.Linear(2, 3), None])
def test_wrapper_rejects_what_is_not_a_layer(bad):
    with pytest.raises(ValueError, match="supplied to Wrapper isn't a supported layer type"):
        Wrapper(bad)


def test_wrapper_is_registered():
    assert tkl.saving.get_registered_object("Wrapper") is Wrapper
    assert tkl.layers.Wrapper is Wrapper
