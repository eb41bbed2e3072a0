"""Attention (Luong-style): Keras's ``attention_test.py`` numbers, masks, errors, the
fused path, and parity with Keras."""

import json

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import torch_keraslike as tkl
from attention_helpers import data, numpy_of, randomize
from keras_reference import import_keras, to_numpy
from layer_testing import run_layer_test

L = tkl.layers
_QUERY = np.array([[[1.0, 0.0], [0.0, 1.0]]], "float32")
_KEY = np.array([[[0.0, 1.0], [1.0, 0.0]]], "float32")
_VALUE = np.array([[[1.0, 2.0], [3.0, 4.0]]], "float32")


class _ListInput(L.Attention):
    """run_layer_test drives one input: the query attends over itself."""

    def call(self, inputs, training=False):
        return super().call([inputs, inputs], training=training)

    def build(self, input_shape):
        super().build([input_shape, input_shape])

    def compute_mask(self, inputs, mask=None):
        return None

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)


@pytest.mark.parametrize("kwargs, weights", [
    ({"score_mode": "dot", "dropout": 0.5}, 0),
    ({"use_scale": True, "score_mode": "concat", "dropout": 0.5}, 2),
])
def test_basics(kwargs, weights):
    run_layer_test(_ListInput, kwargs, (2, 3, 4), (2, 3, 4), weights)
    layer = L.Attention(**kwargs)
    assert layer([torch.ones(2, 3, 4), torch.ones(2, 5, 4)]).shape == (2, 3, 4)
    assert [k for k in layer.state_dict() if "extra" not in k] == (
        ["scale", "concat_score_weight"] if weights else [])


@pytest.mark.parametrize("score_mode, output, scores", [
    ("dot", [[2.462, 3.462], [1.538, 2.538]], [[0.269, 0.731], [0.731, 0.269]]),
    ("concat", [[1.727, 2.727], [2.272, 3.272]], [[0.636, 0.363], [0.363, 0.636]]),
])
def test_correctness(score_mode, output, scores):
    out, weights = L.Attention(score_mode=score_mode)([_QUERY, _VALUE, _KEY], return_attention_scores=True)
    np.testing.assert_allclose(numpy_of(out)[0], output, atol=1e-3)
    np.testing.assert_allclose(numpy_of(weights)[0], scores, atol=1e-3)
    fused = L.Attention(score_mode=score_mode)([_QUERY, _VALUE, _KEY])
    np.testing.assert_allclose(numpy_of(fused)[0], output, atol=1e-3)


def test_masks_and_output_mask():
    query, value = np.array([[[1.0, 0.0], [0.0, 1.0]]], "float32"), np.ones((1, 2, 2), "float32")
    masks = [np.array([[True, False]]), np.array([[True, False]])]
    out, scores = L.Attention()([query, value], mask=masks, return_attention_scores=True)
    np.testing.assert_allclose(numpy_of(out), [[[1.0, 1.0], [0.0, 0.0]]])
    np.testing.assert_allclose(numpy_of(scores), [[[1.0, 0.0], [1.0, 0.0]]])
    torch.testing.assert_close(out._keras_mask, torch.tensor(masks[0]))
    batch, tq, tv, dim = 2, 3, 4, 5
    out, scores = L.Attention()([data(batch, tq, dim), data(batch, tv, dim)], return_attention_scores=True,
                                mask=[np.array([[1, 0, 1]] * 2, bool), np.array([[1, 0, 1, 1]] * 2, bool)])
    assert out.shape == (batch, tq, dim) and scores.shape == (batch, tq, tv)
    ids = torch.tensor([[1, 2, 0], [3, 0, 0]])
    embedded = L.Embedding(4, 5, mask_zero=True)(ids)
    out = L.Attention()([embedded, embedded])
    torch.testing.assert_close(out._keras_mask, ids != 0)


def test_score_masks_and_compute_mask():
    layer = L.Attention()
    q, k = torch.rand(2, 3, 4), torch.rand(2, 4, 4)
    assert layer._score_mask(q, k, None, False) is None
    causal = layer._score_mask(q, k, None, True)
    torch.testing.assert_close(causal, torch.ones(3, 4).tril().bool())
    v_mask = torch.tensor([[True, False, True, False]])
    torch.testing.assert_close(layer._score_mask(q, k, v_mask, True), causal & v_mask[:, None, :])
    inputs = [torch.rand(2, 3, 4), torch.rand(2, 4, 4)]
    assert layer.compute_mask(inputs, None) is None
    assert layer.compute_mask(inputs, [None, torch.tensor([True, False, True])]) is None
    valid = torch.tensor([True, False, True])
    torch.testing.assert_close(layer.compute_mask(inputs, [valid, torch.tensor([False, True, False])]), valid)


