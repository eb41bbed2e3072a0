"""Masking, and masks as Keras consumes them: the issue's Embedding -> pooling case,
masked pooling against Keras, masks through Sequential models into an LSTM."""

import json
import warnings

import numpy as np
import pytest
import torch

import torch_keraslike as tkl
from keras_reference import import_keras, to_numpy
from layer_testing import run_layer_test

L = tkl.layers


def test_basics():
    layer, out = run_layer_test(L.Masking, {"mask_value": 0.0}, (2, 3, 2), (2, 3, 2), 0)
    assert layer.supports_masking and out._keras_mask.shape == (2, 3)


def test_correctness_and_mask():
    x = np.array([[[0.0, 0.0], [1.0, 2.0], [0.0, 0.0]], [[2.0, 2.0], [0.0, 0.0], [2.0, 1.0]]], "float32")
    expected = [[False, True, False], [True, False, True]]
    layer = L.Masking(mask_value=0.0)
    np.testing.assert_array_equal(layer.compute_mask(torch.tensor(x)).numpy(), expected)
    out = layer(x)
    np.testing.assert_array_equal(out._keras_mask.numpy(), expected)
    np.testing.assert_array_equal(L.Masking(mask_value=2.0)(x)[1].numpy(), [[0, 0], [0, 0], [2, 1]])


def test_downstream_layer_receives_the_mask():
    seen = {}

    class Probe(tkl.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.supports_masking = True

        def call(self, inputs, mask=None):
            seen["mask"] = mask
            return inputs

        def compute_output_shape(self, input_shape):
            return input_shape

    x = np.array([[[0.0, 0.0], [1.0, 2.0], [0.0, 0.0]]], "float32")
    tkl.Sequential([L.Masking(mask_value=0.0), Probe()])(x)
    np.testing.assert_array_equal(seen["mask"].numpy(), [[False, True, False]])


def test_masking_into_an_lstm_and_a_config_round_trip():
    model = tkl.Sequential([tkl.Input((3, 2)), L.Masking(mask_value=0.0), L.LSTM(1)])
    x = np.array([[[1.0, 2.0], [0.0, 0.0], [0.0, 0.0]], [[2.0, 2.0], [2.0, 1.0], [0.0, 0.0]]], "float32")
    out = model(x)
    # The padded steps change nothing: the same as the unpadded sequences.
    torch.testing.assert_close(out[0], model.layers[-1](torch.tensor(x[:1, :1]))[0])
    clone = tkl.Sequential.from_config(json.loads(json.dumps(model.get_config())))
    clone(x)
    clone.set_weights(model.get_weights())
    torch.testing.assert_close(clone(x), out)


def test_bad_mask_value():
    with pytest.raises(ValueError, match=r"mask_value must be a number, received mask_value='0'"):
        L.Masking(mask_value="0")


def test_issue_example_embedding_into_global_average_pooling():
    # The issue: Embedding(5, 1, mask_zero=True) -> GlobalAveragePooling1D gave 0.75
    # where Keras gives 1.5: the padding must not enter the mean.
    embedding = L.Embedding(5, 1, mask_zero=True, embeddings_initializer="ones")
    embedding(torch.tensor([[0]]))
    embedding.set_weights([np.arange(5, dtype="float32")[:, None]])
    model = tkl.Sequential([tkl.Input((4,), dtype="int64"), embedding, L.GlobalAveragePooling1D()])
    out = model(np.array([[1, 2, 0, 0]]))
    np.testing.assert_allclose(out.detach().numpy(), [[1.5]])


def test_global_max_pooling_1d_ignores_masks_as_keras_does():
    ids = torch.tensor([[3, 1, 0, 0]])
    x = L.Embedding(5, 2, mask_zero=True)(ids)
    with pytest.warns(UserWarning, match="does not support masking and will therefore destroy the mask"):
        out = L.GlobalMaxPooling1D()(x)
    torch.testing.assert_close(out, x.amax(1))


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_masked_pooling_matches_keras(data_format):
    keras = import_keras()
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 5, 4)).astype("float32")
    if data_format == "channels_first":
        x = x.transpose(0, 2, 1).copy()
    mask = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1], [0, 1, 0, 1, 0]], bool)
    for keepdims in (False, True):
        ours = L.GlobalAveragePooling1D(data_format=data_format, keepdims=keepdims)
        theirs = keras.layers.GlobalAveragePooling1D(data_format=data_format, keepdims=keepdims)
        np.testing.assert_allclose(ours(x, mask=mask).numpy(), to_numpy(theirs(x, mask=mask)), rtol=1e-5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # both warn that the mask stops here
        ids = np.array([[3, 1, 0, 0], [2, 2, 2, 1]])
        ours_embedding, theirs_embedding = L.Embedding(5, 2, mask_zero=True), keras.layers.Embedding(
            5, 2, mask_zero=True)
        ours_embedding(ids), theirs_embedding(ids)
        theirs_embedding.set_weights(ours_embedding.get_weights())
        ours_out = L.GlobalMaxPooling1D()(ours_embedding(ids))
        theirs_out = keras.layers.GlobalMaxPooling1D()(theirs_embedding(ids))
    np.testing.assert_allclose(ours_out.detach().numpy(), to_numpy(theirs_out), rtol=1e-6)
