"""Functional models: graphs of layer calls, their inputs, outputs, configs and errors."""

import json

import numpy as np
import pytest
import torch
from torch import nn

import torch_keraslike as tkl
from torch_keraslike import layers


def mlp(depth=3, width=8):
    inputs = tkl.Input((4,), name="features")
    x = inputs
    for _ in range(depth):
        x = layers.Dense(width, activation="relu")(x)
    return tkl.Model(inputs, layers.Dense(1)(x))


def two_in_two_out():
    a = tkl.Input((4,), name="a")
    b = tkl.Input((6,), name="b")
    shared = layers.Dense(5, name="shared")
    merged = torch.cat([shared(a), layers.Dense(5, name="proj")(b)], dim=-1)
    score = layers.Dense(1, name="score")(merged)
    label = layers.Dense(3, activation="softmax", name="label")(merged)
    return tkl.Model({"a": a, "b": b}, {"score": score, "label": label}, name="two")


def test_single_input_output_runs_graph_and_matches_manual_forward():
    model = mlp()
    x = torch.randn(5, 4)
    dense = [layer for layer in model.layers if isinstance(layer, layers.Dense)]
    expected = x
    for layer in dense:
        expected = layer(expected)
    torch.testing.assert_close(model(x), expected)
    assert model(np.ones((2, 4))).shape == (2, 1)


def test_layers_get_layer_and_parameter_keys():
    model = two_in_two_out()
    names = [layer.name for layer in model.layers]
    assert names[:2] == ["a", "b"] and set(names[2:]) == {"shared", "proj", "torch_op_cat", "score", "label"}
    assert model.get_layer("score") is model.layers[names.index("score")]
    assert model.get_layer(index=0).name == "a"
    with pytest.raises(ValueError, match="No such layer: 'nope'"):
        model.get_layer("nope")
    keys = [k for k, _ in model.named_parameters()]
    assert len(keys) == len(set(keys)) == 8
    assert all(k.startswith("layers.") and "_torch_params" not in k for k in keys)
    state_keys = [k for k in model.state_dict() if not k.endswith("_extra_state")]
    assert sorted(state_keys) == sorted(keys)


def test_multi_input_dict_and_list_calls():
    model = two_in_two_out()
    a, b = torch.randn(2, 4), torch.randn(2, 6)
    out = model({"a": a, "b": b})
    assert set(out) == {"score", "label"} and out["score"].shape == (2, 1) and out["label"].shape == (2, 3)
    torch.testing.assert_close(model([a, b])["label"], out["label"])
    torch.testing.assert_close(out["label"].sum(-1), torch.ones(2))


def test_shared_layer_is_called_twice_and_listed_once():
    x1, x2 = tkl.Input((3,)), tkl.Input((3,))
    shared = layers.Dense(2)
    model = tkl.Model([x1, x2], [shared(x1), shared(x2)])
    assert sum(layer is shared for layer in model.layers) == 1
    a, b = model([torch.ones(1, 3), torch.zeros(1, 3)])
    torch.testing.assert_close(a, shared(torch.ones(1, 3)))
    torch.testing.assert_close(b, shared.bias[None])
    assert model.count_params() == 8


def test_nested_models_as_layers():
    inner = mlp(depth=1)
    outer_in = tkl.Input((4,))
    outer = tkl.Model(outer_in, layers.Dense(2)(inner(outer_in)))
    x = torch.randn(3, 4)
    torch.testing.assert_close(outer(x), outer.layers[-1](inner(x)))
    keys = [k for k, _ in outer.named_parameters()]
    assert any(k.startswith("layers.1.layers.") for k in keys) and len(keys) == len(set(keys))


def test_training_flag_reaches_layers_in_graph():
    inputs = tkl.Input((100,))
    model = tkl.Model(inputs, layers.Dropout(0.5)(inputs))
    x = torch.ones(4, 100)
    model.eval()
    assert torch.equal(model(x), x)
    assert (model(x, training=True) == 0).any()
    model.train()
    assert (model(x) == 0).any()


def test_config_round_trip_rebuilds_same_graph():
    model = two_in_two_out()
    config = json.loads(json.dumps(model.get_config()))
    clone = tkl.Model.from_config(config)
    clone.load_state_dict(model.state_dict())
    inputs = {"a": torch.randn(3, 4), "b": torch.randn(3, 6)}
    for key in ("score", "label"):
        torch.testing.assert_close(clone(inputs)[key], model(inputs)[key])
    assert [type(layer) for layer in clone.layers] == [type(layer) for layer in model.layers]
    assert clone.get_config() == model.get_config()


def test_config_with_slicing_and_constants():
    x = tkl.Input((6,))
    model = tkl.Model(x, (x[:, 1:4] + 1.5) * x[:, :3])
    clone = tkl.Model.from_config(json.loads(json.dumps(model.get_config())))
    data = torch.randn(2, 6)
    torch.testing.assert_close(clone(data), (data[:, 1:4] + 1.5) * data[:, :3])


