"""GroupedQueryAttention (Keras's ``grouped_query_attention_test.py``) and parity with
Keras."""

import json

import numpy as np
import pytest
import torch

import torch_keraslike as tkl
from attention_helpers import data, numpy_of, randomize, with_mask
from keras_reference import import_keras, to_numpy
from layer_testing import run_layer_test

L = tkl.layers
GQA = L.GroupedQueryAttention


class _SelfAttention(GQA):
    def call(self, query, training=None):
        return super().call(query, query, training=training)


@pytest.mark.parametrize("kwargs, weights", [
    ({"num_query_heads": 2, "num_key_value_heads": 2, "head_dim": 2}, 8),
    ({"num_query_heads": 4, "num_key_value_heads": 2, "head_dim": 2, "use_bias": False, "dropout": 0.5}, 4),
    ({"num_query_heads": 2, "num_key_value_heads": 1, "head_dim": 2, "use_gate": True}, 10),
])
def test_basics(kwargs, weights):
    run_layer_test(_SelfAttention, kwargs, (2, 8, 16), (2, 8, 16), weights)
    assert L.GroupQueryAttention is GQA


@pytest.mark.parametrize("query_dims, value_dims, key_dims, heads, kv_heads", [
    ((4, 8), (2, 8), None, 2, 2),
    ((4, 8), (2, 8), (2, 3), 4, 2),
    ((4, 8), (2, 8), (2, 3), 4, 1),
])
def test_compute_output_shape_and_weights(query_dims, value_dims, key_dims, heads, kv_heads):
    layer = GQA(num_query_heads=heads, num_key_value_heads=kv_heads, head_dim=2)
    query, value = torch.ones(7, *query_dims), torch.ones(7, *value_dims)
    key = None if key_dims is None else torch.ones(7, *key_dims)
    out = layer(query=query, value=value, key=key)
    assert out.shape == layer.compute_output_shape(query.shape, value.shape, None if key is None else key.shape)
    key_dim = (key_dims or value_dims)[-1]
    assert [w.shape for w in layer.get_weights()] == [
        (8, heads, 2), (heads, 2), (key_dim, kv_heads, 2), (kv_heads, 2), (8, kv_heads, 2), (kv_heads, 2),
        (heads, 2, 8), (8,)]


@pytest.mark.parametrize("query_shape, value_shape, key_shape", [
    ((2, 4, 8), (2, 2, 7), (2,)), ((2, 4, 8), (2, 2, 8), (2, 1, 7))])
def test_shape_mismatch_error(query_shape, value_shape, key_shape):
    with pytest.raises(ValueError, match="must be equal"):
        GQA(num_query_heads=4, num_key_value_heads=4, head_dim=2).compute_output_shape(
            query_shape, value_shape, key_shape)


def test_symbolic_shapes():
    layer = GQA(num_query_heads=4, num_key_value_heads=2, head_dim=8)
    query, value = tkl.Input((10, 32)), tkl.Input((15, 32))
    output, scores = layer(query, value, return_attention_scores=True)
    assert output.shape == (None, 10, 32) and scores.shape == (None, 4, 10, 15)
    assert layer(query, value).shape == (None, 10, 32)


def test_query_mask_propagation_and_masks_of_the_inputs():
    for gate in (False, True):
        layer = GQA(num_query_heads=2, num_key_value_heads=2, head_dim=2, use_gate=gate)
        ids = torch.tensor([[1, 2, 3, 0, 0], [3, 3, 1, 1, 2], [1, 0, 0, 0, 0]])
        query = L.Embedding(4, 8, mask_zero=True)(ids)
        value = L.Embedding(6, 8, mask_zero=True)(torch.tensor([[5, 4, 0], [3, 0, 0], [2, 1, 1]]))
        for causal in (False, True):
            output = layer(query=query, value=value, use_causal_mask=causal)
            torch.testing.assert_close(output._keras_mask, ids != 0)
            mask = np.array([[[1, 1, 0]] * 3 + [[0, 0, 0]] * 2] + [[[1, 0, 0]] * 5]
                            + [[[1, 1, 1]] + [[0, 0, 0]] * 4], bool)
            if causal:
                mask = mask & np.array([[[1, 0, 0], [1, 1, 0]] + [[1, 1, 1]] * 3], bool)
            plain = layer(query=query.detach().clone(), value=value.detach().clone(), attention_mask=mask)
            torch.testing.assert_close(output, plain)


