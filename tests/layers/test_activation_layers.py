"""ReLU, LeakyReLU, PReLU, ELU and Softmax (``layers/activations.py``; the name avoids
a clash with ``tests/test_activations.py``): Keras's test cases and Keras 3 itself."""

import json

import numpy as np
import pytest
import torch

import torch_keraslike as tkl
from keras_parity import check_keras_parity
from layer_testing import run_layer_test
from torch_keraslike.layers.activations import ELU, LeakyReLU, PReLU, ReLU, Softmax


def inputs(shape=(2, 3, 4), seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32) * 3


# ---------------------------------------------------------------------- ReLU
@pytest.mark.parametrize("kwargs", [
    {}, {"max_value": 10, "negative_slope": 1, "threshold": 0.5}, {"max_value": 6.0},
    {"negative_slope": 0.2}, {"threshold": 1.0, "negative_slope": 0.3, "max_value": 4.0},
])
def test_relu(kwargs):
    layer, _ = run_layer_test(ReLU, kwargs, (2, 3, 4), (2, 3, 4))
    assert layer.supports_masking
    check_keras_parity(ReLU, kwargs, inputs())


def test_relu_keras_cases():
    x = np.array([-10, -5, 0.0, 5, 10], dtype=np.float32)
    assert ReLU(max_value=10)(x).tolist() == [0.0, 0.0, 0.0, 5.0, 10.0]
    assert ReLU(max_value=10, negative_slope=0.5)(x).tolist() == [-5.0, -2.5, 0.0, 5.0, 10.0]
    assert ReLU(max_value=8, threshold=5)(np.array([6.0, 7.0, 0.0, 5, 10], np.float32)).tolist() == [
        6.0, 7.0, 0.0, 0.0, 8.0]
    config = ReLU().get_config()
    assert config["max_value"] is None and config["negative_slope"] == 0.0 and config["threshold"] == 0.0
    restored = ReLU.from_config(ReLU(max_value=5.0, negative_slope=0.2, threshold=1.0).get_config())
    assert (restored.max_value, restored.negative_slope, restored.threshold) == (5.0, 0.2, 1.0)
    assert ReLU().compute_output_shape((1,)) == (1,)


@pytest.mark.parametrize("kwargs, match", [
    ({"max_value": -10}, "max_value of a ReLU layer cannot be a negative value"),
    ({"negative_slope": -10}, "negative_slope of a ReLU layer cannot be None or a negative value"),
    ({"negative_slope": None}, "negative_slope of a ReLU layer cannot be None or a negative value"),
    ({"threshold": -10}, "threshold of a ReLU layer cannot be None or a negative value"),
    ({"threshold": None}, "threshold of a ReLU layer cannot be None or a negative value"),
    ({"max_value": "6"}, "max_value of a ReLU layer cannot be a negative value"),
])
def test_relu_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=f'Layer "re_lu.*{match}'):
        ReLU(**kwargs)


# ----------------------------------------------------------------- LeakyReLU
def test_leaky_relu():
    layer, _ = run_layer_test(LeakyReLU, {"negative_slope": 1}, (2, 3, 4), (2, 3, 4))
    assert layer.supports_masking and LeakyReLU().negative_slope == 0.3
    x = np.array([-10, -5, 0.0, 5, 10], dtype=np.float32)
    assert LeakyReLU(negative_slope=0.5)(x).tolist() == [-5.0, -2.5, 0.0, 5.0, 10.0]
    check_keras_parity(LeakyReLU, {"negative_slope": 0.2}, inputs())
    check_keras_parity(LeakyReLU, {}, inputs())


def test_leaky_relu_alpha_and_errors():
    with pytest.warns(UserWarning, match="Argument `alpha` is deprecated. Use `negative_slope` instead."):
        layer = LeakyReLU(alpha=0.1)
    assert layer.negative_slope == 0.1 and "alpha" not in layer.get_config()
    for bad in [None, -0.1]:
        with pytest.raises(ValueError, match="The negative_slope value of a Leaky ReLU layer cannot be None or negative"):
            LeakyReLU(negative_slope=bad)


