"""layers.serialize / layers.deserialize and layers.Input."""

import json

import pytest

import torch_keraslike as tkl
from keras_reference import import_keras


def test_serialize_round_trip_through_json():
    layer = tkl.layers.RandomHue(0.3, value_range=(0, 1), seed=4, name="hue")
    config = json.loads(json.dumps(tkl.layers.serialize(layer)))
    assert config["class_name"] == "RandomHue"
    clone = tkl.layers.deserialize(config)
    assert type(clone) is tkl.layers.RandomHue and clone.get_config() == layer.get_config()


def test_deserialize_reads_keras_configs():
    keras = import_keras()
    theirs = keras.layers.CategoryEncoding(4, output_mode="count")
    config = keras.layers.serialize(theirs)
    config["config"]["dtype"] = theirs.dtype_policy.name  # Keras's DTypePolicy, by its name
    layer = tkl.layers.deserialize(config)
    assert isinstance(layer, tkl.layers.CategoryEncoding) and layer.num_tokens == 4


def test_deserialize_errors():
    with pytest.raises(ValueError, match="Unknown class 'NoSuchLayer'.*register_serializable"):
        tkl.layers.deserialize({"class_name": "NoSuchLayer", "config": {}})
    class Thing:
        @classmethod
        def from_config(cls, config):
            return cls()

    with pytest.raises(ValueError, match="is not a layer \\(it made a Thing\\)"):
        tkl.layers.deserialize({"class_name": "Thing", "config": {}}, custom_objects={"Thing": Thing})


def test_input_and_input_layer_are_the_package_objects():
    assert tkl.layers.Input is tkl.Input
    from torch_keraslike.models.input_layer import InputLayer

    assert tkl.layers.InputLayer is InputLayer
    assert tkl.layers.Input((3,)).shape == (None, 3)
