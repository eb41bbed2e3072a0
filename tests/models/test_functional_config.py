"""Functional graphs as Keras's config, both ways: Keras 3's nodes, tf.keras 2's nested
lists, the form earlier versions wrote, node offsets of nested models, and Keras's
order of ``model.layers`` (models/functional_config.py)."""

import json
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

import torch_keraslike as tkl
from keras_reference import import_keras
from torch_keraslike import layers

sys.path.insert(0, str(Path(__file__).parent.parent / "saving"))
from keras_files import assert_outputs_match, keras_weights, layer_zoo, run_keras, run_ours, zoo_inputs  # noqa: E402


def _copy_keras_weights(ours, theirs):
    """Keras's weights into ours, layer by layer (by name)."""
    for layer in theirs.layers:
        if layer.weights:
            ours.get_layer(layer.name).set_weights(keras_weights(layer))


def test_keras_model_config_builds_the_same_model():
    keras = import_keras()
    theirs = layer_zoo(keras)
    ours = tkl.Model.from_config(json.loads(json.dumps(theirs.get_config())))
    assert [layer.name for layer in ours._graph.keras_layers()] == [layer.name for layer in theirs.layers]
    assert ours.count_params() == theirs.count_params()
    _copy_keras_weights(ours, theirs)
    inputs = zoo_inputs()
    assert_outputs_match(run_ours(ours, inputs), run_keras(theirs, inputs))


def _ours_nested():
    inner_in = tkl.Input((3,), name="inner_in")
    inner = tkl.Model(inner_in, layers.Dense(4, name="inner_dense")(inner_in), name="inner")
    head = tkl.Sequential([tkl.Input((4,)), layers.Dense(2, name="head_dense")], name="head")
    x = tkl.Input((3,), name="x")
    shared = layers.Dense(4, name="shared")
    h = inner(x)
    y = layers.Add(name="add")([shared(h), shared(inner(x))])
    return tkl.Model(x, {"sum": head(y), "inner": h})


def test_our_config_is_keras_format_and_keras_builds_it():
    keras = import_keras()
    ours = _ours_nested()
    config = json.loads(json.dumps(ours.get_config()))
    entries = {entry["name"]: entry for entry in config["layers"]}
    node = entries["inner"]["inbound_nodes"][0]["args"][0]
    assert node["class_name"] == "__keras_tensor__" and node["config"]["keras_history"] == ["x", 0, 0]
    # Keras numbers a nested functional model's calls from 1 in output_layers.
    assert config["output_layers"] == {"sum": ["head", 0, 0], "inner": ["inner", 1, 0]}
    theirs = keras.Model.from_config(json.loads(json.dumps(config)))  # Keras pops its keys
    for layer in ours.layers:
        if layer.weights:
            theirs.get_layer(layer.name).set_weights(layer.get_weights())
    data = np.random.default_rng(0).standard_normal((2, 3)).astype("float32")
    assert_outputs_match(run_ours(ours, data), run_keras(theirs, data))
    clone = tkl.Model.from_config(config)
    clone.load_state_dict(ours.state_dict())
    assert_outputs_match(run_ours(clone, data), run_ours(ours, data))


def test_tf_keras2_nested_list_nodes_with_nested_model_offsets():
    # tf.keras 2 wrote each call as a list of [layer, node, tensor, kwargs], and numbered
    # the calls of a nested model from 1 everywhere.
    dense = {"class_name": "Dense", "config": {"name": "d", "units": 2, "dtype": "float32"}}
    inner = {"class_name": "Functional", "name": "inner", "config": {
        "name": "inner", "layers": [
            {"class_name": "InputLayer", "name": "i", "inbound_nodes": [],
             "config": {"batch_input_shape": [None, 3], "dtype": "float32", "sparse": False,
                        "ragged": False, "name": "i"}},
            {**dense, "name": "d", "inbound_nodes": [[["i", 0, 0, {}]]]}],
        "input_layers": [["i", 0, 0]], "output_layers": [["d", 0, 0]]},
        "inbound_nodes": [[["x", 0, 0, {}]]]}
    config = {"name": "outer", "layers": [
        {"class_name": "InputLayer", "name": "x", "inbound_nodes": [],
         "config": {"batch_input_shape": [None, 3], "dtype": "float32", "sparse": False, "ragged": False,
                    "name": "x"}},
        inner,
        {"class_name": "Concatenate", "name": "cat", "config": {"name": "cat", "axis": -1},
         "inbound_nodes": [[["inner", 1, 0, {}], ["x", 0, 0, {}]]]}],
        "input_layers": [["x", 0, 0]], "output_layers": [["cat", 0, 0], ["inner", 1, 0]]}
    model = tkl.Model.from_config(config)
    out, inner_out = model(torch.ones(2, 3))
    assert out.shape == (2, 5) and inner_out.shape == (2, 2)
    torch.testing.assert_close(out[:, :2], inner_out)


def test_configs_of_earlier_versions_still_load():
    config = {"name": "old", "trainable": True, "layers": [
        {"class_name": "InputLayer", "name": "x", "config": {"batch_shape": [None, 4], "dtype": "float32",
                                                             "name": "x"}, "inbound_nodes": []},
        {"class_name": "Dense", "name": "dense", "config": {"name": "dense", "units": 2},
         "inbound_nodes": [{"args": [{"__keras_tensor__": ["x", 0, 0]}], "kwargs": {}}]},
        {"class_name": "TorchOpLayer", "name": "slice", "config": {"name": "slice", "function": "torch.Tensor.__getitem__"},
         "inbound_nodes": [{"args": [{"__keras_tensor__": ["dense", 0, 0]},
                                     {"__tuple__": [{"__slice__": [None, None, None]}, {"__slice__": [0, 1, None]}]}],
                            "kwargs": {}}]}],
        "input_layers": [{"__keras_tensor__": ["x", 0, 0]}],
        "output_layers": {"__keras_tensor__": ["slice", 0, 0]}}
    model = tkl.Model.from_config(config)
    assert model(torch.ones(3, 4)).shape == (3, 1)


def test_a_single_output_in_a_list_is_returned_as_the_tensor_as_in_keras():
    x = tkl.Input((3,))
    model = tkl.Model([x], [layers.Dense(2)(x)])
    assert isinstance(model(torch.ones(1, 3)), torch.Tensor)
    assert model.get_config()["output_layers"] == [["dense", 0, 0]]


def test_calls_that_refer_to_missing_tensors_are_a_clear_error():
    config = _ours_nested().get_config()
    inner = next(entry for entry in config["layers"] if entry["name"] == "inner")
    inner["inbound_nodes"][0]["args"][0]["config"]["keras_history"] = ["nowhere", 0, 0]
    with pytest.raises(ValueError, match=r"Model config is inconsistent: the calls of layers \[.*'inner'"):
        tkl.Model.from_config(config)


def test_layer_order_is_keras_order_with_shared_layers_and_dict_outputs():
    keras = import_keras()
    L = keras.layers
    a, b = keras.Input((4,), name="a"), keras.Input((4,), name="b")
    shared = L.Dense(4, name="shared")
    deep = shared(L.Dense(4, name="pre")(shared(a)))
    out = {"z": L.Dense(1, name="z")(deep), "y": L.Add(name="add")([shared(b), deep])}
    unused = keras.Input((2,), name="unused")
    theirs = keras.Model([a, b, unused], out)
    ours = tkl.Model.from_config(json.loads(json.dumps(theirs.get_config())))
    assert [layer.name for layer in ours._graph.keras_layers()] == [layer.name for layer in theirs.layers]
