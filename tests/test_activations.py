import math

import numpy as np
import pytest
import torch

from torch_keraslike import activations as A

# Inputs covering both signs, the kinks at 0, +-3 and 6, and fairly large magnitudes.
X = np.concatenate([np.linspace(-12.0, 12.0, 481), [1e-4, -1e-4, 6.0 + 1e-9, 20.0, -20.0]])
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946
_erf = np.vectorize(math.erf)


def sigmoid_ref(x):
    return 1.0 / (1.0 + np.exp(-x))


def softplus_ref(x):
    return np.log1p(np.exp(-np.abs(x))) + np.maximum(x, 0.0)


def relu_ref(x, negative_slope=0.0, max_value=None, threshold=0.0):
    # Keras's documented piecewise definition.
    out = np.where(x > threshold, x, negative_slope * (x - threshold))
    if max_value is not None:
        out = np.where(x >= max_value, max_value, out)
    return out


def sparsemax_ref(x):
    # Martins & Astudillo (2016): threshold tau from the sorted values' support.
    ordered = -np.sort(-x, axis=-1)
    running = np.cumsum(ordered, axis=-1)
    rank = np.arange(1, x.shape[-1] + 1)
    support = ordered - (running - 1) / rank > 0
    count = support.sum(-1, keepdims=True)
    tau = (np.take_along_axis(running, count - 1, -1) - 1) / count
    return np.maximum(x - tau, 0.0)


# Arguments an activation needs beyond x (Keras gives them no defaults).
EXTRA_ARGS = {"threshold": (0.5, -1.0)}

REFERENCES = {
    "linear": lambda x: x,
    "relu": lambda x: np.maximum(x, 0.0),
    "relu6": lambda x: np.minimum(np.maximum(x, 0.0), 6.0),
    "leaky_relu": lambda x: np.where(x >= 0, x, 0.2 * x),
    "elu": lambda x: np.where(x > 0, x, np.exp(x) - 1.0),
    "selu": lambda x: SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * (np.exp(x) - 1.0)),
    "gelu": lambda x: 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0))),
    "sigmoid": sigmoid_ref,
    "hard_sigmoid": lambda x: np.clip(x / 6.0 + 0.5, 0.0, 1.0),
    "hard_silu": lambda x: x * np.clip(x / 6.0 + 0.5, 0.0, 1.0),
    "hard_swish": lambda x: x * np.clip(x / 6.0 + 0.5, 0.0, 1.0),
    "silu": lambda x: x * sigmoid_ref(x),
    "swish": lambda x: x * sigmoid_ref(x),
    "tanh": lambda x: (np.exp(2 * x) - 1.0) / (np.exp(2 * x) + 1.0),
    "softmax": lambda x: np.exp(x - x.max(-1, keepdims=True))
    / np.exp(x - x.max(-1, keepdims=True)).sum(-1, keepdims=True),
    "log_softmax": lambda x: x - x.max(-1, keepdims=True)
    - np.log(np.exp(x - x.max(-1, keepdims=True)).sum(-1, keepdims=True)),
    "softplus": softplus_ref,
    "softsign": lambda x: x / (1.0 + np.abs(x)),
    "exponential": np.exp,
    "mish": lambda x: x * np.tanh(softplus_ref(x)),
    "log_sigmoid": lambda x: -softplus_ref(-x),
    "celu": lambda x: np.maximum(x, 0.0) + np.minimum(0.0, np.exp(x) - 1.0),
    "glu": lambda x: x[..., : x.shape[-1] // 2] * sigmoid_ref(x[..., x.shape[-1] // 2:]),
    "squareplus": lambda x: (x + np.sqrt(x * x + 4.0)) / 2.0,
    "soft_shrink": lambda x: np.where(x > 0.5, x - 0.5, np.where(x < -0.5, x + 0.5, 0.0)),
    "hard_shrink": lambda x: np.where(np.abs(x) > 0.5, x, 0.0),
    "sparse_plus": lambda x: np.where(x <= -1, 0.0, np.where(x < 1, (x + 1) ** 2 / 4.0, x)),
    "sparse_sigmoid": lambda x: np.clip((x + 1.0) / 2.0, 0.0, 1.0),
    "tanh_shrink": lambda x: x - np.tanh(x),
    "hard_tanh": lambda x: np.clip(x, -1.0, 1.0),
    "threshold": lambda x: np.where(x > 0.5, x, -1.0),
    "sparsemax": sparsemax_ref,
}


