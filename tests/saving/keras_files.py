"""Helpers of the Keras file tests: Keras models that use every weight layout, tf.keras 2
files made from Keras 3's legacy writer, and output comparisons."""

import json

import numpy as np
import torch

RNG = np.random.default_rng(0)

# Keras's own writers convert its torch variables with np.array(variable), which NumPy 2
# flags with this warning; it comes from inside Keras (the reference), not from us.
KERAS_NUMPY2_WARNING = "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning"


def to_numpy(value):
    if isinstance(value, (list, tuple)):
        return [to_numpy(v) for v in value]
    if isinstance(value, dict):
        return {k: to_numpy(v) for k, v in value.items()}
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    return np.asarray(value)


def assert_outputs_match(ours, theirs, rtol=1e-4, atol=1e-5):
    ours, theirs = to_numpy(ours), to_numpy(theirs)
    if isinstance(theirs, dict):
        assert sorted(ours) == sorted(theirs)
        for key in theirs:
            np.testing.assert_allclose(ours[key], theirs[key], rtol=rtol, atol=atol)
    elif isinstance(theirs, list):
        assert len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)
    else:
        np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=atol)


def keras_weights(layer):
    """A Keras layer's weights as NumPy arrays (Keras's own ``get_weights`` warns under
    NumPy 2, and warnings are errors in these tests)."""
    return [v.value.detach().cpu().numpy() for v in layer.weights]


def run_ours(model, inputs):
    """Our model in inference mode on NumPy inputs (a list for several inputs)."""
    model.eval()
    with torch.no_grad():
        if isinstance(inputs, list):
            return model([torch.from_numpy(x) for x in inputs])
        return model(torch.from_numpy(inputs))


def run_keras(model, inputs):
    return model(inputs, training=False)


def randomize(keras_model):
    """Random weights everywhere (BatchNormalization statistics included), so a weight
    that lands in the wrong place changes the outputs."""
    for weight in keras_model.weights:
        shape = tuple(weight.shape)
        if "variance" in weight.path:
            value = RNG.uniform(0.5, 1.5, shape)
        else:
            value = RNG.normal(0.0, 0.3, shape)
        weight.assign(value.astype(weight.dtype) if hasattr(weight, "dtype") else value)


def layer_zoo(keras):
    """A functional Keras model with every weight layout the file readers convert: BN
    statistics, LSTM, GRU (both reset_after), convolution kernels in both memory formats
    and 1x1, depthwise/separable and transposed convolutions, Embedding, EinsumDense, MultiHeadAttention, a nested Sequential, a
    nested functional model, a shared layer, two inputs and three outputs."""
    L = keras.layers
    image = keras.Input((8, 8, 3), name="image")
    x = L.Conv2D(4, 3, padding="same", name="conv")(image)
    x = L.BatchNormalization(name="bn")(x)
    x = L.DepthwiseConv2D(3, depth_multiplier=2, name="depthwise")(x)
    x = L.SeparableConv2D(5, 3, padding="same", depth_multiplier=2, name="separable")(x)
    x = L.Conv2DTranspose(3, 3, strides=2, name="transpose")(x)
    # 13x13 -> 4x4: a small image keeps its kernel contiguous; then a 1x1 convolution.
    x = L.Conv2D(4, 3, strides=3, name="strided")(x)
    x = L.Conv2D(4, 3, padding="same", name="small")(x)
    x = L.Conv2D(3, 1, name="pointwise")(x)
    x = L.GlobalAveragePooling2D(name="pool")(x)
    inner_in = keras.Input((3,), name="inner_in")
    inner = keras.Model(inner_in, L.Dense(6, activation="tanh", name="inner_dense")(inner_in), name="inner")
    head = keras.Sequential([L.Dense(5, activation="relu", name="seq_a"), L.BatchNormalization(name="seq_bn"),
                             L.Dense(6, name="seq_b")], name="head")
    image_out = head(inner(x))
    tokens = keras.Input((7,), dtype="int32", name="tokens")
    e = L.Embedding(20, 6, name="embed")(tokens)
    seq = L.LSTM(6, return_sequences=True, name="lstm")(e)
    seq = L.GRU(6, return_sequences=True, name="gru")(seq)
    seq = L.GRU(6, return_sequences=True, reset_after=False, name="gru_v1")(seq)
    seq = L.MultiHeadAttention(2, 3, name="mha")(seq, seq)
    seq = L.EinsumDense("abc,cd->abd", (None, 6), bias_axes="d", name="einsum")(seq)
    text_out = L.GlobalAveragePooling1D(name="text_pool")(seq)
    shared = L.Dense(4, name="shared")
    merged = L.Add(name="add")([shared(image_out), shared(text_out)])
    model = keras.Model([image, tokens], [merged, image_out, text_out], name="zoo")
    randomize(model)
    return model


