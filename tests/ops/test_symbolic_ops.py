"""``tkl.ops`` on ``KerasTensor``s: one graph node per op (``OpLayer``), shape and
dtype inference, ``summary``, config round trip, ``save_model``/``load_model``, the
allow-list of op names in configs, Keras's op names, and ops inside compiled layers."""

import json

import numpy as np
import pytest
import torch

import torch_keraslike as tkl
from torch_keraslike import ops
from torch_keraslike.ops import OpLayer


def _ops_model():
    x = tkl.Input((3, 4), name="x")
    mean = ops.mean(x, axis=1)
    shifted = ops.add(mean, 2.0)
    joined = ops.concatenate([shifted, shifted], axis=-1)
    outer = ops.einsum("bi,bj->bij", shifted, mean)
    first, _, _ = ops.split(x, 3, axis=1)
    masked = ops.where(ops.greater(x, 0), x, torch.zeros(4))
    dense = tkl.layers.Dense(2)(ops.reshape(masked, (-1, 12)))
    return tkl.Model(x, [joined, outer, first, dense])


def test_each_op_call_is_one_node_with_inferred_shapes_and_dtypes():
    x = tkl.Input((None, 4))
    y = ops.mean(ops.square(x), axis=-1, keepdims=True)
    assert isinstance(y, tkl.KerasTensor) and y.shape == (None, None, 1) and y.dtype == torch.float32
    layer = y._history[0].layer
    assert isinstance(layer, OpLayer) and layer.name == "mean"
    assert layer.arguments == {"axis": -1, "keepdims": True}
    assert ops.argmax(x, axis=-1).dtype == torch.int32
    assert ops.cast(x, "int64").dtype == torch.int64
    assert ops.shape(x) == (None, None, 4) and ops.ndim(x) == 3


def test_ops_with_several_outputs_and_list_inputs():
    x = tkl.Input((6,))
    parts = ops.split(x, 3, axis=-1)
    assert [p.shape for p in parts] == [(None, 2)] * 3
    values, indices = ops.top_k(x, 2)
    assert values.shape == (None, 2) and indices.dtype == torch.int64
    stacked = ops.stack(parts, axis=1)
    assert stacked.shape == (None, 3, 2)
    model = tkl.Model(x, [stacked, values])
    data = torch.arange(12.0).reshape(2, 6)
    out_stacked, out_values = model(data)
    assert torch.equal(out_stacked, data.reshape(2, 3, 2))
    assert torch.equal(out_values, torch.tensor([[5.0, 4.0], [11.0, 10.0]]))


def test_functional_model_runs_and_summarises():
    model = _ops_model()
    data = torch.randn(2, 3, 4)
    joined, outer, first, dense = model(data)
    mean = data.mean(1)
    assert torch.allclose(joined, torch.cat([mean + 2, mean + 2], -1))
    assert torch.allclose(outer, torch.einsum("bi,bj->bij", mean + 2, mean))
    assert torch.equal(first, data[:, :1])
    assert dense.shape == (2, 2)
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert "mean (OpLayer)" in text and "(None, 4)" in text and "einsum (OpLayer)" in text


def test_config_round_trip_keeps_constants_and_values():
    model = _ops_model()
    config = model.get_config()
    json.dumps(config)  # plain JSON
    entries = {entry["name"]: entry for entry in config["layers"]}
    assert entries["mean"]["config"] == {"name": "mean", "op": "numpy.mean", "axis": 1, "keepdims": False}
    assert entries["add"]["config"] == {"name": "add", "op": "numpy.add", "x2": 2.0}
    assert entries["where"]["config"]["x2"] == {"__array__": [0.0] * 4, "dtype": "float32"}
    clone = tkl.Model.from_config(config)
    data = torch.randn(2, 3, 4)
    clone.set_weights(model.get_weights())
    for a, b in zip(model(data), clone(data)):
        assert torch.allclose(a, b)


def test_save_and_load_model(tmp_path):
    model = _ops_model()
    path = tmp_path / "ops.safetensors"
    tkl.saving.save_model(model, path)
    loaded = tkl.saving.load_model(path)
    data = torch.randn(2, 3, 4)
    for a, b in zip(model(data), loaded(data)):
        assert torch.allclose(a, b)


