"""MultiHeadAttention: Keras's weights and numerics, fused and explicit paths."""

import json

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import torch_keraslike as tkl
from layer_testing import run_layer_test
from torch_keraslike.layers.attention import MultiHeadAttention


class _SelfAttention(MultiHeadAttention):
    """Self-attention wrapper, so the one-input ``run_layer_test`` can drive the layer."""

    def call(self, query, training=None):
        return super().call(query, query, training=training)


def _numpy_mha(weights, query, value, key=None, mask=None, causal=False):
    """Keras's MultiHeadAttention written out in NumPy (float64) from get_weights()."""
    qk, qb, kk, kb, vk, vb, ok, ob = [w.astype(np.float64) for w in weights]
    key = value if key is None else key
    q = np.einsum("btd,dhk->bthk", query, qk) + qb
    k = np.einsum("bsd,dhk->bshk", key, kk) + kb
    v = np.einsum("bsd,dhv->bshv", value, vk) + vb
    scores = np.einsum("bthk,bshk->bhts", q / np.sqrt(qk.shape[-1]), k)
    T, S = scores.shape[-2:]
    keep = np.ones(scores.shape, dtype=bool)
    if mask is not None:
        keep = keep & mask[:, None]
    if causal:
        keep = keep & (np.arange(T)[:, None] >= np.arange(S)[None, :])
    # Keras adds -1e9 in the float32 compute dtype: a fully masked row becomes uniform.
    adder = (~keep).astype(np.float32) * np.float32(-1e9)
    scores = (scores.astype(np.float32) + adder).astype(np.float64)
    scores = np.exp(scores - scores.max(-1, keepdims=True))
    probs = scores / scores.sum(-1, keepdims=True)
    attended = np.einsum("bhts,bshv->bthv", probs, v)
    out = np.einsum("bthv,hvo->bto", attended, ok.reshape(ok.shape[0], ok.shape[1], -1)) + ob.reshape(-1)
    return out.reshape(out.shape[:2] + ob.shape), probs


def _randomize(layer, seed=0):
    rng = np.random.default_rng(seed)
    layer.set_weights([rng.standard_normal(w.shape).astype(np.float32) * 0.5 for w in layer.get_weights()])


# ------------------------------------------------------------- common checks
@pytest.mark.parametrize(
    "kwargs, expected_shape, weights",
    [
        ({"num_heads": 2, "key_dim": 3}, (2, 4, 5), 8),
        (
            {"num_heads": 3, "key_dim": 2, "value_dim": 4, "use_bias": False, "output_shape": (3, 2)},
            (2, 4, 3, 2),
            4,
        ),
    ],
)
def test_mha_common(kwargs, expected_shape, weights):
    run_layer_test(_SelfAttention, kwargs, (2, 4, 5), expected_shape, weights)


def test_mha_weights_in_keras_order_and_layouts():
    layer = MultiHeadAttention(num_heads=2, key_dim=3, value_dim=4)
    layer(torch.ones(1, 5, 6), torch.ones(1, 7, 8), key=torch.ones(1, 7, 9))
    shapes = [w.shape for w in layer.get_weights()]
    assert shapes == [(6, 2, 3), (2, 3), (9, 2, 3), (2, 3), (8, 2, 4), (2, 4), (2, 4, 6), (6,)]
    assert [k for k in layer.state_dict() if not k.endswith("_extra_state")] == [
        f"{p}_dense.{w}" for p in ("query", "key", "value", "output") for w in ("kernel", "bias")
    ]
    assert layer.query_dense.name == "query" and layer.output_dense.name == "attention_output"
    assert layer.query_dense.kernel.shape == (6, 2, 3)


