"""Bidirectional: merge modes, backward_layer, states, masks (Keras's
``bidirectional_test.py``) and parity with Keras."""

import json

import numpy as np
import pytest
import torch

import torch_keraslike as tkl
from keras_reference import import_keras, to_numpy
from layer_testing import run_layer_test
from rnn_cells import MASKS, constant_initializers, data, numpy_of, randomize

L = tkl.layers


class _Bidirectional(L.Bidirectional):
    """run_layer_test passes one set of arguments to every layer it builds; the wrapped
    layers are recreated from the configs each time (as Bidirectional itself does)."""

    def __init__(self, layer, backward_layer=None, **kwargs):
        def copy(inner):  # (through serialize: the inner layer keeps its build state)
            return tkl.saving.deserialize(tkl.saving.serialize(inner))

        super().__init__(copy(layer), backward_layer=None if backward_layer is None else copy(backward_layer),
                         **kwargs)


@pytest.mark.parametrize("kwargs, expected_shape", [
    ({"layer": L.SimpleRNN(4)}, (3, 8)),
    ({"layer": L.SimpleRNN(4), "backward_layer": L.SimpleRNN(4, go_backwards=True), "merge_mode": "sum"}, (3, 4)),
    ({"layer": L.LSTM(4, return_sequences=True), "merge_mode": "ave"}, (3, 2, 4)),
    ({"layer": L.GRU(4), "merge_mode": "mul"}, (3, 4)),
])
def test_basics(kwargs, expected_shape):
    run_layer_test(_Bidirectional, kwargs, (3, 2, 4), expected_shape, 6)


def test_keras_numbers():
    sequence = np.arange(24, dtype="float32").reshape((2, 3, 4))
    forward = L.SimpleRNN(2, **constant_initializers())
    out = L.Bidirectional(forward)(sequence)
    np.testing.assert_allclose(numpy_of(out), [[0.39687276, 0.39687276, 0.10004295, 0.10004295],
                                               [0.7237238, 0.7237238, 0.53391594, 0.53391594]], rtol=1e-5)
    np.testing.assert_allclose(numpy_of(L.Bidirectional(forward, merge_mode="ave")(sequence))[:, 0],
                               [0.24845785, 0.6288199], rtol=1e-5)
    first, second = L.Bidirectional(forward, merge_mode=None)(sequence)
    np.testing.assert_allclose(numpy_of(second)[:, 0], [0.10004295, 0.53391594], rtol=1e-5)
    backward = L.SimpleRNN(2, kernel_initializer=tkl.initializers.Constant(0.03),
                           recurrent_initializer=tkl.initializers.Constant(0.02),
                           bias_initializer=tkl.initializers.Constant(0.01), go_backwards=True)
    out = L.Bidirectional(forward, backward_layer=backward, merge_mode="mul")(sequence)
    np.testing.assert_allclose(numpy_of(out)[:, 0], [0.08374989, 0.6740834], rtol=1e-5)
    gru = L.GRU(2, return_sequences=True, **constant_initializers())
    out = L.Bidirectional(gru, merge_mode="sum")(sequence)
    np.testing.assert_allclose(numpy_of(out)[0, :, 0], [0.20937867, 0.34462988, 0.40290534], rtol=1e-5)


def test_states_initial_states_and_statefulness():
    sequence = np.arange(24, dtype="float32").reshape((2, 4, 3))
    lstm = L.LSTM(2, return_state=True, **constant_initializers())
    out, h1, c1, h2, c2 = L.Bidirectional(lstm)(sequence)
    np.testing.assert_allclose(numpy_of(out)[:, [0, 2]], [[0.1990008, 0.12659755], [0.52335435, 0.44717982]],
                               rtol=1e-5)
    np.testing.assert_allclose(numpy_of(c2)[:, 0], [0.2501858, 0.941473], rtol=1e-5)
    initial = [np.arange(4, dtype="float32").reshape((2, 2)) * k for k in (1, 2, 3, 4)]
    out = L.Bidirectional(L.LSTM(2, **constant_initializers()))(sequence, initial_state=initial)
    np.testing.assert_allclose(numpy_of(out)[0], [0.20794602, 0.4577124, 0.14046375, 0.48191673], rtol=1e-5)
    stateful = L.Bidirectional(L.LSTM(2, stateful=True, **constant_initializers()))
    for _ in range(2):
        stateful(sequence)
        np.testing.assert_allclose(numpy_of(stateful(sequence))[0], [0.26234663, 0.26234663, 0.16959146,
                                                                     0.16959146], rtol=1e-5)
        stateful.reset_state()
    assert len(stateful.states) == 4
    with pytest.raises(AttributeError, match="Layer must be stateful"):
        L.Bidirectional(L.LSTM(2)).reset_state()


