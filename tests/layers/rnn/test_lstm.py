"""LSTM and LSTMCell: Keras's weights, numbers, masks, states and arguments; the fused
kernel (eager, masked, compiled) against the step loop and against Keras."""

import json

import numpy as np
import pytest
import torch

import torch_keraslike as tkl
from keras_reference import import_keras, to_numpy
from layer_testing import run_layer_test
from rnn_cells import MASKS, constant_initializers, data, numpy_of, randomize

L = tkl.layers


@pytest.mark.parametrize("kwargs, expected_shape, training", [
    ({"units": 3, "dropout": 0.5}, (3, 3), True),
    ({"units": 3, "dropout": 0.5, "recurrent_dropout": 0.5}, (3, 3), True),
    ({"units": 3, "return_sequences": True, "bias_regularizer": "l1", "kernel_regularizer": "l2",
      "recurrent_regularizer": "l2"}, (3, 2, 3), False),
    ({"units": 3, "activation": "relu", "use_bias": False}, (3, 3), False),
])
def test_basics(kwargs, expected_shape, training):
    layer, _ = run_layer_test(L.LSTM, kwargs, (3, 2, 4), expected_shape, 3 - ("use_bias" in kwargs),
                              training=training)
    if "kernel_regularizer" in kwargs:
        assert len(layer.losses) == 3


def test_weights_keras_layouts_names_and_unit_forget_bias():
    lstm = L.LSTM(3)
    lstm(torch.ones(2, 4, 5))
    assert [w.shape for w in lstm.get_weights()] == [(5, 12), (3, 12), (12,)]
    assert [k for k in lstm.state_dict() if "extra" not in k] == ["cell.kernel", "cell.recurrent_kernel",
                                                                   "cell.bias"]
    assert lstm.cell.name == "lstm_cell" and lstm.cell.kernel.shape == (12, 5)  # torch's layout inside
    np.testing.assert_array_equal(lstm.get_weights()[2], [0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0])
    plain = L.LSTM(3, unit_forget_bias=False, bias_initializer="ones")
    plain(torch.ones(2, 4, 5))
    np.testing.assert_array_equal(plain.get_weights()[2], np.ones(12))
    recurrent = lstm.get_weights()[1]  # orthogonal on Keras's (3, 12) layout: orthonormal rows
    np.testing.assert_allclose(recurrent @ recurrent.T, np.eye(3), atol=1e-5)


_SEQUENCE = np.arange(72, dtype="float32").reshape((3, 6, 4))


@pytest.mark.parametrize("implementation", [1, 2])
@pytest.mark.parametrize("kwargs, expected", [
    ({}, [0.6288687, 0.86899155, 0.9460773]),
    ({"go_backwards": True}, [0.35622165, 0.74789524, 0.8872726]),
    ({"unroll": True}, [0.6288687, 0.86899155, 0.9460773]),
    ({"unit_forget_bias": False}, [0.57019705, 0.8661914, 0.9459622]),
    ({"use_bias": False}, [0.54986924, 0.86226785, 0.9443936]),
    ({"use_cudnn": False}, [0.6288687, 0.86899155, 0.9460773]),
])
def test_keras_numbers(kwargs, expected, implementation):
    # Keras's lstm_test numbers: constant weights, the whole sequence.
    layer = L.LSTM(3, implementation=implementation, **constant_initializers(), **kwargs)
    np.testing.assert_allclose(numpy_of(layer(_SEQUENCE)), np.repeat(np.array(expected)[:, None], 3, 1),
                               rtol=1e-5, atol=1e-5)


def test_statefulness_and_reset():
    sequence = np.arange(24, dtype="float32").reshape((2, 3, 4))
    layer = L.LSTM(4, stateful=True, **constant_initializers())
    for _ in range(2):
        layer(sequence)
        out = layer(sequence)
        np.testing.assert_allclose(numpy_of(out), [[0.3124785] * 4, [0.6863672] * 4], rtol=1e-5)
        layer.reset_state()


