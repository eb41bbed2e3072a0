"""MultiHeadAttention: Keras's weights, masks, attention axes, arguments and errors
(modelled on Keras's ``multi_head_attention_test.py``), the fused and explicit paths,
sub-layer calls, and parity with Keras."""

import json

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import torch_keraslike as tkl
from attention_helpers import data, numpy_of, randomize, with_mask
from keras_reference import import_keras, to_numpy
from layer_testing import run_layer_test
from torch_keraslike.layers.attention import MultiHeadAttention

L = tkl.layers


class _SelfAttention(MultiHeadAttention):
    """Self-attention, so the one-input ``run_layer_test`` can drive the layer."""

    def call(self, query, training=None):
        return super().call(query, query, training=training)


def _numpy_mha(weights, query, value, key=None, mask=None, causal=False, zero_masked_rows=False):
    """Keras's MultiHeadAttention written out in NumPy (float64) from get_weights()."""
    qk, qb, kk, kb, vk, vb, ok, ob = [w.astype(np.float64) for w in weights]
    key = value if key is None else key
    q = np.einsum("btd,dhk->bthk", query, qk) + qb
    k = np.einsum("bsd,dhk->bshk", key, kk) + kb
    v = np.einsum("bsd,dhv->bshv", value, vk) + vb
    scores = np.einsum("bthk,bshk->bhts", q / np.sqrt(qk.shape[-1]), k)
    t, s = scores.shape[-2:]
    keep = np.ones(scores.shape, dtype=bool)
    if mask is not None:
        keep = keep & mask[:, None]
    if causal:
        keep = keep & (np.arange(t)[:, None] >= np.arange(s)[None, :])
    scores = np.where(keep, scores, -1e9)
    scores = np.exp(scores - scores.max(-1, keepdims=True))
    probs = scores / scores.sum(-1, keepdims=True)
    if zero_masked_rows:
        probs = np.where(keep, probs, 0.0)
    attended = np.einsum("bhts,bshv->bthv", probs, v)
    out = np.einsum("bthv,hvo->bto", attended, ok.reshape(ok.shape[0], ok.shape[1], -1)) + ob.reshape(-1)
    return out.reshape(out.shape[:2] + ob.shape), probs


# ------------------------------------------------------------- common checks
@pytest.mark.parametrize("kwargs, expected_shape, weights", [
    ({"num_heads": 2, "key_dim": 3}, (2, 4, 5), 8),
    ({"num_heads": 3, "key_dim": 2, "value_dim": 4, "use_bias": False, "output_shape": (3, 2)}, (2, 4, 3, 2), 4),
    ({"num_heads": 2, "key_dim": 2, "use_gate": True, "dropout": 0.5}, (2, 4, 5), 10),
])
def test_basics(kwargs, expected_shape, weights):
    run_layer_test(_SelfAttention, kwargs, (2, 4, 5), expected_shape, weights)


@pytest.mark.parametrize("q_dims, v_dims, axes", [
    ((3, 4), (3, 2), (2,)),
    ((3, 4), (3, 2), (1, 2)),
    ((5, 3, 4), (5, 3, 2), (2, 3)),
])
def test_high_dim_attention(q_dims, v_dims, axes):
    layer = MultiHeadAttention(num_heads=2, key_dim=2, attention_axes=axes)
    query, value = torch.tensor(data(3, *q_dims, 8)), torch.tensor(data(3, *v_dims, 8))
    out, scores = layer(query, value, return_attention_scores=True)
    assert out.shape == query.shape
    others = [d for i, d in enumerate(q_dims, 1) if i not in axes]
    assert scores.shape == (3, *others, 2, *(q_dims[a - 1] for a in axes), *(v_dims[a - 1] for a in axes))
    torch.testing.assert_close(scores.flatten(-len(axes)).sum(-1), torch.ones(scores.shape[:-len(axes)]))
    gated = MultiHeadAttention(num_heads=2, key_dim=2, attention_axes=axes, use_gate=True)
    assert gated(query, value).shape == query.shape and len(gated.weights) == 10


