"""SimpleRNN and SimpleRNNCell, on torch's fused rnn_tanh/rnn_relu kernels and the loop."""

import numpy as np
import pytest
import torch

import torch_keraslike as tkl
from keras_reference import import_keras, to_numpy
from layer_testing import run_layer_test
from rnn_cells import MASKS, constant_initializers, data, numpy_of, randomize

L = tkl.layers


@pytest.mark.parametrize("kwargs, expected_shape, training", [
    ({"units": 3, "dropout": 0.5, "recurrent_dropout": 0.5}, (3, 3), True),
    ({"units": 3, "return_sequences": True, "activation": "relu"}, (3, 2, 3), False),
])
def test_basics(kwargs, expected_shape, training):
    run_layer_test(L.SimpleRNN, kwargs, (3, 2, 4), expected_shape, 3, training=training)


@pytest.mark.parametrize("kwargs, expected", [
    ({}, [0.405432, 0.73605347]),
    ({"unroll": True}, [0.405432, 0.73605347]),
    ({"go_backwards": True}, [0.11144729, 0.5528889]),
])
def test_keras_numbers(kwargs, expected):
    sequence = np.arange(24, dtype="float32").reshape((2, 3, 4))
    layer = L.SimpleRNN(4, **constant_initializers(), **kwargs)
    np.testing.assert_allclose(numpy_of(layer(sequence))[:, 0], expected, rtol=1e-5)


@pytest.mark.parametrize("activation", ["tanh", "relu", "softsign", None])
@pytest.mark.parametrize("mask", [None, "right", "holes"])
def test_fused_and_loop_match_keras(activation, mask):
    keras = import_keras()
    kwargs = {"activation": activation, "return_sequences": True, "return_state": True}
    ours, theirs = L.SimpleRNN(4, **kwargs), keras.layers.SimpleRNN(4, **kwargs)
    x = data(3, 6, 3)
    ours(x), theirs(x)
    theirs.set_weights(randomize(ours))
    call = {} if mask is None else {"mask": MASKS[mask]}
    for a, b in zip(ours(x, **call), theirs(x, **call)):
        np.testing.assert_allclose(numpy_of(a), to_numpy(b), rtol=1e-5, atol=1e-6)


def test_no_use_cudnn_argument_as_in_keras():
    layer = L.SimpleRNN(3)
    assert not hasattr(layer, "use_cudnn") and "use_cudnn" not in layer.get_config()
    assert "implementation" not in layer.get_config()


def test_stateful_with_initial_state_and_cell():
    layer = L.SimpleRNN(2, stateful=True, return_state=True)
    x = torch.tensor(data(2, 3, 4))
    out, state = layer(x, initial_state=torch.ones(2, 2))
    torch.testing.assert_close(layer.states[0], state)
    cell = L.SimpleRNNCell(2)
    out, new = cell(x[:, 0], torch.zeros(2, 2))
    torch.testing.assert_close(out, new)
    with pytest.raises(ValueError, match=r"invalid value for argument `units`"):
        L.SimpleRNNCell(-1)
