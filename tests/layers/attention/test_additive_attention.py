"""AdditiveAttention (Bahdanau-style): Keras's ``additive_attention_test.py`` and parity."""

import json

import numpy as np
import pytest
import torch

import torch_keraslike as tkl
from attention_helpers import data, numpy_of, randomize
from keras_reference import import_keras, to_numpy

L = tkl.layers


def test_basics_weights_and_config():
    layer = L.AdditiveAttention(dropout=0.5)
    out = layer([torch.ones(2, 3, 4), torch.ones(2, 5, 4)], training=False)
    assert out.shape == (2, 3, 4) and [w.shape for w in layer.get_weights()] == [(4,)]
    assert L.AdditiveAttention(use_scale=False)([torch.ones(2, 3, 4), torch.ones(2, 5, 4)]).shape == (2, 3, 4)
    config = json.loads(json.dumps(layer.get_config()))
    assert "score_mode" not in config and config["use_scale"] and config["dropout"] == 0.5
    clone = L.AdditiveAttention.from_config(config)
    clone([torch.ones(2, 3, 4), torch.ones(2, 5, 4)])
    clone.set_weights(layer.get_weights())
    torch.testing.assert_close(clone([torch.ones(2, 3, 4), torch.ones(2, 5, 4)], training=False), out)
    symbolic = L.AdditiveAttention()([tkl.Input((3, 4)), tkl.Input((5, 4))])
    assert symbolic.shape == (None, 3, 4)


def test_correctness_and_masks():
    query = np.array([[[1.0, 0.0], [0.0, 1.0]]], "float32")
    key = np.array([[[0.0, 1.0], [1.0, 0.0]]], "float32")
    value = np.array([[[1.0, 2.0], [3.0, 4.0]]], "float32")
    out, scores = L.AdditiveAttention(use_scale=False)([query, value, key], return_attention_scores=True)
    np.testing.assert_allclose(numpy_of(out)[0], [[1.727, 2.727], [2.272, 3.272]], atol=1e-3)
    np.testing.assert_allclose(numpy_of(scores)[0], [[0.636, 0.363], [0.363, 0.636]], atol=1e-3)
    masks = [np.array([[True, False]]), np.array([[True, False]])]
    out, scores = L.AdditiveAttention(use_scale=False)([query, np.ones((1, 2, 2), "float32")], mask=masks,
                                                       return_attention_scores=True)
    np.testing.assert_allclose(numpy_of(out), [[[1.0, 1.0], [0.0, 0.0]]])
    np.testing.assert_allclose(numpy_of(scores), [[[1.0, 0.0], [1.0, 0.0]]])


def test_errors():
    layer = L.AdditiveAttention()
    tensor = np.ones((1, 2, 2), "float32")
    with pytest.raises(ValueError, match="must be called on a list"):
        layer(tensor)
    with pytest.raises(ValueError, match="length 2 or 3"):
        layer([tensor] * 4)
    with pytest.raises(ValueError, match="layer mask must be a list"):
        layer([tensor, tensor], mask=tensor)
    with pytest.raises(TypeError, match="score_mode"):
        L.AdditiveAttention(score_mode="dot")


@pytest.mark.parametrize("use_scale", [True, False])
def test_keras_parity_with_masks(use_scale):
    keras = import_keras()
    ours, theirs = L.AdditiveAttention(use_scale=use_scale), keras.layers.AdditiveAttention(use_scale=use_scale)
    inputs = [data(3, 5, 6), data(3, 4, 6, seed=2)]
    masks = [np.array([[1, 1, 1, 0, 0], [1] * 5, [0] * 5], bool), np.array([[1, 1, 0, 0], [1] * 4, [0] * 4], bool)]
    ours(inputs), theirs(inputs)
    if use_scale:
        theirs.set_weights(randomize(ours))
    for call in ({}, {"return_attention_scores": True, "use_causal_mask": True}):
        a = ours(inputs, mask=masks, **call)
        b = theirs([torch.tensor(i) for i in inputs], mask=[torch.tensor(m) for m in masks], **call)
        for p, q in zip(a if isinstance(a, tuple) else [a], b if isinstance(b, tuple) else [b]):
            np.testing.assert_allclose(numpy_of(p), to_numpy(q), rtol=1e-5, atol=1e-6)
