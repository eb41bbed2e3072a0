"""Dense, Activation, Dropout, Identity, Lambda, and Flatten (reshaping)."""

import json

import numpy as np
import pytest
import torch

import torch_keraslike as tkl
from layer_testing import run_layer_test
from torch_keraslike import layers


# -------------------------------------------------------------------- Dense
@pytest.mark.parametrize("use_bias, trainable", [(True, 2), (False, 1)])
def test_dense_common(use_bias, trainable):
    run_layer_test(layers.Dense, {"units": 4, "use_bias": use_bias}, (3, 5), (3, 4), trainable)


def test_dense_rank3_and_activation_match_numpy_reference():
    layer, out = run_layer_test(layers.Dense, {"units": 3, "activation": "relu"}, (2, 4, 5), (2, 4, 3), 2)
    layer.eval()
    x = np.random.default_rng(0).standard_normal((2, 4, 5)).astype(np.float32)
    kernel, bias = layer.get_weights()
    expected = np.maximum(x @ kernel + bias, 0)
    np.testing.assert_allclose(layer(x).detach().numpy(), expected, rtol=1e-5, atol=1e-6)


def test_dense_weights_layout_and_defaults():
    layer = layers.Dense(7)
    layer(torch.ones(1, 3))
    assert layer.kernel.shape == (3, 7) and layer.bias.abs().sum() == 0
    config = layer.get_config()
    assert config["kernel_initializer"]["class_name"] == "GlorotUniform"
    assert config["activation"] == "linear" and config["use_bias"] is True


@pytest.mark.parametrize("units", [0, -1, 2.5, "3", True])
def test_dense_bad_units(units):
    with pytest.raises(ValueError, match="units must be a positive integer"):
        layers.Dense(units)


def test_dense_rejects_wrong_axis_after_build_and_low_rank():
    layer = layers.Dense(2)
    with pytest.raises(ValueError, match="expected min_ndim=2, found ndim=1"):
        layer(torch.ones(3))
    layer(torch.ones(1, 3))
    with pytest.raises(ValueError, match="expected axis -1 of input shape to have value 3"):
        layer(torch.ones(1, 2, 4))


def test_dense_regularizers_constraints_in_config():
    layer = layers.Dense(2, kernel_regularizer=tkl.regularizers.L1(0.5), bias_constraint="non_neg")
    clone = layers.Dense.from_config(layer.get_config())
    assert isinstance(clone.kernel_regularizer, tkl.regularizers.L1)
    assert clone.kernel_regularizer.get_config()["l1"] == 0.5
    assert isinstance(clone.bias_constraint, tkl.constraints.NonNeg)


# --------------------------------------------------------------- Activation
@pytest.mark.parametrize("name, reference", [
    ("relu", lambda x: np.maximum(x, 0)),
    ("tanh", np.tanh),
    ("sigmoid", lambda x: 1 / (1 + np.exp(-x))),
    ("softmax", lambda x: np.exp(x) / np.exp(x).sum(-1, keepdims=True)),
])
def test_activation(name, reference):
    layer, _ = run_layer_test(layers.Activation, {"activation": name}, (2, 3), (2, 3))
    x = np.linspace(-2, 2, 6, dtype=np.float32).reshape(2, 3)
    np.testing.assert_allclose(layer(x).numpy(), reference(x), rtol=1e-5, atol=1e-6)


def test_activation_unknown_name():
    with pytest.raises(ValueError, match="not_an_activation"):
        layers.Activation("not_an_activation")


# ------------------------------------------------------------------ Identity
def test_identity():
    layer, _ = run_layer_test(layers.Identity, {}, (2, 3), (2, 3))
    x = torch.randn(2, 3)
    assert torch.equal(layer(x), x)


# ------------------------------------------------------------------- Dropout
def test_dropout_inference_is_identity_and_training_scales():
    run_layer_test(layers.Dropout, {"rate": 0.5}, (2, 3), (2, 3))
    layer = layers.Dropout(0.5)
    x = torch.ones(2000)
    layer.eval()
    assert torch.equal(layer(x), x)
    out = layer(x, training=True)
    kept = out[out != 0]
    assert torch.allclose(kept, torch.full_like(kept, 2.0))
    assert 0.4 < (out == 0).float().mean() < 0.6


def test_dropout_follows_train_and_eval():
    layer = layers.Dropout(0.9)
    x = torch.ones(1000)
    layer.train()
    assert (layer(x) == 0).any()
    layer.eval()
    assert torch.equal(layer(x), x)