def test_config_resolves_registered_classes_only():
    @tkl.saving.register_serializable(package="tests")
    class Scale(tkl.Layer):
        def __init__(self, factor=2.0, **kwargs):
            super().__init__(**kwargs)
            self.factor = factor

        def call(self, x):
            return x * self.factor

    x = tkl.Input((2,))
    model = tkl.Model(x, Scale(3.0)(x))
    config = model.get_config()
    assert any(entry["class_name"] == "Scale" and entry["registered_name"] == "tests>Scale"
               for entry in config["layers"])
    clone = tkl.Model.from_config(config)
    assert clone(torch.ones(1, 2)).tolist() == [[3.0, 3.0]]

    tampered = json.loads(json.dumps(config))
    tampered["layers"][1]["registered_name"] = tampered["layers"][1]["class_name"] = "os.system"
    with pytest.raises(ValueError, match="register_serializable"):
        tkl.Model.from_config(tampered)


def test_summary_table(capsys):
    model = two_in_two_out()
    model.summary()
    text = capsys.readouterr().out
    assert 'Model: "two"' in text and "Layer (type)" in text and "Output Shape" in text
    assert "shared (Dense)" in text and "(None, 5)" in text and "Connected to" in text
    assert f"Total params: {model.count_params():,}" in text
    assert "Non-trainable params: 0" in text
    lines = []
    mlp().summary(print_fn=lines.append)
    assert lines[0].startswith('Model: "functional') and "Connected to" not in "".join(lines)


# ------------------------------------------------------------------- errors
def test_wrong_number_of_inputs():
    model = two_in_two_out()
    with pytest.raises(ValueError, match=r'Layer "two" expects 2 input\(s\), but it received 1 input tensors'):
        model([torch.randn(2, 4)])


def test_wrong_dict_keys():
    model = two_in_two_out()
    with pytest.raises(ValueError, match=r'Missing data for input "b". You passed a data dictionary with keys '
                       r"\['a', 'c'\]. Expected the following keys: \['a', 'b'\]"):
        model({"a": torch.randn(2, 4), "c": torch.randn(2, 6)})


def test_wrong_shapes_get_the_first_layers_message():
    model = mlp()
    first = model.layers[1].name
    with pytest.raises(ValueError, match=f'Input 0 of layer "{first}" is incompatible with the layer: expected '
                       r"axis -1 of input shape to have value 4, but received input with shape \(2, 5\)"):
        model(torch.randn(2, 5))


def test_disconnected_graph_names_the_missing_input():
    a, b = tkl.Input((3,), name="a"), tkl.Input((3,), name="b")
    total = layers.Dense(2)(a) + layers.Dense(2)(b)
    with pytest.raises(ValueError, match=r'Graph disconnected: .* depends on the input "b", which is not '
                       r"among the model's inputs \['a'\]"):
        tkl.Model(a, total)


def test_model_arguments_must_be_keras_tensors():
    with pytest.raises(TypeError, match="Model inputs must be KerasTensors"):
        tkl.Model(torch.ones(2), torch.ones(2))
    x = tkl.Input((2,))
    with pytest.raises(ValueError, match="Model inputs must come from tkl.Input"):
        tkl.Model(layers.Dense(2)(x), x)
    with pytest.raises(ValueError, match="pass both inputs and outputs"):
        tkl.Model(x)