def test_errors():
    layer = L.Attention(name="att")
    tensor = np.ones((1, 2, 2), "float32")
    with pytest.raises(ValueError, match=r'Layer "att".*must be called on a list'):
        layer(tensor)
    with pytest.raises(ValueError, match="length 2 or 3"):
        layer([tensor] * 4)
    with pytest.raises(ValueError, match="layer mask must be a list"):
        layer([tensor, tensor], mask=tensor)
    with pytest.raises(ValueError, match="length 2 or 3"):
        layer([tensor, tensor], mask=[tensor])
    with pytest.raises(ValueError, match="same last axis"):
        layer([np.ones((1, 2, 3), "float32"), tensor])
    with pytest.raises(ValueError, match=r"Invalid value for argument score_mode. Expected one of \{'dot', 'concat'\}"):
        L.Attention(score_mode="invalid_mode")


def test_dropout_seed_and_config():
    query, value = np.array([[[1.0, 0.0], [0.0, 1.0]]], "float32"), np.array([[[1.0, 2.0], [3.0, 4.0]]], "float32")
    with_dropout = L.Attention(dropout=0.5, seed=1)
    out_a, scores_a = with_dropout([query, value], return_attention_scores=True, training=True)
    torch.testing.assert_close(scores_a, L.Attention()([query, value], return_attention_scores=True)[1])
    assert not torch.allclose(with_dropout([query, value], training=True), L.Attention()([query, value]))
    config = json.loads(json.dumps(L.Attention(dropout=0.5, seed=1337).get_config()))
    assert config["seed"] == 1337 and L.Attention.from_config(config).seed == 1337


def test_shapes_nd_inputs_and_symbolic():
    layer = L.Attention()
    query, value, key = np.random.random((2, 3, 4)), np.random.random((2, 3, 5)), np.random.random((2, 3, 4))
    assert layer([query, value, key]).shape == layer.compute_output_shape([query.shape, value.shape, key.shape])
    out, scores = layer([data(2, 8, 6, 4), data(2, 8, 6, 4, seed=2)], return_attention_scores=True)
    assert out.shape == (2, 8, 6, 4) and scores.shape == (2, 8, 6, 6)
    outputs = layer([data(2, 8, 16), data(2, 4, 16)], return_attention_scores=True)
    assert isinstance(outputs, tuple) and [t.shape for t in outputs] == [(2, 8, 16), (2, 8, 4)]
    x, y = tkl.Input((3, 5)), tkl.Input((4, 5))
    output, scores = L.Attention()([x, y], return_attention_scores=True)
    assert output.shape == (None, 3, 5) and scores.shape == (None, 3, 4)
    assert L.Attention()([x, y]).shape == (None, 3, 5)


def test_dot_mode_runs_on_the_fused_kernel(monkeypatch):
    calls = []
    original = F.scaled_dot_product_attention
    monkeypatch.setattr(F, "scaled_dot_product_attention", lambda *a, **k: calls.append(1) or original(*a, **k))
    layer = L.Attention(use_scale=True)
    query, value = torch.tensor(data(2, 3, 4)), torch.tensor(data(2, 5, 4))
    masks = [torch.tensor([[1, 1, 0], [1, 1, 1]]).bool(), torch.tensor([[1, 0, 1, 1, 0], [0, 0, 0, 0, 0]]).bool()]
    fused = layer([query, value], mask=masks, use_causal_mask=True)
    assert calls == [1]
    explicit, _ = layer([query, value], mask=masks, use_causal_mask=True, return_attention_scores=True)
    torch.testing.assert_close(fused, explicit)


@pytest.mark.parametrize("kwargs", [{}, {"use_scale": True}, {"score_mode": "concat", "use_scale": True}])
@pytest.mark.parametrize("call", [{}, {"return_attention_scores": True, "use_causal_mask": True}])
def test_keras_parity_with_masks(kwargs, call):
    keras = import_keras()
    ours, theirs = L.Attention(**kwargs), keras.layers.Attention(**kwargs)
    inputs = [data(3, 5, 6), data(3, 4, 6, seed=2)]
    masks = [np.array([[1, 1, 1, 0, 0], [1] * 5, [0] * 5], bool), np.array([[1, 1, 0, 0], [1] * 4, [0] * 4], bool)]
    ours(inputs), theirs(inputs)
    if ours.get_weights():
        theirs.set_weights(randomize(ours))
    a = ours(inputs, mask=masks, **call)
    b = theirs([torch.tensor(i) for i in inputs], mask=[torch.tensor(m) for m in masks], **call)
    for p, q in zip(a if isinstance(a, tuple) else [a], b if isinstance(b, tuple) else [b]):
        np.testing.assert_allclose(numpy_of(p), to_numpy(q), rtol=1e-5, atol=1e-6)
