"""LSTM and GRU: Keras's weights and formulas, fused kernels and the Python-loop fallback."""

import json

import numpy as np
import pytest
import torch

import torch_keraslike as tkl
from layer_testing import run_layer_test
from torch_keraslike.layers.recurrent import GRU, LSTM


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _hard_sigmoid(x):  # Keras 3: relu6(x + 3) / 6
    return np.clip(x + 3, 0, 6) / 6


def _numpy_lstm(x, kernel, recurrent_kernel, bias=None, h=None, c=None, go_backwards=False,
                act=np.tanh, rec_act=_sigmoid):
    """Keras's LSTM cell, step by step in NumPy (float64), gates i, f, c, o."""
    batch, steps, _ = x.shape
    units = recurrent_kernel.shape[0]
    h = np.zeros((batch, units)) if h is None else h
    c = np.zeros((batch, units)) if c is None else c
    x = x[:, ::-1] if go_backwards else x
    outputs = []
    for t in range(steps):
        z = x[:, t] @ kernel + h @ recurrent_kernel + (0 if bias is None else bias)
        z_i, z_f, z_c, z_o = np.split(z, 4, axis=-1)
        c = rec_act(z_f) * c + rec_act(z_i) * act(z_c)
        h = rec_act(z_o) * act(c)
        outputs.append(h)
    return np.stack(outputs, axis=1), h, c


def _numpy_gru(x, kernel, recurrent_kernel, bias=None, reset_after=True, h=None, go_backwards=False,
               act=np.tanh, rec_act=_sigmoid):
    """Keras's GRU cell, step by step in NumPy (float64), gates z, r, h."""
    batch, steps, _ = x.shape
    u = recurrent_kernel.shape[0]
    h = np.zeros((batch, u)) if h is None else h
    x = x[:, ::-1] if go_backwards else x
    if bias is None:
        input_bias, recurrent_bias = 0, 0
    elif reset_after:
        input_bias, recurrent_bias = bias[0], bias[1]
    else:
        input_bias, recurrent_bias = bias, None
    outputs = []
    for t in range(steps):
        x_z, x_r, x_h = np.split(x[:, t] @ kernel + input_bias, 3, axis=-1)
        if reset_after:
            inner = h @ recurrent_kernel + recurrent_bias
            z = rec_act(x_z + inner[:, :u])
            r = rec_act(x_r + inner[:, u:2 * u])
            candidate = act(x_h + r * inner[:, 2 * u:])
        else:
            z = rec_act(x_z + h @ recurrent_kernel[:, :u])
            r = rec_act(x_r + h @ recurrent_kernel[:, u:2 * u])
            candidate = act(x_h + (r * h) @ recurrent_kernel[:, 2 * u:])
        h = z * h + (1 - z) * candidate
        outputs.append(h)
    return np.stack(outputs, axis=1), h


def _randomize(layer, seed=0):
    rng = np.random.default_rng(seed)
    layer.set_weights([rng.standard_normal(w.shape).astype(np.float32) * 0.5 for w in layer.get_weights()])
    return [w.astype(np.float64) for w in layer.get_weights()]


def _data(*shape, seed=1):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def _close(actual, expected):
    np.testing.assert_allclose(actual.detach().numpy(), expected, rtol=1e-4, atol=1e-5)


# ------------------------------------------------------------- common checks
@pytest.mark.parametrize(
    "cls, kwargs, expected_shape, weights",
    [
        (LSTM, {"units": 4}, (2, 4), 3),
        (LSTM, {"units": 4, "return_sequences": True, "use_bias": False}, (2, 5, 4), 2),
        (LSTM, {"units": 4, "activation": "relu"}, (2, 4), 3),  # Python loop
        (GRU, {"units": 4, "return_sequences": True}, (2, 5, 4), 3),
        (GRU, {"units": 4, "reset_after": False}, (2, 4), 3),  # Python loop
    ],
)
def test_rnn_common(cls, kwargs, expected_shape, weights):
    run_layer_test(cls, kwargs, (2, 5, 3), expected_shape, weights)


def test_weights_in_keras_layout_and_unit_forget_bias():
    lstm = LSTM(3)
    lstm(torch.ones(2, 4, 5))
    assert [w.shape for w in lstm.get_weights()] == [(5, 12), (3, 12), (12,)]
    assert list(lstm.state_dict())[:3] == ["kernel", "recurrent_kernel", "bias"]
    np.testing.assert_array_equal(lstm.get_weights()[2], [0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0])
    plain = LSTM(3, unit_forget_bias=False, bias_initializer="ones")
    plain(torch.ones(2, 4, 5))
    np.testing.assert_array_equal(plain.get_weights()[2], np.ones(12))
    gru = GRU(3)
    gru(torch.ones(2, 4, 5))
    assert [w.shape for w in gru.get_weights()] == [(5, 9), (3, 9), (2, 9)]
    old = GRU(3, reset_after=False)
    old(torch.ones(2, 4, 5))
    assert old.get_weights()[2].shape == (9,)