# -------------------------------------------------------------- subclassing
class Net(tkl.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.hidden = layers.Dense(8, activation="relu")
        self.drop = layers.Dropout(0.5)
        self.out = layers.Dense(2)

    def call(self, x, training=None):
        return self.out(self.drop(self.hidden(x), training=training))


def test_subclassed_model():
    net = Net()
    x = torch.randn(4, 3)
    net.eval()
    assert net(x).shape == (4, 2)
    assert [layer.name for layer in net.layers] == ["dense", "dropout", "dense_1"]
    assert net.count_params() == 3 * 8 + 8 + 8 * 2 + 2
    symbolic = net(tkl.Input((3,)))
    assert symbolic.shape == (None, 2)
    assert isinstance(net, nn.Module) and len(list(net.parameters())) == 4


def test_model_without_graph_or_call():
    with pytest.raises(NotImplementedError, match="has no call"):
        tkl.Model()(torch.ones(1))


def test_duplicate_layer_names_are_rejected():
    x = tkl.Input((2,))
    with pytest.raises(ValueError, match='The name "twin" is used 2 times in the model'):
        tkl.Model(x, layers.Dense(2, name="twin")(layers.Dense(2, name="twin")(x)))


# ------------------------------------------------- regressions from review
def test_symbolic_training_call_does_not_touch_batchnorm_statistics():
    x = tkl.Input((3,))
    bn = layers.BatchNormalization()
    bn(x, training=True)
    torch.testing.assert_close(bn.moving_variance, torch.ones(3))
    torch.testing.assert_close(bn.moving_mean, torch.zeros(3))


def test_from_config_keeps_frozen_layers_frozen():
    x = tkl.Input((3,))
    frozen = layers.Dense(2, name="frozen")
    model = tkl.Model(x, layers.Dense(1)(frozen(x)))
    frozen.trainable = False
    clone = tkl.Model.from_config(json.loads(json.dumps(model.get_config())))
    assert not clone.get_layer("frozen").trainable and clone.trainable
    assert len(clone.trainable_weights) == 2


@tkl.saving.register_serializable(package="tests")
class GraphInInit(tkl.Model):
    def __init__(self, units=3, **kwargs):
        x = tkl.Input((4,))
        super().__init__(x, layers.Dense(units)(x), **kwargs)
        self.units = units


def test_model_subclass_with_graph_in_init_round_trips(tmp_path):
    model = GraphInInit(units=5)
    assert model.get_config()["units"] == 5
    clone = GraphInInit.from_config(model.get_config())
    assert clone.units == 5 and clone(torch.ones(1, 4)).shape == (1, 5)
    tkl.saving.save_model(model, tmp_path / "m.safetensors")
    loaded = tkl.saving.load_model(tmp_path / "m.safetensors")
    torch.testing.assert_close(loaded(torch.ones(2, 4)), model(torch.ones(2, 4)))


def test_add_loss_during_symbolic_build_leaves_no_fake_losses():
    class Penalty(tkl.Layer):
        def call(self, x):
            self.add_loss(x.sum())
            return x

    x = tkl.Input((3,))
    model = tkl.Model(x, layers.Dense(2)(Penalty()(x)))
    assert model.losses == []
    model(torch.ones(2, 3))
    assert [loss.item() for loss in model.losses] == [6.0]


def test_non_tensor_checkpoint_values_are_rejected_before_anything_changes():
    source = tkl.Sequential([layers.Dense(4), layers.Dense(2)])
    source(torch.ones(1, 3))
    state = dict(source.state_dict())
    state["layers.1.bias"] = state["layers.1.bias"].numpy()
    target = tkl.Sequential([layers.Dense(4), layers.Dense(2)])
    with pytest.raises(ValueError, match="value for 'layers.1.bias' is a ndarray, expected a torch.Tensor"):
        target.load_state_dict(state)
    assert not target.built and not target.layers[0].built


def test_compiled_functional_model_does_not_recompile_on_the_same_input():
    from torch._dynamo.testing import CompileCounter

    torch._dynamo.reset()
    model = two_in_two_out()
    model.eval()
    counter = CompileCounter()
    compiled = torch.compile(model, backend=counter, fullgraph=True)
    data = {"a": torch.randn(2, 4), "b": torch.randn(2, 6)}
    compiled(data)
    compiled(data)
    assert counter.frame_count == 1
    torch._dynamo.reset()


def test_summary_connections_name_the_call():
    x = tkl.Input((3,), name="x")
    encoder = layers.Dense(3, name="enc")
    model = tkl.Model(x, layers.Add(name="add")([encoder(x), encoder(encoder(x))]))
    lines = []
    model.summary(print_fn=lines.append)
    add_line = next(line for line in lines if line.startswith("│ add"))
    assert "enc[0][0], enc[2][0]" in add_line  # calls 0 and 2 (call 1 feeds call 2)


def test_sharing_across_nested_models_cannot_be_serialized_silently():
    x = tkl.Input((4,))
    shared = layers.Dense(4, name="shared_dense")
    inner = tkl.Model(x, shared(shared(x)), name="inner")
    x2 = tkl.Input((4,))
    outer = tkl.Model(x2, layers.Add()([inner(x2), shared(x2)]))
    assert outer.count_params() == 20
    with pytest.raises(ValueError, match='Layer "shared_dense" is used both by'):
        outer.get_config()


def test_deep_models_copy_and_pickle_without_recursion():
    import copy
    import io

    x = tkl.Input((4,))
    h = x
    for _ in range(400):  # deeper than Python's recursion limit allows a chained copy
        h = layers.Dense(4)(h)
    model = tkl.Model(x, h)
    data = torch.ones(2, 4)
    clone = copy.deepcopy(model)
    assert clone.layers[1] is not model.layers[1]
    torch.testing.assert_close(clone(data), model(data))
    buffer = io.BytesIO()
    torch.save(model, buffer)
    buffer.seek(0)
    loaded = torch.load(buffer, weights_only=False)
    torch.testing.assert_close(loaded(data), model(data))
    assert loaded.get_config() == model.get_config()