def test_masking_numbers_and_output_masks():
    sequence = np.arange(24, dtype="float32").reshape((2, 4, 3))
    mask = np.array([[True, True, False, True], [True, False, False, True]])
    out = L.Bidirectional(L.GRU(2, **constant_initializers()))(sequence, mask=mask)
    np.testing.assert_allclose(numpy_of(out)[:, [0, 2]], [[0.19393763, 0.11669192], [0.30818558, 0.28380975]],
                               rtol=1e-5)
    ids = torch.tensor([[1, 2, 0], [3, 0, 0]])
    embedded = L.Embedding(4, 3, mask_zero=True)(ids)
    sequences = L.Bidirectional(L.LSTM(2, return_sequences=True))(embedded)
    torch.testing.assert_close(sequences._keras_mask, ids != 0)
    torch.testing.assert_close(sequences[1, 1:], torch.zeros(2, 4))  # both directions zero on padding
    assert getattr(L.Bidirectional(L.LSTM(2))(embedded), "_keras_mask", None) is None


def test_output_shapes_match_compute_output_shape():
    x = np.array([[[101, 202], [303, 404]]], "float32")
    for merge_mode in ["ave", "concat", "mul", "sum", None]:
        for return_state in (False, True):
            layer = L.Bidirectional(L.LSTM(2, return_state=return_state), merge_mode=merge_mode)
            out = layer(x)
            expected = layer.compute_output_shape(x.shape)
            outs = out if isinstance(out, tuple) else [out]
            shapes = expected if isinstance(expected[0], tuple) else [expected]
            assert [tuple(o.shape) for o in outs] == [tuple(s) for s in shapes]


def test_copies_keep_use_cudnn_and_config_round_trips():
    for cls in (L.GRU, L.LSTM):
        for use_cudnn in (True, False, "auto"):
            bidi = L.Bidirectional(cls(1, use_cudnn=use_cudnn))
            assert bidi.forward_layer.use_cudnn == use_cudnn == bidi.backward_layer.use_cudnn
    assert not hasattr(L.Bidirectional(L.SimpleRNN(1)).forward_layer, "use_cudnn")
    layer = L.Bidirectional(L.LSTM(3, name="enc"), backward_layer=L.GRU(3, go_backwards=True), merge_mode="sum")
    assert layer.forward_layer.name == "forward_enc" and layer.backward_layer.go_backwards
    x = torch.tensor(data(2, 4, 5))
    reference = layer(x)
    config = json.loads(json.dumps(layer.get_config()))
    clone = L.Bidirectional.from_config(config)
    assert clone.forward_layer.name == "forward_enc" and isinstance(clone.backward_layer, L.GRU)
    clone(x)
    clone.set_weights(layer.get_weights())
    torch.testing.assert_close(clone(x), reference)
    given = L.Bidirectional(L.LSTM(3), weights=layer.forward_layer.get_weights() * 2)
    given(x)
    for w, expected in zip(given.get_weights(), layer.forward_layer.get_weights() * 2):
        np.testing.assert_array_equal(w, expected)


@pytest.mark.parametrize("kwargs, match", [
    ({"layer": "lstm"}, "Please initialize `Bidirectional` layer with a `keras.layers.Layer` instance"),
    ({"layer": L.LSTM(2), "merge_mode": "max"}, "Invalid merge mode"),
    ({"layer": L.LSTM(2), "backward_layer": L.LSTM(2)}, "should have different `go_backwards`"),
    ({"layer": L.LSTM(2), "backward_layer": L.LSTM(2, go_backwards=True, return_sequences=True)},
     'same value for attribute "return_sequences"'),
    ({"layer": L.Dense(2)}, "wraps recurrent layers"),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        L.Bidirectional(**kwargs)


def test_bad_initial_state_changes_nothing():
    layer = L.Bidirectional(L.LSTM(2), name="bi")
    x = torch.ones(2, 3, 4)
    layer(x)
    weights = [w.clone() for w in layer.weights]
    with pytest.raises(ValueError, match=r'Layer "bi".*even count.*received 3'):
        layer(x, initial_state=[torch.zeros(2, 2)] * 3)
    for old, new in zip(weights, layer.weights):
        torch.testing.assert_close(old, new)


@pytest.mark.parametrize("mask", [None, "right", "left", "holes"])
@pytest.mark.parametrize("inner, kwargs", [
    ("LSTM", {"return_sequences": True}),
    ("LSTM", {"return_state": True, "merge_mode": None}),
    ("GRU", {"return_sequences": True, "merge_mode": "ave"}),
])
def test_keras_parity_masked(inner, kwargs, mask):
    keras = import_keras()
    merge = kwargs.pop("merge_mode", "concat")
    ours = L.Bidirectional(getattr(L, inner)(4, **kwargs), merge_mode=merge)
    theirs = keras.layers.Bidirectional(getattr(keras.layers, inner)(4, **kwargs), merge_mode=merge)
    x = data(3, 6, 5)
    ours(x), theirs(x)
    theirs.set_weights(randomize(ours))
    call = {} if mask is None else {"mask": MASKS[mask]}
    a, b = ours(x, **call), theirs(x, **call)
    for p, q in zip(a if isinstance(a, tuple) else [a], b if isinstance(b, tuple) else [b]):
        np.testing.assert_allclose(numpy_of(p), to_numpy(q), rtol=1e-5, atol=1e-6)