def test_config_may_only_name_registered_ops():
    config = {"name": "evil", "op": "os.system", "command": "echo hacked"}
    with pytest.raises(ValueError, match=r"Unknown op 'os.system': configs may only name ops of tkl.ops"):
        OpLayer.from_config(config)
    with pytest.raises(ValueError, match=r"Unknown op 'numpy.__class__'"):
        OpLayer.from_config({"name": "x", "op": "numpy.__class__"})
    with pytest.raises(ValueError, match=r"Unknown op None"):
        OpLayer.from_config({"name": "x"})
    with pytest.raises(TypeError, match=r"ops.numpy.mean has no arguments \['bogus'\]"):
        OpLayer.from_config({"name": "x", "op": "numpy.mean", "bogus": 1})
    with pytest.raises(ValueError, match=r"OpLayer config: invalid dtype 'load'"):
        OpLayer.from_config({"name": "x", "op": "numpy.add", "x2": {"__array__": [1.0], "dtype": "load"}})


def test_registered_functions_serialize_by_name_and_others_are_refused():
    @tkl.saving.register_serializable(package="test_ops")
    def double(v):
        return v * 2

    x = tkl.Input((3,))
    model = tkl.Model(x, ops.vectorized_map(double, x))
    config = model.get_config()
    entry = next(e for e in config["layers"] if e["class_name"] == "OpLayer")
    assert entry["config"]["function"] == {"__function__": "test_ops>double"}
    clone = tkl.Model.from_config(config)
    assert torch.equal(clone(torch.ones(2, 3)), torch.full((2, 3), 2.0))

    unregistered = tkl.Model(x, ops.vectorized_map(lambda v: v + 1, x))
    with pytest.raises(ValueError, match=r"applies ops.core.vectorized_map with the function .*not registered"):
        unregistered.get_config()


def test_symbolic_shape_errors_name_the_op():
    x = tkl.Input((3, 4))
    with pytest.raises(ValueError, match=r"ops.reshape: cannot reshape a tensor of shape \(83, 3, 4\)"):
        ops.reshape(x, (5, 5))
    with pytest.raises(ValueError, match=r"ops.matmul: cannot multiply shapes"):
        ops.matmul(x, x)
    with pytest.raises(ValueError, match=r"ops.nonzero has an output whose shape or value depends on the data"):
        ops.nonzero(x)


def test_conversion_to_values_is_refused_for_symbolic_tensors():
    x = tkl.Input((3,))
    with pytest.raises(TypeError, match=r"ops.convert_to_numpy: .* is a symbolic tensor and holds no values"):
        ops.convert_to_numpy(x)
    assert ops.is_tensor(x) is False and ops.dtype(x) == "float32"


def test_control_flow_on_symbolic_inputs():
    x = tkl.Input((4,))
    doubled = ops.cond(ops.convert_to_tensor(True), lambda: 2.0, lambda: 3.0)
    assert doubled == 2.0
    carried, ys = ops.scan(lambda c, v: (c + v, c * v), ops.zeros((4,)), ops.expand_dims(x, 0))
    assert carried.shape == (None, 4) and ys.shape == (1, None, 4)
    looped = ops.while_loop(lambda v: ops.sum(v) < 10, lambda v: v * 2, x)
    assert looped.shape == (None, 4)
    model = tkl.Model(x, looped)
    assert torch.equal(model(torch.ones(1, 4)), torch.full((1, 4), 4.0))


def test_keras_operation_names_map_to_our_ops():
    assert ops.get_op_by_keras_name("Mean", "keras.src.ops.numpy") is ops.mean
    assert ops.get_op_by_keras_name("BatchNorm", "nn") is ops.batch_normalization
    assert ops.get_op_by_keras_name("Resize", "keras.src.ops.image") is ops.image.resize
    assert ops.get_op_by_keras_name("Svd" if False else "SVD") is ops.svd
    with pytest.raises(ValueError, match=r"Keras operation 'Bogus' is not known"):
        ops.get_op_by_keras_name("Bogus")


def test_keras_op_nodes_become_op_layers():
    layer = OpLayer.from_keras_config("Mean", "keras.src.ops.numpy", {"name": "mean", "axis": 1, "keepdims": False})
    x = tkl.Input((3, 4))
    y = layer(x)
    assert y.shape == (None, 4)
    add = OpLayer.from_keras_config("Add", "keras.src.ops.numpy", {"name": "add"})
    assert torch.equal(add(torch.ones(2), 2.0), torch.full((2,), 3.0))


def test_every_keras_operation_class_maps_to_an_op():
    from keras_reference import import_keras

    keras = import_keras()
    import importlib
    import inspect

    from keras.src.ops.operation import Operation

    abstract = {"math.SegmentReduction"}  # the base of SegmentSum etc., never in a config
    missing = []
    for module in ("numpy", "nn", "core", "math", "linalg", "image", "einops"):
        source = importlib.import_module(f"keras.src.ops.{module}")
        for name, cls in vars(source).items():
            if inspect.isclass(cls) and issubclass(cls, Operation) and cls.__module__ == source.__name__:
                if not cls.__name__.startswith("_") and cls is not Operation:
                    try:
                        ops.get_op_by_keras_name(name, source.__name__)
                    except ValueError:
                        missing.append(f"{module}.{name}")
    assert sorted(set(missing) - abstract) == []
    assert keras is not None


