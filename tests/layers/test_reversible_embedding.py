"""ReversibleEmbedding."""

import numpy as np
import pytest
import torch

import torch_keraslike as tkl
from keras_reference import import_keras, to_numpy
from layer_testing import run_layer_test
from torch_keraslike.layers.reversible_embedding import ReversibleEmbedding


@pytest.mark.parametrize("tie_weights, trainable", [(True, 1), (False, 2)])
def test_reversible_embedding_common(tie_weights, trainable):
    layer, _ = run_layer_test(
        ReversibleEmbedding, {"input_dim": 100, "output_dim": 32, "tie_weights": tie_weights}, (2, 8),
        (2, 8, 32), trainable, input_dtype=torch.int64, expected_output_dtype=torch.float32)
    assert [tuple(w.shape) for w in layer.get_weights()] == [(100, 32)] + [(32, 100)] * (not tie_weights)


@pytest.mark.parametrize("tie_weights", [True, False])
def test_reverse_projection_formula(tie_weights):
    layer = ReversibleEmbedding(6, 3, tie_weights=tie_weights)
    hidden = layer(torch.tensor([[1, 2]]))
    logits = layer(hidden, reverse=True)
    kernel = layer.embeddings.T if tie_weights else layer.reverse_embeddings
    torch.testing.assert_close(logits, hidden @ kernel)
    assert logits.shape == (1, 2, 6)


def test_soft_cap_and_reverse_dtype():
    layer = ReversibleEmbedding(5, 4, logit_soft_cap=0.5, reverse_dtype="float64")
    layer.build(None)
    hidden = torch.randn(2, 4) * 10
    logits = layer(hidden, reverse=True)
    assert logits.dtype == torch.float64 and logits.abs().max() <= 0.5
    torch.testing.assert_close(logits, torch.tanh(hidden.double() @ layer.embeddings.T.double() / 0.5) * 0.5)
    spec = layer(tkl.Input((4,)), reverse=True)
    assert spec.shape == (None, 5) and spec.dtype == torch.float64
    config = layer.get_config()
    assert config["reverse_dtype"] == "float64" and config["logit_soft_cap"] == 0.5 and config["tie_weights"]


def test_symbolic_calls_both_ways():
    ids = tkl.Input((7,), dtype="int64")
    layer = ReversibleEmbedding(11, 5)
    hidden = layer(ids)
    logits = layer(hidden, reverse=True)
    assert hidden.shape == (None, 7, 5) and logits.shape == (None, 7, 11)
    model = tkl.Model(ids, logits)
    assert model(torch.randint(0, 11, (2, 7))).shape == (2, 7, 11)


def test_mask_only_for_embedding_calls():
    layer = ReversibleEmbedding(5, 2, mask_zero=True)
    ids = torch.tensor([[1, 0, 3]])
    assert layer.compute_mask(ids).tolist() == [[True, False, True]]
    assert layer.compute_mask(torch.randn(1, 3, 2), reverse=True) is None


@pytest.mark.parametrize("kwargs", [{}, {"tie_weights": False, "logit_soft_cap": 2.0}])
def test_matches_keras(kwargs):
    keras = import_keras()
    rng = np.random.default_rng(0)
    ids = rng.integers(0, 10, (2, 3))
    hidden = rng.standard_normal((2, 3, 4)).astype(np.float32)
    ours, theirs = ReversibleEmbedding(10, 4, **kwargs), keras.layers.ReversibleEmbedding(10, 4, **kwargs)
    ours(ids)
    theirs(ids)
    theirs.set_weights(ours.get_weights())
    np.testing.assert_allclose(to_numpy(ours(ids)), to_numpy(theirs(ids)), rtol=1e-6)
    np.testing.assert_allclose(to_numpy(ours(hidden, reverse=True)), to_numpy(theirs(hidden, reverse=True)),
                               rtol=1e-5, atol=1e-6)
    config = theirs.get_config()
    keys = ("tie_weights", "reverse_dtype", "logit_soft_cap", "input_dim", "output_dim", "quantization_config")
    for key in keys:
        assert ours.get_config()[key] == config[key]
    config.pop("dtype")  # (Keras's dtype policy dicts are read by the model loader)
    assert ReversibleEmbedding.from_config(config).tie_weights == ours.tie_weights


def test_bad_arguments_and_inputs():
    with pytest.raises(ValueError, match="reverse_dtype must be a floating dtype"):
        ReversibleEmbedding(4, 2, reverse_dtype="int32")
    with pytest.raises(ValueError, match="quantized embeddings .* are not supported"):
        ReversibleEmbedding(4, 2, quantization_config={"mode": "int8"})
    with pytest.raises(ValueError, match="logit_soft_cap must be a positive number"):
        ReversibleEmbedding(4, 2, logit_soft_cap=0)
    layer = ReversibleEmbedding(4, 2)
    layer.build(None)
    with pytest.raises(ValueError, match="a reverse call projects vectors of size output_dim=2"):
        layer(torch.ones(3, 5), reverse=True)
    untied = ReversibleEmbedding(4, 2, tie_weights=False, weights=np.ones((4, 2)))
    assert untied.reverse_embeddings.shape == (2, 4) and torch.equal(untied.embeddings, torch.ones(4, 2))
