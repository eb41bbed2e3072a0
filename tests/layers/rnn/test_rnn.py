"""RNN with user-written cells: shapes, states, statefulness, masks, configs (modelled
on Keras's ``rnn_test.py``)."""

import json

import numpy as np
import pytest
import torch

import torch_keraslike as tkl
from layer_testing import run_layer_test
from rnn_cells import OneStateCell, TwoStatesCell, numpy_of

L = tkl.layers


@pytest.mark.parametrize("kwargs, expected_shape, weights", [
    ({"cell": OneStateCell(5, state_size=5)}, (3, 5), 2),
    ({"cell": OneStateCell(5, state_size=[5])}, (3, 5), 2),
    ({"cell": OneStateCell(5, state_size=(5,))}, (3, 5), 2),
    ({"cell": OneStateCell(5), "return_sequences": True}, (3, 2, 5), 2),
    ({"cell": OneStateCell(5), "go_backwards": True, "unroll": True}, (3, 5), 2),
    ({"cell": TwoStatesCell(5, state_size=[5, 5])}, (3, 5), 3),
    ({"cell": TwoStatesCell(5), "return_sequences": True}, (3, 2, 5), 3),
])
def test_basics(kwargs, expected_shape, weights):
    run_layer_test(_FreshCellRNN, kwargs, (3, 2, 4), expected_shape, weights)


class _FreshCellRNN(L.RNN):
    """run_layer_test builds several layers from one set of arguments: each gets its own
    copy of the cell."""

    def __init__(self, cell, **kwargs):
        # (a round trip through serialize keeps the cell's build state, as Keras's does)
        super().__init__(tkl.saving.deserialize(tkl.saving.serialize(cell)), **kwargs)


@pytest.mark.parametrize("cell, states", [(OneStateCell(8), 1), (TwoStatesCell(8), 2)])
@pytest.mark.parametrize("batch, steps", [(3, 4), (None, None)])
def test_compute_output_shape(cell, states, batch, steps):
    shape = (batch, steps, 5)
    assert L.RNN(cell).compute_output_shape(shape) == (batch, 8)
    assert L.RNN(cell, return_sequences=True).compute_output_shape(shape) == (batch, steps, 8)
    full = L.RNN(cell, return_sequences=True, return_state=True).compute_output_shape(shape)
    assert full[0] == (batch, steps, 8) and list(full[1:]) == [(batch, 8)] * states


def test_forward_pass_single_and_two_states():
    sequence = np.ones((1, 2, 3), "float32")
    np.testing.assert_allclose(numpy_of(L.RNN(OneStateCell(2))(sequence)), [[9.0, 9.0]])
    out, state = L.RNN(OneStateCell(2), return_sequences=True, return_state=True)(sequence)
    np.testing.assert_allclose(numpy_of(out), [[[3.0, 3.0], [9.0, 9.0]]])
    np.testing.assert_allclose(numpy_of(state), [[9.0, 9.0]])
    out, s1, s2 = L.RNN(TwoStatesCell(2), return_sequences=True, return_state=True)(sequence)
    np.testing.assert_allclose(numpy_of(out), [[[6.0, 6.0], [18.0, 18.0]]])
    np.testing.assert_allclose(numpy_of(s1), [[9.0, 9.0]])
    np.testing.assert_allclose(numpy_of(s2), [[9.0, 9.0]])


def test_initial_state_single_and_two_states():
    sequence = np.ones((2, 3, 2), "float32")
    out, state = L.RNN(OneStateCell(2), return_state=True)(sequence, initial_state=np.ones((2, 2), "float32"))
    np.testing.assert_allclose(numpy_of(out), [[22.0, 22.0]] * 2)
    np.testing.assert_allclose(numpy_of(state), [[22.0, 22.0]] * 2)
    states = [np.ones((2, 2), "float32"), np.ones((2, 2), "float32")]
    out, s1, s2 = L.RNN(TwoStatesCell(2), return_state=True)(sequence, initial_state=states)
    np.testing.assert_allclose(numpy_of(out), [[44.0, 44.0]] * 2)
    np.testing.assert_allclose(numpy_of(s1), [[22.0, 22.0]] * 2)