def test_every_registered_name_has_a_reference():
    assert set(REFERENCES) == set(A.ALL_OBJECTS_DICT)


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_activation_matches_reference_float64(name):
    x = X.reshape(-1, 3) if name in ("softmax", "log_softmax", "sparsemax") else X.reshape(-1, 2)
    out = A.get(name)(torch.tensor(x, dtype=torch.float64), *EXTRA_ARGS.get(name, ()))
    assert out.dtype == torch.float64
    np.testing.assert_allclose(out.numpy(), REFERENCES[name](x), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_activation_float32(name):
    x = np.linspace(-5.0, 5.0, 64).reshape(8, 8)
    out = A.get(name)(torch.tensor(x, dtype=torch.float32), *EXTRA_ARGS.get(name, ()))
    assert out.dtype == torch.float32 and out.shape == (8, 8 if name != "glu" else 4)
    np.testing.assert_allclose(out.numpy(), REFERENCES[name](x), rtol=2e-5, atol=2e-6)


def test_gelu_tanh_approximation():
    x = torch.tensor(X, dtype=torch.float64)
    ref = 0.5 * X * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (X + 0.044715 * X ** 3)))
    np.testing.assert_allclose(A.gelu(x, approximate=True).numpy(), ref, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("kwargs", [
    {}, {"negative_slope": 0.1}, {"max_value": 6.0}, {"max_value": 3.0}, {"max_value": 6},
    {"threshold": 1.5}, {"negative_slope": 0.1, "max_value": 5.0},
    {"negative_slope": 0.3, "threshold": 2.0},
    {"negative_slope": 0.1, "max_value": 5.0, "threshold": 1.0},
    {"max_value": 4.0, "threshold": 0.5}, {"max_value": 0.0},
])
def test_relu_keras_options(kwargs):
    x = torch.tensor(X, dtype=torch.float64)
    np.testing.assert_allclose(A.relu(x, **kwargs).numpy(), relu_ref(X, **kwargs), atol=1e-12)


def test_parameterised_activations():
    x = torch.tensor(X, dtype=torch.float64)
    np.testing.assert_allclose(A.leaky_relu(x, negative_slope=0.5).numpy(),
                               np.where(X >= 0, X, 0.5 * X), atol=1e-12)
    np.testing.assert_allclose(A.elu(x, alpha=0.5).numpy(),
                               np.where(X > 0, X, 0.5 * (np.exp(X) - 1)), atol=1e-12)
    np.testing.assert_allclose(
        A.celu(x, alpha=2.0).numpy(),
        np.maximum(X, 0) + np.minimum(0, 2.0 * (np.exp(X / 2.0) - 1)), atol=1e-12)


def test_softmax_and_log_softmax_axes():
    x = np.random.default_rng(0).normal(size=(2, 3, 4)) * 5
    t = torch.tensor(x)
    for axis in (0, 1, -1, (1, 2), [0, 2]):
        ax = tuple(axis) if isinstance(axis, (tuple, list)) else axis
        e = np.exp(x - x.max(axis=ax, keepdims=True))
        ref = e / e.sum(axis=ax, keepdims=True)
        np.testing.assert_allclose(A.softmax(t, axis=axis).numpy(), ref, rtol=1e-12)
        np.testing.assert_allclose(A.log_softmax(t, axis=axis).numpy(), np.log(ref),
                                   rtol=1e-10, atol=1e-12)


def test_glu_axis():
    x = np.random.default_rng(1).normal(size=(4, 3))
    out = A.glu(torch.tensor(x), axis=0).numpy()
    np.testing.assert_allclose(out, x[:2] * sigmoid_ref(x[2:]), rtol=1e-12)


def test_inputs_are_converted():
    assert A.relu([-1.0, 2.0]).tolist() == [0.0, 2.0]
    out = A.sigmoid(torch.tensor([0, 1]))  # integer tensors become floats
    assert out.dtype == torch.get_default_dtype() and out[0].item() == 0.5
    assert A.softmax(np.zeros(4)).tolist() == [0.25] * 4
    x = torch.tensor([1, 2])
    assert A.linear(x) is x


def test_gradients_flow_through_relu_options():
    x = torch.tensor([-2.0, 0.5, 3.0, 8.0], requires_grad=True)
    A.relu(x, negative_slope=0.1, max_value=6.0, threshold=1.0).sum().backward()
    assert x.grad.tolist() == pytest.approx([0.1, 0.1, 1.0, 0.0])


@pytest.mark.parametrize("call, pattern", [
    (lambda: A.relu(torch.ones(2), negative_slope=-0.1), r"relu expected `negative_slope`.*-0.1"),
    (lambda: A.relu(torch.ones(2), max_value=-1.0), r"`max_value` to be a non-negative"),
    (lambda: A.relu(torch.ones(2), threshold="x"), r"`threshold` to be a number"),
    (lambda: A.leaky_relu(torch.ones(2), negative_slope=None), r"leaky_relu expected"),
    (lambda: A.elu(torch.ones(2), alpha="a"), r"elu expected `alpha`"),
    (lambda: A.celu(torch.ones(2), alpha=0), r"non-zero `alpha`"),
    (lambda: A.glu(torch.ones(2, 3)), r"even size.*axis=-1.*shape \(2, 3\)"),
    (lambda: A.glu(torch.ones(2, 4), axis=2), r"axis=2"),
    (lambda: A.softmax(torch.ones(2), axis="last"), r"softmax expected `axis`.*axis='last'"),
    (lambda: A.log_softmax(torch.ones(2), axis=()), r"non-empty tuple"),
])
def test_argument_errors(call, pattern):
    with pytest.raises(ValueError, match=pattern):
        call()


# --------------------------------------------------------------------------- get / serialize

@pytest.mark.parametrize("name", sorted(A.ALL_OBJECTS_DICT))
def test_get_and_serialize_round_trip(name):
    fn = A.get(name)
    assert callable(fn) and fn is getattr(A, name)
    canonical = A.serialize(fn)
    assert A.get(canonical) is fn and A.deserialize(canonical) is fn
    assert canonical == {"swish": "silu", "hard_swish": "hard_silu"}.get(name, name)
    assert A.serialize(name) == canonical


def test_get_passthrough():
    assert A.get(None) is A.linear

    def custom(x):
        return x * 2
    assert A.get(custom) is custom
    assert A.get(torch.relu) is torch.relu


def test_get_errors():
    with pytest.raises(ValueError) as e:
        A.get("rleu")
    msg = str(e.value)
    assert "Unknown activation 'rleu'" in msg and "Did you mean 'relu'" in msg
    assert "'softmax'" in msg and "callable" in msg
    with pytest.raises(ValueError, match="Could not interpret activation identifier 3"):
        A.get(3)
    with pytest.raises(ValueError, match="activation name such as 'relu'"):
        A.deserialize(None)


def test_serialize_errors():
    for fn in (lambda x: x, torch.relu, torch.nn.functional.gelu):
        with pytest.raises(ValueError) as e:
            A.serialize(fn)
        assert "Cannot serialize activation" in str(e.value)
        assert "register" in str(e.value) and "'relu'" in str(e.value)