def test_initial_state_and_go_backwards():
    sequence = np.arange(24, dtype="float32").reshape((2, 4, 3))
    initial = [np.arange(4, dtype="float32").reshape((2, 2))] * 2
    out = L.LSTM(2, **constant_initializers())(sequence, initial_state=initial)
    np.testing.assert_allclose(numpy_of(out), [[0.20574439, 0.3558822], [0.64930826, 0.66276]], rtol=1e-5)
    out = L.LSTM(2, go_backwards=True, **constant_initializers())(sequence, initial_state=initial)
    np.testing.assert_allclose(numpy_of(out), [[0.13281618, 0.2790356], [0.5839337, 0.5992567]], rtol=1e-5)


def test_masking_numbers():
    sequence = np.arange(24, dtype="float32").reshape((2, 4, 3))
    mask = np.array([[True, True, True, False], [True, True, False, False]])
    out = L.LSTM(2, unroll=True, **constant_initializers())(sequence, mask=mask)
    np.testing.assert_allclose(numpy_of(out), [[0.11755939] * 2, [0.28556206] * 2], rtol=1e-5)
    out = L.LSTM(2, return_sequences=True, **constant_initializers())(sequence, mask=mask)
    np.testing.assert_allclose(numpy_of(out)[:, :, 0], [[0.0158891, 0.05552048, 0.11755939, 0.11755939],
                                                        [0.14185596, 0.28556206, 0.28556206, 0.28556206]],
                               rtol=1e-5)
    out = L.LSTM(2, return_sequences=True, zero_output_for_mask=True, **constant_initializers())(
        sequence, mask=mask)
    np.testing.assert_allclose(numpy_of(out)[:, 2:, 0], [[0.11755939, 0.0], [0.0, 0.0]], rtol=1e-5)
    backwards = np.array([[False, True, True, True], [False, False, True, True]])
    out = L.LSTM(2, go_backwards=True, **constant_initializers())(sequence, mask=backwards)
    np.testing.assert_allclose(numpy_of(out), [[0.15341201] * 2, [0.3844719] * 2], rtol=1e-5)


# ------------------------------------------------------------- fused kernel
def _pair(**kwargs):
    """The same LSTM on the fused kernel and on the step loop."""
    fused, loop = L.LSTM(5, **kwargs), L.LSTM(5, use_cudnn=False, **kwargs)
    x = data(3, 6, 4)
    fused(x), loop(x)
    loop.set_weights(randomize(fused))
    return fused, loop, x


@pytest.mark.parametrize("mask", [None, *MASKS])
@pytest.mark.parametrize("kwargs", [
    {"return_sequences": True, "return_state": True},
    {"return_sequences": True, "go_backwards": True, "zero_output_for_mask": True},
    {"return_state": True, "go_backwards": True},
    # The last output only (Keras's default): a padded batch places one row per sequence.
    {},
    {"zero_output_for_mask": True},
    {"go_backwards": True},
])
def test_fused_kernel_matches_the_step_loop_with_gradients(mask, kwargs):
    fused, loop, x = _pair(**kwargs)
    call = {} if mask is None else {"mask": torch.tensor(MASKS[mask])}
    x = torch.tensor(x, requires_grad=True)
    a, b = fused(x, **call), loop(x, **call)
    for p, q in zip(a if isinstance(a, tuple) else [a], b if isinstance(b, tuple) else [b]):
        torch.testing.assert_close(p, q, rtol=1e-5, atol=1e-6)
    total = sum(t.sum() for t in (a if isinstance(a, tuple) else [a]))
    reference = sum(t.sum() for t in (b if isinstance(b, tuple) else [b]))
    grads = torch.autograd.grad(total, [x, *fused.parameters()])
    expected = torch.autograd.grad(reference, [x, *loop.parameters()])
    for g, e in zip(grads, expected):
        torch.testing.assert_close(g, e, rtol=1e-4, atol=1e-5)


def test_fused_kernel_runs_for_padding_at_either_end(monkeypatch):
    calls = []
    original = torch.lstm
    monkeypatch.setattr(torch, "lstm", lambda *a: calls.append(len(a)) or original(*a))
    layer = L.LSTM(3)
    x = torch.tensor(data(3, 6, 4))
    layer(x)
    for name in ("right", "left", "middle"):
        layer(x, mask=torch.tensor(MASKS[name]))
    assert len(calls) == 4
    layer(x, mask=torch.tensor(MASKS["holes"]))  # holes: the step loop
    assert len(calls) == 4
    L.LSTM(3, activation="relu")(x)
    assert len(calls) == 4