def test_dropout_noise_shape_and_seed():
    layer = layers.Dropout(0.5, noise_shape=(None, 1, 4), seed=3)
    out = layer(torch.ones(8, 5, 4), training=True)
    # The same mask at every step of axis 1.
    assert torch.equal(out, out[:, :1, :].expand_as(out))
    again = layers.Dropout(0.5, noise_shape=(None, 1, 4), seed=3)
    assert torch.equal(again(torch.ones(8, 5, 4), training=True), out)


@pytest.mark.parametrize("rate", [-0.1, 1.5, "half", None])
def test_dropout_bad_rate(rate):
    with pytest.raises(ValueError, match="Expected a float value between 0 and 1"):
        layers.Dropout(rate)


def test_dropout_rate_one_drops_everything():
    assert layers.Dropout(1.0)(torch.ones(3), training=True).sum() == 0


# ------------------------------------------------------------------- Flatten
@pytest.mark.parametrize("shape, expected", [((2, 3, 4), (2, 12)), ((2,), (2, 1)), ((2, 3, 4, 5), (2, 60))])
def test_flatten_shapes(shape, expected):
    run_layer_test(layers.Flatten, {}, shape, expected)


def test_flatten_channels_first_matches_channels_last_order():
    x = torch.arange(24.0).reshape(1, 2, 3, 4)  # NCHW
    nchw = layers.Flatten(data_format="channels_first")(x)
    nhwc = layers.Flatten()(x.permute(0, 2, 3, 1))
    assert torch.equal(nchw, nhwc)


def test_flatten_global_data_format_and_bad_format():
    tkl.config.set_image_data_format("channels_first")
    try:
        assert layers.Flatten().data_format == "channels_first"
    finally:
        tkl.config.set_image_data_format("channels_last")
    with pytest.raises(ValueError, match="Invalid data_format"):
        layers.Flatten(data_format="NHWC")
    with pytest.raises(ValueError, match="expected min_ndim=1, found ndim=0"):
        layers.Flatten()(torch.tensor(1.0))


# -------------------------------------------------------------------- Lambda
@tkl.saving.register_serializable(package="tests")
def double_plus(x, offset=0.0):
    return 2 * x + offset


def test_lambda_with_registered_function_round_trips():
    run_layer_test(layers.Lambda, {"function": double_plus, "arguments": {"offset": 1.0}}, (2, 3), (2, 3))
    layer = layers.Lambda(double_plus, arguments={"offset": 1.0})
    assert layer(torch.zeros(2)).tolist() == [1.0, 1.0]
    assert layer.get_config()["function"] == "tests>double_plus"


def test_lambda_activation_name_and_unserializable_function():
    assert layers.Lambda("relu")(torch.tensor([-1.0, 1.0])).tolist() == [0.0, 1.0]
    layer = layers.Lambda(lambda x: x + 1)
    assert layer(torch.zeros(1)).item() == 1.0
    with pytest.raises(TypeError, match="function must be callable"):
        layers.Lambda(3)
    with pytest.raises(ValueError, match="neither a registered function nor a Python function"):
        layers.Lambda(torch.relu).get_config()


def test_lambda_bytecode_loads_only_outside_safe_mode():
    scale = 3.0
    layer = layers.Lambda(lambda x, shift=1.0: x * scale + shift, name="code")
    config = json.loads(json.dumps(layer.get_config()))
    assert config["function"]["class_name"] == "__lambda__"
    with pytest.raises(ValueError, match=r'(?s)Layer "code" \(Lambda\): the config holds Python bytecode.*safe_mode=False'):
        layers.Lambda.from_config(config)
    with tkl.saving.safe_mode_scope(False):
        clone = layers.Lambda.from_config(config)
    assert clone(torch.ones(2)).tolist() == [4.0, 4.0]
    # A closure over something that is not plain data cannot be written.
    tensor = torch.ones(1)
    with pytest.raises(ValueError, match="captures values that are not plain"):
        layers.Lambda(lambda x: x + tensor).get_config()


def test_lambda_named_function_is_found_by_name_only():
    def shift(x):
        return x + 1

    config = layers.Lambda(shift, name="named").get_config()
    assert config["function"]["class_name"] == "function" and config["function"]["config"] == "shift"
    with pytest.raises(ValueError, match=r"names the function 'shift', which is neither registered"):
        tkl.saving.deserialize({"class_name": "Lambda", "config": config})
    clone = tkl.saving.deserialize({"class_name": "Lambda", "config": config}, custom_objects={"shift": shift})
    assert clone(torch.zeros(1)).item() == 1.0