# ----------------------------------------------------------------------- ELU
def test_elu():
    layer, _ = run_layer_test(ELU, {"alpha": 0.5}, (2, 3, 4), (2, 3, 4))
    assert layer.supports_masking and layer.get_config()["alpha"] == 0.5
    x = np.array([-2.0, 0.0, 3.0], dtype=np.float32)
    np.testing.assert_allclose(ELU(alpha=2.0)(x).numpy(), [2 * (np.exp(-2.0) - 1), 0.0, 3.0], rtol=1e-6)
    check_keras_parity(ELU, {"alpha": 0.7}, inputs())
    check_keras_parity(ELU, {}, inputs())
    with pytest.raises(ValueError, match="alpha must be a number"):
        ELU(alpha="1")


# --------------------------------------------------------------------- PReLU
def test_prelu():
    kwargs = {"alpha_initializer": "zeros", "alpha_regularizer": "L1", "alpha_constraint": "MaxNorm",
              "shared_axes": 1}
    layer, _ = run_layer_test(PReLU, kwargs, (2, 3, 4), (2, 3, 4), expected_num_trainable_weights=1)
    assert layer.alpha.shape == (1, 4) and layer.supports_masking
    assert len(layer.losses) == 1 and layer.get_config()["shared_axes"] == [1]


def test_prelu_keras_correctness_case():
    x = np.random.default_rng(1).standard_normal((2, 10, 5, 3))
    layer = PReLU(alpha_initializer="glorot_uniform", alpha_regularizer="l1", alpha_constraint="non_neg",
                  shared_axes=(1, 2))
    layer.build(x.shape)
    weights = np.random.default_rng(2).random((1, 1, 3)).astype(np.float32)
    layer.set_weights([weights])
    expected = (x > 0) * x + (x <= 0) * weights * x
    np.testing.assert_allclose(layer(x).detach().numpy(), expected, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("kwargs, shape", [
    ({}, (2, 3, 4)),
    ({"shared_axes": [1, 2]}, (2, 3, 4, 5)),
    ({"shared_axes": 2, "alpha_initializer": "random_normal"}, (2, 3, 4)),
])
def test_prelu_matches_keras(kwargs, shape):
    ours, _ = check_keras_parity(PReLU, kwargs, inputs(shape))
    assert [k for k in ours.state_dict() if not k.endswith("_extra_state")] == ["alpha"]


def test_prelu_input_spec_and_errors():
    layer = PReLU(shared_axes=[1])
    layer(torch.ones(2, 3, 4))
    layer(torch.ones(5, 7, 4))  # the shared axis may change size
    with pytest.raises(ValueError, match="expected axis 2 of input shape to have value 4"):
        layer(torch.ones(2, 3, 5))
    with pytest.raises(ValueError, match="shared_axes must be None, a positive int or a list of positive ints"):
        PReLU(shared_axes=[0])
    with pytest.raises(ValueError, match="shared_axes must be"):
        PReLU(shared_axes="1")
    bad = PReLU(shared_axes=[3])
    with pytest.raises(ValueError, match=r"shared_axes=\[3\] names an axis the input does not have"):
        bad(torch.ones(2, 3, 4))
    assert not bad.built and not bad.weights
    unknown = PReLU()
    with pytest.raises(ValueError, match="needs every axis it does not share to be known"):
        unknown(tkl.Input(shape=(None, 4)))
    assert not unknown.built
    assert PReLU(shared_axes=[1])(tkl.Input(shape=(None, 4))).shape == (None, None, 4)


# ------------------------------------------------------------------- Softmax
def test_softmax():
    layer, _ = run_layer_test(Softmax, {}, (2, 3, 4), (2, 3, 4))
    assert layer.supports_masking
    np.testing.assert_allclose(Softmax()(np.array([[1.0, 2.0, 1.0]], np.float32)).numpy(),
                               [[0.21194157, 0.5761169, 0.21194157]], rtol=1e-6)
    for kwargs in ({}, {"axis": 1}, {"axis": (1, 2)}, {"axis": [-1]}):
        check_keras_parity(Softmax, kwargs, inputs())


def test_softmax_masks_as_keras():
    x = np.array([[1.0, 2.0, 1.0], [1.0, 2.0, 1.0]], np.float32)
    mask = np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]], np.float32)
    np.testing.assert_allclose(Softmax(axis=(1, 0))(x, mask=mask).numpy(),
                               [[0.21194154, 0.0, 0.21194154], [0.0, 0.57611686, 0.0]], rtol=1e-6)
    x = np.array([[1.0, 2.0, 5.0, 1.0], [1.0, 1.0, 1.0, 1.0], [3.0, 1.0, 2.0, 4.0]], np.float32)
    mask = np.array([[True, True, False, False], [False] * 4, [True] * 4])
    np.testing.assert_allclose(Softmax()(x, mask=mask).numpy(), [
        [0.268941, 0.731059, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0], [0.236883, 0.032059, 0.087144, 0.643914]],
        rtol=1e-5, atol=1e-6)
    x = np.array([[1.0, 2.0, 1.0], [3.0, 4.0, 5.0]], np.float32)
    assert Softmax()(x, mask=np.array([[1.0, 0.0, 1.0]], np.float32))[:, 1].tolist() == [0.0, 0.0]
    assert Softmax()(x, mask=np.array([1.0, 0.0, 1.0], np.float32))[:, 1].tolist() == [0.0, 0.0]