def test_common_ops_compile_without_graph_breaks():
    from torch._dynamo.utils import counters

    class Block(tkl.Layer):
        def call(self, x):
            h = ops.relu(ops.matmul(x, ops.transpose(x, (0, 2, 1))))
            h = ops.softmax(h, axis=-1)
            h = ops.mean(h, axis=1, keepdims=True) + ops.sum(x, axis=-1, keepdims=True).mean()
            h = ops.concatenate([h, ops.expand_dims(ops.max(x, axis=1), 1)], axis=-1)
            h = ops.where(ops.greater(h, 0.1), h, ops.zeros_like(h))
            h = ops.clip(ops.sqrt(ops.abs(h)) * 2.0, 0.0, 3.0)
            h = ops.reshape(h, (-1, h.shape[-1]))
            h = ops.cond(h.sum() > 0, lambda: h * 2, lambda: h - 1)
            h = ops.layer_normalization(h) + ops.one_hot(ops.argmax(h, axis=-1), h.shape[-1])
            return ops.cast(ops.argmax(h, axis=-1), "float32") + ops.logsumexp(h, axis=-1)

    layer = Block()
    data = torch.randn(2, 3, 4)
    expected = layer(data)
    torch._dynamo.reset()
    counters.clear()
    compiled = torch.compile(layer, fullgraph=True, backend="eager")
    assert torch.allclose(compiled(data), expected, atol=1e-6)
    assert dict(counters["graph_break"]) == {}


def test_op_layer_constants_follow_the_input_device():
    layer = OpLayer("numpy.add", x2=torch.ones(2))
    assert layer(torch.zeros(2, device="meta")).device.type == "meta"
    assert np.allclose(layer(torch.zeros(2)).numpy(), 1.0)


def test_ops_is_a_lazily_imported_public_subpackage():
    import subprocess
    import sys

    code = ("import sys, torch_keraslike as tkl; assert 'torch_keraslike.ops' not in sys.modules; "
            "assert 'ops' in tkl.__all__; tkl.ops.mean; assert 'torch_keraslike.ops' in sys.modules")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True).returncode == 0


def test_a_keras_functional_config_with_op_nodes_replays_on_op_layers():
    """The mapping the Keras-file reader needs: each op node of a Keras 3 config becomes
    an OpLayer (from_keras_config) called on the node's args; outputs match Keras's."""
    from keras_reference import import_keras, to_numpy

    keras = import_keras()
    kops = keras.ops
    inputs = keras.Input((3, 4))
    mean = kops.mean(inputs, axis=1)
    shifted = kops.add(mean, 2.0)
    joined = kops.concatenate([shifted, kops.square(mean)], axis=-1)
    image = kops.image.resize(kops.expand_dims(inputs, -1), (6, 8), data_format="channels_last")
    normed = kops.softmax(kops.reshape(inputs, (-1, 12)), axis=-1)
    keras_model = keras.Model(inputs, [joined, image, normed])
    config = keras_model.get_config()

    tensors = {}
    x = tkl.Input((3, 4))

    def resolve(value):
        if isinstance(value, dict) and value.get("class_name") == "__keras_tensor__":
            return tensors[tuple(value["config"]["keras_history"])]
        if isinstance(value, (list, tuple)):
            return type(value)(resolve(v) for v in value)
        return value

    for entry in config["layers"]:
        if entry["class_name"] == "InputLayer":
            tensors[(entry["name"], 0, 0)] = x
            continue
        assert entry["module"].startswith("keras.src.ops.")
        layer = OpLayer.from_keras_config(entry["class_name"], entry["module"], entry["config"])
        for index, node in enumerate(entry["inbound_nodes"]):
            out = layer(*resolve(node["args"]), **resolve(node["kwargs"]))
            tensors[(entry["name"], index, 0)] = out
    outputs = [tensors[tuple(ref)] for ref in config["output_layers"]]
    model = tkl.Model(x, outputs)
    data = np.random.default_rng(0).standard_normal((2, 3, 4)).astype("float32")
    for ours, theirs in zip(model(torch.as_tensor(data)), keras_model(data)):
        np.testing.assert_allclose(ours.numpy(), to_numpy(theirs), rtol=1e-5, atol=1e-6)