def zoo_inputs():
    return [RNG.random((2, 8, 8, 3)).astype("float32"), RNG.integers(0, 20, (2, 7)).astype("int32")]


def _legacy_value(value):
    """A Keras 3 config value as tf.keras 2 wrote it."""
    if isinstance(value, list):
        return [_legacy_value(v) for v in value]
    if not isinstance(value, dict):
        return value
    if value.get("class_name") == "DTypePolicy":
        return value["config"]["name"]
    if "class_name" in value and "config" in value and "module" in value:
        inner = value["config"]
        if isinstance(inner, dict):
            inner = {k: _legacy_value(v) for k, v in inner.items() if k not in ("input_axes", "output_axes")}
        return {"class_name": value["class_name"], "config": inner}
    return {k: _legacy_value(v) for k, v in value.items()}


def _legacy_node(node):
    """Keras 3's ``{"args": [...], "kwargs": {...}}`` as tf.keras 2's list of inbound tensors."""
    def refs(value):
        if isinstance(value, dict) and value.get("class_name") == "__keras_tensor__":
            return [value["config"]["keras_history"]]
        if isinstance(value, list):
            return [r for v in value for r in refs(v)]
        return []

    kwargs = {k: v for k, v in node["kwargs"].items() if v is not None}
    return [history + [kwargs] for history in refs(node["args"])]


def to_tf_keras2_config(config):
    """A Keras 3 model config in tf.keras 2's form (no nested models)."""
    inner = dict(config["config"])
    layers = []
    for entry in inner["layers"]:
        layer_config = _legacy_value(entry["config"])
        if entry["class_name"] == "InputLayer":
            layer_config["batch_input_shape"] = layer_config.pop("batch_shape")
            layer_config.pop("optional", None)
        new = {"class_name": entry["class_name"], "config": layer_config}
        if "name" in entry:
            new["name"] = entry["name"]
        if "inbound_nodes" in entry:
            new["inbound_nodes"] = [_legacy_node(n) for n in entry["inbound_nodes"]]
        layers.append(new)
    inner["layers"] = layers
    for key in ("input_layers", "output_layers"):
        if key in inner and inner[key] and isinstance(inner[key][0], str):
            inner[key] = [inner[key]]  # tf.keras 2 always wrote a list
    return {"class_name": config["class_name"], "config": inner, "keras_version": "2.15.0",
            "backend": "tensorflow"}


def write_tf_keras2_h5(keras_model, path):
    """A tf.keras 2 full-model file: Keras 3's legacy writer, its config rewritten in
    tf.keras 2's form and its weights renamed as TensorFlow variables (``kernel:0``)."""
    import h5py

    keras_model.save(path)
    with h5py.File(path, "r+") as handle:
        config = json.loads(handle.attrs["model_config"])
        handle.attrs["model_config"] = json.dumps(to_tf_keras2_config(config))
        handle.attrs["keras_version"] = "2.15.0"
        handle.attrs["backend"] = "tensorflow"
        weights = handle["model_weights"]
        for layer_name in weights.attrs["layer_names"]:
            group = weights[layer_name]
            renamed = []
            for name in group.attrs["weight_names"]:
                name = name.decode() if isinstance(name, bytes) else name
                group.move(name, name + ":0")
                renamed.append((name + ":0").encode())
            group.attrs["weight_names"] = renamed