@pytest.mark.parametrize("go_backwards", [False, True])
def test_compiled_fullgraph_without_graph_breaks(go_backwards):
    layer = L.LSTM(4, return_sequences=True, return_state=True, go_backwards=go_backwards)
    x, mask = torch.tensor(data(3, 6, 4)), torch.tensor(MASKS["right"])
    layer(x)

    def run(x, mask):
        return layer(x, mask=mask), layer(x)

    assert torch._dynamo.explain(run)(x, mask).graph_break_count == 0
    compiled = torch.compile(run, backend="eager", fullgraph=True)(x, mask)
    for a, b in zip(_flat(compiled), _flat(run(x, mask))):
        torch.testing.assert_close(a, b)
    assert compiled[0][0]._keras_mask is not None  # the mask survives the compiled call
    torch._dynamo.reset()


def _flat(value):
    if isinstance(value, (list, tuple)):
        return [t for v in value for t in _flat(v)]
    return [value]


@pytest.mark.slow
def test_compiles_with_inductor_on_cpu_and_trains():
    layer = L.LSTM(4, return_sequences=True)
    x, mask = torch.tensor(data(3, 6, 4)), torch.tensor(MASKS["left"])
    layer(x)

    def loss(x, mask):
        return layer(x, mask=mask).square().sum()

    expected = torch.autograd.grad(loss(x, mask), list(layer.parameters()))
    compiled = torch.compile(loss, backend="inductor", fullgraph=True)
    grads = torch.autograd.grad(compiled(x, mask), list(layer.parameters()))
    for g, e in zip(grads, expected):
        torch.testing.assert_close(g, e, rtol=1e-4, atol=1e-5)
    torch._dynamo.reset()


# ------------------------------------------------------------------ dropout
def test_dropout_only_in_training_and_seeded():
    fused, loop, x = _pair(dropout=0.5, seed=3)
    torch.testing.assert_close(fused(x, training=False), loop(x, training=False))
    # Same seed, same first draw: the fused kernel applies the loop's per-sequence mask.
    torch.testing.assert_close(fused(x, training=True), loop(x, training=True), rtol=1e-5, atol=1e-6)
    assert not torch.allclose(fused(x, training=True), fused(x, training=False))
    per_gate = L.LSTM(5, dropout=0.5, recurrent_dropout=0.3, seed=3)
    per_gate(x)
    assert per_gate.cell.implementation == 1 and per_gate.cell.dropout_mask_count == 4
    assert not torch.allclose(per_gate(x, training=True), per_gate(x, training=False))


# --------------------------------------------------------------- arguments
def test_config_has_keras_arguments_and_round_trips():
    layer = L.LSTM(4, dropout=0.1, recurrent_dropout=0.2, seed=5, go_backwards=True, stateful=False,
                   unroll=True, use_cudnn=False, zero_output_for_mask=True, kernel_regularizer="l2",
                   name="encoder")
    config = json.loads(json.dumps(layer.get_config()))
    for key, value in {"units": 4, "dropout": 0.1, "recurrent_dropout": 0.2, "seed": 5, "go_backwards": True,
                       "unroll": True, "use_cudnn": False, "zero_output_for_mask": True,
                       "unit_forget_bias": True, "implementation": 1, "name": "encoder"}.items():
        assert config[key] == value, key
    assert "cell" not in config
    clone = L.LSTM.from_config(config)
    assert clone.get_config() == config
    assert clone.units == 4 and clone.activation is tkl.activations.tanh and clone.cell.seed == 5


def test_keras_legacy_implementation_argument():
    config = L.LSTM(3, **constant_initializers()).get_config()
    config["implementation"] = 0
    out = L.LSTM.from_config(config)(_SEQUENCE)
    np.testing.assert_allclose(numpy_of(out)[:, 0], [0.6288687, 0.86899155, 0.9460773], rtol=1e-5)