def test_attention_axes_negative_indexing():
    x = torch.tensor(data(2, 3, 8, 4))
    positive = MultiHeadAttention(num_heads=2, key_dim=4, attention_axes=2)
    negative = MultiHeadAttention(num_heads=2, key_dim=4, attention_axes=-2)
    positive(x, x), negative(x, x)
    negative.set_weights(positive.get_weights())
    for a, b in zip(positive(x, x, return_attention_scores=True), negative(x, x, return_attention_scores=True)):
        torch.testing.assert_close(a, b)
    assert negative.attention_axes == (2,) and negative.get_config()["attention_axes"] == [2]


@pytest.mark.parametrize("query_dims, value_dims, key_dims, output_shape", [
    ((4, 8), (2, 8), None, None),
    ((4, 8), (2, 8), (2, 3), None),
    ((4, 8), (2, 8), None, (3, 4)),
    ((4, 2, 3, 8), (1, 1, 5, 8), (1, 1, 5, 2), (3, 2)),
    ((4, 2, 3, 8), (4, 2, 3, 7), (4, 2, 3, 8), None),
])
def test_compute_output_shape(query_dims, value_dims, key_dims, output_shape):
    layer = MultiHeadAttention(num_heads=2, key_dim=2, value_dim=2, output_shape=output_shape)
    query, value = torch.ones(7, *query_dims), torch.ones(7, *value_dims)
    key = None if key_dims is None else torch.ones(7, *key_dims)
    out = layer(query=query, value=value, key=key)
    shapes = (query.shape, value.shape, None if key is None else key.shape)
    assert out.shape == layer.compute_output_shape(*shapes) == layer.compute_output_shape(*[
        None if s is None else list(s) for s in shapes])


@pytest.mark.parametrize("query_shape, value_shape, key_shape, call_error", [
    ((2, 4, 8), (2, 2, 7), (2,), "Input 2 .*expected min_ndim=3, found ndim=1"),
    ((2, 4, 8), (2, 2, 8), (2, 1, 7), "must be equal"),
    ((2, 4, 2, 3, 8), (2, 1, 1, 5, 8), (2, 1, 15, 5, 2), "must be equal"),
])
def test_shape_mismatch_error(query_shape, value_shape, key_shape, call_error):
    layer = MultiHeadAttention(num_heads=4, key_dim=2, value_dim=2)
    with pytest.raises(ValueError, match="must be equal"):
        layer.compute_output_shape(query_shape, value_shape, key_shape)
    with pytest.raises(ValueError, match=call_error):
        layer(torch.ones(query_shape), torch.ones(value_shape), torch.ones(key_shape))
    assert not layer.built


def test_weights_in_keras_order_and_layouts():
    layer = MultiHeadAttention(num_heads=2, key_dim=3, value_dim=4, use_gate=True)
    layer(torch.ones(1, 5, 6), torch.ones(1, 7, 8), key=torch.ones(1, 7, 9))
    assert [w.shape for w in layer.get_weights()] == [
        (6, 2, 3), (2, 3), (9, 2, 3), (2, 3), (6, 2, 4), (2, 4), (8, 2, 4), (2, 4), (2, 4, 6), (6,)]
    assert [k for k in layer.state_dict() if not k.endswith("_extra_state")] == [
        f"{p}_dense.{w}" for p in ("query", "key", "gate", "value", "output") for w in ("kernel", "bias")]
    assert [layer.query_dense.name, layer._output_dense.name, layer._gate_dense.name] == [
        "query", "attention_output", "gate"]
    assert isinstance(layer.query_dense, L.EinsumDense) and layer.query_dense.equation == "abc,cde->abde"


def test_initializers_give_each_projection_its_values():
    layer = MultiHeadAttention(num_heads=12, key_dim=64, use_gate=True,
                               kernel_initializer=tkl.initializers.TruncatedNormal(stddev=0.02))
    layer.build((2, 4, 8), (2, 4, 8))
    kernels = [layer._query_dense.kernel, layer._key_dense.kernel, layer._value_dense.kernel,
               layer._gate_dense.kernel]
    assert all(not torch.allclose(kernels[0], k) for k in kernels[1:])


