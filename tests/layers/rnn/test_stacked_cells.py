"""StackedRNNCells: cells run as one, each feeding the next (Keras's
``stacked_rnn_cells_test.py``)."""

import json

import numpy as np
import pytest
import torch

import torch_keraslike as tkl
from layer_testing import run_layer_test
from rnn_cells import OneStateCell, TwoStatesCell, numpy_of

L = tkl.layers
_SEQUENCE = np.arange(24, dtype="float32").reshape((2, 3, 4))


class _Stacked(L.RNN):
    """A fresh stack for each layer run_layer_test builds."""

    def __init__(self, cell, **kwargs):
        if isinstance(cell, (list, tuple)):
            cell = [type(c).from_config(c.get_config()) for c in cell]
        super().__init__(cell, **kwargs)


@pytest.mark.parametrize("cells, weights", [
    ([OneStateCell(3), OneStateCell(4), OneStateCell(5)], 6),
    ([TwoStatesCell(3), TwoStatesCell(4), TwoStatesCell(5)], 9),
    ([L.LSTMCell(3, dropout=0.1, recurrent_dropout=0.1), L.GRUCell(4, dropout=0.1),
      L.SimpleRNNCell(5, recurrent_dropout=0.1)], 9),
])
def test_basics(cells, weights):
    run_layer_test(_Stacked, {"cell": cells, "return_sequences": True}, (2, 3, 4), (2, 3, 5), weights,
                   training=True)


def test_single_state_stack_numbers():
    out, s1, s2 = L.RNN([OneStateCell(3), OneStateCell(2)], return_sequences=True, return_state=True)(_SEQUENCE)
    np.testing.assert_allclose(numpy_of(out)[:, :, 0], [[18.0, 156.0, 786.0], [162.0, 1020.0, 4386.0]])
    np.testing.assert_allclose(numpy_of(s1)[:, 0], [158.0, 782.0])
    np.testing.assert_allclose(numpy_of(s2)[:, 0], [786.0, 4386.0])
    layer = L.RNN([OneStateCell(3), OneStateCell(2)], stateful=True)
    layer(_SEQUENCE)
    np.testing.assert_allclose(numpy_of(layer(_SEQUENCE))[:, 0], [34092.0, 173196.0])


def test_two_states_stack_numbers():
    out, s1, s2 = L.RNN([TwoStatesCell(3), TwoStatesCell(2)], return_state=True)(_SEQUENCE)
    np.testing.assert_allclose(numpy_of(out)[:, 0], [3144.0, 17544.0])
    np.testing.assert_allclose(numpy_of(s1[1])[:, 0], [158.0, 782.0])
    np.testing.assert_allclose(numpy_of(s2[0])[:, 0], [1572.0, 8772.0])
    layer = L.RNN([TwoStatesCell(3), TwoStatesCell(2)], stateful=True)
    layer(_SEQUENCE)
    np.testing.assert_allclose(numpy_of(layer(_SEQUENCE))[:, 0], [136368.0, 692784.0])


def test_stacked_lstm_cells_states_and_mask():
    layer = L.RNN([L.LSTMCell(10), L.LSTMCell(10)], return_state=True)
    out = layer(np.zeros((2, 3, 5), "float32"))
    assert len(out) == 3 and out[0].shape == (2, 10)
    assert [t.shape for t in out[1]] == [(2, 10)] * 2 and [t.shape for t in out[2]] == [(2, 10)] * 2
    shape = layer.compute_output_shape((2, 3, 5))
    assert shape[0] == (2, 10) and list(shape[1]) == [(2, 10)] * 2
    cells = [L.LSTMCell(1, kernel_initializer="ones", recurrent_initializer="ones") for _ in range(2)]
    mask = np.array([[True, True, True], [True, True, False]])
    np.testing.assert_allclose(numpy_of(L.RNN(cells)(np.ones((2, 3, 4), "float32"), mask=mask)),
                               [[0.7793], [0.5998]], atol=1e-4)


def test_config_round_trip_and_weights_order():
    stack = L.StackedRNNCells([L.LSTMCell(3), L.GRUCell(2)])
    layer = L.RNN(stack)
    layer(torch.ones(2, 4, 5))
    assert [w.shape for w in layer.get_weights()] == [(5, 12), (3, 12), (12,), (3, 6), (2, 6), (2, 6)]
    config = json.loads(json.dumps(layer.get_config()))
    clone = L.RNN.from_config(config)
    clone(torch.ones(2, 4, 5))
    clone.set_weights(layer.get_weights())
    torch.testing.assert_close(clone(torch.ones(2, 4, 5)), layer(torch.ones(2, 4, 5)))


def test_bad_cells():
    with pytest.raises(ValueError, match="All cells must have a `call` method"):
        L.StackedRNNCells([L.LSTMCell(2), object()])
    with pytest.raises(ValueError, match="non-empty list of RNN cells"):
        L.StackedRNNCells([])
    stack = L.StackedRNNCells([L.LSTMCell(2), L.LSTMCell(2)])
    stack.build((2, 3))
    with pytest.raises(ValueError, match=r"one state entry per cell \(2\), received 1"):
        stack(torch.ones(2, 3), [[torch.zeros(2, 2), torch.zeros(2, 2)]])