def test_sliding_window_and_causal_fast_path():
    layer = GQA(head_dim=4, num_query_heads=4, num_key_value_heads=2, sliding_window=3)
    x = torch.tensor(data(1, 6, 8))
    _, scores = layer(x, x, use_causal_mask=True, return_attention_scores=True)
    i, j = np.indices((6, 6))
    window = (j <= i) & (i - j < 3)
    assert (numpy_of(scores)[0, 0][window] > 0).all() and (numpy_of(scores)[0, 0][~window] == 0).all()
    plain = GQA(head_dim=4, num_query_heads=4, num_key_value_heads=2)
    x = torch.tensor(data(2, 5, 16))
    fast = plain(x, x, use_causal_mask=True)
    torch.testing.assert_close(fast, plain(x, x, attention_mask=np.tril(np.ones((1, 5, 5), bool))),
                               atol=1e-5, rtol=1e-5)


def test_config_round_trip_and_activity_regularizer():
    layer = GQA(head_dim=2, num_query_heads=4, num_key_value_heads=2, sliding_window=5, use_gate=True,
                activity_regularizer="l2", seed=3)
    x = torch.tensor(data(2, 4, 8))
    reference = layer(x, x)
    assert len(layer.losses) == 6  # the five projections and the output, as in Keras
    config = json.loads(json.dumps(layer.get_config()))
    assert config["sliding_window"] == 5 and config["num_key_value_heads"] == 2 and config["seed"] == 3
    fresh = GQA.from_config(config)
    fresh.load_state_dict(layer.state_dict())
    torch.testing.assert_close(fresh(x, x), reference)


@pytest.mark.parametrize("kwargs, match", [
    ({"head_dim": 2, "num_query_heads": 3, "num_key_value_heads": 2}, "must be divisible"),
    ({"head_dim": 0, "num_query_heads": 2, "num_key_value_heads": 2}, "`head_dim` must be a positive"),
    ({"head_dim": 2, "num_query_heads": 2, "num_key_value_heads": 2, "sliding_window": 0}, "sliding_window"),
    ({"head_dim": 2, "num_query_heads": 2, "num_key_value_heads": 2, "flash_attention": True, "dropout": 0.1},
     "Dropout is not supported when flash attention is enabled"),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        GQA(**kwargs)


def test_sequences_only_and_flash_scores():
    layer = GQA(head_dim=2, num_query_heads=2, num_key_value_heads=1)
    with pytest.raises(ValueError, match="attends over sequences"):
        layer(torch.ones(2, 3, 4, 8), torch.ones(2, 3, 4, 8))
    assert not layer.built
    flash = GQA(head_dim=2, num_query_heads=2, num_key_value_heads=2, flash_attention=True)
    with pytest.raises(ValueError, match="Returning attention scores is not supported"):
        flash(torch.rand(2, 4, 8), torch.rand(2, 4, 8), return_attention_scores=True)


# Keras's GroupedQueryAttention passes the masked value to its projections, which warn.
@pytest.mark.filterwarnings("ignore:.*does not support masking:UserWarning")
@pytest.mark.parametrize("kv_heads", [1, 2, 4])
@pytest.mark.parametrize("call", [{}, {"return_attention_scores": True, "use_causal_mask": True}])
def test_keras_parity_with_masks(kv_heads, call):
    keras = import_keras()
    from keras.src import backend as keras_backend

    query, value = data(3, 5, 8), data(3, 4, 8, seed=2)
    value_mask = np.array([[1, 1, 0, 0], [1, 1, 1, 1], [0, 1, 1, 0]], bool)
    kwargs = dict(head_dim=3, num_query_heads=4, num_key_value_heads=kv_heads, use_gate=kv_heads == 2)
    ours, theirs = GQA(**kwargs), keras.layers.GroupQueryAttention(**kwargs)

    def keras_inputs():
        q, v = torch.tensor(query), torch.tensor(value)
        keras_backend.set_keras_mask(v, torch.tensor(value_mask))
        return q, v

    ours(torch.tensor(query), with_mask(value, value_mask), **call)
    theirs(*keras_inputs(), **call)
    theirs.set_weights(randomize(ours))
    a = ours(torch.tensor(query), with_mask(value, value_mask), **call)
    b = theirs(*keras_inputs(), **call)
    for p, q in zip(a if isinstance(a, tuple) else [a], b if isinstance(b, tuple) else [b]):
        np.testing.assert_allclose(numpy_of(p), to_numpy(q), rtol=1e-5, atol=1e-5)
