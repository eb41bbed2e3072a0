"""GRU and GRUCell: Keras's weights, numbers, masks and arguments; the fused kernel
against the step loop and against Keras."""

import numpy as np
import pytest
import torch

import torch_keraslike as tkl
from keras_reference import import_keras, to_numpy
from layer_testing import run_layer_test
from rnn_cells import MASKS, constant_initializers, data, numpy_of, randomize

L = tkl.layers
_SEQUENCE = np.arange(72, dtype="float32").reshape((3, 6, 4))


@pytest.mark.parametrize("kwargs, expected_shape, weights, training", [
    ({"units": 3, "dropout": 0.5, "recurrent_dropout": 0.5}, (3, 3), 3, True),
    ({"units": 3, "return_sequences": True, "reset_after": False}, (3, 2, 3), 3, False),
    ({"units": 3, "use_bias": False, "recurrent_activation": "hard_sigmoid"}, (3, 3), 2, False),
])
def test_basics(kwargs, expected_shape, weights, training):
    run_layer_test(L.GRU, kwargs, (3, 2, 4), expected_shape, weights, training=training)


def test_weights_keras_layouts():
    gru = L.GRU(3)
    gru(torch.ones(2, 4, 5))
    assert [w.shape for w in gru.get_weights()] == [(5, 9), (3, 9), (2, 9)]
    old = L.GRU(3, reset_after=False)
    old(torch.ones(2, 4, 5))
    assert old.get_weights()[2].shape == (9,) and old.reset_after is False


@pytest.mark.parametrize("implementation", [1, 2])
@pytest.mark.parametrize("kwargs, expected", [
    ({}, [0.5217289, 0.6371659, 0.39384964]),
    ({"go_backwards": True}, [0.24406259, 0.611516, 0.3928808]),
    ({"reset_after": False}, [0.51447755, 0.6426879, 0.40208298]),
    ({"use_bias": False}, [0.49988455, 0.64701194, 0.4103359]),
])
def test_keras_numbers(kwargs, expected, implementation):
    layer = L.GRU(3, implementation=implementation, **constant_initializers(), **kwargs)
    np.testing.assert_allclose(numpy_of(layer(_SEQUENCE))[:, 0], expected, rtol=1e-5, atol=1e-6)


def test_state_initial_state_and_masking_numbers():
    sequence = np.arange(24, dtype="float32").reshape((2, 3, 4))
    layer = L.GRU(4, stateful=True, **constant_initializers())
    layer(sequence)
    np.testing.assert_allclose(numpy_of(layer(sequence))[:, 0], [0.29542392, 0.5885018], rtol=1e-5)
    sequence = np.arange(24, dtype="float32").reshape((2, 4, 3))
    initial = np.arange(4, dtype="float32").reshape((2, 2))
    out, state = L.GRU(2, return_state=True, **constant_initializers())(sequence, initial_state=initial)
    np.testing.assert_allclose(numpy_of(out), [[0.23774096, 0.33508456], [0.83659905, 1.0227708]], rtol=1e-5)
    torch.testing.assert_close(out, state)
    mask = np.array([[True, True, False, True], [True, False, False, True]])
    out = L.GRU(2, return_sequences=True, zero_output_for_mask=True, **constant_initializers())(sequence, mask=mask)
    np.testing.assert_allclose(numpy_of(out)[:, :, 0], [[0.03606692, 0.09497581, 0.0, 0.19393763],
                                                        [0.16051409, 0.0, 0.0, 0.30818558]], rtol=1e-5)
    out = L.GRU(2, go_backwards=True, **constant_initializers())(sequence, mask=mask)
    np.testing.assert_allclose(numpy_of(out)[:, 0], [0.11669192, 0.28380975], rtol=1e-5)


@pytest.mark.parametrize("mask", [None, "right", "right_empty_row", "left", "middle"])
@pytest.mark.parametrize("kwargs", [
    {"return_sequences": True, "return_state": True},
    {},  # the last output only
    {"zero_output_for_mask": True},
])
def test_fused_kernel_matches_the_step_loop(mask, kwargs):
    fused, loop = L.GRU(5, **kwargs), L.GRU(5, use_cudnn=False, **kwargs)
    x = torch.tensor(data(3, 6, 4))
    fused(x), loop(x)
    loop.set_weights(randomize(fused))
    call = {} if mask is None else {"mask": torch.tensor(MASKS[mask])}
    a, b = fused(x, **call), loop(x, **call)
    for p, q in zip(a if isinstance(a, tuple) else [a], b if isinstance(b, tuple) else [b]):
        torch.testing.assert_close(p, q, rtol=1e-5, atol=1e-6)


def test_fused_kernel_reorders_the_gates(monkeypatch):
    calls = []
    original = torch.gru
    monkeypatch.setattr(torch, "gru", lambda *a: calls.append(1) or original(*a))
    layer = L.GRU(3)
    layer(torch.ones(2, 4, 5))
    assert calls and L.GRU(3, reset_after=False)(torch.ones(2, 4, 5)).shape == (2, 3)
    assert len(calls) == 1


def test_use_cudnn_true_needs_reset_after():
    with pytest.raises(ValueError, match="use_cudnn=True.*reset_after=True"):
        L.GRU(3, reset_after=False, use_cudnn=True)
    assert L.GRU(3, use_cudnn=True).use_cudnn is True


def test_cell_states_as_a_tensor_or_a_list():
    cell = L.GRUCell(4)
    x, h = torch.ones(2, 3), torch.zeros(2, 4)
    out, state = cell(x, h)
    torch.testing.assert_close(out, state)
    out, states = cell(x, [h])
    assert isinstance(states, list) and len(states) == 1


@pytest.mark.parametrize("mask", [None, "left", "holes"])
@pytest.mark.parametrize("kwargs", [{"return_sequences": True, "return_state": True},
                                    {"reset_after": False, "go_backwards": True}])
def test_keras_parity_masked(mask, kwargs):
    keras = import_keras()
    ours, theirs = L.GRU(5, **kwargs), keras.layers.GRU(5, **kwargs)
    x = data(3, 6, 4)
    ours(x), theirs(x)
    theirs.set_weights(randomize(ours))
    call = {} if mask is None else {"mask": MASKS[mask]}
    a, b = ours(x, **call), theirs(x, **call)
    for p, q in zip(a if isinstance(a, tuple) else [a], b if isinstance(b, tuple) else [b]):
        np.testing.assert_allclose(numpy_of(p), to_numpy(q), rtol=1e-5, atol=1e-6)