# ---------------------------------------------------------------- numerics
@pytest.mark.parametrize("go_backwards", [False, True])
@pytest.mark.parametrize("use_bias", [True, False])
def test_lstm_matches_numpy_reference(go_backwards, use_bias):
    x = _data(2, 5, 3)
    layer = LSTM(4, use_bias=use_bias, go_backwards=go_backwards, return_sequences=True, return_state=True)
    layer(x)
    weights = _randomize(layer)
    h0, c0 = _data(2, 4, seed=2), _data(2, 4, seed=3)
    expected = _numpy_lstm(x.astype(np.float64), *weights, h=h0, c=c0, go_backwards=go_backwards)
    for actual, want in zip(layer(x, initial_state=[h0, c0]), expected):
        _close(actual, want)


@pytest.mark.parametrize("reset_after", [True, False])
@pytest.mark.parametrize("use_bias", [True, False])
def test_gru_matches_numpy_reference(reset_after, use_bias):
    x = _data(2, 5, 3)
    layer = GRU(4, reset_after=reset_after, use_bias=use_bias, go_backwards=reset_after,
                return_sequences=True, return_state=True)
    layer(x)
    weights = _randomize(layer)
    h0 = _data(2, 4, seed=2)
    if not use_bias:
        weights.append(None)
    expected = _numpy_gru(
        x.astype(np.float64), *weights, reset_after=reset_after, h=h0, go_backwards=reset_after
    )
    for actual, want in zip(layer(x, initial_state=h0), expected):
        _close(actual, want)


def test_custom_activations_run_the_loop_with_keras_formulas():
    x = _data(2, 5, 3)
    lstm = LSTM(4, activation="relu", recurrent_activation="hard_sigmoid", return_sequences=True)
    gru = GRU(4, activation="relu", recurrent_activation="hard_sigmoid", return_sequences=True)
    assert not lstm._fusable and not gru._fusable
    relu = lambda v: np.maximum(v, 0)  # noqa: E731
    lstm(x)
    gru(x)
    x64 = x.astype(np.float64)
    expected_lstm = _numpy_lstm(x64, *_randomize(lstm), act=relu, rec_act=_hard_sigmoid)[0]
    expected_gru = _numpy_gru(x64, *_randomize(gru), act=relu, rec_act=_hard_sigmoid)[0]
    _close(lstm(x), expected_lstm)
    _close(gru(x), expected_gru)


@pytest.mark.parametrize("cls", [LSTM, GRU])
def test_fused_kernel_and_loop_agree_with_gradients(cls):
    x = torch.randn(3, 6, 5)
    fused = cls(4, return_sequences=True)
    loop = cls(4, return_sequences=True, use_cudnn=False)
    fused(x)
    loop(x)
    loop.set_weights(fused.get_weights())
    assert fused._fusable and not loop._fusable
    out_fused, out_loop = fused(x), loop(x)
    torch.testing.assert_close(out_fused, out_loop)
    out_fused.square().sum().backward()
    out_loop.square().sum().backward()
    for a, b in zip(fused.weights, loop.weights):
        torch.testing.assert_close(a.grad, b.grad)


def test_fused_kernels_are_called_eagerly_and_when_compiled(monkeypatch):
    calls = []
    for name in ("lstm", "gru"):
        original = getattr(torch, name)

        def spy(*args, _original=original, _name=name):
            calls.append(_name)
            return _original(*args)

        monkeypatch.setattr(torch, name, spy)
    x = torch.randn(2, 4, 3)
    LSTM(2)(x)
    GRU(2)(x)
    GRU(2, reset_after=False)(x)
    LSTM(2, recurrent_dropout=0.5)(x, training=True)
    assert calls == ["lstm", "gru"]
    monkeypatch.undo()

    graphs = []

    def recording_backend(gm, example_inputs):
        graphs.append(gm.code)
        return gm.forward

    for cls, op in ((LSTM, "torch.lstm"), (GRU, "torch.gru")):
        layer = cls(3, return_state=True, go_backwards=True)
        layer.eval()
        h0 = torch.randn(2, 3)
        states = [h0, h0] if cls is LSTM else [h0]
        eager = layer(x, initial_state=states)
        compiled = torch.compile(layer, backend=recording_backend, fullgraph=True)(x, initial_state=states)
        for a, b in zip(compiled, eager):
            torch.testing.assert_close(a, b)
        assert op in graphs[-1] and "for " not in graphs[-1]
        torch._dynamo.reset()