# ---------------------------------------------------------------- numerics
@pytest.mark.parametrize("with_key", [False, True])
@pytest.mark.parametrize("masking", [None, "mask", "causal", "both"])
def test_mha_matches_numpy_reference(with_key, masking):
    rng = np.random.default_rng(1)
    query = rng.standard_normal((2, 4, 5)).astype(np.float32)
    value = rng.standard_normal((2, 6, 3)).astype(np.float32)
    key = rng.standard_normal((2, 6, 7)).astype(np.float32) if with_key else None
    mask = rng.random((2, 4, 6)) > 0.4
    mask[0, 1] = False  # a query with every position masked attends uniformly
    use_mask = masking in ("mask", "both")
    causal = masking in ("causal", "both")
    layer = MultiHeadAttention(num_heads=2, key_dim=3, value_dim=2)
    kwargs = {"key": key, "attention_mask": mask if use_mask else None, "use_causal_mask": causal}
    layer(query, value, **kwargs)
    _randomize(layer)
    expected, probs = _numpy_mha(
        layer.get_weights(), query.astype(np.float64), value.astype(np.float64),
        None if key is None else key.astype(np.float64), mask if use_mask else None, causal,
    )
    fused = layer(query, value, **kwargs)
    explicit, scores = layer(query, value, return_attention_scores=True, **kwargs)
    np.testing.assert_allclose(fused.detach().numpy(), expected, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(explicit.detach().numpy(), expected, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(scores.detach().numpy(), probs, rtol=1e-4, atol=1e-6)


def test_mha_output_shape_tuple_and_2d_mask_broadcast():
    layer = MultiHeadAttention(num_heads=2, key_dim=2, output_shape=(3, 2))
    query, value = torch.randn(2, 4, 5), torch.randn(2, 6, 5)
    mask = torch.rand(4, 6) > 0.3
    out = layer(query, value, attention_mask=mask)
    assert out.shape == (2, 4, 3, 2)
    expected, _ = _numpy_mha(layer.get_weights(), query.double().numpy(), value.double().numpy(),
                             mask=np.broadcast_to(mask.numpy(), (2, 4, 6)))
    np.testing.assert_allclose(out.detach().numpy(), expected, rtol=1e-4, atol=1e-5)
    assert layer.compute_output_shape((None, 4, 5), (None, 6, 5)) == (None, 4, 3, 2)


def test_mha_uses_fused_attention_unless_scores_are_requested(monkeypatch):
    calls = []
    original = F.scaled_dot_product_attention

    def spy(*args, **kwargs):
        calls.append(kwargs)
        return original(*args, **kwargs)

    monkeypatch.setattr(torch.nn.functional, "scaled_dot_product_attention", spy)
    layer = MultiHeadAttention(num_heads=2, key_dim=4)
    x = torch.randn(2, 3, 8)
    layer(x, x, use_causal_mask=True)
    assert len(calls) == 1 and calls[0]["is_causal"] and calls[0]["attn_mask"] is None
    layer(x, x, return_attention_scores=True)
    assert len(calls) == 1


def test_mha_compiled_fullgraph_matches_eager():
    layer = MultiHeadAttention(num_heads=2, key_dim=3, value_dim=2)
    query, value, key = torch.randn(2, 4, 5), torch.randn(2, 6, 3), torch.randn(2, 6, 7)
    mask = torch.rand(2, 4, 6) > 0.3
    layer.eval()

    def run(q, v, k, m):
        out = layer(q, v, key=k, attention_mask=m, use_causal_mask=True)
        out2, scores = layer(q, v, key=k, attention_mask=m, return_attention_scores=True)
        return out, out2, scores

    eager = run(query, value, key, mask)
    compiled = torch.compile(run, backend="eager", fullgraph=True)(query, value, key, mask)
    for a, b in zip(compiled, eager):
        torch.testing.assert_close(a, b)
    torch._dynamo.reset()


# ------------------------------------------------------------------ dropout
def test_mha_dropout_training_only_and_scores_before_dropout():
    layer = MultiHeadAttention(num_heads=2, key_dim=4, dropout=0.5)
    x = torch.randn(2, 6, 8)
    layer.eval()
    assert torch.equal(layer(x, x), layer(x, x))
    out, scores = layer(x, x, training=True, return_attention_scores=True)
    torch.testing.assert_close(scores.sum(-1), torch.ones(2, 2, 6))
    assert not torch.allclose(layer(x, x, training=True), layer(x, x))


def test_mha_seeded_dropout_is_reproducible():
    a = MultiHeadAttention(num_heads=2, key_dim=4, dropout=0.5, seed=7)
    b = MultiHeadAttention(num_heads=2, key_dim=4, dropout=0.5, seed=7)
    x = torch.randn(2, 6, 8)
    a(x, x)
    b(x, x)
    b.set_weights(a.get_weights())
    torch.testing.assert_close(a(x, x, training=True), b(x, x, training=True))


# ------------------------------------------------------- state and configs
def test_mha_cross_attention_state_dict_and_config_round_trip():
    layer = MultiHeadAttention(num_heads=2, key_dim=3, value_dim=4, output_shape=6,
                               kernel_regularizer="l2", bias_constraint="non_neg")
    query, value = torch.randn(2, 4, 5), torch.randn(2, 6, 7)
    reference = layer(query, value)
    config = json.loads(json.dumps(layer.get_config()))
    assert config["output_shape"] == [6] and config["value_dim"] == 4
    fresh = MultiHeadAttention.from_config(config)
    fresh.load_state_dict(layer.state_dict())
    torch.testing.assert_close(fresh(query, value), reference)
    assert len(layer.losses) == 4  # one L2 penalty per projection kernel
    assert isinstance(fresh.output_dense.bias_constraint, tkl.constraints.NonNeg)


def test_mha_build_with_keras_signature_and_activity_regularizer():
    layer = MultiHeadAttention(num_heads=1, key_dim=2, activity_regularizer="l2")
    layer.build((None, 3, 4), (None, 5, 6))
    assert layer.built and layer.key_dense.kernel.shape == (6, 1, 2)
    layer(torch.randn(2, 3, 4), torch.randn(2, 5, 6))
    assert len(layer.losses) == 4  # Keras regularizes each projection's output
    assert MultiHeadAttention(1, 2, attention_axes=(1,)).get_config()["attention_axes"] == [1]


# ------------------------------------------------------------- bad inputs
def test_mha_rejects_bad_inputs():
    layer = MultiHeadAttention(num_heads=2, key_dim=2)
    with pytest.raises(ValueError, match="expected ndim=3, found ndim=2"):
        layer(torch.ones(2, 5), torch.ones(2, 3, 5))
    with pytest.raises(ValueError, match='Input 1 of layer "multi_head_attention".*found ndim=4'):
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


def test_mha_mismatched_shapes_raise_before_any_kernel(monkeypatch):
    layer = MultiHeadAttention(num_heads=2, key_dim=2, name="mha")
    layer(torch.ones(2, 3, 5), torch.ones(2, 4, 6))
    before = [w.clone() for w in layer.weights]
    kernels = []
    monkeypatch.setattr(torch.nn.functional, "scaled_dot_product_attention",
                        lambda *a, **k: kernels.append(a))
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
    # Masks that broadcast are accepted: (T, S), (batch, T, S), per head.
    for shape in [(3, 4), (2, 3, 4), (1, 3, 4), (2, 2, 3, 4), (2, 1, 3, 4)]:
        monkeypatch.undo()
        out = layer(torch.ones(2, 3, 5), torch.ones(2, 4, 6), attention_mask=torch.ones(shape, dtype=torch.bool))
        assert out.shape == (2, 3, 5)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"num_heads": 0, "key_dim": 2}, "num_heads must be a positive integer"),
        ({"num_heads": 2, "key_dim": "4"}, "key_dim must be a positive integer"),
        ({"num_heads": 2, "key_dim": 2, "value_dim": 0}, "value_dim must be a positive integer"),
        ({"num_heads": 2, "key_dim": 2, "dropout": 1.0}, r"dropout must be a float in \[0, 1\)"),
        ({"num_heads": 2, "key_dim": 2, "output_shape": (4, 0)}, "output_shape must be None"),
        ({"num_heads": 2, "key_dim": 2, "seed": 1.5}, "seed must be an int"),
    ],
)
def test_mha_bad_constructor_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        MultiHeadAttention(**kwargs)


@pytest.mark.parametrize("axes", [(2,), (1, 2), 2])
def test_mha_attention_axes_not_implemented(axes):
    with pytest.raises(NotImplementedError, match="attention_axes=None"):
        MultiHeadAttention(num_heads=2, key_dim=2, attention_axes=axes)
