"""ConvLSTM1D/2D/3D: shapes, weights, masks, data formats, errors, Keras parity."""

import json

import numpy as np
import pytest
import torch

import torch_keraslike as tkl
from keras_reference import import_keras, to_numpy
from layer_testing import run_layer_test
from rnn_cells import data, numpy_of, randomize

L = tkl.layers


@pytest.mark.parametrize("cls, kwargs, input_shape, expected_shape", [
    (L.ConvLSTM1D, {"filters": 5, "kernel_size": 3, "padding": "same"}, (3, 2, 4, 3), (3, 4, 5)),
    (L.ConvLSTM1D, {"filters": 5, "kernel_size": 3, "return_sequences": True, "strides": 2}, (3, 2, 7, 3),
     (3, 2, 3, 5)),
    (L.ConvLSTM2D, {"filters": 3, "kernel_size": 2, "padding": "same", "data_format": "channels_first",
                    "recurrent_dropout": 0.2, "dropout": 0.2}, (2, 3, 2, 4, 4), (2, 3, 4, 4)),
    (L.ConvLSTM3D, {"filters": 2, "kernel_size": 3}, (2, 2, 5, 5, 5, 2), (2, 3, 3, 3, 2)),
])
def test_basics(cls, kwargs, input_shape, expected_shape):
    run_layer_test(cls, kwargs, input_shape, expected_shape, 3, training="dropout" in kwargs)


def test_weights_states_and_config():
    layer = L.ConvLSTM2D(4, (3, 2), padding="same", return_state=True)
    out, h, c = layer(torch.ones(2, 3, 6, 5, 2))
    assert out.shape == h.shape == c.shape == (2, 6, 5, 4)
    assert [w.shape for w in layer.get_weights()] == [(3, 2, 2, 16), (3, 2, 4, 16), (16,)]
    assert layer.compute_output_shape((None, 3, 6, 5, 2)) == ((None, 6, 5, 4), (None, 6, 5, 4), (None, 6, 5, 4))
    config = json.loads(json.dumps(layer.get_config()))
    assert config["kernel_size"] == [3, 2] and config["filters"] == 4 and "cell" not in config
    clone = L.ConvLSTM2D.from_config(config)
    assert json.loads(json.dumps(clone.get_config())) == config
    out, h, c = layer(torch.ones(2, 3, 6, 5, 2), initial_state=[h, c])
    with pytest.raises(ValueError, match=r"initial states must have the shapes.*\(2, 6, 5, 4\)"):
        layer(torch.ones(2, 3, 6, 5, 2), initial_state=[torch.zeros(2, 4), torch.zeros(2, 4)])


def test_errors():
    with pytest.raises(ValueError, match="static input shapes for the spatial dimension"):
        L.ConvLSTM2D(2, 3)(tkl.Input((3, None, 5, 2)))
    with pytest.raises(ValueError, match=r"`strides > 1` not supported in conjunction with `dilation_rate > 1`"):
        L.ConvLSTM2D(2, 3, strides=2, dilation_rate=2)
    with pytest.raises(ValueError, match="padding must be one of"):
        L.ConvLSTM1D(2, 3, padding="full")
    layer = L.ConvLSTM2D(2, 3)
    layer(torch.ones(1, 2, 5, 5, 3))
    with pytest.raises(ValueError, match="expected shape="):
        layer(torch.ones(1, 2, 6, 5, 3))


@pytest.mark.parametrize("kwargs, mask", [
    ({"padding": "same", "return_sequences": True}, None),
    ({"strides": 2, "go_backwards": True, "return_state": True}, np.array([[1, 1, 0, 0], [1, 0, 1, 1]], bool)),
    ({"data_format": "channels_first", "dilation_rate": 2, "return_sequences": True,
      "zero_output_for_mask": True}, np.array([[1, 1, 1, 0], [0, 1, 1, 1]], bool)),
])
def test_keras_parity_2d(kwargs, mask):
    keras = import_keras()
    ours, theirs = L.ConvLSTM2D(3, (3, 2), **kwargs), keras.layers.ConvLSTM2D(3, (3, 2), **kwargs)
    x = data(2, 4, 7, 6, 3)
    ours(x), theirs(x)
    theirs.set_weights(randomize(ours, scale=0.3))
    call = {} if mask is None else {"mask": mask}
    a, b = ours(x, **call), theirs(x, **call)
    for p, q in zip(a if isinstance(a, tuple) else [a], b if isinstance(b, tuple) else [b]):
        np.testing.assert_allclose(numpy_of(p), to_numpy(q), rtol=1e-5, atol=1e-6)