@pytest.mark.parametrize("kwargs, mask", [
    ({}, np.array([[True, False, True, True]] * 3)),
    ({"axis": 1}, np.array([[1.0], [0.0], [1.0]], np.float32)),
    ({"axis": (1, 2)}, np.array([[[True, True, False, True]] * 3, [[False] * 4] * 3])),
])
def test_softmax_mask_matches_keras(kwargs, mask):
    check_keras_parity(Softmax, kwargs, inputs((2, 3, 4)), call_kwargs={"mask": mask})


def test_softmax_float16_masking_stays_finite():
    out = Softmax(dtype="float16")(torch.tensor([[1.0, 2.0]], dtype=torch.float16),
                                  mask=torch.tensor([[True, False]]))
    assert out.dtype == torch.float16 and out.tolist() == [[1.0, 0.0]]


def test_softmax_errors():
    layer = Softmax()
    with pytest.raises(ValueError, match="The `mask` must be broadcastable to `inputs`. Each mask dimension"):
        layer(np.array([[1.0, 2.0, 1.0]], np.float32), mask=np.ones((2, 3), np.float32))
    with pytest.raises(ValueError, match="must not have more dimensions"):
        layer(np.array([[1.0, 2.0, 1.0]], np.float32), mask=np.ones((1, 1, 3), np.float32))
    for bad in ["last", (), (1, 1.5), None]:
        with pytest.raises(ValueError, match="axis must be an int or a non-empty tuple of ints"):
            Softmax(axis=bad)
    config = json.loads(json.dumps(Softmax(axis=(1, 2)).get_config()))
    assert Softmax.from_config(config).axis == (1, 2)


@pytest.mark.parametrize("cls, kwargs", [
    (ReLU, {}), (ReLU, {"max_value": 3.0}), (LeakyReLU, {}), (ELU, {}), (PReLU, {}), (Softmax, {"axis": 1}),
])
def test_integer_inputs_give_float_outputs_eagerly_and_symbolically(cls, kwargs):
    layer, out = run_layer_test(cls, kwargs, (2, 3, 4), (2, 3, 4), input_dtype=torch.int64,
                                expected_num_trainable_weights=int(cls is PReLU),
                                expected_output_dtype=torch.float32, run_compiled=cls is ReLU)
    x = torch.randint(-3, 4, (2, 3, 4))
    torch.testing.assert_close(layer(x), layer(x.float()))
