"""Keras's config format both ways: entries, class names, dtype policies, arguments that
mean nothing on torch, and Keras operations (saving/keras_config.py)."""

import json

import numpy as np
import pytest
import torch

import torch_keraslike as tkl
from keras_files import keras_weights
from keras_reference import import_keras, to_numpy
from torch_keraslike import layers
from torch_keraslike.saving.keras_config import resolve_class


@tkl.saving.register_serializable(package="Demo")
class Scale(tkl.Layer):
    def __init__(self, factor=2.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def call(self, x):
        return x * self.factor


# ------------------------------------------------------------------ entries
def test_serialize_writes_keras_entries():
    dense = layers.Dense(3, name="d")
    assert tkl.saving.serialize(dense) == {
        "module": "keras.layers", "class_name": "Dense", "config": dense.get_config(),
        "registered_name": None}
    dense.build((None, 4))
    assert tkl.saving.serialize(dense)["build_config"] == {"input_shape": [None, 4]}
    x = tkl.Input((2,))
    entry = tkl.saving.serialize(tkl.Model(x, Scale(name="s")(x)))
    assert (entry["module"], entry["class_name"], entry["registered_name"]) == (
        "keras.src.models.functional", "Functional", "Functional")
    assert entry["config"]["layers"][1]["class_name"] == "Scale"
    assert entry["config"]["layers"][1]["registered_name"] == "Demo>Scale"
    assert tkl.saving.serialize(tkl.Sequential())["module"] == "keras"


@pytest.mark.parametrize("entry", [
    {"class_name": "Dense", "config": {"units": 2}},
    {"module": "keras.layers", "class_name": "Dense", "config": {"units": 2}, "registered_name": None},
    {"module": "keras.src.layers.core.dense", "class_name": "Dense", "config": {"units": 2}},
    {"class_name": "Dense", "config": {"units": 2}, "registered_name": "keras.layers>Dense"},
])
def test_keras_names_of_built_ins_resolve(entry):
    assert isinstance(tkl.saving.deserialize(entry), layers.Dense)


def test_custom_names_resolve_by_registered_name_or_custom_objects():
    entry = {"module": "my_project.layers", "class_name": "Scale", "config": {"factor": 3.0},
             "registered_name": "Demo>Scale"}
    assert tkl.saving.deserialize(entry).factor == 3.0

    class Other(Scale):
        pass

    assert type(tkl.saving.deserialize(entry, custom_objects={"Scale": Other})) is Other
    assert type(tkl.saving.deserialize(entry, custom_objects={"Demo>Scale": Other})) is Other
    unknown = {"module": "my_project.layers", "class_name": "Shift", "config": {}, "registered_name": "Demo>Shift"}
    with pytest.raises(ValueError, match=r"Unknown class 'Demo>Shift'.*register_serializable.*custom_objects"):
        tkl.saving.deserialize(unknown)


def test_a_module_named_in_a_config_is_never_imported(monkeypatch):
    import importlib

    imported = []
    monkeypatch.setattr(importlib, "import_module", lambda name, *a, **k: imported.append(name))
    for entry in ({"module": "os", "class_name": "system", "config": {}},
                  {"module": "os", "class_name": "system", "config": {}, "registered_name": "os>system"},
                  {"module": "subprocess", "class_name": "Popen", "config": {"args": "ls"}, "registered_name": None}):
        with pytest.raises(ValueError, match="Unknown class"):
            tkl.saving.deserialize(entry)
    assert [name for name in imported if not name.startswith("torch_keraslike")] == []


# ------------------------------------------------------------------- values
def test_dtype_policies_become_dtypes_and_mixed_policies_are_refused():
    policy = {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float64"}, "registered_name": None}
    assert tkl.saving.deserialize({"class_name": "Dense", "config": {"units": 2, "dtype": policy}}).dtype == "float64"
    mixed = {**policy, "config": {"name": "mixed_float16"}}
    with pytest.raises(ValueError, match=r'Layer "d" \(Dense\) uses Keras\'s dtype policy \'mixed_float16\''):
        tkl.saving.deserialize({"class_name": "Dense", "config": {"units": 2, "name": "d", "dtype": mixed}})


def test_nested_objects_and_functions_are_normalized():
    config = {
        "units": 2, "activation": {"module": "builtins", "class_name": "function", "config": "relu",
                                   "registered_name": "function"},
        "kernel_initializer": {"module": "keras.initializers", "class_name": "GlorotUniform",
                               "config": {"seed": 3, "input_axes": None, "output_axes": None},
                               "registered_name": None, "shared_object_id": 12345},
        "kernel_regularizer": {"module": "keras.regularizers", "class_name": "L2", "config": {"l2": 0.5},
                               "registered_name": None},
    }
    layer = tkl.saving.deserialize({"class_name": "Dense", "config": config})
    assert layer.kernel_initializer.seed == 3 and layer.kernel_regularizer.l2 == 0.5
    assert layer(torch.tensor([[-5.0, -5.0]])).min() >= 0  # relu


def test_arguments_without_counterpart_load_only_at_keras_neutral_values():
    loaded = tkl.saving.deserialize({"class_name": "Dense", "config": {
        "units": 2, "quantization_config": None, "lora_rank": None}})
    assert loaded.units == 2
    bn = tkl.saving.deserialize({"class_name": "BatchNormalization", "config": {
        "renorm": False, "renorm_clipping": None, "renorm_momentum": 0.99, "synchronized": False}})
    assert isinstance(bn, layers.BatchNormalization)
    inputs = tkl.saving.deserialize({"class_name": "InputLayer", "config": {
        "batch_shape": [None, 3], "sparse": False, "ragged": False, "optional": False, "name": "x"}})
    assert inputs.output.shape == (None, 3)
    with pytest.raises(ValueError, match=r'Layer "x" \(InputLayer\): the config sets sparse=True, which has '
                                         r"no counterpart here.*Only sparse=False loads"):
        tkl.saving.deserialize({"class_name": "InputLayer", "config": {"batch_shape": [None, 3], "sparse": True,
                                                                      "name": "x"}})
    with pytest.raises(ValueError, match=r'Layer "d" \(Dense\): the config has the argument flux=3, which Dense '
                                         r"does not take"):
        tkl.saving.deserialize({"class_name": "Dense", "config": {"units": 2, "name": "d", "flux": 3}})


def test_tf_keras2_arguments():
    # tf.keras 2 puts the input shape on the first layer, and wrote RNN options that
    # never changed results.
    lstm = tkl.saving.deserialize({"class_name": "LSTM", "config": {
        "units": 3, "batch_input_shape": [None, 5, 2], "implementation": 2, "time_major": False}})
    assert lstm.built and lstm.get_weights()[0].shape == (2, 12)  # Keras layout (input_dim, 4 * units)
    with pytest.raises(ValueError, match="time_major=True"):
        tkl.saving.deserialize({"class_name": "LSTM", "config": {"units": 3, "time_major": True}})


# --------------------------------------------------------- Keras operations
def test_keras_operations_load_as_torch_operators_and_write_back():
    x = tkl.Input((3,), name="x")
    model = tkl.Model(x, torch.sqrt(x) * 2.0 - x)
    config = model.get_config()
    ops = [(e["module"], e["class_name"]) for e in config["layers"][1:]]
    assert ops == [("keras.src.ops.numpy", "Sqrt"), ("keras.src.ops.numpy", "Multiply"),
                   ("keras.src.ops.numpy", "Subtract")]
    clone = tkl.Model.from_config(json.loads(json.dumps(config)))
    data = torch.rand(2, 3)
    torch.testing.assert_close(clone(data), model(data))


def test_unsupported_keras_operation_is_a_clear_error():
    entry = {"module": "keras.src.ops.numpy", "class_name": "Einsum", "config": {"name": "einsum"},
             "registered_name": "Einsum"}
    with pytest.raises(ValueError, match=r"Keras operation 'Einsum' \(keras.src.ops.numpy\).*supported operations"):
        tkl.saving.deserialize(entry)


def test_resolve_class_checks_entry_types():
    with pytest.raises(TypeError, match="class_name must be a string"):
        resolve_class({"class_name": ["Dense"]})
    with pytest.raises(TypeError, match="registered_name must be a string"):
        resolve_class({"class_name": "Dense", "registered_name": 3})


# ------------------------------------------------------ against Keras itself
KERAS_LAYERS = [
    lambda L: L.Dense(3, activation="gelu", kernel_regularizer="l2", bias_constraint="non_neg"),
    lambda L: L.Conv2D(4, 3, strides=2, padding="same", dilation_rate=1, groups=1),
    lambda L: L.DepthwiseConv2D(3, depth_multiplier=2),
    lambda L: L.SeparableConv2D(4, 3, depth_multiplier=2),
    lambda L: L.Conv2DTranspose(2, 3, strides=2),
    lambda L: L.BatchNormalization(momentum=0.9, epsilon=1e-5),
    lambda L: L.LayerNormalization(epsilon=1e-6),
    lambda L: L.Embedding(10, 4, mask_zero=True),
    lambda L: L.LSTM(4, return_sequences=True),
    lambda L: L.GRU(4, reset_after=False),
    lambda L: L.MultiHeadAttention(2, 3, dropout=0.1),
    lambda L: L.EinsumDense("ab,bc->ac", 4, bias_axes="c"),
    lambda L: L.Dropout(0.2, noise_shape=(None, 1), seed=1),
    lambda L: L.ReLU(max_value=6.0),
    lambda L: L.Rescaling(1 / 255.0, offset=-1.0),
    lambda L: L.Normalization(axis=-1, mean=[0.5, 1.0], variance=[1.0, 4.0]),
    lambda L: L.ZeroPadding2D(((0, 1), (0, 1))),
    lambda L: L.Concatenate(axis=-1),
]


@pytest.mark.parametrize("make", KERAS_LAYERS)
def test_keras_serialized_layers_deserialize_here_and_back(make):
    keras = import_keras()
    theirs = make(keras.layers)
    entry = json.loads(json.dumps(keras.saving.serialize_keras_object(theirs)))
    ours = tkl.saving.deserialize(entry)
    assert type(ours).__name__ == type(theirs).__name__
    back = keras.saving.deserialize_keras_object(json.loads(json.dumps(tkl.saving.serialize(ours))))
    assert type(back) is type(theirs)
    assert back.get_config() == theirs.get_config()


def test_keras_layer_scale_of_convnext_maps_both_ways():
    keras = import_keras()
    from keras.src.applications.convnext import LayerScale

    theirs = LayerScale(1e-6, 4, name="scale")
    entry = json.loads(json.dumps(keras.saving.serialize_keras_object(theirs)))
    ours = tkl.saving.deserialize(entry)
    assert isinstance(ours, layers.LayerScale) and ours.projection_dim == 4
    assert type(keras.saving.deserialize_keras_object(tkl.saving.serialize(ours))) is LayerScale


def test_same_weights_same_outputs_for_a_deserialized_keras_layer():
    keras = import_keras()
    theirs = keras.layers.GRU(3, reset_after=False, return_sequences=True)
    data = np.random.default_rng(1).standard_normal((2, 4, 5)).astype("float32")
    expected = to_numpy(theirs(data))
    ours = tkl.saving.deserialize(keras.saving.serialize_keras_object(theirs))
    ours(data)
    ours.set_weights(keras_weights(theirs))
    np.testing.assert_allclose(to_numpy(ours(data)), expected, rtol=1e-5, atol=1e-6)