# ---------------------------------------------------------------- numerics
@pytest.mark.parametrize("with_key", [False, True])
@pytest.mark.parametrize("masking", [None, "mask", "causal", "both"])
def test_matches_numpy_reference(with_key, masking):
    rng = np.random.default_rng(1)
    query = rng.standard_normal((2, 4, 5)).astype(np.float32)
    value = rng.standard_normal((2, 6, 3)).astype(np.float32)
    key = rng.standard_normal((2, 6, 7)).astype(np.float32) if with_key else None
    mask = rng.random((2, 4, 6)) > 0.4
    mask[0, 1] = False  # a query with every position masked
    use_mask, causal = masking in ("mask", "both"), masking in ("causal", "both")
    layer = MultiHeadAttention(num_heads=2, key_dim=3, value_dim=2)
    kwargs = {"key": key, "attention_mask": mask if use_mask else None, "use_causal_mask": causal}
    layer(query, value, **kwargs)
    randomize(layer)
    args = (layer.get_weights(), query.astype(np.float64), value.astype(np.float64),
            None if key is None else key.astype(np.float64), mask if use_mask else None, causal)
    # Keras's fused path averages a fully masked query's values; its explicit path
    # (scores returned) gives zeros there.
    fused_expected, _ = _numpy_mha(*args)
    explicit_expected, probs = _numpy_mha(*args, zero_masked_rows=True)
    fused = layer(query, value, **kwargs)
    explicit, scores = layer(query, value, return_attention_scores=True, **kwargs)
    np.testing.assert_allclose(numpy_of(fused), fused_expected, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(numpy_of(explicit), explicit_expected, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(numpy_of(scores), probs, rtol=1e-4, atol=1e-6)


def test_correctness_with_identity_weights():
    # Keras's test_correctness numbers (float32 here instead of float16).
    query = key = np.identity(8, dtype="float32")[None]
    value = (np.arange(64, dtype="float32").reshape((1, 8, 8)) / 100.0)
    layer = MultiHeadAttention(num_heads=8, key_dim=8)
    layer.build(query.shape, key.shape, value.shape)
    kernel = np.repeat(np.identity(8, dtype="float32")[:, None, :], 8, axis=1)
    layer.set_weights([kernel, np.zeros((8, 8), "float32")] * 3 + [kernel, np.zeros(8, "float32")])
    out, scores = layer(query=query, value=value, key=key, return_attention_scores=True)
    expected = np.array([2.406, 2.440, 2.473, 2.504, 2.535, 2.568, 2.602, 2.633])
    np.testing.assert_allclose(numpy_of(out)[0], np.repeat(expected[:, None], 8, 1), atol=1e-2)
    np.testing.assert_allclose(numpy_of(scores)[0, 0, 0], [0.1691] + [0.1187] * 7, atol=1e-3)


# ------------------------------------------------------------------- masks
def test_query_mask_propagates_to_the_output():
    layer = MultiHeadAttention(num_heads=2, key_dim=2)
    assert layer.supports_masking
    ids = torch.tensor([[1, 2, 3, 0, 0], [3, 3, 1, 1, 2], [1, 0, 0, 0, 0]])
    query = L.Embedding(4, 8, mask_zero=True)(ids)
    output = layer(query=query, value=torch.tensor(data(3, 3, 8)))
    torch.testing.assert_close(output._keras_mask, ids != 0)


@pytest.mark.parametrize("use_causal_mask", [True, False])
def test_masks_of_the_inputs_equal_the_same_attention_mask(use_causal_mask):
    layer = MultiHeadAttention(num_heads=2, key_dim=2)
    query_ids = torch.tensor([[1, 2, 3, 0, 0], [3, 3, 1, 1, 2], [1, 0, 0, 0, 0]])
    value_ids = torch.tensor([[5, 4, 0], [3, 0, 0], [2, 1, 1]])
    query = L.Embedding(4, 8, mask_zero=True)(query_ids)
    value = L.Embedding(6, 8, mask_zero=True)(value_ids)
    output = layer(query=query, value=value, use_causal_mask=use_causal_mask)
    mask = np.array([[[1, 1, 0]] * 3 + [[0, 0, 0]] * 2] + [[[1, 0, 0]] * 5] + [[[1, 1, 1]] + [[0, 0, 0]] * 4], bool)
    if use_causal_mask:
        mask = mask & np.array([[[1, 0, 0], [1, 1, 0]] + [[1, 1, 1]] * 3], bool)
    plain = layer(query=query.detach().clone(), value=value.detach().clone(), attention_mask=mask)
    torch.testing.assert_close(output, plain)


def test_mask_shapes_that_broadcast():
    layer = MultiHeadAttention(num_heads=2, key_dim=4)
    x = torch.tensor(data(2, 5, 8))
    mask = torch.ones(5, 5).tril()
    first = layer(query=x, value=x, attention_mask=mask)
    torch.testing.assert_close(first, layer(query=x, value=x, attention_mask=mask[None].repeat(2, 1, 1)))
    torch.testing.assert_close(first, layer(query=x, value=x, attention_mask=mask[None, None].repeat(2, 2, 1, 1)))


def test_no_warning_with_masked_inputs():
    layer = MultiHeadAttention(num_heads=2, key_dim=2)
    query = L.Embedding(4, 8, mask_zero=True)(torch.tensor([[1, 2, 3, 0, 0]]))
    value = L.Embedding(6, 8, mask_zero=True)(torch.tensor([[5, 4, 0]]))
    layer(query=query, value=value)  # warnings are errors in the tests
    layer.query_dense.register_forward_hook(lambda *args: None)  # the sub-layer path too
    layer(query=query, value=value)


def test_sliding_window():
    x = torch.tensor(data(1, 6, 8))
    for causal in (True, False):
        layer = MultiHeadAttention(num_heads=2, key_dim=4, sliding_window=3)
        _, scores = layer(x, x, use_causal_mask=causal, return_attention_scores=True)
        i, j = np.indices((6, 6))
        window = (i - j < 3) & (j <= i) if causal else np.abs(i - j) < 3
        assert (numpy_of(scores)[0, 0][window] > 0).all() and (numpy_of(scores)[0, 0][~window] == 0).all()
    config = MultiHeadAttention(num_heads=2, key_dim=4, sliding_window=5).get_config()
    assert MultiHeadAttention.from_config(config)._sliding_window == 5


def test_causal_only_runs_torchs_causal_kernel(monkeypatch):
    calls = []
    original = F.scaled_dot_product_attention

    def spy(*args, **kwargs):
        calls.append(kwargs)
        return original(*args, **kwargs)

    layer = MultiHeadAttention(num_heads=2, key_dim=4)
    x = torch.tensor(data(2, 5, 8))
    layer(x, x)
    monkeypatch.setattr(F, "scaled_dot_product_attention", spy)
    fast = layer(x, x, use_causal_mask=True)
    assert len(calls) == 1 and calls[0]["is_causal"] and calls[0].get("attn_mask") is None
    slow = layer(x, x, attention_mask=np.tril(np.ones((1, 5, 5), bool)))
    torch.testing.assert_close(fast, slow, atol=1e-5, rtol=1e-5)
    extra = np.ones((2, 5, 5), bool)
    extra[:, 2, 3] = False
    combined = layer(x, x, attention_mask=extra, use_causal_mask=True)
    torch.testing.assert_close(combined, layer(x, x, attention_mask=extra & np.tril(np.ones((5, 5), bool))))
    layer(x, x, return_attention_scores=True)
    assert len(calls) == 4  # scores: the explicit path


@pytest.mark.parametrize("dropout, scores", [(0.0, True), (0.1, False), (0.1, True)])
def test_causal_mask_on_the_explicit_path(dropout, scores):
    future = np.triu(np.ones((6, 6)), k=1).astype(bool)
    x = torch.tensor(data(1, 6, 8))
    layer = MultiHeadAttention(num_heads=2, key_dim=4, dropout=dropout)
    if scores:
        _, probabilities = layer(x, x, use_causal_mask=True, return_attention_scores=True, training=False)
        assert numpy_of(probabilities)[..., future].sum() < 1e-6
    else:
        torch.testing.assert_close(layer(x, x, use_causal_mask=True, training=False),
                                   layer(x, x, attention_mask=~future[None], training=False), atol=1e-5, rtol=1e-5)
    axis = MultiHeadAttention(num_heads=2, key_dim=4, attention_axes=1)
    _, probabilities = axis(torch.tensor(data(1, 6, 3, 8)), torch.tensor(data(1, 6, 3, 8)), use_causal_mask=True,
                            return_attention_scores=True)
    assert numpy_of(probabilities)[..., future].sum() < 1e-6


@pytest.mark.parametrize("scores", [False, True])
def test_compute_attention_combines_causal_and_explicit_mask(scores):
    layer = MultiHeadAttention(num_heads=2, key_dim=4)
    layer.build(query_shape=(1, 5, 8), value_shape=(1, 5, 8))
    q, k, v = (torch.tensor(data(1, 5, 2, 4, seed=s)) for s in (1, 2, 3))
    extra = np.ones((1, 5, 5), bool)
    extra[:, 3, 1] = False
    merged = extra & np.tril(np.ones((5, 5), bool))[None]
    both, _ = layer._compute_attention(q, k, v, attention_mask=torch.tensor(extra), use_causal_mask=True,
                                       return_attention_scores=scores)
    expected, _ = layer._compute_attention(q, k, v, attention_mask=torch.tensor(merged),
                                           return_attention_scores=scores)
    torch.testing.assert_close(both, expected)


def test_subclass_overriding_compute_attention_gets_the_causal_mask():
    seen = {}

    class Sub(MultiHeadAttention):
        def _compute_attention(self, query, key, value, attention_mask=None, training=None,
                               return_attention_scores=False):
            seen["mask"] = attention_mask
            return super()._compute_attention(query, key, value, attention_mask, training, return_attention_scores)

    x = torch.tensor(data(2, 5, 8))
    Sub(num_heads=2, key_dim=4)(x, x, use_causal_mask=True)
    assert seen["mask"] is not None and seen["mask"].shape[-2:] == (5, 5)


# -------------------------------------------------------- sub-layer calls
def test_sublayers_are_called_through_their_call_when_hooked():
    layer = MultiHeadAttention(num_heads=2, key_dim=3, use_gate=True)
    x = torch.tensor(data(2, 4, 6))
    direct = layer(x, x)  # no hooks: the projections' computation runs directly
    calls = []
    for sublayer in (layer.query_dense, layer.key_dense, layer.value_dense, layer.gate_dense,
                     layer.output_dense):
        sublayer.register_forward_pre_hook(lambda module, args: calls.append(module.name))
    hooked = layer(x, x)
    assert sorted(calls) == ["attention_output", "gate", "key", "query", "value"]
    torch.testing.assert_close(hooked, direct, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("kwargs", [{}, {"use_bias": False, "output_shape": (3, 2)}])
def test_inference_reuses_the_joined_projection_until_a_weight_changes(kwargs):
    layer = MultiHeadAttention(num_heads=2, key_dim=4, **kwargs)
    x = torch.tensor(data(2, 5, 8))
    layer(x, x)

    def fast_and_general():
        with torch.no_grad():  # scores force the general path (separate projections)
            return layer(x, x), layer(x, x, return_attention_scores=True)[0]

    fast, general = fast_and_general()
    torch.testing.assert_close(fast, general)
    assert fast_and_general()[0].equal(fast)  # served from the kept kernel
    weights = layer.get_weights()
    weights[2] = weights[2] * 2  # the key kernel, through set_weights
    layer.set_weights(weights)
    fast, general = fast_and_general()
    torch.testing.assert_close(fast, general)
    with torch.no_grad():
        layer.value_dense.kernel.add_(1.0)  # an in-place write
    fast, general = fast_and_general()
    torch.testing.assert_close(fast, general)
    layer.query_dense.kernel = torch.nn.Parameter(layer.query_dense.kernel.detach() * 3)  # a new tensor
    fast, general = fast_and_general()
    torch.testing.assert_close(fast, general)
    assert "_fast_weights_cache" not in layer.__getstate__()
    copy = layer.to(torch.float64)
    with torch.no_grad():
        assert copy(x.double(), x.double()).dtype == torch.float64


def test_activity_regularizer_of_the_projections():
    layer = MultiHeadAttention(num_heads=1, key_dim=2, activity_regularizer="l2")
    layer.build((None, 3, 4), (None, 5, 6))
    assert layer.built and layer.key_dense.kernel.shape == (6, 1, 2)
    layer(torch.tensor(data(2, 3, 4)), torch.tensor(data(2, 5, 6)))
    assert len(layer.losses) == 4  # Keras regularizes each projection's output


# ------------------------------------------------------------------ dropout
def test_dropout_training_only_and_scores_before_dropout():
    layer = MultiHeadAttention(num_heads=2, key_dim=4, dropout=0.5)
    x = torch.tensor(data(2, 6, 8))
    layer.eval()
    assert torch.equal(layer(x, x), layer(x, x))
    _, scores = layer(x, x, training=True, return_attention_scores=True)
    torch.testing.assert_close(scores.sum(-1), torch.ones(2, 2, 6))
    assert not torch.allclose(layer(x, x, training=True), layer(x, x))
    a = MultiHeadAttention(num_heads=2, key_dim=4, dropout=0.5, seed=7)
    b = MultiHeadAttention(num_heads=2, key_dim=4, dropout=0.5, seed=7)
    a(x, x), b(x, x)
    b.set_weights(a.get_weights())
    torch.testing.assert_close(a(x, x, training=True), b(x, x, training=True))


# ------------------------------------------------------- state and configs
def test_state_dict_and_config_round_trip():
    layer = MultiHeadAttention(num_heads=2, key_dim=3, value_dim=4, output_shape=6, kernel_regularizer="l2",
                               bias_constraint="non_neg", use_gate=True, sliding_window=3)
    query, value = torch.tensor(data(2, 4, 5)), torch.tensor(data(2, 6, 5))
    reference = layer(query, value)
    config = json.loads(json.dumps(layer.get_config()))
    assert config["output_shape"] == [6] and config["value_dim"] == 4 and config["use_gate"]
    assert config["attention_axes"] == [1] and config["sliding_window"] == 3
    fresh = MultiHeadAttention.from_config(config)
    fresh.load_state_dict(layer.state_dict())
    torch.testing.assert_close(fresh(query, value), reference)
    assert len(layer.losses) == 5  # one L2 penalty per projection kernel
    assert isinstance(fresh.output_dense.bias_constraint, tkl.constraints.NonNeg)


def test_symbolic_call_with_scores():
    for shape in ((1, 2, 3), (2, 3, 5)):
        mha = MultiHeadAttention(num_heads=4, key_dim=2)
        x, y = tkl.Input(batch_shape=shape), tkl.Input(batch_shape=shape)
        symbolic = mha(x, y, return_attention_scores=True)
        eager = mha(torch.rand(shape), torch.rand(shape), return_attention_scores=True)
        assert [s.shape for s in symbolic] == [tuple(e.shape) for e in eager]


@pytest.mark.parametrize("output_shape, expected", [(8, (2, 4, 8)), ((8, 8), (2, 4, 8, 8))])
def test_output_shape_int_or_tuple(output_shape, expected):
    mha = MultiHeadAttention(num_heads=2, key_dim=16, output_shape=output_shape)
    assert mha(torch.rand(2, 4, 16), torch.rand(2, 4, 16)).shape == expected


def test_compiled_fullgraph_matches_eager():
    layer = MultiHeadAttention(num_heads=2, key_dim=3, value_dim=2)
    query, value, key = torch.tensor(data(2, 4, 5)), torch.tensor(data(2, 6, 3)), torch.tensor(data(2, 6, 7))
    mask = torch.rand(2, 4, 6) > 0.3
    layer.eval()

    def run(q, v, k, m):
        out = layer(q, v, key=k, attention_mask=m, use_causal_mask=True)
        out2, scores = layer(q, v, key=k, attention_mask=m, return_attention_scores=True)
        return out, out2, scores

    eager = run(query, value, key, mask)
    assert torch._dynamo.explain(run)(query, value, key, mask).graph_break_count == 0
    compiled = torch.compile(run, backend="eager", fullgraph=True)(query, value, key, mask)
    for a, b in zip(compiled, eager):
        torch.testing.assert_close(a, b)
    torch._dynamo.reset()


# -------------------------------------------------------------- bad inputs
def test_rejects_bad_inputs():
    layer = MultiHeadAttention(num_heads=2, key_dim=2)
    with pytest.raises(ValueError, match="expected min_ndim=3, found ndim=2"):
        layer(torch.ones(2, 5), torch.ones(2, 3, 5))
    with pytest.raises(ValueError, match="same rank"):
        layer(torch.ones(2, 3, 5), torch.ones(2, 3, 5, 1))
    with pytest.raises(TypeError, match="needs a `value` tensor"):
        layer(torch.ones(2, 3, 5))
    assert not layer.built
    layer(torch.ones(2, 3, 5), torch.ones(2, 4, 6))
    with pytest.raises(ValueError, match="expected axis -1 of input shape to have value 5"):
        layer(torch.ones(2, 3, 4), torch.ones(2, 4, 6))
    with pytest.raises(ValueError, match="Input 1 .*expected axis -1 of input shape to have value 6"):
        layer(torch.ones(2, 3, 5), torch.ones(2, 4, 5))
    with pytest.raises(ValueError, match=r"attention_mask of shape \(4,\) does not match"):
        layer(torch.ones(2, 3, 5), torch.ones(2, 4, 6), attention_mask=torch.ones(4, dtype=torch.bool))


def test_mismatched_shapes_raise_before_any_kernel(monkeypatch):
    layer = MultiHeadAttention(num_heads=2, key_dim=2, name="mha")
    layer(torch.ones(2, 3, 5), torch.ones(2, 4, 6))
    before = [w.clone() for w in layer.weights]
    kernels = []
    monkeypatch.setattr(torch.nn.functional, "scaled_dot_product_attention", lambda *a, **k: kernels.append(a))
    with pytest.raises(ValueError, match=r'Layer "mha".*same batch size.*query shape \(2, 3, 5\), '
                                         r"value shape \(3, 4, 6\)"):
        layer(torch.ones(2, 3, 5), torch.ones(3, 4, 6))
    with pytest.raises(ValueError, match=r"value_shape=\(2, 4, 6\) and key_shape=\(2, 7, 6\)"):
        layer(torch.ones(2, 3, 5), torch.ones(2, 4, 6), key=torch.ones(2, 7, 6))
    with pytest.raises(ValueError, match=r"attention_mask of shape \(2, 3, 5\) does not match the "
                                         r"attention scores \(batch, num_heads, T, S\) = \(2, 2, 3, 4\)"):
        layer(torch.ones(2, 3, 5), torch.ones(2, 4, 6), attention_mask=torch.ones(2, 3, 5, dtype=torch.bool))
    with pytest.raises(ValueError, match="does not match"):
        layer(torch.ones(2, 3, 5), torch.ones(2, 4, 6), attention_mask=torch.ones(3, 3, 4, dtype=torch.bool))
    assert kernels == []
    for old, new in zip(before, layer.weights):
        torch.testing.assert_close(old, new)
    for shape in [(3, 4), (2, 3, 4), (1, 3, 4), (2, 2, 3, 4), (2, 1, 3, 4)]:
        monkeypatch.undo()
        out = layer(torch.ones(2, 3, 5), torch.ones(2, 4, 6), attention_mask=torch.ones(shape, dtype=torch.bool))
        assert out.shape == (2, 3, 5)


@pytest.mark.parametrize("kwargs, match", [
    ({"num_heads": 0, "key_dim": 2}, "argument `num_heads`"),
    ({"num_heads": 1.5, "key_dim": 2}, "argument `num_heads`"),
    ({"num_heads": 2, "key_dim": "4"}, "argument `key_dim`"),
    ({"num_heads": 2, "key_dim": 2, "value_dim": 0}, "argument `value_dim`"),
    ({"num_heads": 2, "key_dim": 2, "dropout": 1.0}, r"dropout must be a float in \[0, 1\)"),
    ({"num_heads": 2, "key_dim": 16, "output_shape": 8.0}, "Invalid `output_shape`"),
    ({"num_heads": 2, "key_dim": 2, "attention_axes": "1"}, "`attention_axes` must be an int, list, or tuple"),
    ({"num_heads": 2, "key_dim": 2, "sliding_window": 0}, "sliding_window"),
    ({"num_heads": 2, "key_dim": 2, "sliding_window": -3}, "sliding_window"),
    ({"num_heads": 2, "key_dim": 2, "flash_attention": True, "dropout": 0.1},
     "Dropout is not supported when flash attention is enabled"),
    ({"num_heads": 2, "key_dim": 2, "seed": 1.5}, "seed must be an int"),
])
def test_bad_constructor_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        MultiHeadAttention(**kwargs)


def test_attention_axes_out_of_range_and_flash_scores():
    layer = MultiHeadAttention(num_heads=2, key_dim=2, attention_axes=(3,))
    with pytest.raises(ValueError, match=r"attention_axes=\(3,\) must name distinct axes.*\(1, 2\)"):
        layer(torch.ones(2, 3, 4, 5), torch.ones(2, 3, 4, 5))
    assert not layer.built
    flash = MultiHeadAttention(num_heads=2, key_dim=2, flash_attention=True)
    with pytest.raises(ValueError, match="Returning attention scores is not supported when flash attention"):
        flash(torch.rand(2, 4, 8), torch.rand(2, 4, 8), return_attention_scores=True)


# ------------------------------------------------------------ Keras parity
@pytest.mark.parametrize("kwargs, call", [
    ({}, {"use_causal_mask": True}),
    ({"use_gate": True, "output_shape": (2, 3)}, {"return_attention_scores": True}),
    ({"dropout": 0.3, "sliding_window": 2}, {"training": False}),
    ({"value_dim": 3, "use_bias": False}, {"attention_mask": True}),
])
def test_keras_parity_with_masks(kwargs, call):
    keras = import_keras()
    from keras.src import backend as keras_backend

    rng = np.random.default_rng(0)
    query, value = data(3, 5, 8), data(3, 4, 6, seed=2)
    query_mask = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1], [0, 0, 0, 0, 0]], bool)
    value_mask = np.array([[1, 1, 0, 0], [1, 1, 1, 1], [1, 0, 0, 0]], bool)
    if call.get("attention_mask") is True:
        call = {"attention_mask": rng.random((3, 5, 4)) > 0.3}
    ours, theirs = MultiHeadAttention(num_heads=2, key_dim=3, **kwargs), keras.layers.MultiHeadAttention(
        num_heads=2, key_dim=3, **kwargs)

    def keras_inputs():
        q, v = torch.tensor(query), torch.tensor(value)
        keras_backend.set_keras_mask(q, torch.tensor(query_mask))
        keras_backend.set_keras_mask(v, torch.tensor(value_mask))
        return q, v

    ours(with_mask(query, query_mask), with_mask(value, value_mask), **call)
    theirs(*keras_inputs(), **call)
    theirs.set_weights(randomize(ours))
    a = ours(with_mask(query, query_mask), with_mask(value, value_mask), **call)
    b = theirs(*keras_inputs(), **call)
    for p, q in zip(a if isinstance(a, tuple) else [a], b if isinstance(b, tuple) else [b]):
        np.testing.assert_allclose(numpy_of(p), to_numpy(q), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("axes", [(2,), (1, 2)])
def test_keras_parity_attention_axes(axes):
    keras = import_keras()
    query, value = data(2, 3, 4, 8), data(2, 3, 4, 8, seed=2)
    ours = MultiHeadAttention(num_heads=2, key_dim=3, attention_axes=axes)
    theirs = keras.layers.MultiHeadAttention(num_heads=2, key_dim=3, attention_axes=axes)
    ours(query, value), theirs(query, value)
    theirs.set_weights(randomize(ours))
    for p, q in zip(ours(query, value, return_attention_scores=True),
                    theirs(query, value, return_attention_scores=True)):
        np.testing.assert_allclose(numpy_of(p), to_numpy(q), rtol=1e-5, atol=1e-5)