@pytest.mark.parametrize("kwargs, match", [
    ({"units": 0}, r"invalid value for argument `units`, expected a positive integer, got 0"),
    ({"units": 4, "dropout": 1.0}, r"dropout must be a float in \[0, 1\)"),
    ({"units": 4, "use_cudnn": "yes"}, r"Invalid value received for argument `use_cudnn`"),
    ({"units": 4, "implementation": 3}, "implementation must be 1"),
    ({"units": 4, "activation": "relu", "use_cudnn": True}, r"use_cudnn=True was specified.*use_cudnn='auto'"),
    ({"units": 4, "recurrent_dropout": 0.1, "use_cudnn": True}, "use_cudnn=True was specified"),
    ({"units": 4, "seed": 1.5}, "seed must be an int"),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        L.LSTM(**kwargs)


def test_bad_inputs_change_nothing():
    layer = L.LSTM(4, name="lstm")
    layer(torch.ones(2, 5, 3))
    weights = [w.clone() for w in layer.weights]
    with pytest.raises(ValueError, match=r'Input 0 of layer "lstm".*expected axis -1 of input shape to have value 3'):
        layer(torch.ones(2, 5, 4))
    with pytest.raises(ValueError, match="expected ndim=3, found ndim=2"):
        layer(torch.ones(2, 3))
    with pytest.raises(ValueError, match=r"initial_state to hold 2 state tensor\(s\) of shapes \[\(2, 4\), \(2, 4\)\]"):
        layer(torch.ones(2, 5, 3), initial_state=[torch.zeros(2, 4)])
    with pytest.raises(ValueError, match=r"mask must have shape \(batch, timesteps\)"):
        layer(torch.ones(2, 5, 3), mask=torch.ones(5, dtype=torch.bool))
    for old, new in zip(weights, layer.weights):
        torch.testing.assert_close(old, new)


def test_integer_inputs_and_symbolic_shapes():
    layer = L.LSTM(3, return_state=True)
    out, h, c = layer(torch.ones(2, 5, 4, dtype=torch.int64))
    assert out.dtype == torch.float32
    symbolic = L.LSTM(3, return_sequences=True, return_state=True)(tkl.Input((None, 4)))
    assert [t.shape for t in symbolic] == [(None, None, 3), (None, 3), (None, 3)]


@pytest.mark.parametrize("layer_class", [L.LSTM, L.GRU, L.SimpleRNN])
def test_a_masked_symbolic_build_leaves_no_fake_tensors_behind(layer_class):
    """Building under the fake mode of symbolic calls, with a mask, must not leave
    anything cached that later real calls pick up (fake outputs on real inputs)."""
    words = torch.tensor([[0, 0, 3, 4], [5, 6, 7, 8]])
    model = tkl.Sequential([tkl.Input((None,), dtype="int64"),
                            L.Embedding(10, 4, mask_zero=True), layer_class(3)])
    assert type(model(words)) is torch.Tensor
    assert type(layer_class(3)(torch.randn(2, 4, 4))) is torch.Tensor


# --------------------------------------------------------------------- cell
def test_cell_step_matches_the_layer():
    cell = L.LSTMCell(4)
    layer = L.RNN(cell, return_sequences=True)
    x = torch.tensor(data(2, 5, 3))
    sequence = layer(x)
    h = c = torch.zeros(2, 4)
    for t in range(5):
        out, (h, c) = cell(x[:, t], [h, c])
        torch.testing.assert_close(out, sequence[:, t])
    run_layer_test(L.RNN, {"cell": L.LSTMCell(3)}, (2, 4, 5), (2, 3), 3)


# ------------------------------------------------------------ Keras parity
@pytest.mark.parametrize("mask", [None, *MASKS])
@pytest.mark.parametrize("kwargs", [
    {"return_sequences": True, "return_state": True},
    {"go_backwards": True, "return_state": True},
    {"return_sequences": True, "zero_output_for_mask": True, "use_cudnn": False},
])
def test_keras_parity_masked(mask, kwargs):
    keras = import_keras()
    ours, theirs = L.LSTM(5, **kwargs), keras.layers.LSTM(5, **kwargs)
    x = data(3, 6, 4)
    ours(x), theirs(x)
    theirs.set_weights(randomize(ours))
    call = {} if mask is None else {"mask": MASKS[mask]}
    for a, b in zip(numpy_of(ours(x, **call)), to_numpy(theirs(x, **call))):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