def test_statefulness_and_reset_state():
    sequence = np.ones((1, 2, 3), "float32")
    layer = L.RNN(OneStateCell(2), stateful=True, return_state=True)
    layer(sequence)
    out, state = layer(sequence)
    np.testing.assert_allclose(numpy_of(out), [[45.0, 45.0]])
    np.testing.assert_allclose(numpy_of(layer.states[0]), [[45.0, 45.0]])
    layer.reset_state()
    np.testing.assert_allclose(numpy_of(layer(sequence)[0]), [[9.0, 9.0]])
    two = L.RNN(TwoStatesCell(2), stateful=True)
    two(sequence)
    np.testing.assert_allclose(numpy_of(two(sequence)), [[90.0, 90.0]])
    # The kept states are neither weights nor state_dict entries (as in Keras).
    assert len(two.weights) == 3 and not any("rnn_state" in k for k in two.state_dict())


def test_stateful_training_steps_do_not_share_graphs():
    layer = L.RNN(OneStateCell(2), stateful=True)
    x = torch.ones(2, 3, 4) * 0.01
    for _ in range(2):
        layer(x).sum().backward()  # a second backward through the first graph would fail


def test_go_backwards_and_stateful_numbers():
    sequence = np.arange(24, dtype="float32").reshape((2, 3, 4))
    np.testing.assert_allclose(numpy_of(L.RNN(OneStateCell(2), go_backwards=True)(sequence)),
                               [[202.0, 202.0], [538.0, 538.0]])
    layer = L.RNN(OneStateCell(2), stateful=True, return_state=True)
    layer(sequence)
    out, state = layer(sequence)
    np.testing.assert_allclose(numpy_of(out), [[954.0, 954.0], [3978.0, 3978.0]])


@pytest.mark.parametrize("unroll", [False, True])
def test_masking_keeps_states_and_repeats_outputs(unroll):
    sequence = np.arange(24, dtype="float32").reshape((2, 4, 3))
    mask = np.array([[True, True, True, False], [True, True, False, False]])
    out = L.RNN(OneStateCell(2), unroll=unroll)(sequence, mask=mask)
    np.testing.assert_allclose(numpy_of(out), [[57.0, 57.0], [126.0, 126.0]])
    out = L.RNN(OneStateCell(2), return_sequences=True, unroll=unroll)(sequence, mask=mask)
    np.testing.assert_allclose(numpy_of(out), [
        [[3.0, 3.0], [18.0, 18.0], [57.0, 57.0], [57.0, 57.0]],
        [[39.0, 39.0], [126.0, 126.0], [126.0, 126.0], [126.0, 126.0]]])
    zeroed = L.RNN(OneStateCell(2), return_sequences=True, zero_output_for_mask=True)(sequence, mask=mask)
    np.testing.assert_allclose(numpy_of(zeroed)[:, 2:], [[[57.0, 57.0], [0.0, 0.0]], [[0.0, 0.0]] * 2])


def test_mask_travels_from_embedding_and_to_the_next_layer():
    ids = torch.tensor([[3, 1, 0, 0], [2, 2, 2, 1]])
    embedded = L.Embedding(5, 3, mask_zero=True)(ids)
    sequences = L.RNN(OneStateCell(2), return_sequences=True)(embedded)
    torch.testing.assert_close(sequences._keras_mask, ids != 0)
    assert getattr(L.RNN(OneStateCell(2))(embedded), "_keras_mask", None) is None
    out, state = L.RNN(OneStateCell(2), return_sequences=True, return_state=True)(embedded)
    assert out._keras_mask is not None and getattr(state, "_keras_mask", None) is None


def test_config_round_trip_with_registered_cells():
    for cell in (TwoStatesCell(2), OneStateCell(2)):
        layer = L.RNN(cell, return_sequences=True, go_backwards=True, zero_output_for_mask=True)
        config = json.loads(json.dumps(layer.get_config()))
        assert config["cell"]["class_name"].endswith(type(cell).__name__)
        clone = L.RNN.from_config(config)
        assert clone.get_config() | {"name": None} == layer.get_config() | {"name": None}
        restored = tkl.saving.deserialize(tkl.saving.serialize(layer))
        assert isinstance(restored.cell, type(cell)) and restored.go_backwards


def test_symbolic_call_builds_and_infers_shapes():
    inputs = tkl.Input((None, 5))
    out, state = L.RNN(OneStateCell(8), return_sequences=True, return_state=True)(inputs)
    assert out.shape == (None, None, 8) and state.shape == (None, 8)
    model = tkl.Model(inputs, out)
    assert model(torch.ones(2, 3, 5)).shape == (2, 3, 8)