# ----------------------------------------------------- outputs and states
def test_return_state_and_go_backwards():
    x = torch.randn(2, 5, 3)
    layer = LSTM(4, return_sequences=True, return_state=True)
    out, h, c = layer(x)
    assert out.shape == (2, 5, 4) and h.shape == c.shape == (2, 4)
    torch.testing.assert_close(out[:, -1], h)
    last, h2, _ = LSTM.from_config(layer.get_config() | {"return_sequences": False, "name": "b"})(x)
    assert last.shape == (2, 4) and torch.equal(last, h2)
    backwards = GRU(4, go_backwards=True, return_sequences=True)
    forwards = GRU(4, return_sequences=True)
    backwards(x)
    forwards(x)
    forwards.set_weights(backwards.get_weights())
    # Keras returns the sequence in processing (reversed) order.
    torch.testing.assert_close(backwards(x), forwards(x.flip(1)))
    assert len(GRU(4, return_state=True)(x)) == 2
    assert layer.compute_output_shape((None, 5, 3)) == [(None, 5, 4), (None, 4), (None, 4)]


def test_initial_state_validation():
    x = torch.randn(2, 5, 3)
    with pytest.raises(ValueError, match=r"list of 2 tensor\(s\) \[h, c\]"):
        LSTM(4)(x, initial_state=torch.zeros(2, 4))
    with pytest.raises(ValueError, match=r"must have shape \(batch, units\) = \(2, 4\), received \(2, 3\)"):
        GRU(4)(x, initial_state=[torch.zeros(2, 3)])


# ------------------------------------------------------------------ dropout
@pytest.mark.parametrize("cls", [LSTM, GRU])
def test_dropout_only_in_training_and_seeded(cls):
    x = torch.randn(4, 5, 3)
    plain = cls(4)
    dropped = cls(4, dropout=0.5, recurrent_dropout=0.3, seed=3)
    plain(x)
    dropped(x)
    dropped.set_weights(plain.get_weights())
    torch.testing.assert_close(dropped(x, training=False), plain(x))  # inference: fused, no dropout
    training = dropped(x, training=True)
    assert not torch.allclose(training, plain(x, training=False))
    again = cls(4, dropout=0.5, recurrent_dropout=0.3, seed=3)
    again(x)
    again.set_weights(plain.get_weights())
    torch.testing.assert_close(again(x, training=True), training)
    input_only = cls(4, dropout=0.5)  # keeps the fused kernel while training
    assert input_only(x, training=True).shape == (4, 4)


# ------------------------------------------------------- config and errors
def test_config_round_trip_keras_arguments():
    layer = GRU(3, dropout=0.1, seed=5, reset_after=False, kernel_regularizer="l2",
                recurrent_constraint="non_neg", unroll=True, zero_output_for_mask=True)
    config = json.loads(json.dumps(layer.get_config()))
    assert config["reset_after"] is False and config["seed"] == 5 and config["stateful"] is False
    clone = GRU.from_config(config)
    assert isinstance(clone.recurrent_constraint, tkl.constraints.NonNeg)
    clone(torch.randn(2, 4, 3))
    assert len(clone.losses) == 1
    assert LSTM.from_config(LSTM(2, unit_forget_bias=False).get_config()).unit_forget_bias is False


def test_rejects_bad_inputs_and_masks():
    layer = LSTM(2)
    with pytest.raises(ValueError, match="expected ndim=3, found ndim=2"):
        layer(torch.ones(2, 3))
    layer(torch.ones(2, 4, 3))
    with pytest.raises(ValueError, match="expected axis -1 of input shape to have value 3"):
        layer(torch.ones(2, 4, 5))
    with pytest.raises(NotImplementedError, match="masking"):
        layer(torch.ones(2, 4, 3), mask=torch.ones(2, 4, dtype=torch.bool))


@pytest.mark.parametrize("cls", [LSTM, GRU])
@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"units": 0}, ValueError, "units must be a positive integer"),
        ({"units": 2.5}, ValueError, "units must be a positive integer"),
        ({"units": 2, "dropout": 1.2}, ValueError, r"dropout must be a float in \[0, 1\)"),
        ({"units": 2, "recurrent_dropout": -0.1}, ValueError, r"recurrent_dropout must be a float"),
        ({"units": 2, "use_cudnn": "yes"}, ValueError, "use_cudnn must be 'auto', True or False"),
        ({"units": 2, "use_cudnn": True, "activation": "relu"}, ValueError, "use_cudnn=True was specified"),
        ({"units": 2, "stateful": True}, NotImplementedError, "stateful=True is not supported"),
    ],
)
def test_bad_constructor_arguments(cls, kwargs, error, match):
    with pytest.raises(error, match=match):
        cls(**kwargs)


def test_gru_use_cudnn_true_needs_reset_after():
    with pytest.raises(ValueError, match="reset_after=True"):
        GRU(2, reset_after=False, use_cudnn=True)
    assert GRU(2, use_cudnn=True)._fusable
