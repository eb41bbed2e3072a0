"""KerasTensor, Input and shape inference on fake tensors."""

import numpy as np
import pytest
import torch

import torch_keraslike as tkl
from torch_keraslike import layers


def test_input_shape_dtype_and_name():
    x = tkl.Input((28, 28, 1), name="image")
    assert x.shape == (None, 28, 28, 1) and x.dtype == torch.float32 and x.name == "image"
    assert tkl.Input((3,), batch_size=8, dtype="int64").shape == (8, 3)
    assert tkl.Input(batch_shape=(None, None, 5)).shape == (None, None, 5)
    assert isinstance(x, tkl.KerasTensor) and x.ndim == 4


def test_keras_tensor_shape_is_immutable():
    x = tkl.Input((3,))
    with pytest.raises(AttributeError):
        x.shape = (1, 3)


@pytest.mark.parametrize("kwargs, message", [
    ({}, "Input\\(\\) needs a shape"),
    ({"shape": (3,), "batch_shape": (None, 3)}, "either shape"),
    ({"shape": (-1,)}, "non-negative ints or None"),
])
def test_input_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        tkl.Input(**kwargs)


def test_layer_call_on_keras_tensor_builds_real_weights_and_keeps_none():
    x = tkl.Input((None, 16))
    dense = layers.Dense(4)
    y = dense(x)
    assert isinstance(y, tkl.KerasTensor) and y.shape == (None, None, 4)
    assert dense.built and dense.kernel.device.type == "cpu" and not dense.kernel.is_meta
    assert dense.kernel.abs().sum() > 0  # real, initialised values


def test_custom_layer_shape_inference_and_dtype():
    class Pairwise(tkl.Layer):
        def call(self, x):
            return x.unsqueeze(1) - x.unsqueeze(2)

    y = Pairwise()(tkl.Input((5, 3)))
    assert y.shape == (None, 5, 5, 3)
    ints = layers.Identity()(tkl.Input((2,), dtype="int64"))
    assert ints.dtype == torch.int64


def test_big_input_through_two_convs_allocates_no_activations():
    import resource

    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    x = tkl.Input((4096, 4096, 3))
    y = layers.Conv2D(8, 3, padding="same")(x)
    y = layers.Conv2D(8, 3, strides=2)(y)
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before
    assert y.shape == (None, 2047, 2047, 8)
    # One float32 activation of the first conv is 4096*4096*8*4 bytes = 512 MiB.
    assert grown < 128 * 1024


def test_symbolic_call_costs_no_activation_memory():
    big = tkl.Input((4096, 4096, 3))
    y = layers.Lambda(lambda t: torch.cat([t, t * 2], dim=-1))(big)
    z = layers.Dense(8)(y)
    assert z.shape == (None, 4096, 4096, 8)


def test_compute_output_shape_default_is_symbolic():
    assert layers.Dense(3).compute_output_shape((None, 7)) == (None, 3)
    assert layers.Flatten().compute_output_shape((2, 3, 4)) == (2, 12)
    assert layers.Lambda(lambda t: t[:, :1], output_shape=(1,)).compute_output_shape((None, 5)) == (None, 1)


def test_input_spec_checks_symbolic_inputs():
    dense = layers.Dense(3)
    dense(tkl.Input((4,)))
    with pytest.raises(ValueError, match="expected axis -1 of input shape to have value 4, but received "
                       r"input with shape \(None, 5\)"):
        dense(tkl.Input((5,)))


def test_torch_functions_and_operators_join_the_graph():
    a, b = tkl.Input((4,)), tkl.Input((4,))
    y = torch.cat([a, b], dim=1) * 2 - a.sum(dim=1, keepdim=True)
    assert y.shape == (None, 8)
    assert y[:, :3].shape == (None, 3)
    assert (-a).shape == (None, 4) and (a @ torch.ones(4, 2)).shape == (None, 2)


@pytest.mark.parametrize("op", [
    lambda t: t.item(),
    lambda t: t.tolist(),
    lambda t: np.exp(t),
    lambda t: bool(t),
    lambda t: list(t),
])
def test_ops_that_need_values_give_a_clear_error(op):
    x = tkl.Input((3,))
    with pytest.raises(TypeError) as info:
        op(x)
    assert "KerasTensor" in str(info.value)


def test_value_methods_suggest_a_lambda_layer():
    with pytest.raises(TypeError, match=r"tkl.layers.Lambda\(lambda t: torch.Tensor.item\(t\)\)"):
        tkl.Input((3,)).item()


def test_numpy_integer_shapes_are_accepted():
    import numpy as np

    x = tkl.Input(shape=(np.int64(32), np.int32(4)))
    assert x.shape == (None, 32, 4) and all(type(d) is int for d in x.shape[1:])
    with pytest.raises(ValueError, match="non-negative ints or None"):
        tkl.Input(shape=(np.int64(-1),))