def test_stateful_needs_a_static_batch_and_keeps_it():
    layer = L.RNN(TwoStatesCell(2), stateful=True, name="kept")
    with pytest.raises(ValueError, match=r"stateful=True.*batch size must be static.*batch_size="):
        layer(tkl.Input((5, 3)))
    assert not layer.built
    model_input = tkl.Input((5, 3), batch_size=4)
    model = tkl.Model(model_input, layer(model_input))
    model(torch.rand(4, 5, 3))
    before = [s.clone() for s in layer.states]
    with pytest.raises(ValueError, match=r'(?s)Layer "kept".*stateful.*batch size.*Expected batch size: 4\n'
                                         r"- Received batch size: 1"):
        model(torch.rand(1, 5, 3))
    for old, new in zip(before, layer.states):  # nothing changed
        torch.testing.assert_close(old, new)


@pytest.mark.parametrize("cell, match", [
    (object(), "should have a `call` method"),
    (L.Dense(3), "should have a `state_size` attribute"),
])
def test_bad_cells(cell, match):
    with pytest.raises(ValueError, match=match):
        L.RNN(cell)


def test_bad_state_size():
    cell = OneStateCell(2)
    cell.state_size = "2"
    with pytest.raises(ValueError, match="state_size must be an integer, or a list/tuple of integers"):
        L.RNN(cell)


def test_bad_initial_states_masks_and_inputs_change_nothing():
    layer = L.RNN(TwoStatesCell(2), name="rnn")
    x = torch.ones(2, 3, 4)
    layer(x)
    weights = [w.clone() for w in layer.weights]
    with pytest.raises(ValueError, match=r'Layer "rnn" \(RNN\) expects initial_state to hold 2 state tensor\(s\) '
                                         r"of shapes \[\(2, 2\), \(2, 2\)\], received 1"):
        layer(x, initial_state=[torch.zeros(2, 2)])
    with pytest.raises(ValueError, match=r"received a state of shape \(3, 2\)"):
        layer(x, initial_state=[torch.zeros(3, 2), torch.zeros(2, 2)])
    with pytest.raises(ValueError, match=r"mask must have shape \(batch, timesteps\) = \(2, 3\).*\(2, 4\)"):
        layer(x, mask=torch.ones(2, 4, dtype=torch.bool))
    with pytest.raises(ValueError, match="0 time steps"):
        layer(torch.ones(2, 0, 4))
    with pytest.raises(ValueError, match="expected min_ndim=3, found ndim=2"):
        layer(torch.ones(2, 4))
    for old, new in zip(weights, layer.weights):
        torch.testing.assert_close(old, new)


def test_cell_hooks_fire_at_every_step():
    cell = OneStateCell(2)
    layer = L.RNN(cell)
    calls = []
    cell.register_forward_hook(lambda module, args, output: calls.append(1))
    layer(torch.ones(2, 5, 3))
    assert len(calls) == 5


def test_user_cell_with_dropout_masks_fixed_over_the_sequence():
    from torch_keraslike.layers.rnn import DropoutRNNCell

    seen = []

    class Cell(tkl.Layer, DropoutRNNCell):
        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.units = self.state_size = units
            self.dropout, self.recurrent_dropout, self.seed = 0.5, 0.5, 1337

        def build(self, input_shape):
            self.kernel = self.add_weight(shape=(input_shape[-1], self.units), initializer="ones")

        def call(self, inputs, states, training=False):
            if training:
                mask = self.get_dropout_mask(inputs)
                seen.append(mask)
                inputs = inputs * mask
                states = [states[0] * self.get_recurrent_dropout_mask(states[0])]
            output = inputs @ self.kernel + states[0]
            return output, [output]

    cell = Cell(3)
    layer = L.RNN(cell)
    layer(torch.ones(4, 5, 2), training=True)
    assert len(seen) == 5 and all(m is seen[0] for m in seen)  # one mask per sequence
    assert cell._dropout_mask is None  # cleared after the call
    layer(torch.ones(4, 5, 2), training=True)
    assert not torch.equal(seen[0], seen[-1])  # a new sequence, new masks
    out = layer(torch.ones(4, 5, 2), training=False)
    assert out.shape == (4, 3)
